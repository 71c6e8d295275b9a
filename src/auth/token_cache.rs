//! The token cache every expiring credential shares (service-account key, metadata, OAuth 2.0 token
//! exchange, static user and password): one token with its expiry, refreshed ahead of time in the
//! background of a call, one exchange shared by concurrent callers, a failed exchange retried with
//! backoff within bounds.
//!
//! **When** (see [`Timing`]): a token is refreshed in the background once half its lifetime has passed
//! (at most an hour: Yandex Cloud advises requesting IAM tokens hourly though they live 12 hours); it is
//! no longer sent once less than a tenth of its lifetime (at most 5 minutes) remains — then a call waits
//! for the new one. The Python SDK refreshes at a quarter of the lifetime (at most 30 minutes) and keeps
//! sending the old token whatever its age; this cache refreshes a little later and never sends a token
//! about to expire.
//!
//! **Background without timers**: a call that finds the token due for refresh starts the exchange and
//! returns at once with the cached token; nothing is scheduled, so an idle process or Worker has nothing
//! pending. **Single flight**: the exchange is a shared future held by the cache, so every caller that
//! needs a token while it runs awaits the same one, and a caller that gives up (a cancelled call) does
//! not abandon it.
//!
//! **Workers** (runtimes that bind I/O to a request): what a request leaves running when it answers is torn
//! down with it, so an exchange there can die unfinished, and a driver at module scope outlives every
//! request. Three rules keep a token flowing across requests:
//! - the call that finds a refresh due waits for it a little ([`REQUEST_BOUND_REFRESH_WAIT_MS`]) before
//!   answering with the cached token, so that the refresh normally ends inside the request that started it;
//! - callers other than the one that started the exchange poll on their own timer instead of being woken
//!   by another request's I/O (as the session pool's waiters do);
//! - a running exchange beats on its request's timer; one that has gone silent for
//!   [`SILENT_EXCHANGE_MS`] died with its request, and the next caller starts a new one instead of
//!   waiting on it.
//!
//! **Retries** ([`exchange`]): up to [`MAX_ATTEMPTS`] attempts within [`RETRY_BUDGET_MS`], backoff
//! 100 ms doubling with jitter; only errors the classification retries (network, timeouts, HTTP 5xx and
//! 429). A refusal (HTTP 4xx: a bad signature, an unknown key, a wrong password) fails at once with an
//! UNAUTHORIZED error naming the endpoint. Tokens are never in `Debug` output or errors.

use super::Credentials;
use crate::clock::{now_ms, sleep_for};
use crate::error::{Error, Quoted, Result};
use crate::observe::{Level, Observer};
use crate::retry::BackoffSettings;
use crate::substring;
use futures_util::future::{LocalBoxFuture, Shared};
use futures_util::FutureExt;
use std::cell::RefCell;
use std::fmt;
use std::rc::{Rc, Weak};

/// A token and the moment it expires (ms since the epoch).
#[derive(Clone, PartialEq)]
pub struct Token {
    pub value: String,
    pub expires_at_ms: f64,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token {{ value: <redacted>, expires_at_ms: {} }}", self.expires_at_ms as u64)
    }
}

/// Where tokens come from: one exchange per call, no caching or retrying of its own.
pub trait TokenSource {
    /// What is asked, for error messages: `"the IAM token endpoint https://…"`. Never a secret.
    fn describe(&self) -> String;
    fn fetch(&self) -> LocalBoxFuture<'_, Result<Token>>;
}

/// A source built later, from a future: a key read from a file when the first call needs it.
pub struct LazySource {
    what: String,
    source: Shared<LocalBoxFuture<'static, Result<Rc<dyn TokenSource>>>>,
}

impl LazySource {
    pub fn new(what: impl Into<String>, build: LocalBoxFuture<'static, Result<Rc<dyn TokenSource>>>) -> LazySource {
        LazySource { what: what.into(), source: build.shared() }
    }
}

