//! A bounded pool of sessions, shared by the table and query services.
//!
//! `acquire` hands out an idle live session, creates one while the pool is below its size, or waits
//! in line (first come, first served) until one is released or the timeout passes. `release` puts a
//! live session back; `discard` closes a broken one and frees its place — a session that saw
//! BAD_SESSION or a lost connection is never handed out again. `stop` closes every idle session and
//! refuses new work; sessions still checked out are closed as they come back.
//!
//! Idle sessions are kept in release order and handed out last-released first, so that a busy pool keeps
//! reusing its warm sessions and the rest age at the bottom. [`Pool::keep_alive_idle`] pings the sessions
//! idle longer than a threshold (the table service's KeepAlive), so that the server does not expire them,
//! and discards those the server no longer knows.

use crate::clock::now_ms;
use crate::error::{Error, Result, Status};
use futures_channel::oneshot;
use futures_util::future::{self, Either, LocalBoxFuture};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// What the pool needs of a session.
pub trait PooledSession: Sized + 'static {
    type Factory: Clone + 'static;
    fn create(factory: &Self::Factory) -> LocalBoxFuture<'static, Result<Self>>;
    fn is_alive(&self) -> bool;
    /// Deletes the session on the server; errors are ignored (the server expires it anyway).
    fn close(self) -> LocalBoxFuture<'static, ()>;
    /// Tells the server an idle session is still wanted; an error means it is gone. Sessions the server
    /// keeps alive by other means (a query session's AttachSession stream) need nothing: `None`.
    fn keep_alive(&self) -> Option<LocalBoxFuture<'static, Result<()>>> {
        None
    }
    /// Makes the session's calls carry a trace context (`traceparent`) until set to `None`: a traced
    /// retry attempt sets its own while it holds the session. Sessions that cannot carry one ignore it.
    fn set_traceparent(&self, _traceparent: Option<Rc<str>>) {}
}

/// An idle session and when it was released (ms since the epoch).
struct Idle<S> {
    session: S,
    since: f64,
}

struct State<S> {
    /// Oldest release first; `acquire` takes from the end.
    idle: Vec<Idle<S>>,
    /// Sessions created and not yet closed: idle, checked out, or being created.
    total: usize,
    waiters: VecDeque<oneshot::Sender<()>>,
    stopped: bool,
    /// Told when the last session is gone (see [`Pool::drain`]).
    drained: Vec<oneshot::Sender<()>>,
}

/// A pool of sessions of one kind. Cloning it gives another handle to the same pool.
pub struct Pool<S: PooledSession> {
    state: Rc<RefCell<State<S>>>,
    factory: S::Factory,
    size: usize,
    /// When non-zero, waiters look for a free session every this many milliseconds on their own timer
    /// instead of being woken by whoever releases one. Runtimes that bind work to the request that
    /// started it (Cloudflare Workers) need this: a wake from another request would run the waiter's
    /// continuation, and its fetches, in that other request.
    poll_ms: u32,
    /// The clock idle times are measured with (ms since the epoch).
    now: fn() -> f64,
}

impl<S: PooledSession> Clone for Pool<S> {
    fn clone(&self) -> Self {
        Pool {
            state: self.state.clone(),
            factory: self.factory.clone(),
            size: self.size,
            poll_ms: self.poll_ms,
            now: self.now,
        }
    }
}

/// How long creating a session may take when neither the call nor the driver sets a deadline.
pub const DEFAULT_CREATE_TIMEOUT_MS: u32 = 10_000;

/// How long `acquire` waits when nothing is said.
pub const DEFAULT_ACQUIRE_TIMEOUT_MS: u32 = 30_000;

impl<S: PooledSession> Pool<S> {
    pub fn new(factory: S::Factory, size: usize) -> Self {
        Pool {
            state: Rc::new(RefCell::new(State {
                idle: Vec::new(),
                total: 0,
                waiters: VecDeque::new(),
                stopped: false,
                drained: Vec::new(),
            })),
            factory,
            size: size.max(1),
            poll_ms: 0,
            now: now_ms,
        }
    }

    /// Measures idle times with another clock (tests).
    pub fn with_clock(mut self, now: fn() -> f64) -> Self {
        self.now = now;
        self
    }

