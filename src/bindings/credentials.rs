//! The credentials objects as the driver receives them: `AnonymousCredentials`, `StaticCredentials` and
//! the cloud classes of `js/credentials.js` (recognised by a symbol-keyed method that hands over their
//! settings), or any object with `getAuthToken()`. Also the environment's credentials for `fromEnv`.
//! The behaviour (caching, refresh, retries, JWTs) is in `crate::auth`.

use super::{js_read, options};
use crate::auth::cloud::{CloudKind, CloudSettings};
use crate::auth::{AnonymousCredentials, Credentials};
use crate::connection::EnvCredentials;
use crate::error::{Error, Quoted, Result};
use crate::transport::fetch::{describe, FetchSettings};
use futures_util::future::LocalBoxFuture;
use js_sys::{Function, Promise, Reflect, Symbol};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Credentials given as a JS object with `getAuthToken(): Promise<string | null>`, asked before every
/// call; a call the server refuses (UNAUTHENTICATED) asks once more.
struct JsCredentials {
    object: JsValue,
    get: Function,
}

impl Credentials for JsCredentials {
    fn token(&self) -> LocalBoxFuture<'_, Result<Option<String>>> {
        Box::pin(async move {
            let fail = |e: JsValue| {
                Error::new(
                    crate::ErrorKind::Transport,
                    crate::Status::Unauthorized,
                    format!("getAuthToken failed: {}", describe(&e)),
                )
            };
            let r = self.get.call0(&self.object).map_err(fail)?;
            let r = match r.dyn_into::<Promise>() {
                Ok(p) => JsFuture::from(p).await.map_err(fail)?,
                Err(v) => v,
            };
            if r.is_null() || r.is_undefined() {
                return Ok(None);
            }
            r.as_string().map(Some).ok_or_else(|| Error::argument("getAuthToken must resolve to a string or null"))
        })
    }

    fn invalidate(&self, _token: &str) -> bool {
        true
    }
}