impl TokenSource for LazySource {
    fn describe(&self) -> String {
        match self.source.peek() {
            Some(Ok(s)) => s.describe(),
            _ => self.what.clone(),
        }
    }
    fn fetch(&self) -> LocalBoxFuture<'_, Result<Token>> {
        Box::pin(async move { self.source.clone().await?.fetch().await })
    }
}

const HOUR_MS: f64 = 3_600_000.0;
/// Assumed when a token's expiry is not after the moment it was obtained (a clock far off the server's).
pub const FALLBACK_LIFETIME_MS: f64 = 60_000.0;

/// When a token obtained at `obtained_ms` is refreshed, and until when it is sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub refresh_at_ms: f64,
    pub usable_until_ms: f64,
}

impl Timing {
    pub fn of(obtained_ms: f64, expires_at_ms: f64) -> Timing {
        let lifetime = expires_at_ms - obtained_ms;
        let lifetime = if lifetime > 0.0 { lifetime } else { FALLBACK_LIFETIME_MS };
        Timing {
            refresh_at_ms: obtained_ms + (lifetime / 2.0).min(HOUR_MS),
            usable_until_ms: obtained_ms + lifetime - (lifetime / 10.0).min(5.0 * 60_000.0),
        }
    }
}

/// How often a caller that did not start the running exchange looks for its end, where I/O is bound to
/// a request (Workers).
const REQUEST_BOUND_POLL_MS: u32 = 5;

/// Attempts of one exchange, the first included.
pub const MAX_ATTEMPTS: u32 = 4;
/// No retry starts once this much time has passed since the first attempt.
pub const RETRY_BUDGET_MS: f64 = 30_000.0;
/// After a failed background refresh, calls keep the cached token this long before trying again.
const QUIET_AFTER_FAILURE_MS: f64 = 5_000.0;
/// An exchange still unfinished after this long is taken as torn down with its request (Workers).
const STALE_EXCHANGE_MS: f64 = RETRY_BUDGET_MS + 2.0 * super::http::REQUEST_TIMEOUT_MS as f64;
/// Where I/O is bound to a request: how often a running exchange marks itself alive, on the timer of the
/// request that drives it.
const HEARTBEAT_MS: u32 = 100;
/// Where I/O is bound to a request: an exchange whose heartbeat has been silent this long was torn down
/// with its request.
pub const SILENT_EXCHANGE_MS: f64 = 1_000.0;
/// Where I/O is bound to a request: how long the call that starts a due refresh waits for it before
/// answering with the still usable cached token.
pub const REQUEST_BOUND_REFRESH_WAIT_MS: u32 = 2_000;

/// The wait before attempt `attempt + 1` (after `attempt` failures), by the retry loop's own formula:
/// 100 ms doubling, between half and all of it. Within [`MAX_ATTEMPTS`] the longest wait is 800 ms.
pub const BACKOFF: BackoffSettings = BackoffSettings { ceiling: 4, slot_duration_ms: 100.0, uncertain_ratio: 0.5 };

/// One exchange with its retries; the final error names the source and, when retries ran out, how many
/// attempts were made over how long.
pub async fn exchange(source: &dyn TokenSource, now: fn() -> f64) -> Result<Token> {
    let started = now();
    let mut attempts = 0;
    loop {
        let e = match source.fetch().await {
            Ok(token) => return Ok(token),
            Err(e) => e,
        };
        attempts += 1;
        let waited = now() - started;
        let delay = BACKOFF.delay_ms(attempts, crate::transport::runtime::random());
        let retryable = e.policy().backoff.is_some();
        if !retryable || attempts >= MAX_ATTEMPTS || waited + delay > RETRY_BUDGET_MS {
            let mut message = e.message.clone();
            if !substring::contains(&message, &source.describe()) {
                message = format!("{}: {message}", source.describe());
            }
            if retryable {
                message = format!("{message} (gave up after {attempts} attempts in {} ms)", waited.max(0.0) as u64);
            }
            return Err(Error::new(e.kind, e.status, message));
        }
        sleep_for(delay).await;
    }
}