    /// Makes waiters poll on their own timer every `ms` milliseconds (see the `poll_ms` field).
    pub fn with_polling_waiters(mut self, ms: u32) -> Self {
        self.poll_ms = ms;
        self
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Sessions that exist now (idle or checked out).
    pub fn total(&self) -> usize {
        self.state.borrow().total
    }

    pub fn idle(&self) -> usize {
        self.state.borrow().idle.len()
    }

    /// A session for exclusive use; give it back with [`Pool::release`] or [`Pool::discard`]. Waiting for
    /// a free session ends with SESSION_POOL_EMPTY after `timeout_ms`, or with CANCELLED when `abort`
    /// resolves first. (Creating a session is bounded by its own deadline and is not abandoned halfway:
    /// that would leave a session on the server and a place in the pool that nobody frees.)
    ///
    /// ```
    /// use futures_util::future::LocalBoxFuture;
    /// use ydb_wasm::pool::{Checkout, Pool, PooledSession};
    ///
    /// #[derive(Clone)]
    /// struct Session;
    /// impl PooledSession for Session {
    ///     type Factory = ();
    ///     fn create(_: &()) -> LocalBoxFuture<'static, ydb_wasm::error::Result<Self>> { Box::pin(async { Ok(Session) }) }
    ///     fn is_alive(&self) -> bool { true }
    ///     fn close(self) -> LocalBoxFuture<'static, ()> { Box::pin(async {}) }
    /// }
    ///
    /// # futures_executor::block_on(async {
    /// let pool = Pool::<Session>::new((), 2);
    /// let session = pool.acquire(Some(5_000), ydb_wasm::clock::sleep_ms, None).await?;
    /// let checkout = Checkout::pooled(&pool, session); // given back once, however often it is released
    /// checkout.release();
    /// checkout.release();
    /// assert_eq!((pool.total(), pool.idle()), (1, 1));
    /// # Ok::<(), ydb_wasm::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn acquire(
        &self,
        timeout_ms: Option<u32>,
        sleep: impl Fn(u32) -> LocalBoxFuture<'static, ()>,
        abort: Option<LocalBoxFuture<'static, ()>>,
    ) -> Result<S> {
        let timeout = timeout_ms.unwrap_or(DEFAULT_ACQUIRE_TIMEOUT_MS);
        let timer = sleep(timeout);
        let mut give_up: Option<LocalBoxFuture<'static, GiveUp>> = Some(Box::pin(async move {
            match abort {
                None => {
                    timer.await;
                    GiveUp::Timeout
                }
                Some(abort) => match future::select(timer, abort).await {
                    Either::Left(_) => GiveUp::Timeout,
                    Either::Right(_) => GiveUp::Aborted,
                },
            }
        }));
        loop {
            let waiter = {
                let mut st = self.state.borrow_mut();
                if st.stopped {
                    return Err(Error::new(
                        crate::ErrorKind::Cancelled,
                        Status::Cancelled,
                        "the session pool is stopped",
                    ));
                }
                while let Some(Idle { session: s, .. }) = st.idle.pop() {
                    if s.is_alive() {
                        return Ok(s);
                    }
                    st.total = st.total.saturating_sub(1);
                    wasm_spawn(s.close());
                }
                if st.total < self.size {
                    st.total += 1;
                    None
                } else {
                    let (tx, rx) = oneshot::channel();
                    st.waiters.push_back(tx);
                    Some(rx)
                }
            };
            match waiter {
                None => return self.create(give_up.take(), timeout).await,
                Some(rx) => {
                    let Some(g) = give_up.take() else {
                        return Err(pool_empty(timeout));
                    };
                    let woken: LocalBoxFuture<'static, ()> = if self.poll_ms > 0 {
                        sleep(self.poll_ms)
                    } else {
                        Box::pin(async move {
                            let _ = rx.await;
                        })
                    };
                    match future::select(woken, g).await {
                        Either::Left((_, g)) => give_up = Some(g),
                        Either::Right((GiveUp::Timeout, _)) => return Err(pool_empty(timeout)),
                        Either::Right((GiveUp::Aborted, _)) => {
                            return Err(Error::cancelled("waiting for a session was cancelled (its signal aborted)"))
                        }
                    }
                }
            }
        }
    }

    /// Creates a session in the place `acquire` reserved. The caller stops waiting when `give_up`
    /// fires first, but the creation itself goes on in the background and its session joins the pool
    /// (or its failure frees the place): abandoning it halfway would leave a session on the server and a
    /// place in the pool that nobody frees.
    async fn create(&self, give_up: Option<LocalBoxFuture<'static, GiveUp>>, timeout: u32) -> Result<S> {
        let creating = S::create(&self.factory);
        let outcome = match give_up {
            None => Either::Left(creating.await),
            Some(give_up) => match future::select(creating, give_up).await {
                Either::Left((created, _)) => Either::Left(created),
                Either::Right((why, creating)) => Either::Right((why, creating)),
            },
        };
        match outcome {
            Either::Left(Ok(s)) => Ok(s),
            Either::Left(Err(e)) => {
                self.free_place();
                Err(e)
            }
            Either::Right((why, creating)) => {
                let pool = self.clone();
                wasm_spawn(Box::pin(async move {
                    match creating.await {
                        Ok(s) => pool.release(s),
                        Err(_) => pool.free_place(),
                    }
                }));
                Err(match why {
                    GiveUp::Timeout => Error::client(
                        Status::SessionPoolEmpty,
                        format!("no session could be created within {timeout} ms (it joins the pool when ready)"),
                    ),
                    GiveUp::Aborted => Error::cancelled("waiting for a session was cancelled (its signal aborted)"),
                })
            }
        }
    }

    /// Gives a session back; a dead one is closed instead.
    pub fn release(&self, session: S) {
        let mut st = self.state.borrow_mut();
        if session.is_alive() && !st.stopped {
            st.idle.push(Idle { session, since: (self.now)() });
            wake_one(&mut st);
        } else {
            drop(st);
            self.discard(session);
        }
    }

    /// Closes a session that must not be used again and frees its place.
    pub fn discard(&self, session: S) {
        if self.is_stopped() {
            // Nobody waits for the place; whoever drains the pool waits for the session to be gone.
            let pool = self.clone();
            wasm_spawn(Box::pin(async move {
                session.close().await;
                pool.free_place();
            }));
        } else {
            wasm_spawn(session.close());
            self.free_place();
        }
    }

    fn free_place(&self) {
        let mut st = self.state.borrow_mut();
        st.total = st.total.saturating_sub(1);
        wake_one(&mut st);
        if st.total == 0 {
            for d in std::mem::take(&mut st.drained) {
                let _ = d.send(());
            }
        }
    }

    /// Closes idle sessions, refuses new work; returns once the idle ones are closed.
    pub async fn stop(&self) {
        let idle = {
            let mut st = self.state.borrow_mut();
            st.stopped = true;
            st.waiters.clear();
            let idle = std::mem::take(&mut st.idle);
            st.total = st.total.saturating_sub(idle.len());
            idle
        };
        future::join_all(idle.into_iter().map(|i| i.session.close())).await;
    }

    /// Pings every session idle for `idle_ms` or longer; returns how many the server no longer knew
    /// (they are discarded). While a session is being pinged it is neither idle nor free: `acquire`
    /// does not hand it out.
    pub async fn keep_alive_idle(&self, idle_ms: f64) -> usize {
        let now = (self.now)();
        let stale: Vec<S> = {
            let mut st = self.state.borrow_mut();
            if st.stopped {
                return 0;
            }
            // The idle list is in release order: the stale ones are a prefix.
            let n = st.idle.iter().take_while(|i| now - i.since >= idle_ms).count();
            st.idle.drain(..n).map(|i| i.session).collect()
        };
        // One at a time: this runs in the background, and a pool has few stale sessions at once.
        let mut gone = 0;
        for session in stale {
            let outcome = match session.keep_alive() {
                Some(ping) => ping.await,
                None => Ok(()),
            };
            match outcome {
                Ok(()) if session.is_alive() => self.release(session),
                _ => {
                    gone += 1;
                    self.discard(session);
                }
            }
        }
        gone
    }

    /// After [`Pool::stop`]: waits until the sessions still checked out have come back and been closed,
    /// at most `timeout_ms`; true when none is left.
    pub async fn drain(&self, timeout_ms: u32, sleep: impl Fn(u32) -> LocalBoxFuture<'static, ()>) -> bool {
        let rx = {
            let mut st = self.state.borrow_mut();
            if st.total == 0 {
                return true;
            }
            let (tx, rx) = oneshot::channel();
            st.drained.push(tx);
            rx
        };
        match future::select(rx, sleep(timeout_ms)).await {
            Either::Left((r, _)) => r.is_ok(),
            Either::Right(_) => self.state.borrow().total == 0,
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.state.borrow().stopped
    }
}

