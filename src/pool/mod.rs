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
//!
//! [`checkout`] holds the guard callers hold a session by; [`lifecycle`] a pool's life beside its driver
//! (made from it, stopped with it, kept alive in the background); [`PoolStatus`] is what a pool holds now.

mod checkout;
mod lifecycle;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

pub use checkout::Checkout;
pub use lifecycle::{PoolOnDemand, DEFAULT_KEEP_ALIVE_MS, DEFAULT_POOL_SIZE};

use crate::cancel::Cancel;
use crate::clock::now_ms;
use crate::error::{Error, Result, Status};
use crate::observe::trace::AttemptTrace;
use crate::transport::runtime::spawn;
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
    /// Makes the session's calls start their client spans under `attempt` until set to `None`: a traced
    /// retry attempt lends its span while it holds the session. Sessions that cannot trace ignore it.
    fn set_trace(&self, _attempt: Option<AttemptTrace>) {}
    /// Makes the session's calls start their client spans under the caller's current span until
    /// `set_trace(None)`: the session is held by hand (`acquire`, or made outside any pool).
    fn trace_by_hand(&self) {}
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
    /// Of `total`, those still being created.
    creating: usize,
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
                creating: 0,
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

    /// What the pool holds now.
    pub fn status(&self) -> PoolStatus {
        let st = self.state.borrow();
        let (idle, creating) = (st.idle.len(), st.creating);
        PoolStatus {
            max_size: self.size,
            idle,
            creating,
            in_use: st.total.saturating_sub(idle + creating),
            waiters: st.waiters.iter().filter(|w| !w.is_canceled()).count(),
            stopped: st.stopped,
        }
    }

    /// A session for exclusive use; give it back with [`Pool::release`] or [`Pool::discard`]. Waiting for
    /// a free session ends with SESSION_POOL_EMPTY after `timeout_ms` on the `sleep` timer, or with
    /// CANCELLED when `cancel` fires first (at once when it has). (Creating a session is bounded by its own deadline and is not abandoned halfway:
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
    /// assert_eq!(pool.status().in_use, 1);
    /// let checkout = Checkout::pooled(&pool, session); // given back once, however often it is released
    /// checkout.release();
    /// checkout.release();
    /// assert_eq!((pool.status().idle, pool.status().in_use), (1, 0));
    /// # Ok::<(), ydb_wasm::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn acquire(
        &self,
        timeout_ms: Option<u32>,
        sleep: impl Fn(u32) -> LocalBoxFuture<'static, ()>,
        cancel: Option<&Cancel>,
    ) -> Result<S> {
        crate::cancel::check(cancel)?;
        let abort = cancel.map(Cancel::fired);
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
                    spawn(s.close());
                }
                if st.total < self.size {
                    st.total += 1;
                    st.creating += 1;
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
                        let poll = sleep(self.poll_ms);
                        Box::pin(async move {
                            let _counted_while_waiting = rx;
                            poll.await
                        })
                    } else {
                        Box::pin(async move {
                            let _ = rx.await;
                        })
                    };
                    match future::select(woken, g).await {
                        Either::Left((_, g)) => give_up = Some(g),
                        Either::Right((GiveUp::Timeout, _)) => return Err(pool_empty(timeout)),
                        Either::Right((GiveUp::Aborted, _)) => return Err(crate::cancel::cancelled()),
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
        let pool = self.clone();
        let creating = Box::pin(async move {
            let created = creating.await;
            let mut st = pool.state.borrow_mut();
            st.creating = st.creating.saturating_sub(1);
            drop(st);
            created
        });
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
                spawn(Box::pin(async move {
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
                    GiveUp::Aborted => crate::cancel::cancelled(),
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
            spawn(Box::pin(async move {
                session.close().await;
                pool.free_place();
            }));
        } else {
            spawn(session.close());
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
    Error::client(
        Status::SessionPoolEmpty,
        format!("no session became free within {timeout} ms (the pool is at its size limit)"),
    )
}

/// What a pool holds at one moment (deadpool's `Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// The most sessions it holds at once.
    pub max_size: usize,
    /// Sessions waiting in the pool to be handed out.
    pub idle: usize,
    /// Sessions checked out.
    pub in_use: usize,
    /// Sessions being created for a caller.
    pub creating: usize,
    /// Callers waiting for a session.
    pub waiters: usize,
    pub stopped: bool,
}

impl PoolStatus {
    /// Every session that exists now: idle, in use, or being created.
    pub fn total(&self) -> usize {
        self.idle + self.in_use + self.creating
    }

    /// `{ maxSize, idle, inUse, creating, total, waiters, stopped }`, a JS pool's `status`.
    pub fn to_plain(&self) -> crate::plain::Plain {
        crate::plain::object(vec![
            ("maxSize", self.max_size.into()),
            ("idle", self.idle.into()),
            ("inUse", self.in_use.into()),
            ("creating", self.creating.into()),
            ("total", self.total().into()),
            ("waiters", self.waiters.into()),
            ("stopped", self.stopped.into()),
        ])
    }
}