type Exchange = Shared<LocalBoxFuture<'static, Result<Token>>>;

/// What a call does for its token.
enum Plan {
    /// Send the cached token.
    Cached(String),
    /// Send the cached token; a refresh is due and has been started.
    Refresh(String, Exchange),
    /// Wait for an exchange (`mine`: this call started it).
    Await { exchange: Exchange, mine: bool },
}

struct Inflight {
    exchange: Exchange,
    id: u64,
    started_ms: f64,
    /// The exchange's last heartbeat (where I/O is bound to a request).
    alive_ms: f64,
}

#[derive(Default)]
struct State {
    token: Option<(Token, Timing)>,
    inflight: Option<Inflight>,
    quiet_until_ms: f64,
    next_id: u64,
    /// Exchanges started (each with its retries): what tests count.
    exchanges: u64,
}

/// Expiring credentials: a [`TokenSource`] behind the cache. Cheap to share (`Rc`).
pub struct TokenCache {
    source: Rc<dyn TokenSource>,
    state: Rc<RefCell<State>>,
    now: fn() -> f64,
    poll_ms: u32,
    /// Told of each exchange's outcome (`token refreshed`, `token refresh failed`), never the token.
    observer: Observer,
    /// The credentials' kind in those events: `static`, `serviceAccountKey`, `metadata`, `oauth2`.
    kind: &'static str,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenCache {{ source: {}, token: <redacted> }}", Quoted(&self.source.describe()))
    }
}

impl TokenCache {
    pub fn new(source: Rc<dyn TokenSource>) -> TokenCache {
        let poll_ms = if crate::transport::runtime::request_bound_io() { REQUEST_BOUND_POLL_MS } else { 0 };
        TokenCache { source, state: Rc::default(), now: now_ms, poll_ms, observer: Observer::default(), kind: "" }
    }

    /// Logs each exchange's outcome to `observer` as credentials of `kind`.
    pub fn with_observer(mut self, observer: Observer, kind: &'static str) -> TokenCache {
        self.observer = observer;
        self.kind = kind;
        self
    }

    /// Callers that did not start the running exchange poll every `ms` milliseconds on their own timer
    /// instead of being woken by it (runtimes that bind I/O to a request; 0: woken directly).
    pub fn with_polling_waiters(mut self, ms: u32) -> TokenCache {
        self.poll_ms = ms;
        self
    }

    /// The clock the cache reads (tests drive time by hand).
    pub fn with_clock(mut self, now: fn() -> f64) -> TokenCache {
        self.now = now;
        self
    }

    /// How many exchanges were started so far.
    pub fn exchanges(&self) -> u64 {
        self.state.borrow().exchanges
    }

    /// Whether `i` may still end: not past every bound of an exchange, and where I/O is bound to a
    /// request, not silent (its request was torn down).
    fn is_running(&self, i: &Inflight, now: f64) -> bool {
        now - i.started_ms < STALE_EXCHANGE_MS && (self.poll_ms == 0 || now - i.alive_ms < SILENT_EXCHANGE_MS)
    }

    /// A token to send now: the cached one while usable (starting a background refresh when it is due),
    /// else the result of the running or a new exchange.
    pub async fn get(&self) -> Result<String> {
        let (mut exchange, mine) = match self.plan((self.now)()) {
            Plan::Cached(value) => return Ok(value),
            Plan::Refresh(value, exchange) => return Ok(self.refresh(value, exchange).await),
            Plan::Await { exchange, mine } => (exchange, mine),
        };
        if mine || self.poll_ms == 0 {
            return exchange.await.map(|t| t.value);
        }
        loop {
            if let Some(result) = exchange.peek() {
                return result.clone().map(|t| t.value);
            }
            match self.plan((self.now)()) {
                // Still running, or replaced by another caller's exchange: follow the one running now.
                Plan::Await { exchange: running, mine: false } => exchange = running,
                Plan::Await { exchange: fresh, mine: true, .. } => return fresh.await.map(|t| t.value),
                Plan::Refresh(value, fresh) => return Ok(self.refresh(value, fresh).await),
                Plan::Cached(value) => return Ok(value),
            }
            crate::clock::sleep_ms(self.poll_ms).await;
        }
    }

