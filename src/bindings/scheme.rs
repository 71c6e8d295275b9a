//! `SchemeClient` as JS sees it.

use super::driver::Driver;
use super::schema::permissions_from_js;
use super::{options, or_reject, plain_to_js, promise, undefined};
use crate::error::{Error, Result};
use crate::scheme::SchemeClient as Core;
use crate::scheme::{directory_plain, path_plain};
use crate::transport::CallOptions;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct SchemeClient {
    inner: Core,
}

#[wasm_bindgen]
impl Driver {
    /// The Scheme service: directories, listings, descriptions, permissions.
    #[wasm_bindgen(js_name = schemeClient)]
    pub fn scheme_client(&self) -> SchemeClient {
        SchemeClient { inner: Core::new(self.inner.endpoints().clone()) }
    }
}

/// The Promise of `call` on the client with the path and call options of the arguments (a bad one rejects
/// before anything is sent).
fn on_path<F>(
    client: &Core,
    path: &JsValue,
    opts: &JsValue,
    call: impl FnOnce(Core, String, CallOptions) -> F,
) -> Promise
where
    F: std::future::Future<Output = Result<JsValue>> + 'static,
{
    let args = (|| {
        let path = path.as_string().ok_or_else(|| Error::argument("a path must be a string"))?;
        Ok((path, options::call_options(&options::object(opts, "settings")?)?))
    })();
    let (path, options) = or_reject!(args);
    promise(Box::pin(call(client.clone(), path, options)))
}

#[wasm_bindgen]
impl SchemeClient {
    #[wasm_bindgen(js_name = makeDirectory)]
    pub fn make_directory(&self, path: JsValue, opts: JsValue) -> Promise {
        on_path(&self.inner, &path, &opts, |c, path, call| async move {
            c.make_directory(&path, &call).await.map(undefined)
        })
    }

    #[wasm_bindgen(js_name = removeDirectory)]
    pub fn remove_directory(&self, path: JsValue, opts: JsValue) -> Promise {
        on_path(&self.inner, &path, &opts, |c, path, call| async move {
            c.remove_directory(&path, &call).await.map(undefined)
        })
    }

    /// Resolves `{ name, type, owner, permissions, effectivePermissions, children: [entries] }`.
    #[wasm_bindgen(js_name = listDirectory)]
    pub fn list_directory(&self, path: JsValue, opts: JsValue) -> Promise {
        on_path(&self.inner, &path, &opts, |c, path, call| async move {
            Ok(plain_to_js(&directory_plain(&c.list_directory(&path, &call).await?)))
        })
    }

    /// Resolves the path's entry `{ name, type, owner, permissions, effectivePermissions }`.
    #[wasm_bindgen(js_name = describePath)]
    pub fn describe_path(&self, path: JsValue, opts: JsValue) -> Promise {
        on_path(&self.inner, &path, &opts, |c, path, call| async move {
            Ok(plain_to_js(&path_plain(&c.describe_path(&path, &call).await?)))
        })
    }

    /// `modifyPermissions(path, permissions)` with a `Permissions` built in JS.
    #[wasm_bindgen(js_name = modifyPermissions)]
    pub fn modify_permissions(&self, path: JsValue, permissions: JsValue, opts: JsValue) -> Promise {
        let permissions = or_reject!(permissions_from_js(&permissions));
        on_path(&self.inner, &path, &opts, |c, path, call| async move {
            c.modify_permissions(&path, permissions.0, permissions.1, &call).await.map(undefined)
        })
    }
}
