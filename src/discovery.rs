//! Where calls go: to the one configured endpoint, or balanced across the database's nodes.
//!
//! Two modes, chosen by the driver's `discovery` option:
//! - **single** (the default): every call goes to the configured endpoint. Behind a gRPC-web proxy this
//!   is the only mode that works, because the node addresses that ListEndpoints reports speak plain gRPC;
//!   discovery then serves only as the readiness check of `wait()`.
//! - **balanced**: the nodes that ListEndpoints lists (each reachable over gRPC-web, directly or through
//!   a per-node proxy that `mapEndpoint` names) share the work. New sessions and session-less calls go
//!   round-robin to the nodes not pessimised; a session stays on the node that created it, as YDB requires.
//!
//! A node is pessimised when a call through its channel cannot reach it or loses the connection (see
//! [`crate::transport::channel::endpoint_failed`]). The list is refreshed when it is older than the
//! interval, and at once (at most every [`FORCED_REFRESH_GAP_MS`]) when more than half of the nodes are
//! pessimised; a refresh clears the pessimisation of every node it lists and drops those it no longer
//! lists. Refreshes are driven by use, in the background of the call that notices the list is stale,
//! rather than by a timer: a timer would keep a Node.js process alive after its work is done, and a
//! Workers isolate may not run timers outside a request at all.

use crate::clock::now_ms;
use crate::error::{Error, ErrorKind, Quoted, Result, Status};
use crate::observe::Level;
use crate::proto::ydb::discovery;
use crate::transport::methods::discovery_service as rpc;
use crate::transport::operation::result_in;
use crate::transport::{CallOptions, Channel};
use std::cell::RefCell;
use std::rc::Rc;

/// How often a balanced driver refreshes its node list by default (the Python SDK: 60 s, plus jitter).
pub const DEFAULT_INTERVAL_MS: f64 = 60_000.0;
/// The least time between two background refreshes (forced by pessimised nodes, or retried after one failed).
pub const FORCED_REFRESH_GAP_MS: f64 = 1_000.0;
/// A refresh still running after this long is taken for lost (its request may have been cancelled
/// with the JS request that started it) and another may start.
const REFRESH_GIVE_UP_MS: f64 = 15_000.0;

/// Turns a listed node into the URL of its gRPC-web endpoint; `None` leaves the node out.
pub type MapEndpoint = Rc<dyn Fn(&discovery::EndpointInfo) -> Result<Option<String>>>;

/// The `discovery` option of the driver.
#[derive(Clone)]
pub struct DiscoverySettings {
    pub balanced: bool,
    pub interval_ms: f64,
    pub map_endpoint: Option<MapEndpoint>,
}

impl Default for DiscoverySettings {
    fn default() -> Self {
        DiscoverySettings { balanced: false, interval_ms: DEFAULT_INTERVAL_MS, map_endpoint: None }
    }
}

/// A listed node as a `mapEndpoint` callback sees it: `{ address, port, ssl, nodeId, location }`.
pub fn endpoint_plain(info: &discovery::EndpointInfo) -> crate::plain::Plain {
    crate::plain::object(vec![
        ("address", (&info.address).into()),
        ("port", info.port.into()),
        ("ssl", info.ssl.into()),
        ("nodeId", info.node_id.into()),
        ("location", (&info.location).into()),
    ])
}

/// The shortest interval between background refreshes a caller may ask for.
pub const MIN_INTERVAL_MS: f64 = 100.0;

impl DiscoverySettings {
    /// Sets the mode by its name: `"single"` (the configured endpoint only) or `"balanced"`.
    pub fn set_mode(&mut self, mode: &str) -> Result<()> {
        self.balanced = match mode {
            "single" => false,
            "balanced" => true,
            _ => {
                return Err(Error::argument(format!(
                    "discovery mode must be \"single\" or \"balanced\", got {}",
                    Quoted(mode)
                )))
            }
        };
        Ok(())
    }

    /// Sets the interval between background refreshes, at least [`MIN_INTERVAL_MS`].
    pub fn set_interval_ms(&mut self, ms: f64) {
        self.interval_ms = ms.max(MIN_INTERVAL_MS);
    }
}

/// One node of the list.
struct Node {
    channel: Channel,
    node_id: u32,
}