    /// What a caller at `now` does; starts the exchange it needs.
    fn plan(&self, now: f64) -> Plan {
        let mut st = self.state.borrow_mut();
        if let Some((token, timing)) = &st.token {
            if now < timing.usable_until_ms {
                let value = token.value.clone();
                let running = st.inflight.as_ref().is_some_and(|i| self.is_running(i, now));
                if now >= timing.refresh_at_ms && !running && now >= st.quiet_until_ms {
                    return Plan::Refresh(value, self.start(&mut st, now));
                }
                return Plan::Cached(value);
            }
        }
        match &st.inflight {
            Some(i) if self.is_running(i, now) => Plan::Await { exchange: i.exchange.clone(), mine: false },
            _ => Plan::Await { exchange: self.start(&mut st, now), mine: true },
        }
    }

    /// Runs a due refresh in the background, answering with the still usable `cached` token; where I/O is
    /// bound to a request, waits for it a little first, so that it normally ends within this request.
    async fn refresh(&self, cached: String, exchange: Exchange) -> String {
        if self.poll_ms == 0 {
            crate::transport::runtime::spawn(Box::pin(async move {
                let _ = exchange.await;
            }));
            return cached;
        }
        let wait = crate::clock::sleep_ms(REQUEST_BOUND_REFRESH_WAIT_MS);
        match futures_util::future::select(exchange, wait).await {
            futures_util::future::Either::Left((Ok(fresh), _)) => fresh.value,
            _ => cached,
        }
    }

    /// Starts an exchange and records it as the running one; it stores its token (or, failing, a quiet
    /// period) itself when it ends, whoever is awaiting it then.
    fn start(&self, st: &mut State, now: f64) -> Exchange {
        st.next_id += 1;
        st.exchanges += 1;
        let id = st.next_id;
        let source = self.source.clone();
        let state: Weak<RefCell<State>> = Rc::downgrade(&self.state);
        let clock = self.now;
        let (observer, kind) = (self.observer.clone(), self.kind);
        // Where I/O is bound to a request the exchange beats while it is driven: not after its request was
        // torn down, and not once every caller awaiting it has given up.
        let beats = (self.poll_ms > 0).then(|| heartbeat(state.clone(), id, clock));
        let exchange = async move {
            let result = match beats {
                None => exchange(&*source, clock).await,
                Some(beats) => {
                    let work = std::pin::pin!(exchange(&*source, clock));
                    match futures_util::future::select(work, std::pin::pin!(beats)).await {
                        futures_util::future::Either::Left((result, _)) => result,
                        futures_util::future::Either::Right(((), work)) => work.await,
                    }
                }
            };
            match &result {
                Ok(token) => {
                    let fields =
                        [("credentials", kind.into()), ("expiresInMs", (token.expires_at_ms - clock()).into())];
                    observer.log(Level::Info, "token refreshed", &fields);
                }
                Err(e) => {
                    let fields = [
                        ("credentials", kind.into()),
                        ("status", e.status.name().into()),
                        ("error", e.message.as_str().into()),
                    ];
                    observer.log(Level::Warn, "token refresh failed", &fields);
                }
            }
            if let Some(state) = state.upgrade() {
                let mut st = state.borrow_mut();
                if st.inflight.as_ref().is_some_and(|i| i.id == id) {
                    st.inflight = None;
                }
                match &result {
                    Ok(token) => st.token = Some((token.clone(), Timing::of(now, token.expires_at_ms))),
                    Err(_) => st.quiet_until_ms = clock() + QUIET_AFTER_FAILURE_MS,
                }
            }
            result
        }
        .boxed_local()
        .shared();
        st.inflight = Some(Inflight { exchange: exchange.clone(), id, started_ms: now, alive_ms: now });
        exchange
    }

