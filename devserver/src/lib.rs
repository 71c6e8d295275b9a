//! ydb-devserver: a YDB-protocol-compatible server for development and tests.
//!
//! It speaks YDB's public gRPC API (plain gRPC over HTTP/2 and gRPC-web over HTTP/1.1 on one port) and
//! keeps data in an embedded SQLite database. It is not YDB: it implements what a client can observe —
//! statuses, sessions, transactions, streaming and types — well enough for the official SDKs to run
//! their usage flows against it.

pub mod proto {
    //! The generated YDB API types and service stubs.
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/ydb_api.rs"));
}
pub mod admin;
pub mod auth;
pub mod cloud_auth;
pub mod cluster;
pub mod engine;
pub mod faults;
pub mod guard;
pub mod server;
pub mod services;
pub mod sessions;
pub mod state;
