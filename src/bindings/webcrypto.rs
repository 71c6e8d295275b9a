//! The core's JWT [`Signer`] over WebCrypto (`crypto.subtle`), for the cloud credentials, in every runtime
//! that has it (Node ≥ 18, Deno, Bun, workerd, browsers) and with no dependency. An adapter of a core
//! trait to a JS API, like the caller's `getAuthToken()` in `credentials.rs`, so it lives in the bindings.
//!
//! A key is imported once, non-extractable, on its first signature: PKCS#8 for RSA and ECDSA, raw bytes
//! for HMAC. Errors say what failed (import, sign) and WebCrypto's reason, never the key.

use crate::auth::jwt::{Algorithm, Family, Signer};
use crate::error::{Error, Result, Status};
use futures_util::future::LocalBoxFuture;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A [`Signer`] over WebCrypto for `key` (PKCS#8 DER, or an HMAC secret).
pub fn signer(alg: Algorithm, key: Vec<u8>) -> Result<Rc<dyn Signer>> {
    subtle()?;
    Ok(Rc::new(WebCryptoSigner { alg, key_bytes: key, key: RefCell::new(None) }))
}

struct WebCryptoSigner {
    alg: Algorithm,
    key_bytes: Vec<u8>,
    key: RefCell<Option<JsValue>>,
}

fn failure(what: &str, e: &JsValue) -> Error {
    Error::new(
        crate::ErrorKind::Client,
        Status::ClientInternalError,
        format!("WebCrypto could not {what}: {}", crate::transport::fetch::describe(e)),
    )
}

fn subtle() -> Result<Object> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok().filter(JsValue::is_object);
    crypto
        .and_then(|c| Reflect::get(&c, &"subtle".into()).ok())
        .and_then(|s| s.dyn_into::<Object>().ok())
        .ok_or_else(|| Error::argument("this runtime has no WebCrypto (crypto.subtle), which the JWT signature needs"))
}

/// Calls `subtle[method](...args)` and awaits its promise.
async fn call(subtle: &Object, method: &str, args: &Array) -> Result<JsValue> {
    let f: Function = Reflect::get(subtle, &method.into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| failure(method, &JsValue::from_str("crypto.subtle has no such method")))?;
    let promise: Promise = f.apply(subtle, args).map_err(|e| failure(method, &e))?.unchecked_into();
    JsFuture::from(promise)
        .await
        .map_err(|e| failure(if method == "importKey" { "import the key" } else { "sign" }, &e))
}

fn object(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

impl WebCryptoSigner {
    fn hash(&self) -> JsValue {
        JsValue::from_str(match self.alg.hash_bits() {
            384 => "SHA-384",
            512 => "SHA-512",
            _ => "SHA-256",
        })
    }

    /// The algorithm objects of `importKey` and `sign`.
    fn params(&self) -> (Object, Object) {
        let hash = ("hash", self.hash());
        match self.alg.family() {
            Family::RsaPss => (
                object(&[("name", "RSA-PSS".into()), hash.clone()]),
                object(&[("name", "RSA-PSS".into()), ("saltLength", JsValue::from(self.alg.hash_bits() / 8))]),
            ),
            Family::RsaPkcs1 => {
                (object(&[("name", "RSASSA-PKCS1-v1_5".into()), hash]), object(&[("name", "RSASSA-PKCS1-v1_5".into())]))
            }
            Family::Ecdsa => {
                let curve = if self.alg.hash_bits() == 384 { "P-384" } else { "P-256" };
                (
                    object(&[("name", "ECDSA".into()), ("namedCurve", curve.into())]),
                    object(&[("name", "ECDSA".into()), hash]),
                )
            }
            Family::Hmac => (object(&[("name", "HMAC".into()), hash]), object(&[("name", "HMAC".into())])),
        }
    }

    async fn key(&self, subtle: &Object, import: &Object) -> Result<JsValue> {
        if let Some(key) = self.key.borrow().as_ref() {
            return Ok(key.clone());
        }
        let format = if self.alg.family() == Family::Hmac { "raw" } else { "pkcs8" };
        let args = Array::of5(
            &format.into(),
            &Uint8Array::from(self.key_bytes.as_slice()),
            import,
            &JsValue::FALSE,
            &Array::of1(&"sign".into()),
        );
        let key = call(subtle, "importKey", &args).await?;
        *self.key.borrow_mut() = Some(key.clone());
        Ok(key)
    }
}

impl Signer for WebCryptoSigner {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }

    fn sign<'a>(&'a self, data: &'a [u8]) -> LocalBoxFuture<'a, Result<Vec<u8>>> {
        Box::pin(async move {
            let subtle = subtle()?;
            let (import, sign) = self.params();
            let key = self.key(&subtle, &import).await?;
            let signature = call(&subtle, "sign", &Array::of3(&sign, &key, &Uint8Array::from(data))).await?;
            Ok(Uint8Array::new(&signature).to_vec())
        })
    }
}
