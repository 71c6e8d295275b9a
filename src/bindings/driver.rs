//! `Driver` and the credentials objects, as JS sees them.

use super::{js_read, options, to_js};
use crate::auth::{AnonymousCredentials, Credentials};
use crate::connection::ConnectionString;
use crate::discovery::DiscoverySettings;
use crate::error::{Error, Result};
use crate::proto::ydb::discovery::EndpointInfo;
use crate::transport::fetch::FetchSettings;
use js_sys::{Function, Promise, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

/// A driver for `c` with the options every way of making one shares.
fn build(
    c: &ConnectionString,
    o: &Option<JsValue>,
    credentials: impl FnOnce(&FetchSettings) -> Result<Rc<dyn Credentials>>,
) -> Result<Driver> {
    let fetch = fetch_from_js(o)?;
    let credentials = credentials(&fetch)?;
    let retry_budget = super::retry::budget_from_js(&options::raw(o, "retryBudget"))?;
    let discovery = discovery_from_js(&options::raw(o, "discovery"))?;
    let request_timeout = options::millis(o, "requestTimeoutMs")?.filter(|ms| *ms > 0);
    let inner = crate::driver::Driver::new(
        &c.endpoint,
        &c.database,
        credentials,
        discovery,
        request_timeout,
        retry_budget,
        fetch,
    )?;
    Ok(Driver { inner, fallback_pool: Rc::default() })
}

/// The `fetch` and `headers` options: the caller's fetch function, and headers (a plain object of
/// strings) sent with every request; with the `logger` and `tracer` that watch those requests. The headers are read and checked once, here; a bad name or value is
/// a `TypeError` that shows neither (a header may be a secret).
fn fetch_from_js(o: &Option<JsValue>) -> Result<FetchSettings> {
    let f = options::raw(o, "fetch");
    let fetch = if f.is_undefined() || f.is_null() {
        None
    } else {
        Some(f.dyn_into::<Function>().map_err(|_| Error::argument("option fetch must be a function"))?)
    };
    let observer = super::observe::observer_from_js(o)?;
    let h = options::raw(o, "headers");
    if h.is_undefined() || h.is_null() {
        return Ok(FetchSettings { fetch, headers: Rc::new([]), observer });
    }
    let bad = || Error::argument("option headers must be an object of valid header names and string values");
    let object: &js_sys::Object = h.dyn_ref().filter(|_| !js_sys::Array::is_array(&h)).ok_or_else(bad)?;
    let mut headers = Vec::new();
    for entry in js_sys::Object::entries(object).iter() {
        let pair: js_sys::Array = entry.dyn_into().map_err(|_| bad())?;
        match (pair.get(0).as_string(), pair.get(1).as_string()) {
            (Some(name), Some(value)) if valid_header(&name, &value) => headers.push((name, value)),
            _ => return Err(bad()),
        }
    }
    Ok(FetchSettings { fetch, headers: headers.into(), observer })
}

/// A header name is an HTTP token; a value has no line breaks or NULs (RFC 9110), so `fetch` cannot
/// refuse it later with a message that quotes it.
fn valid_header(name: &str, value: &str) -> bool {
    let token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    !name.is_empty() && name.bytes().all(token) && !value.bytes().any(|c| matches!(c, b'\r' | b'\n' | 0))
}

/// The `discovery` option: `'single'` (the default), `'balanced'`, or
/// `{ mode?, intervalMs?, mapEndpoint? }`.
fn discovery_from_js(v: &JsValue) -> Result<DiscoverySettings> {
    let mut settings = DiscoverySettings::default();
    let mode = |m: &str| match m {
        "single" => Ok(false),
        "balanced" => Ok(true),
        _ => Err(Error::argument(format!("discovery mode must be \"single\" or \"balanced\", got {m:?}"))),
    };
    if let Some(m) = v.as_string() {
        settings.balanced = mode(&m)?;
        return Ok(settings);
    }
    let o = options::object(v, "option discovery")?;
    if let Some(m) = options::string(&o, "mode")? {
        settings.balanced = mode(&m)?;
    }
    if let Some(ms) = options::number(&o, "intervalMs")? {
        settings.interval_ms = ms.max(100.0);
    }
    let map = options::raw(&o, "mapEndpoint");
    if !map.is_undefined() && !map.is_null() {
        let f = map.dyn_into::<Function>().map_err(|_| Error::argument("option mapEndpoint must be a function"))?;
        settings.map_endpoint = Some(Rc::new(move |info: &EndpointInfo| map_endpoint(&f, info)));
    }
    Ok(settings)
}

/// Calls the user's `mapEndpoint({ address, port, ssl, nodeId, location })`: a URL, or null to skip the node.
fn map_endpoint(f: &Function, info: &EndpointInfo) -> Result<Option<String>> {
    let o = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
    };
    set("address", JsValue::from_str(&info.address));
    set("port", JsValue::from(info.port));
    set("ssl", JsValue::from_bool(info.ssl));
    set("nodeId", JsValue::from(info.node_id));
    set("location", JsValue::from_str(&info.location));
    let r = f
        .call1(&JsValue::NULL, &o)
        .map_err(|e| Error::argument(format!("mapEndpoint threw: {}", crate::transport::fetch::describe(&e))))?;
    if r.is_null() || r.is_undefined() {
        return Ok(None);
    }
    r.as_string().map(Some).ok_or_else(|| Error::argument("mapEndpoint must return a URL string or null"))
}

