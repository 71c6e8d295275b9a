//! Typed rpc descriptors: the path of each YDB rpc, tied to its request and response types.
//!
//! `build.rs` writes one constant per rpc of `proto/` (for example
//! `table_service::EXECUTE_DATA_QUERY`), so a call names its rpc once and the compiler checks the
//! message types.
#![allow(dead_code)]

use std::marker::PhantomData;

/// A unary rpc.
pub struct Method<Req, Resp> {
    pub path: &'static str,
    _types: PhantomData<fn(Req) -> Resp>,
}

impl<Req, Resp> Method<Req, Resp> {
    pub const fn new(path: &'static str) -> Self {
        Method { path, _types: PhantomData }
    }
}

/// A server-streaming rpc.
pub struct StreamingMethod<Req, Resp> {
    pub path: &'static str,
    _types: PhantomData<fn(Req) -> Resp>,
}

impl<Req, Resp> StreamingMethod<Req, Resp> {
    pub const fn new(path: &'static str) -> Self {
        StreamingMethod { path, _types: PhantomData }
    }
}

include!(concat!(env!("OUT_DIR"), "/ydb_methods.rs"));
