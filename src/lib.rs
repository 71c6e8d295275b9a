//! ydb-wasm: a YDB client for JavaScript runtimes.
pub mod proto {
    //! The generated YDB API types and client stubs.
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/ydb_api.rs"));
}