/// A session checked out of a pool, as the handles that use it hold it (deadpool's `Object`, for a
/// world where JS decides when a handle is dropped). Clones share one slot: once any of them gives the
/// session back — or discards it — the slot is empty, every clone's [`Checkout::get`] is an error, and
/// giving it back again does nothing. So a session released twice is never handed out twice, and a
/// handle kept past its release cannot run calls on a session someone else now holds. When the last
/// clone goes away with the session still checked out (a JS object collected without `release`), the
/// session goes back to the pool then.
pub struct Checkout<S: PooledSession> {
    inner: Rc<CheckoutSlot<S>>,
}

struct CheckoutSlot<S: PooledSession> {
    session: RefCell<Option<S>>,
    /// The pool it came from; `None` for a session created outside any pool (it is never released).
    home: Option<Pool<S>>,
}

impl<S: PooledSession> Clone for Checkout<S> {
    fn clone(&self) -> Self {
        Checkout { inner: self.inner.clone() }
    }
}

impl<S: PooledSession + Clone> Checkout<S> {
    /// A session taken from `pool`.
    pub fn pooled(pool: &Pool<S>, session: S) -> Self {
        Checkout { inner: Rc::new(CheckoutSlot { session: RefCell::new(Some(session)), home: Some(pool.clone()) }) }
    }

