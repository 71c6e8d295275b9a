//! The pool's behaviour, natively: fake sessions, an injected clock and timers that end at once.
use super::*;
use crate::cancel::CancelToken;
use futures_executor::block_on;
use std::cell::Cell;

#[derive(Clone, Default)]
pub(super) struct Counter {
    created: Rc<Cell<u32>>,
    closed: Rc<Cell<u32>>,
}

pub(super) struct FakeSession {
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
            Ok(FakeSession { alive: true, counter, known_to_server: Rc::new(Cell::new(true)), pings: Rc::default() })
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
    assert_eq!((pool.status().total(), pool.status().idle), (2, 2));
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
    assert_eq!(pool.status().idle, 1, "one session back, not two");
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
    assert_eq!(one.status().idle, 1, "the last handle gone: the session is back");
    assert_eq!(other.status().idle, 0);
}

#[test]
fn a_checkout_goes_back_only_to_the_pool_it_came_from() {
    let (one, other) = (Pool::<Rc<FakeSession>>::new(Counter::default(), 1), Pool::new(Counter::default(), 1));
    let checkout = Checkout::pooled(&one, block_on(one.acquire(None, no_sleep, None)).expect("session"));
    let refused = checkout.release_to(&other).err().map(|e| e.kind);
    assert_eq!(refused, Some(crate::ErrorKind::Argument));
    assert!(checkout.get().is_ok(), "a refused release leaves the session checked out");
    assert!(checkout.release_to(&one).is_ok());
    assert_eq!((one.status().idle, other.status().idle), (1, 0));
    let unpooled = Checkout::unpooled(block_on(one.acquire(None, no_sleep, None)).expect("session"));
    assert!(unpooled.release_to(&one).is_err(), "a session of no pool belongs to none");
}

#[test]
fn stop_and_drain_closes_what_comes_back_in_time() {
    let counter = Counter::default();
    let pool = Pool::<Rc<FakeSession>>::new(counter.clone(), 2);
    let out = Checkout::pooled(&pool, block_on(pool.acquire(None, no_sleep, None)).expect("session"));
    let stopping = pool.stop_and_drain(Some(60_000));
    let ((), ()) = block_on(future::join(stopping, async move { out.release() }));
    let status = pool.status();
    assert!(status.stopped && status.total() == 0, "{status:?}");
    assert_eq!(counter.closed.get(), 1);
    let plain = status.to_plain();
    assert_eq!(plain.field("inUse"), Some(&crate::plain::Plain::Number(0.0)));
    assert_eq!(plain.field("stopped"), Some(&crate::plain::Plain::Bool(true)));
}

#[test]
fn a_discarded_checkout_frees_its_place() {
    let counter = Counter::default();
    let pool = Pool::<Rc<FakeSession>>::new(counter.clone(), 1);
    let checkout = Checkout::pooled(&pool, block_on(pool.acquire(None, no_sleep, None)).expect("s"));
    checkout.discard();
    checkout.release();
    assert_eq!((pool.status().total(), pool.status().idle, counter.closed.get()), (0, 0, 1));
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
    assert_eq!((pool.status().total(), pool.status().idle), (1, 0), "the place stays taken while the creation goes on");
    let _ = open.send(());
    // Natively the background creation is parked; an acquire with the gate open creates no second one.
    let aborted = block_on(pool.acquire(Some(50), no_sleep, Some(&fired()))).err().map(|e| e.status);
    assert!(matches!(aborted, Some(Status::Cancelled) | Some(Status::SessionPoolEmpty)), "{aborted:?}");
    assert_eq!(pool.status().total(), 1, "never more sessions than the pool's size");
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
    assert_eq!(pool.status().total(), 0);
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

/// A cancellation that has fired.
fn fired() -> Cancel {
    let token = CancelToken::default();
    token.cancel();
    Cancel::from(token)
}

#[test]
fn a_wait_cancelled_while_waiting_ends_with_cancelled_and_leaves_the_pool_whole() {
    let counter = Counter::default();
    let pool = Pool::<FakeSession>::new(counter.clone(), 1);
    let held = block_on(pool.acquire(None, no_sleep, None)).expect("held");
    let never = |_: u32| -> LocalBoxFuture<'static, ()> { Box::pin(future::pending()) };
    let token = CancelToken::default();
    let cancel = Cancel::from(token.clone());
    let waiting = pool.acquire(Some(60_000), never, Some(&cancel));
    let (e, ()) = block_on(future::join(waiting, async {
        assert_eq!(pool.status().waiters, 1, "one caller waits");
        token.cancel();
    }));
    assert_eq!(e.err().map(|e| e.status), Some(Status::Cancelled));
    assert_eq!((pool.status().total(), pool.status().waiters), (1, 0), "the cancelled waiter took no place");
    let e = block_on(pool.acquire(Some(60_000), never, Some(&fired()))).err().map(|e| e.status);
    assert_eq!(e, Some(Status::Cancelled), "a fired cancellation ends the wait before it starts");
    pool.release(held);
    assert!(block_on(pool.acquire(None, never, None)).is_ok(), "the released session is handed out");
    assert_eq!(counter.created.get(), 1);
}

#[test]
fn the_status_counts_idle_in_use_and_creating_sessions() {
    let (open, opened) = oneshot::channel();
    let pool = Pool::<SlowSession>::new(Rc::new(RefCell::new(Some(opened))), 3);
    let first = pool.acquire(None, |_| Box::pin(future::pending()), None);
    let (first, ()) = block_on(future::join(first, async {
        let status = pool.status();
        assert_eq!((status.idle, status.in_use, status.creating), (0, 0, 1), "{status:?}");
        let _ = open.send(());
    }));
    let second = block_on(pool.acquire(None, no_sleep, None)).expect("second");
    pool.release(second);
    let status = pool.status();
    assert_eq!((status.idle, status.in_use, status.creating, status.max_size), (1, 1, 0, 3), "{status:?}");
    assert!(!status.stopped && first.is_ok());
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
    assert_eq!(pool.status().total(), 0);
    assert!(block_on(pool.acquire(None, no_sleep, None)).is_err());
}