#[derive(Default)]
struct State {
    nodes: Vec<Node>,
    /// The round-robin cursor.
    next: usize,
    /// When the list was last refreshed (ms since the epoch; 0: never).
    refreshed_at: f64,
    /// When the refresh now running started.
    refreshing_since: Option<f64>,
    /// When the last background refresh started, successful or not: while discovery fails, calls must
    /// not each start another.
    attempted_at: f64,
    /// What the last discovery saw, for `discoveryDebugDetails` (which adds the node list as it is now).
    last: String,
}

/// The endpoints of one driver; cheap to clone.
#[derive(Clone)]
pub struct Endpoints {
    seed: Channel,
    settings: Rc<DiscoverySettings>,
    state: Rc<RefCell<State>>,
}

impl Endpoints {
    pub fn new(seed: Channel, settings: DiscoverySettings) -> Endpoints {
        Endpoints { seed, settings: Rc::new(settings), state: Rc::default() }
    }

    /// The configured endpoint.
    pub fn seed(&self) -> &Channel {
        &self.seed
    }

    /// The channel for a new session or a session-less call.
    pub fn pick(&self) -> Channel {
        if !self.settings.balanced {
            return self.seed.clone();
        }
        self.pick_balanced()
    }

    /// `pick` in balanced mode. Out of line: V8 compiles a wasm function at its first call, and a driver
    /// in single-endpoint mode (the default) then compiles none of this.
    #[inline(never)]
    fn pick_balanced(&self) -> Channel {
        let now = now_ms();
        let picked = {
            let mut st = self.state.borrow_mut();
            let i = choose(st.nodes.len(), st.next, |i| st.nodes.get(i).is_some_and(|n| !n.channel.is_pessimized()));
            let channel = i.and_then(|i| st.nodes.get(i)).map(|n| n.channel.clone());
            if let Some(i) = i {
                st.next = i + 1;
            }
            channel
        };
        if self.refresh_due(now) {
            let me = self.clone();
            crate::transport::runtime::spawn(Box::pin(async move {
                let _ = me.refresh(&CallOptions::with_timeout(Some(10_000))).await;
            }));
        }
        picked.unwrap_or_else(|| self.seed.clone())
    }

    /// Whether a background refresh should start now (and, if so, marks one as started).
    fn refresh_due(&self, now: f64) -> bool {
        let mut st = self.state.borrow_mut();
        if st.refreshing_since.is_some_and(|since| now - since < REFRESH_GIVE_UP_MS)
            || now - st.attempted_at < FORCED_REFRESH_GAP_MS
        {
            return false;
        }
        let pessimized = st.nodes.iter().filter(|n| n.channel.is_pessimized()).count();
        let due = refresh_needed(now, st.refreshed_at, self.settings.interval_ms, pessimized, st.nodes.len());
        if due {
            st.refreshing_since = Some(now);
            st.attempted_at = now;
        }
        due
    }

    /// Asks the database for its nodes: through the configured endpoint, and when that fails, through the
    /// known nodes not pessimised. A balanced driver adopts the answer as its node list.
    pub async fn refresh(&self, opts: &CallOptions) -> Result<discovery::ListEndpointsResult> {
        let mut candidates = vec![self.seed.clone()];
        if self.settings.balanced {
            let st = self.state.borrow();
            candidates.extend(st.nodes.iter().filter(|n| !n.channel.is_pessimized()).map(|n| n.channel.clone()));
        }
        let mut outcome = Err(Error::new(ErrorKind::Transport, Status::Unavailable, "no endpoint to ask"));
        for channel in candidates {
            outcome = list_endpoints(&channel, opts).await;
            match &outcome {
                Err(e) if crate::transport::channel::endpoint_failed(e) => continue,
                _ => break,
            }
        }
        let adopted = match &outcome {
            Ok(r) if self.settings.balanced => self.adopt(r),
            _ => Ok(()),
        };
        let observer = self.seed.observer();
        if observer.logs() {
            match (&outcome, &adopted) {
                (Ok(r), Ok(())) => {
                    let listed: Vec<String> = r.endpoints.iter().map(|e| format!("{}:{}", e.address, e.port)).collect();
                    let joined = listed.join(", ");
                    let fields = [
                        ("endpoints", joined.as_str().into()),
                        ("count", (listed.len() as f64).into()),
                        ("balanced", self.settings.balanced.into()),
                    ];
                    observer.log(Level::Info, "discovery", &fields);
                }
                (Err(e), _) | (_, Err(e)) => {
                    observer.log(Level::Warn, "discovery failed", &[("status", e.status.name().into())]);
                }
            }
        }
        let mut st = self.state.borrow_mut();
        st.refreshing_since = None;
        st.last = match (&outcome, &adopted) {
            (Ok(r), Ok(())) => {
                st.refreshed_at = now_ms();
                let listed: Vec<String> = r.endpoints.iter().map(|e| format!("{}:{}", e.address, e.port)).collect();
                format!("ok: {}, discovered [{}]", self.describe(), listed.join(", "))
            }
            (Err(e), _) | (_, Err(e)) => format!("failed: {}: {e}", self.describe()),
        };
        drop(st);
        adopted?;
        outcome
    }

