//! A query's parameters as requests carry them.
//!
//! `map<string, TypedValue>` is on the wire a repeated entry message of key 1 and value 2; build.rs has
//! prost keep the map fields as a `Vec` of such entries, and the parameters of both services share this
//! one entry type. A hash map would bring hashing and a hash table into the wasm for a handful of
//! entries. A name given twice is sent twice; the server, reading the field as a map, keeps the last value,
//! as a map here would have.

use crate::proto::ydb::TypedValue;

/// One named parameter (`$id`) and its value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Param {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(message, optional, tag = "2")]
    pub value: Option<TypedValue>,
}

/// A query's parameters, in the order they were given.
pub type Params = Vec<Param>;

impl Param {
    pub fn new(name: String, value: TypedValue) -> Self {
        Param { key: name, value: Some(value) }
    }
}

/// Whether `params` has one named `name`.
pub fn has(params: &[Param], name: &str) -> bool {
    params.iter().any(|p| p.key == name)
}
