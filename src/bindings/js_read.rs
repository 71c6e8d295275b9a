//! Reading values the caller gave us, without letting the caller's exceptions unwind through wasm.
//!
//! A JS exception thrown inside an import that is not declared `catch` unwinds straight through the
//! wasm frames above it: no Rust destructor runs, `RefCell` borrows and wasm-bindgen's own borrow flags
//! stay taken, and the shadow-stack pointer is never restored. A throwing getter or a `Proxy` trap in a
//! parameter object would then poison the instance for every later call. So every read of a
//! caller-supplied object that can run caller code (a getter, a proxy trap) goes through the catching
//! imports here. A throw comes back as [`Thrown`], which the caller turns into an argument error that
//! names what it was reading (built only then, so the happy path formats no names).

use crate::error::Error;
use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
    fn object_entries(o: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn array_is_array(v: &JsValue) -> Result<bool, JsValue>;
}

/// What the caller's code threw while we read its value.
pub struct Thrown(JsValue);

impl Thrown {
    /// The argument error for a throw while reading `what`; it keeps the thrown message.
    pub fn at(self, what: &str) -> Error {
        Error::argument(format!("{what}: reading it threw: {}", crate::transport::fetch::describe(&self.0)))
    }
}

/// `Object.entries(v)` as `(key, value)` pairs.
pub fn entries(v: &JsValue) -> Result<Vec<(String, JsValue)>, Thrown> {
    let pairs = object_entries(v).map_err(Thrown)?;
    let mut out = Vec::with_capacity(pairs.length() as usize);
    // `Object.entries` returns fresh arrays of [string, value]: reading them runs no caller code.
    for pair in pairs.iter() {
        let pair: Array = pair.unchecked_into();
        out.push((pair.get(0).as_string().unwrap_or_default(), pair.get(1)));
    }
    Ok(out)
}

/// `Array.isArray(v)`, which throws for a revoked proxy.
pub fn is_array(v: &JsValue) -> Result<bool, Thrown> {
    array_is_array(v).map_err(Thrown)
}

/// `v[key]`.
pub fn get(v: &JsValue, key: &str) -> Result<JsValue, Thrown> {
    Reflect::get(v, &JsValue::from_str(key)).map_err(Thrown)
}

/// `v[key]` for any key (a symbol).
pub fn get_key(v: &JsValue, key: &JsValue) -> Result<JsValue, Thrown> {
    Reflect::get(v, key).map_err(Thrown)
}

/// `v.length` of an array (which may be a proxy), as a valid array length.
pub fn length(v: &JsValue) -> Result<u32, Thrown> {
    let n = get(v, "length")?.as_f64().unwrap_or(0.0);
    Ok(if (0.0..=f64::from(u32::MAX)).contains(&n) { n as u32 } else { 0 })
}

/// `v[i]`.
pub fn element(v: &JsValue, i: u32) -> Result<JsValue, Thrown> {
    Reflect::get_u32(v, i).map_err(Thrown)
}
