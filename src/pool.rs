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
                None => {
                    return match S::create(&self.factory).await {
                        Ok(s) => Ok(s),
                        Err(e) => {
                            self.free_place();
                            Err(e)
                        }
                    };
                }
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
    Error::new(
        crate::ErrorKind::Ydb,
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