    /// Forgets `token` if it is the cached one, so that the next call gets a new one.
    pub fn invalidate(&self, token: &str) {
        let mut st = self.state.borrow_mut();
        if st.token.as_ref().is_some_and(|(t, _)| t.value == token) {
            st.token = None;
        }
    }
}

/// Marks exchange `id` alive every [`HEARTBEAT_MS`], on the timer of the request driving it, until it is no
/// longer the running one. Natively (unit tests) there is no timer and nothing beats: tests move the
/// clock.
async fn heartbeat(state: Weak<RefCell<State>>, id: u64, clock: fn() -> f64) {
    if cfg!(not(target_arch = "wasm32")) {
        return futures_util::future::pending().await;
    }
    loop {
        crate::clock::sleep_ms(HEARTBEAT_MS).await;
        let Some(state) = state.upgrade() else { return };
        let mut st = state.borrow_mut();
        match st.inflight.as_mut() {
            Some(i) if i.id == id => i.alive_ms = clock(),
            _ => return,
        }
    }
}

impl Credentials for TokenCache {
    fn token(&self) -> LocalBoxFuture<'_, Result<Option<String>>> {
        Box::pin(async move { self.get().await.map(Some) })
    }

    fn invalidate(&self, token: &str) -> bool {
        TokenCache::invalidate(self, token);
        true
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::error::Status;
    use futures_executor::block_on;
    use std::cell::Cell;
    use std::collections::VecDeque;

    thread_local! {
        static NOW: Cell<f64> = const { Cell::new(1_000_000.0) };
    }
    fn clock() -> f64 {
        NOW.with(Cell::get)
    }
    fn advance(ms: f64) {
        NOW.with(|n| n.set(n.get() + ms));
    }

    /// Answers from a script; with `hold`, each fetch waits until released.
    #[derive(Default)]
    struct Scripted {
        answers: RefCell<VecDeque<Result<Token>>>,
        fetches: Cell<u32>,
        gate: RefCell<Option<futures_channel::oneshot::Receiver<()>>>,
    }

    impl Scripted {
        fn with(answers: Vec<Result<Token>>) -> Rc<Scripted> {
            Rc::new(Scripted { answers: RefCell::new(answers.into()), ..Default::default() })
        }
    }

    impl TokenSource for Scripted {
        fn describe(&self) -> String {
            "the test token endpoint".into()
        }
        fn fetch(&self) -> LocalBoxFuture<'_, Result<Token>> {
            self.fetches.set(self.fetches.get() + 1);
            let gate = self.gate.borrow_mut().take();
            Box::pin(async move {
                if let Some(gate) = gate {
                    let _ = gate.await;
                }
                self.answers.borrow_mut().pop_front().unwrap_or_else(|| Err(Error::protocol("script ran out")))
            })
        }
    }

    fn token(value: &str, lifetime_ms: f64) -> Result<Token> {
        Ok(Token { value: value.into(), expires_at_ms: clock() + lifetime_ms })
    }

    fn cache(source: &Rc<Scripted>) -> TokenCache {
        TokenCache::new(source.clone()).with_clock(clock)
    }

    #[test]
    fn timing_refreshes_at_half_life_and_stops_at_the_last_tenth() {
        let t = Timing::of(0.0, 2_000.0);
        assert_eq!((t.refresh_at_ms, t.usable_until_ms), (1_000.0, 1_800.0));
        let iam = Timing::of(0.0, 12.0 * HOUR_MS);
        assert_eq!(iam.refresh_at_ms, HOUR_MS, "an IAM token is refreshed hourly");
        assert_eq!(iam.usable_until_ms, 12.0 * HOUR_MS - 300_000.0, "and sent until 5 minutes before it expires");
        let skewed = Timing::of(10_000.0, 5_000.0);
        assert_eq!(skewed.usable_until_ms, 10_000.0 + FALLBACK_LIFETIME_MS * 0.9);
    }

    #[test]
    fn a_token_is_cached_until_its_refresh_time() {
        let source = Scripted::with(vec![token("t1", 10_000.0), token("t2", 10_000.0)]);
        let c = cache(&source);
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"));
        advance(4_000.0);
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"));
        assert_eq!(c.exchanges(), 1);
    }

    #[test]
    fn a_due_refresh_runs_in_the_background_and_the_call_keeps_the_old_token() {
        let source = Scripted::with(vec![token("t1", 10_000.0), token("t2", 10_000.0)]);
        let c = cache(&source);
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"));
        advance(6_000.0);
        let (release, gate) = futures_channel::oneshot::channel();
        *source.gate.borrow_mut() = Some(gate);
        // The refresh is held at the gate: the call still answers at once, with the old token.
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"));
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"), "no second refresh while one runs");
        assert_eq!(c.exchanges(), 1 + 1);
        let _ = release.send(());
        advance(3_500.0); // past t1's usable time: this call waits for the running refresh
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t2"));
        assert_eq!(source.fetches.get(), 2);
    }

    #[test]
    fn concurrent_callers_share_one_exchange() {
        let source = Scripted::with(vec![token("t1", 10_000.0)]);
        let (release, gate) = futures_channel::oneshot::channel();
        *source.gate.borrow_mut() = Some(gate);
        let c = cache(&source);
        let all = futures_util::future::join_all((0..10).map(|_| c.get()));
        let released = async {
            let _ = release.send(());
        };
        let (tokens, ()) = block_on(futures_util::future::join(all, released));
        assert!(tokens.iter().all(|t| t.as_deref().ok() == Some("t1")));
        assert_eq!((c.exchanges(), source.fetches.get()), (1, 1));
    }

    #[test]
    fn unavailable_is_retried_then_succeeds() {
        let down = || Err(Error::transport(Status::Unavailable, "HTTP 503"));
        let source = Scripted::with(vec![down(), down(), token("t1", 10_000.0)]);
        let c = cache(&source);
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"));
        assert_eq!(source.fetches.get(), 3);
    }

    #[test]
    fn retries_are_bounded_and_the_error_says_where_and_how_often() {
        let down = || Err(Error::transport(Status::ConnectionFailure, "request failed: connection refused"));
        let source = Scripted::with((0..10).map(|_| down()).collect());
        let c = cache(&source);
        let e = block_on(c.get()).expect_err("gives up");
        assert_eq!(source.fetches.get(), MAX_ATTEMPTS);
        assert_eq!(e.status(), Status::ConnectionFailure);
        assert!(e.message().starts_with("the test token endpoint: request failed"), "{}", e.message());
        assert!(e.message().contains("gave up after 4 attempts"), "{}", e.message());
        // The next call tries again (a new exchange), it does not replay the old failure.
        let _ = block_on(c.get());
        assert_eq!(c.exchanges(), 2);
    }

    #[test]
    fn a_refusal_is_not_retried() {
        let refused = Err(Error::transport(Status::Unauthorized, "the test token endpoint refused (HTTP 401)"));
        let source = Scripted::with(vec![refused, token("never", 1.0)]);
        let e = block_on(cache(&source).get()).expect_err("refused");
        assert_eq!((e.status(), source.fetches.get()), (Status::Unauthorized, 1));
        assert_eq!(e.message().matches("the test token endpoint").count(), 1, "{}", e.message());
        assert!(!e.message().contains("gave up"));
    }

    #[test]
    fn invalidating_the_cached_token_makes_the_next_call_exchange() {
        let source = Scripted::with(vec![token("t1", 10_000.0), token("t2", 10_000.0)]);
        let c = cache(&source);
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"));
        c.invalidate("other");
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"), "another token does not invalidate this one");
        assert!(Credentials::invalidate(&c, "t1"));
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t2"));
    }

    #[test]
    fn a_failed_background_refresh_keeps_the_token_and_waits_before_the_next() {
        let down = || Err(Error::transport(Status::Unavailable, "HTTP 503"));
        let mut answers = vec![token("t1", 100_000.0)];
        answers.extend((0..MAX_ATTEMPTS).map(|_| down()));
        answers.push(token("t2", 100_000.0));
        let source = Scripted::with(answers);
        let c = cache(&source);
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"));
        advance(60_000.0);
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"), "the refresh failed in the background");
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"));
        assert_eq!(c.exchanges(), 2, "quiet for a while after the failure");
        advance(QUIET_AFTER_FAILURE_MS);
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"));
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t2"));
    }

    #[test]
    fn in_workers_a_due_refresh_ends_inside_the_call_that_starts_it() {
        let source = Scripted::with(vec![token("t1", 10_000.0), token("t2", 10_000.0)]);
        let c = cache(&source).with_polling_waiters(5);
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"));
        advance(6_000.0);
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t2"), "the refresh ended within the call");
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t2"));
        assert_eq!(c.exchanges(), 2);
    }

    #[test]
    fn in_workers_an_exchange_torn_down_with_its_request_is_replaced() {
        let source = Scripted::with(vec![token("t1", 10_000.0)]);
        let (_never_released, gate) = futures_channel::oneshot::channel();
        *source.gate.borrow_mut() = Some(gate);
        let c = cache(&source).with_polling_waiters(5);
        // The first caller's request ends while its exchange waits: nothing drives that exchange again.
        assert!(c.get().now_or_never().is_none());
        assert_eq!(c.exchanges(), 1);
        advance(SILENT_EXCHANGE_MS + 1.0);
        // A caller in a later request does not wait on the silent exchange: it starts its own.
        assert_eq!(block_on(c.get()).ok().as_deref(), Some("t1"));
        assert_eq!((c.exchanges(), source.fetches.get()), (2, 2));
    }

    #[test]
    fn outside_workers_a_running_exchange_is_not_judged_by_its_heartbeat() {
        let source = Scripted::with(vec![token("t1", 10_000.0)]);
        let (release, gate) = futures_channel::oneshot::channel();
        *source.gate.borrow_mut() = Some(gate);
        let c = cache(&source);
        assert!(c.get().now_or_never().is_none());
        advance(SILENT_EXCHANGE_MS + 1.0);
        let released = async {
            let _ = release.send(());
        };
        let (t, ()) = block_on(futures_util::future::join(c.get(), released));
        assert_eq!(t.ok().as_deref(), Some("t1"));
        assert_eq!(c.exchanges(), 1, "the second caller joined the running exchange");
    }

    #[test]
    fn backoff_doubles_within_bounds() {
        assert_eq!(BACKOFF.delay_ms(1, 0.999_999_9).round(), 200.0);
        assert_eq!(BACKOFF.delay_ms(1, 0.0), 100.0);
        assert!(BACKOFF.delay_ms(MAX_ATTEMPTS - 1, 1.0) <= 2_000.0, "no wait of an exchange exceeds 2 s");
        assert_eq!(BACKOFF.delay_ms(30, 1.0), 1_600.0);
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let source = Scripted::with(vec![token("s3cr3t-token", 10_000.0)]);
        let c = cache(&source);
        let _ = block_on(c.get());
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert!(!format!("{:?}", token("s3cr3t", 1.0)).contains("s3cr3t"));
    }
}
