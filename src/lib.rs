//! ydb-wasm: a YDB client for JavaScript runtimes, written in Rust and compiled to WebAssembly.
//!
//! Layers, from the wire up: [`transport`] (gRPC-web over `fetch`, and WebCrypto for JWT signatures),
//! [`auth`] (credentials: tokens, their cache and the cloud token exchanges), [`error`] (statuses and the
//! retry classification), [`observe`] (logs and trace spans, off unless asked for), [`value`] (YDB types
//! and values), [`retry`], the services ([`table`], [`query`], [`driver`]), and `bindings` — the only module
//! above `transport` that knows about JS values, which validates arguments and converts results. Everything
//! below `bindings` is plain Rust and is unit
//! tested natively.

pub mod auth;
#[cfg(target_arch = "wasm32")]
pub mod bindings;
pub mod cancel;
pub mod clock;
pub mod connection;
pub mod digits;
pub mod discovery;
pub mod driver;
pub mod error;
pub mod exclusive;
pub mod observe;
pub mod plain;
pub mod pool;
pub mod query;
pub mod retry;
pub mod scheme;
pub mod session_retry;
pub mod sql;
pub mod substring;
pub mod table;
pub mod transport;
pub mod tx_mode;
pub mod value;

pub mod proto {
    //! The generated YDB API messages.
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/ydb_api.rs"));
}

pub use error::{Error, ErrorKind, Result, Status};