/// A symbol-keyed method of `v` called with no arguments, if `v` has it.
fn handed_over(v: &JsValue, symbol: &str) -> Option<JsValue> {
    Reflect::get(v, &Symbol::for_(symbol).into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .and_then(|f| f.call0(v).ok())
}

fn cloud_settings(kind: CloudKind, fetch: &FetchSettings) -> CloudSettings {
    CloudSettings {
        kind,
        endpoint: None,
        audience: None,
        http: Rc::new(fetch.clone()),
        make_signer: super::webcrypto::signer,
        observer: fetch.observer.clone(),
    }
}

/// A document that is a string now, or a Promise of one (a file being read).
fn document(settings: &CloudSettings, what: String, doc: JsValue) -> Result<Rc<dyn Credentials>> {
    if let Some(text) = doc.as_string() {
        return Ok(Rc::new(settings.credentials(&text)?));
    }
    if let Ok(promise) = doc.clone().dyn_into::<Promise>() {
        let named = what.clone();
        let read = Box::pin(async move {
            let text =
                JsFuture::from(promise).await.map_err(|e| Error::argument(format!("{what}: {}", describe(&e))))?;
            text.as_string().ok_or_else(|| Error::argument(format!("{what} did not read as text")))
        });
        return Ok(Rc::new(settings.credentials_later(named, read)));
    }
    if settings.kind == CloudKind::Metadata {
        return Ok(Rc::new(settings.credentials("")?));
    }
    Err(Error::argument("the credentials' key or config must be a string"))
}

/// The credentials of the `credentials` option.
pub fn from_js(v: &JsValue, endpoint: &str, database: &str, fetch: &FetchSettings) -> Result<Rc<dyn Credentials>> {
    if v.is_undefined() || v.is_null() {
        return Ok(Rc::new(AnonymousCredentials));
    }
    given(v, endpoint, database, fetch)
}

/// Credentials the caller gave. Out of line, so that a driver without them (V8 compiling wasm functions
/// at their first call) compiles none of this.
#[inline(never)]
fn given(v: &JsValue, endpoint: &str, database: &str, fetch: &FetchSettings) -> Result<Rc<dyn Credentials>> {
    if let Some(secret) = handed_over(v, "ydb-wasm.StaticCredentials") {
        let field = |k: &str| Reflect::get(&secret, &JsValue::from_str(k)).ok().and_then(|x| x.as_string());
        let (Some(user), Some(password)) = (field("user"), field("password")) else {
            return Err(Error::argument("StaticCredentials need a user and a password"));
        };
        return Ok(Rc::new(crate::auth::StaticCredentials::new(endpoint, database, user, password, fetch.clone())?));
    }
    if let Some(spec) = handed_over(v, "ydb-wasm.cloudCredentials") {
        let spec = Some(spec);
        let kind = CloudKind::from_name(&options::string(&spec, "kind")?.unwrap_or_default())?;
        let mut settings = cloud_settings(kind, fetch);
        settings.endpoint = options::string(&spec, "endpoint")?;
        settings.audience = options::string(&spec, "audience")?;
        let what = options::string(&spec, "source")?.unwrap_or_default();
        return document(&settings, what, options::raw(&spec, "document"));
    }
    if Reflect::get(v, &JsValue::from_str("anonymous")).map(|a| a.is_truthy()).unwrap_or(false) {
        return Ok(Rc::new(AnonymousCredentials));
    }
    let get = Reflect::get(v, &JsValue::from_str("getAuthToken"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| Error::argument("credentials must have a getAuthToken() method"))?;
    Ok(Rc::new(JsCredentials { object: v.clone(), get }))
}

/// The credentials the environment named; a key or config file is read through the `readTextFile`
/// function the JS entry hands over in `opts` (absent where the runtime has no files).
pub fn from_env(
    credentials: EnvCredentials,
    opts: &Option<JsValue>,
    endpoint: &str,
    database: &str,
    fetch: &FetchSettings,
) -> Result<Rc<dyn Credentials>> {
    let file = |variable: &str, kind: CloudKind, path: String| -> Result<Rc<dyn Credentials>> {
        let reader = opts
            .as_ref()
            .and_then(|o| js_read::get_key(o, &Symbol::for_("ydb-wasm.readTextFile").into()).ok())
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| {
                Error::argument(format!(
                    "{variable} names a file, and this runtime has no files to read: put the key's JSON itself in \
                     YDB_SERVICE_ACCOUNT_KEY_CREDENTIALS, or pass credentials to new Driver"
                ))
            })?;
        let promise =
            reader.call1(&JsValue::NULL, &JsValue::from_str(&path)).map_err(|e| Error::argument(describe(&e)))?;
        document(&cloud_settings(kind, fetch), format!("reading {variable} {}", Quoted(&path)), promise)
    };
    Ok(match credentials {
        EnvCredentials::Anonymous => Rc::new(AnonymousCredentials),
        EnvCredentials::AccessToken(token) => Rc::new(crate::auth::AccessTokenCredentials::new(token)),
        EnvCredentials::Static { user, password } => {
            Rc::new(crate::auth::StaticCredentials::new(endpoint, database, user, password, fetch.clone())?)
        }
        EnvCredentials::ServiceAccountKey(json) => {
            Rc::new(cloud_settings(CloudKind::ServiceAccountKey, fetch).credentials(&json)?)
        }
        EnvCredentials::Metadata => Rc::new(cloud_settings(CloudKind::Metadata, fetch).credentials("")?),
        EnvCredentials::ServiceAccountKeyFile(path) => {
            file("YDB_SERVICE_ACCOUNT_KEY_FILE_CREDENTIALS", CloudKind::ServiceAccountKey, path)?
        }
        EnvCredentials::OAuth2KeyFile(path) => file("YDB_OAUTH2_KEY_FILE", CloudKind::OAuth2, path)?,
    })
}
