//! `Driver` and the credentials objects, as JS sees them.

use super::promise;
use super::{js_read, options};
use crate::auth::{AnonymousCredentials, Credentials};
use crate::connection::ConnectionString;
use crate::discovery::DiscoverySettings;
use crate::error::{Error, Result};
use crate::proto::ydb::discovery::EndpointInfo;
use crate::transport::fetch::FetchSettings;
use js_sys::{Function, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// How a way of making a driver makes its credentials, given the driver's `fetch` settings.
type MakeCredentials<'a> = Box<dyn FnOnce(&FetchSettings) -> Result<Rc<dyn Credentials>> + 'a>;

/// A driver for `c` with the options every way of making one shares: its `fetch` (read first) and, from
/// that, its `credentials`. Not generic over the credentials: one copy for the three ways of making a
/// driver instead of one inlined into each.
fn build(c: &ConnectionString, o: &Option<JsValue>, credentials: MakeCredentials<'_>) -> Result<Driver> {
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
    Ok(Driver { inner, fallback_pool: Default::default() })
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
    let headers = match h.is_undefined() || h.is_null() {
        true => Vec::new(),
        false => headers_from_js(&h)?,
    };
    FetchSettings::new(fetch, headers, observer)
}

/// The `headers` option's pairs. Out of line, as the readers of the other options a driver usually goes
/// without (discovery, credentials, retry settings): V8 compiles a wasm function at its first call, so
/// a first `new Driver` without them compiles none of their reading.
#[inline(never)]
fn headers_from_js(h: &JsValue) -> Result<Vec<(String, String)>> {
    let bad = || Error::argument("option headers must be an object of valid header names and string values");
    let object: &js_sys::Object = h.dyn_ref().filter(|_| !js_sys::Array::is_array(h)).ok_or_else(bad)?;
    let mut headers = Vec::new();
    for entry in js_sys::Object::entries(object).iter() {
        let pair: js_sys::Array = entry.dyn_into().map_err(|_| bad())?;
        headers.push((pair.get(0).as_string().ok_or_else(bad)?, pair.get(1).as_string().ok_or_else(bad)?));
    }
    Ok(headers)
}

/// The `discovery` option: `'single'` (the default), `'balanced'`, or
/// `{ mode?, intervalMs?, mapEndpoint? }`.
fn discovery_from_js(v: &JsValue) -> Result<DiscoverySettings> {
    if v.is_undefined() || v.is_null() {
        return Ok(DiscoverySettings::default());
    }
    discovery_given(v)
}

/// The `discovery` option the caller gave (out of line: see `headers_from_js`).
#[inline(never)]
fn discovery_given(v: &JsValue) -> Result<DiscoverySettings> {
    let mut settings = DiscoverySettings::default();
    if let Some(m) = v.as_string() {
        settings.set_mode(&m)?;
        return Ok(settings);
    }
    let o = options::object(v, "option discovery")?;
    if let Some(m) = options::string(&o, "mode")? {
        settings.set_mode(&m)?;
    }
    if let Some(ms) = options::number(&o, "intervalMs")? {
        settings.set_interval_ms(ms);
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
    let o = super::plain_to_js(&crate::discovery::endpoint_plain(info));
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
    pub(crate) fallback_pool: crate::pool::PoolOnDemand<Rc<crate::query::QuerySession>>,
}

#[wasm_bindgen]
impl Driver {
    /// `new Driver('grpcs://host:2135/?database=/path')`, or `new Driver({ endpoint, database } or
    /// { connectionString }, credentials?, discovery?, requestTimeoutMs?, retryBudget? })`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> std::result::Result<Driver, JsValue> {
        if let Some(text) = config.as_string() {
            let c = ConnectionString::parse(&text)?;
            return Ok(build(&c, &None, Box::new(|_| Ok(Rc::new(AnonymousCredentials))))?);
        }
        let o = options::object(&config, "Driver options")?;
        if o.is_none() {
            return Err(Error::argument("new Driver needs a connection string or { endpoint, database }").into());
        }
        let (endpoint, database) = (options::string(&o, "endpoint")?, options::string(&o, "database")?);
        let c = ConnectionString::from_options(options::string(&o, "connectionString")?, endpoint, database)?;
        let credentials = options::raw(&o, "credentials");
        let credentials = Box::new(|fetch: &FetchSettings| {
            super::credentials::from_js(&credentials, &c.endpoint, &c.database, fetch)
        });
        Ok(build(&c, &o, credentials)?)
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
        let credentials = Box::new(|fetch: &FetchSettings| {
            super::credentials::from_env(config.credentials, &o, &c.endpoint, &c.database, fetch)
        });
        Ok(build(&c, &o, credentials)?)
    }

    /// Resolves `true` once the database answered discovery, `false` when `timeoutMs` passed first.
    /// With `failFast` the first failure rejects instead of being retried.
    pub fn wait(&self, opts: JsValue) -> Promise {
        let driver = self.inner.clone();
        promise(Box::pin(async move {
            let o = options::object(&opts, "wait options")?;
            let fail_fast = options::boolean(&o, "failFast")?.unwrap_or(false);
            let timeout = options::number(&o, "timeoutMs")?;
            Ok(JsValue::from_bool(driver.wait(timeout, fail_fast, crate::transport::runtime::random).await?))
        }))
    }

    /// `stop({ timeoutMs? })`: stops the pools made from this driver (closing their idle sessions, and with
    /// `timeoutMs` waiting that long for checked-out ones to come back and close), rejects the retry loops
    /// waiting in backoff with CANCELLED, and refuses new work.
    pub fn stop(&self, opts: JsValue) -> Promise {
        let wait_ms = options::object(&opts, "stop options").and_then(|o| options::millis(&o, "timeoutMs"));
        let wait_ms = super::or_reject!(wait_ms);
        let driver = self.inner.clone();
        promise(Box::pin(async move {
            driver.stop(wait_ms).await;
            Ok(JsValue::UNDEFINED)
        }))
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
}