    /// Makes the listed nodes the node list: known channels are kept (and forgiven), new ones opened,
    /// unlisted ones dropped.
    fn adopt(&self, r: &discovery::ListEndpointsResult) -> Result<()> {
        let mut nodes = Vec::with_capacity(r.endpoints.len());
        for info in &r.endpoints {
            let url = match &self.settings.map_endpoint {
                Some(map) => match map(info)? {
                    Some(url) => url,
                    None => continue,
                },
                None => default_url(info),
            };
            let known =
                self.state.borrow().nodes.iter().find(|n| n.channel.endpoint() == url).map(|n| n.channel.clone());
            let channel = match known {
                Some(c) => c,
                None => self.seed.to_endpoint(&url)?,
            };
            if nodes.iter().any(|n: &Node| n.channel.endpoint() == channel.endpoint()) {
                continue;
            }
            channel.clear_pessimization();
            nodes.push(Node { channel, node_id: info.node_id });
        }
        if nodes.is_empty() {
            return Err(Error::client(Status::Unavailable, "discovery listed no reachable endpoint"));
        }
        self.state.borrow_mut().nodes = nodes;
        Ok(())
    }

    fn describe(&self) -> String {
        let mode = if self.settings.balanced { "balanced" } else { "single-endpoint" };
        format!("{mode} mode, endpoint {}, database {}", self.seed.endpoint(), self.seed.database())
    }

    fn describe_nodes(&self, st: &State) -> String {
        if !self.settings.balanced {
            return String::new();
        }
        let nodes: Vec<String> = st
            .nodes
            .iter()
            .map(|n| {
                let mark = if n.channel.is_pessimized() { " (pessimised)" } else { "" };
                format!("node {} at {}{mark}", n.node_id, n.channel.endpoint())
            })
            .collect();
        format!(", using [{}]", nodes.join(", "))
    }

    /// What the last discovery saw, for diagnostics.
    pub fn debug_details(&self) -> String {
        let st = self.state.borrow();
        if st.last.is_empty() {
            return format!("not discovered yet: {}", self.describe());
        }
        // The node list and its pessimisation marks as they are now, not as the last refresh left them.
        format!("{}{}", st.last, self.describe_nodes(&st))
    }
}

/// One ListEndpoints call.
async fn list_endpoints(channel: &Channel, opts: &CallOptions) -> Result<discovery::ListEndpointsResult> {
    let req = discovery::ListEndpointsRequest { database: channel.database().to_string(), ..Default::default() };
    let result: discovery::ListEndpointsResult = result_in(channel.operation(&rpc::LIST_ENDPOINTS, &req, opts).await?)?;
    if result.endpoints.is_empty() {
        return Err(Error::client(Status::Unavailable, "discovery returned no endpoints"));
    }
    Ok(result)
}

/// `http(s)://address:port` of a listed node (IPv6 addresses in brackets).
pub fn default_url(info: &discovery::EndpointInfo) -> String {
    let scheme = if info.ssl { "https" } else { "http" };
    if info.address.as_bytes().contains(&b':') && !info.address.starts_with('[') {
        format!("{scheme}://[{}]:{}", info.address, info.port)
    } else {
        format!("{scheme}://{}:{}", info.address, info.port)
    }
}

