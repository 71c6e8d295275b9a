//! Answers as plain data. The core decides what an answer holds — which fields, named as the JS API spells
//! them — and builds a [`Plain`] tree; the bindings turn any tree into plain JS objects with one converter.
//! So the shape of a table description, a directory listing or a pool's status is tested natively here,
//! and no binding writes it out field by field.

use std::borrow::Cow;

/// A plain value: what JSON can say.
#[derive(Debug, Clone, PartialEq)]
pub enum Plain {
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<Plain>),
    Object(Vec<(Cow<'static, str>, Plain)>),
}

/// An object of `fields`, in order. (A `Vec`, not an array: one copy of this code serves every size.)
pub fn object(fields: Vec<(&'static str, Plain)>) -> Plain {
    Plain::Object(fields.into_iter().map(|(k, v)| (Cow::Borrowed(k), v)).collect())
}

/// A list of `items`, each made plain by `f`.
pub fn list<T>(items: &[T], f: impl Fn(&T) -> Plain) -> Plain {
    Plain::List(items.iter().map(f).collect())
}

impl Plain {
    /// The value of field `key` of an object.
    pub fn field(&self, key: &str) -> Option<&Plain> {
        match self {
            Plain::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl From<bool> for Plain {
    fn from(b: bool) -> Self {
        Plain::Bool(b)
    }
}

impl From<&str> for Plain {
    fn from(s: &str) -> Self {
        Plain::Text(s.to_string())
    }
}

impl From<&String> for Plain {
    fn from(s: &String) -> Self {
        Plain::Text(s.clone())
    }
}

impl From<u32> for Plain {
    fn from(n: u32) -> Self {
        Plain::Number(f64::from(n))
    }
}

impl From<usize> for Plain {
    fn from(n: usize) -> Self {
        Plain::Number(n as f64)
    }
}

impl From<&[String]> for Plain {
    fn from(items: &[String]) -> Self {
        list(items, |s| Plain::Text(s.clone()))
    }
}

impl From<&Vec<String>> for Plain {
    fn from(items: &Vec<String>) -> Self {
        list(items, |s| Plain::Text(s.clone()))
    }
}
