//! `SchemeClient` as JS sees it.

use super::driver::Driver;
use super::options;
use super::or_reject;
use super::promise;
use super::schema::{directory_to_js, entry_to_js, permissions_from_js};
use crate::error::{Error, Result};
use crate::scheme::SchemeClient as Core;
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

fn path_and_call(path: &JsValue, opts: &JsValue) -> Result<(String, crate::transport::CallOptions)> {
    let o = options::object(opts, "settings")?;
    let path = path.as_string().ok_or_else(|| Error::argument("a path must be a string"))?;
    Ok((path, options::call_options(&o)?))
}

#[wasm_bindgen]
impl SchemeClient {
    #[wasm_bindgen(js_name = makeDirectory)]
    pub fn make_directory(&self, path: JsValue, opts: JsValue) -> Promise {
        let (client, args) = (self.inner.clone(), path_and_call(&path, &opts));
        let (path, call) = or_reject!(args);
        promise(Box::pin(async move {
            client.make_directory(&path, &call).await?;
            Ok(JsValue::UNDEFINED)
        }))
    }

    #[wasm_bindgen(js_name = removeDirectory)]
    pub fn remove_directory(&self, path: JsValue, opts: JsValue) -> Promise {
        let (client, args) = (self.inner.clone(), path_and_call(&path, &opts));
        let (path, call) = or_reject!(args);
        promise(Box::pin(async move {
            client.remove_directory(&path, &call).await?;
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// Resolves `{ name, type, owner, permissions, effectivePermissions, children: [entries] }`.
    #[wasm_bindgen(js_name = listDirectory)]
    pub fn list_directory(&self, path: JsValue, opts: JsValue) -> Promise {
        let (client, args) = (self.inner.clone(), path_and_call(&path, &opts));
        let (path, call) = or_reject!(args);
        promise(Box::pin(async move {
            let d = client.list_directory(&path, &call).await?;
            Ok(directory_to_js(&d))
        }))
    }

    /// Resolves the path's entry `{ name, type, owner, permissions, effectivePermissions }`.
    #[wasm_bindgen(js_name = describePath)]
    pub fn describe_path(&self, path: JsValue, opts: JsValue) -> Promise {
        let (client, args) = (self.inner.clone(), path_and_call(&path, &opts));
        let (path, call) = or_reject!(args);
        promise(Box::pin(async move {
            let d = client.describe_path(&path, &call).await?;
            Ok(d.self_.as_ref().map(entry_to_js).unwrap_or_default().into())
        }))
    }

    /// `modifyPermissions(path, permissions)` with a `Permissions` built in JS.
    #[wasm_bindgen(js_name = modifyPermissions)]
    pub fn modify_permissions(&self, path: JsValue, permissions: JsValue, opts: JsValue) -> Promise {
        let client = self.inner.clone();
        let args = path_and_call(&path, &opts).and_then(|pc| Ok((pc, permissions_from_js(&permissions)?)));
        let ((path, call), (actions, clear)) = or_reject!(args);
        promise(Box::pin(async move {
            client.modify_permissions(&path, actions, clear, &call).await?;
            Ok(JsValue::UNDEFINED)
        }))
    }
}