/// The index of the next healthy node of `n` at or after the cursor; when every node is pessimised, the
/// node at the cursor anyway (a call that may fail beats no call); `None` for an empty list.
pub fn choose(n: usize, cursor: usize, healthy: impl Fn(usize) -> bool) -> Option<usize> {
    if n == 0 {
        return None;
    }
    (0..n).map(|i| (cursor + i) % n).find(|&i| healthy(i)).or(Some(cursor % n))
}

/// Whether the node list needs a refresh: never fetched, older than the interval, or more than half of it
/// pessimised (then no sooner than [`FORCED_REFRESH_GAP_MS`] after the last one).
pub fn refresh_needed(now: f64, refreshed_at: f64, interval_ms: f64, pessimized: usize, total: usize) -> bool {
    let age = now - refreshed_at;
    refreshed_at == 0.0 || age >= interval_ms || (pessimized * 2 > total && age >= FORCED_REFRESH_GAP_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapped_endpoint_sees_the_node_by_its_js_names() {
        let info = discovery::EndpointInfo { address: "n1".into(), port: 2136, node_id: 7, ..Default::default() };
        let plain = endpoint_plain(&info);
        let names: Vec<_> = match &plain {
            crate::plain::Plain::Object(fields) => fields.iter().map(|(k, _)| k.to_string()).collect(),
            _ => vec![],
        };
        assert_eq!(names, ["address", "port", "ssl", "nodeId", "location"]);
        assert_eq!(plain.field("nodeId"), Some(&crate::plain::Plain::Number(7.0)));
    }

    #[test]
    fn discovery_modes_are_known_by_name_and_the_interval_has_a_floor() {
        let mut settings = DiscoverySettings::default();
        assert!(settings.set_mode("balanced").is_ok() && settings.balanced);
        assert!(settings.set_mode("single").is_ok() && !settings.balanced);
        assert_eq!(settings.set_mode("all").err().map(|e| e.kind()), Some(ErrorKind::Argument));
        settings.set_interval_ms(5.0);
        assert_eq!(settings.interval_ms, MIN_INTERVAL_MS);
        settings.set_interval_ms(60_000.0);
        assert_eq!(settings.interval_ms, 60_000.0);
    }

    #[test]
    fn round_robin_skips_pessimised_nodes() {
        let healthy = |i: usize| [true, false, true][i];
        assert_eq!(choose(3, 0, healthy), Some(0));
        assert_eq!(choose(3, 1, healthy), Some(2));
        assert_eq!(choose(3, 3, healthy), Some(0), "the cursor wraps");
        let picks: Vec<usize> = (0..6)
            .scan(0, |cursor, _| {
                let i = choose(3, *cursor, healthy)?;
                *cursor = i + 1;
                Some(i)
            })
            .collect();
        assert_eq!(picks, [0, 2, 0, 2, 0, 2]);
    }

    #[test]
    fn with_every_node_pessimised_the_cursor_still_moves_on() {
        assert_eq!(choose(2, 0, |_| false), Some(0));
        assert_eq!(choose(2, 1, |_| false), Some(1));
        assert_eq!(choose(0, 5, |_| true), None);
    }

    #[test]
    fn refreshes_come_with_age_or_when_most_nodes_failed() {
        let minute = DEFAULT_INTERVAL_MS;
        assert!(refresh_needed(1_000.0, 0.0, minute, 0, 0), "never fetched");
        assert!(!refresh_needed(10_000.0, 5_000.0, minute, 0, 3));
        assert!(refresh_needed(70_000.0, 5_000.0, minute, 0, 3), "older than the interval");
        assert!(!refresh_needed(10_000.0, 5_000.0, minute, 1, 3), "a third pessimised is tolerated");
        assert!(refresh_needed(10_000.0, 5_000.0, minute, 2, 3), "two thirds are not");
        assert!(!refresh_needed(5_100.0, 5_000.0, minute, 2, 3), "but not twice within the gap");
    }

    #[test]
    fn listed_nodes_become_urls() {
        let info = |address: &str, ssl| discovery::EndpointInfo {
            address: address.into(),
            port: 2135,
            ssl,
            ..Default::default()
        };
        assert_eq!(default_url(&info("node-1.ydb", false)), "http://node-1.ydb:2135");
        assert_eq!(default_url(&info("node-1.ydb", true)), "https://node-1.ydb:2135");
        assert_eq!(default_url(&info("::1", false)), "http://[::1]:2135");
    }
}