    /// A session that belongs to no pool (closed by its owner, never released).
    pub fn unpooled(session: S) -> Self {
        Checkout { inner: Rc::new(CheckoutSlot { session: RefCell::new(Some(session)), home: None }) }
    }

    /// The session, while it is checked out.
    pub fn get(&self) -> Result<S> {
        self.inner.session.borrow().clone().ok_or_else(|| {
            Error::argument("this session was given back to its pool; use the session the pool hands out next")
        })
    }

    /// Whether the session came from `pool` (a session must go back to the pool it came from).
    pub fn is_from(&self, pool: &Pool<S>) -> bool {
        self.inner.home.as_ref().is_some_and(|home| Rc::ptr_eq(&home.state, &pool.state))
    }

    /// Gives the session back to its pool (a dead one is closed); later calls do nothing.
    pub fn release(&self) {
        self.give_back(false);
    }

    /// Closes the session and frees its place in the pool; later calls do nothing.
    pub fn discard(&self) {
        self.give_back(true);
    }

    fn give_back(&self, discard: bool) {
        let taken = self.inner.session.borrow_mut().take();
        if let (Some(session), Some(pool)) = (taken, &self.inner.home) {
            if discard {
                pool.discard(session);
            } else {
                pool.release(session);
            }
        }
    }
}

impl<S: PooledSession> Drop for CheckoutSlot<S> {
    fn drop(&mut self) {
        if let (Some(session), Some(pool)) = (self.session.get_mut().take(), &self.home) {
            pool.release(session);
        }
    }
}

/// Why a waiter stopped waiting.
enum GiveUp {
    Timeout,
    Aborted,
}

fn wake_one<S>(st: &mut State<S>) {
    while let Some(w) = st.waiters.pop_front() {
        if w.send(()).is_ok() {
            break;
        }
    }
}

fn pool_empty(timeout: u32) -> Error {
    Error::client(
        Status::SessionPoolEmpty,
        format!("no session became free within {timeout} ms (the pool is at its size limit)"),
    )
}