#[wasm_bindgen]
#[derive(Clone)]
pub struct Driver {
    pub(crate) inner: crate::driver::Driver,
    /// The query sessions `query()` runs on when the server refuses implicit sessions; made then.
    fallback_pool: Rc<RefCell<Option<super::query::SessionPool>>>,
}

impl Driver {
    pub(crate) fn ensure_running(&self) -> std::result::Result<(), JsValue> {
        self.inner.ensure_running().map_err(to_js)
    }

    /// The pool of `query()` for a server without implicit sessions, made on first use.
    fn fallback_pool(&self) -> Result<super::query::SessionPool> {
        if let Some(pool) = self.fallback_pool.borrow().as_ref() {
            return Ok(pool.clone());
        }
        let pool = super::pooling::pool_for_driver(self, &None)?;
        *self.fallback_pool.borrow_mut() = Some(pool.clone());
        Ok(pool)
    }
}

#[wasm_bindgen]
impl Driver {
    /// `new Driver('grpcs://host:2135/?database=/path')`, or `new Driver({ endpoint, database } or
    /// { connectionString }, credentials?, discovery?, requestTimeoutMs?, retryBudget? })`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> std::result::Result<Driver, JsValue> {
        if let Some(text) = config.as_string() {
            let c = ConnectionString::parse(&text)?;
            return Ok(build(&c, &None, |_| Ok(Rc::new(AnonymousCredentials)))?);
        }
        let o = options::object(&config, "Driver options")?;
        if o.is_none() {
            return Err(Error::argument("new Driver needs a connection string or { endpoint, database }").into());
        }
        let c = match options::string(&o, "connectionString")? {
            Some(text) => ConnectionString::parse(&text)?,
            None => ConnectionString {
                endpoint: options::string(&o, "endpoint")?
                    .ok_or_else(|| Error::argument("option endpoint (or connectionString) is required"))?,
                database: options::string(&o, "database")?
                    .ok_or_else(|| Error::argument("option database (or connectionString) is required"))?,
            },
        };
        let credentials = options::raw(&o, "credentials");
        Ok(build(&c, &o, |fetch| super::credentials::from_js(&credentials, &c.endpoint, &c.database, fetch))?)
    }

    /// `Driver.fromEnv(env)`: `YDB_CONNECTION_STRING` and the credentials variables of `env` (a plain
    /// object; the JS entry passes `process.env`, `Deno.env` or a Workers `env`), with `options` as for
    /// the constructor (credentials aside).
    #[wasm_bindgen(js_name = fromEnv)]
    pub fn from_env(env: JsValue, opts: JsValue) -> std::result::Result<Driver, JsValue> {
        if !env.is_object() {
            return Err(Error::argument("Driver.fromEnv(env) needs an object of environment variables").into());
        }
        let read = |name: &str| js_read::get(&env, name).ok().and_then(|v| v.as_string());
        let config = crate::connection::from_env(&read)?;
        let c = config.connection;
        let o = options::object(&opts, "Driver.fromEnv options")?;
        let credentials = |fetch: &FetchSettings| {
            super::credentials::from_env(config.credentials, &o, &c.endpoint, &c.database, fetch)
        };
        Ok(build(&c, &o, credentials)?)
    }

    /// Resolves `true` once the database answered discovery, `false` when `timeoutMs` passed first.
    /// With `failFast` the first failure rejects instead of being retried.
    pub fn wait(&self, opts: JsValue) -> Promise {
        let driver = self.inner.clone();
        future_to_promise(async move {
            let o = options::object(&opts, "wait options")?;
            let fail_fast = options::boolean(&o, "failFast")?.unwrap_or(false);
            let timeout = options::number(&o, "timeoutMs")?.unwrap_or(10_000.0);
            Ok(JsValue::from_bool(driver.wait(timeout, fail_fast, super::random).await?))
        })
    }

    /// `stop({ timeoutMs? })`: stops the pools made from this driver (closing their idle sessions, and with
    /// `timeoutMs` waiting that long for checked-out ones to come back and close), rejects the retry loops
    /// waiting in backoff with CANCELLED, and refuses new work.
    pub fn stop(&self, opts: JsValue) -> Promise {
        let wait_ms = options::object(&opts, "stop options").and_then(|o| options::millis(&o, "timeoutMs"));
        let wait_ms = match wait_ms {
            Ok(ms) => ms,
            Err(e) => return Promise::reject(&to_js(e)),
        };
        let driver = self.inner.clone();
        future_to_promise(async move {
            driver.stop(wait_ms).await;
            Ok(JsValue::UNDEFINED)
        })
    }

    #[wasm_bindgen(getter, js_name = discoveryDebugDetails)]
    pub fn discovery_debug_details(&self) -> String {
        self.inner.discovery_debug_details()
    }

    #[wasm_bindgen(getter)]
    pub fn endpoint(&self) -> String {
        self.inner.channel().endpoint().to_string()
    }

    #[wasm_bindgen(getter)]
    pub fn database(&self) -> String {
        self.inner.channel().database().to_string()
    }

    /// `query(text, params?, { retrySettings?, idempotent?, timeoutMs?, signal? })` → `ResultSet[]`: one
    /// request per attempt in an implicit session, retried as `retrySettings` (and `idempotent`) allow;
    /// `timeoutMs` bounds each attempt, `signal` cancels the request and the whole loop.
    pub fn query(&self, text: JsValue, params: JsValue, opts: JsValue) -> Promise {
        let prepared = (|| -> Result<_> {
            let o = options::object(&opts, "query options")?;
            let (mut settings, loop_signal) =
                super::retry::RetryContext::of(self).settings(&options::raw(&o, "retrySettings"))?;
            if let Some(idempotent) = options::boolean(&o, "idempotent")? {
                settings.idempotent = idempotent;
            }
            let mut call = options::call_options(&o)?;
            call.signal = call.signal.or(loop_signal);
            let signal = call.signal.clone();
            let shape = super::values::ResultShape::from_options(&o)?;
            Ok((super::query::one_shot(&text, &params, call)?, settings, signal, shape))
        })();
        let me = self.clone();
        super::query::one_shot_promise(self.inner.clone(), Box::new(move || me.fallback_pool()), prepared)
    }

    /// The Scheme service: directories, listings, descriptions, permissions.
    #[wasm_bindgen(js_name = schemeClient)]
    pub fn scheme_client(&self) -> super::scheme::SchemeClient {
        super::scheme::SchemeClient::new(self)
    }

    /// The Table service outside pools: `session()` and `bulkUpsert`.
    #[wasm_bindgen(js_name = tableClient)]
    pub fn table_client(&self) -> super::table::TableClient {
        super::table::TableClient::new(self)
    }

    /// A query-service session pool bound to this driver (stopped with it).
    #[wasm_bindgen(js_name = querySessionPool)]
    pub fn query_session_pool(&self, opts: JsValue) -> std::result::Result<super::query::QuerySessionPool, JsValue> {
        super::query::QuerySessionPool::new(self, opts)
    }
}