/// Runs a future to completion in the background (on wasm: the JS microtask queue).
pub fn wasm_spawn(f: LocalBoxFuture<'static, ()>) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_futures::spawn_local(f);
    // Natively (unit tests) there is no event loop: run what is ready now, which the tests' fakes are.
    // `block_on` would do too, but not from inside another `block_on`.
    #[cfg(not(target_arch = "wasm32"))]
    {
        use futures_util::FutureExt;
        let _ = f.now_or_never();
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use futures_executor::block_on;
    use std::cell::Cell;

    #[derive(Clone, Default)]
    struct Counter {
        created: Rc<Cell<u32>>,
        closed: Rc<Cell<u32>>,
    }

    struct FakeSession {
        alive: bool,
        counter: Counter,
        /// What a KeepAlive of this session answers.
        known_to_server: Rc<Cell<bool>>,
        pings: Rc<Cell<u32>>,
    }

    thread_local! {
        static NOW: Cell<f64> = const { Cell::new(1_000.0) };
    }

    fn fake_now() -> f64 {
        NOW.with(Cell::get)
    }

    fn advance(ms: f64) {
        NOW.with(|n| n.set(n.get() + ms));
    }

    impl PooledSession for FakeSession {
        type Factory = Counter;
        fn create(factory: &Counter) -> LocalBoxFuture<'static, Result<Self>> {
            factory.created.set(factory.created.get() + 1);
            let counter = factory.clone();
            Box::pin(async move {
                Ok(FakeSession {
                    alive: true,
                    counter,
                    known_to_server: Rc::new(Cell::new(true)),
                    pings: Rc::default(),
                })
            })
        }
        fn is_alive(&self) -> bool {
            self.alive
        }
        fn close(self) -> LocalBoxFuture<'static, ()> {
            self.counter.closed.set(self.counter.closed.get() + 1);
            Box::pin(async {})
        }
        fn keep_alive(&self) -> Option<LocalBoxFuture<'static, Result<()>>> {
            self.pings.set(self.pings.get() + 1);
            let known = self.known_to_server.get();
            Some(Box::pin(async move {
                if known {
                    Ok(())
                } else {
                    Err(Error::new(crate::ErrorKind::Ydb, Status::BadSession, "gone"))
                }
            }))
        }
    }

    /// Shared sessions, as the real pools hold them (checkouts need `Clone`).
    impl PooledSession for Rc<FakeSession> {
        type Factory = Counter;
        fn create(factory: &Counter) -> LocalBoxFuture<'static, Result<Self>> {
            let created = FakeSession::create(factory);
            Box::pin(async move { created.await.map(Rc::new) })
        }
        fn is_alive(&self) -> bool {
            self.alive
        }
        fn close(self) -> LocalBoxFuture<'static, ()> {
            self.counter.closed.set(self.counter.closed.get() + 1);
            Box::pin(async {})
        }
    }

    #[test]
    fn keep_alive_pings_only_sessions_idle_past_the_threshold_and_drops_unknown_ones() {
        let counter = Counter::default();
        let pool = Pool::<FakeSession>::new(counter.clone(), 3).with_clock(fake_now);
        let a = block_on(pool.acquire(None, no_sleep, None)).expect("a");
        let b = block_on(pool.acquire(None, no_sleep, None)).expect("b");
        let c = block_on(pool.acquire(None, no_sleep, None)).expect("c");
        let (a_pings, b_pings, c_pings) = (a.pings.clone(), b.pings.clone(), c.pings.clone());
        b.known_to_server.set(false);
        pool.release(a);
        advance(500.0);
        pool.release(b);
        advance(400.0);
        pool.release(c); // idle for 0 ms when the round runs
        advance(100.0); // a: 1000 ms idle, b: 500 ms, c: 100 ms
        assert_eq!(block_on(pool.keep_alive_idle(500.0)), 1, "b was gone on the server");
        assert_eq!((a_pings.get(), b_pings.get(), c_pings.get()), (1, 1, 0));
        assert_eq!(counter.closed.get(), 1);
        assert_eq!((pool.total(), pool.idle()), (2, 2));
        // a was pinged just now: the next round leaves it alone; c has aged past the threshold.
        advance(450.0);
        assert_eq!(block_on(pool.keep_alive_idle(500.0)), 0);
        assert_eq!((a_pings.get(), c_pings.get()), (1, 1));
    }

    #[test]
    fn keep_alive_does_nothing_on_a_stopped_pool() {
        let pool = Pool::<FakeSession>::new(Counter::default(), 1).with_clock(fake_now);
        let s = block_on(pool.acquire(None, no_sleep, None)).expect("s");
        let pings = s.pings.clone();
        pool.release(s);
        block_on(pool.stop());
        advance(10_000.0);
        assert_eq!(block_on(pool.keep_alive_idle(1.0)), 0);
        assert_eq!(pings.get(), 0);
    }

    fn no_sleep(_: u32) -> LocalBoxFuture<'static, ()> {
        Box::pin(async {})
    }

    #[test]
    fn a_checkout_released_twice_goes_back_once_and_refuses_use_after_release() {
        let counter = Counter::default();
        let pool = Pool::<Rc<FakeSession>>::new(counter.clone(), 2);
        let s = block_on(pool.acquire(None, no_sleep, None)).expect("session");
        let checkout = Checkout::pooled(&pool, s);
        let held_by_js = checkout.clone();
        assert!(held_by_js.get().is_ok());
        checkout.release();
        held_by_js.release();
        assert_eq!(pool.idle(), 1, "one session back, not two");
        assert_eq!(held_by_js.get().err().map(|e| e.kind), Some(crate::ErrorKind::Argument));
        let a = block_on(pool.acquire(None, no_sleep, None)).expect("a");
        let b = block_on(pool.acquire(None, no_sleep, None)).expect("b");
        assert!(!Rc::ptr_eq(&a, &b), "never the same session twice");
        assert_eq!(counter.created.get(), 2);
    }

    #[test]
    fn a_checkout_knows_its_pool_and_a_dropped_one_comes_back() {
        let (one, other) = (Pool::<Rc<FakeSession>>::new(Counter::default(), 1), Pool::new(Counter::default(), 1));
        let s = block_on(one.acquire(None, no_sleep, None)).expect("session");
        let checkout = Checkout::pooled(&one, s);
        assert!(checkout.is_from(&one));
        assert!(!checkout.is_from(&other));
        drop(checkout);
        assert_eq!(one.idle(), 1, "the last handle gone: the session is back");
        assert_eq!(other.idle(), 0);
    }

    #[test]
    fn a_discarded_checkout_frees_its_place() {
        let counter = Counter::default();
        let pool = Pool::<Rc<FakeSession>>::new(counter.clone(), 1);
        let checkout = Checkout::pooled(&pool, block_on(pool.acquire(None, no_sleep, None)).expect("s"));
        checkout.discard();
        checkout.release();
        assert_eq!((pool.total(), pool.idle(), counter.closed.get()), (0, 0, 1));
    }

    /// A session whose creation waits for `gate` to open.
    struct SlowSession {
        alive: bool,
    }

    impl PooledSession for SlowSession {
        type Factory = Rc<RefCell<Option<oneshot::Receiver<()>>>>;
        fn create(gate: &Self::Factory) -> LocalBoxFuture<'static, Result<Self>> {
            let opened = gate.borrow_mut().take();
            Box::pin(async move {
                if let Some(opened) = opened {
                    let _ = opened.await;
                }
                Ok(SlowSession { alive: true })
            })
        }
        fn is_alive(&self) -> bool {
            self.alive
        }
        fn close(self) -> LocalBoxFuture<'static, ()> {
            Box::pin(async {})
        }
    }

    #[test]
    fn a_wait_given_up_during_creation_returns_and_the_session_joins_the_pool_later() {
        let (open, opened) = oneshot::channel();
        let pool = Pool::<SlowSession>::new(Rc::new(RefCell::new(Some(opened))), 1);
        let e = block_on(pool.acquire(Some(50), no_sleep, None)).err().map(|e| e.status);
        assert_eq!(e, Some(Status::SessionPoolEmpty), "the caller's deadline ends the wait");
        assert_eq!((pool.total(), pool.idle()), (1, 0), "the place stays taken while the creation goes on");
        let _ = open.send(());
        // Natively the background creation is parked; an acquire with the gate open creates no second one.
        let aborted = block_on(pool.acquire(Some(50), no_sleep, Some(Box::pin(async {})))).err().map(|e| e.status);
        assert!(matches!(aborted, Some(Status::Cancelled) | Some(Status::SessionPoolEmpty)), "{aborted:?}");
        assert_eq!(pool.total(), 1, "never more sessions than the pool's size");
    }

    #[test]
    fn a_released_session_is_reused() {
        let counter = Counter::default();
        let pool = Pool::<FakeSession>::new(counter.clone(), 2);
        let s = block_on(pool.acquire(None, no_sleep, None)).expect("session");
        pool.release(s);
        let _s = block_on(pool.acquire(None, no_sleep, None)).expect("session");
        assert_eq!(counter.created.get(), 1);
    }

    #[test]
    fn a_broken_session_is_discarded_not_reused() {
        let counter = Counter::default();
        let pool = Pool::<FakeSession>::new(counter.clone(), 2);
        let mut s = block_on(pool.acquire(None, no_sleep, None)).expect("session");
        s.alive = false;
        pool.release(s);
        assert_eq!(counter.closed.get(), 1);
        assert_eq!(pool.total(), 0);
        let _s = block_on(pool.acquire(None, no_sleep, None)).expect("session");
        assert_eq!(counter.created.get(), 2);
    }

    #[test]
    fn a_polling_waiter_takes_the_session_released_while_it_slept() {
        let counter = Counter::default();
        let pool = Pool::<FakeSession>::new(counter.clone(), 1).with_polling_waiters(3);
        let held = Rc::new(RefCell::new(Some(block_on(pool.acquire(None, no_sleep, None)).expect("held"))));
        let polls = Rc::new(Cell::new(0));
        let sleep = {
            let (pool, held, polls) = (pool.clone(), held.clone(), polls.clone());
            move |ms: u32| -> LocalBoxFuture<'static, ()> {
                if ms != 3 {
                    return Box::pin(future::pending()); // the acquire deadline never passes here
                }
                polls.set(polls.get() + 1);
                if polls.get() == 2 {
                    // Another request gives its session back while this one waits.
                    if let Some(s) = held.borrow_mut().take() {
                        pool.release(s);
                    }
                }
                Box::pin(async {})
            }
        };
        let got = block_on(pool.acquire(Some(1000), sleep, None));
        assert!(got.is_ok());
        assert_eq!(polls.get(), 2, "found on the poll after the release");
        assert_eq!(counter.created.get(), 1, "the released session is reused, not a new one created");
    }

    #[test]
    fn a_full_pool_times_out_with_session_pool_empty() {
        let pool = Pool::<FakeSession>::new(Counter::default(), 1);
        let _held = block_on(pool.acquire(None, no_sleep, None)).expect("session");
        let e = block_on(pool.acquire(Some(10), no_sleep, None)).err().map(|e| e.status);
        assert_eq!(e, Some(Status::SessionPoolEmpty));
    }

    #[test]
    fn an_aborted_wait_is_cancelled_and_leaves_the_pool_whole() {
        let counter = Counter::default();
        let pool = Pool::<FakeSession>::new(counter.clone(), 1);
        let held = block_on(pool.acquire(None, no_sleep, None)).expect("held");
        let never = |_: u32| -> LocalBoxFuture<'static, ()> { Box::pin(future::pending()) };
        let e = block_on(pool.acquire(Some(60_000), never, Some(Box::pin(async {})))).err().map(|e| e.status);
        assert_eq!(e, Some(Status::Cancelled));
        assert_eq!(pool.total(), 1, "the aborted waiter took no place");
        pool.release(held);
        assert!(block_on(pool.acquire(None, never, None)).is_ok(), "the released session is handed out");
        assert_eq!(counter.created.get(), 1);
    }

    #[test]
    fn drain_waits_for_checked_out_sessions_to_come_back() {
        let counter = Counter::default();
        let pool = Pool::<FakeSession>::new(counter.clone(), 2);
        let out = Rc::new(RefCell::new(Some(block_on(pool.acquire(None, no_sleep, None)).expect("out"))));
        block_on(pool.stop());
        let never = |_: u32| -> LocalBoxFuture<'static, ()> { Box::pin(future::pending()) };
        let returning = {
            let (pool, out) = (pool.clone(), out.clone());
            async move {
                if let Some(s) = out.borrow_mut().take() {
                    pool.release(s);
                }
            }
        };
        let (drained, ()) = block_on(future::join(pool.drain(60_000, never), returning));
        assert!(drained);
        assert_eq!(counter.closed.get(), 1, "the session came back after the stop and was closed");
        assert!(block_on(pool.drain(0, no_sleep)), "nothing left: at once");
    }

    #[test]
    fn drain_gives_up_after_its_timeout() {
        let pool = Pool::<FakeSession>::new(Counter::default(), 1);
        let _out = block_on(pool.acquire(None, no_sleep, None)).expect("out");
        block_on(pool.stop());
        assert!(!block_on(pool.drain(10, no_sleep)));
    }

    #[test]
    fn stop_closes_idle_sessions_and_refuses_new_work() {
        let counter = Counter::default();
        let pool = Pool::<FakeSession>::new(counter.clone(), 3);
        let a = block_on(pool.acquire(None, no_sleep, None)).expect("a");
        let b = block_on(pool.acquire(None, no_sleep, None)).expect("b");
        pool.release(a);
        block_on(pool.stop());
        assert_eq!(counter.closed.get(), 1);
        pool.release(b); // checked out during stop: closed on return
        assert_eq!(counter.closed.get(), 2);
        assert_eq!(pool.total(), 0);
        assert!(block_on(pool.acquire(None, no_sleep, None)).is_err());
    }
}
