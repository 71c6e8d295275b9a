//! The guard a checked-out session is held by.

use super::{Pool, PooledSession};
use crate::error::{Error, Result};
use std::cell::RefCell;
use std::rc::Rc;

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

    /// A session that belongs to no pool (closed by its owner, never released); its calls are traced
    /// as the owner's.
    pub fn unpooled(session: S) -> Self {
        session.trace_by_hand();
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

    /// [`Checkout::release`] by a caller that names the pool: a session of another pool, or of none, is
    /// an argument error and changes nothing.
    pub fn release_to(&self, pool: &Pool<S>) -> Result<()> {
        if !self.is_from(pool) {
            return Err(Error::argument(
                "release: this session does not belong to this pool (release it to the pool it came from)",
            ));
        }
        self.release();
        Ok(())
    }

    /// Closes the session and frees its place in the pool; later calls do nothing.
    pub fn discard(&self) {
        self.give_back(true);
    }

    fn give_back(&self, discard: bool) {
        let taken = self.inner.session.borrow_mut().take();
        if let (Some(session), Some(pool)) = (taken, &self.inner.home) {
            session.set_trace(None);
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
            session.set_trace(None);
            pool.release(session);
        }
    }
}

impl<S: PooledSession + Clone> Pool<S> {
    /// [`Pool::acquire`] on the runtime's timer, the session held by a [`Checkout`].
    pub async fn checkout(
        &self,
        timeout_ms: Option<u32>,
        cancel: Option<&crate::cancel::Cancel>,
    ) -> Result<Checkout<S>> {
        let session = self.acquire(timeout_ms, crate::clock::sleep_ms, cancel).await?;
        Ok(Checkout::pooled(self, session))
    }

    /// [`Pool::checkout`] for a caller that holds the session by hand (`acquire`, not a retry loop): until
    /// it goes back, its calls are client spans under the caller's current span.
    pub async fn checkout_by_hand(
        &self,
        timeout_ms: Option<u32>,
        cancel: Option<&crate::cancel::Cancel>,
    ) -> Result<Checkout<S>> {
        let checkout = self.checkout(timeout_ms, cancel).await?;
        if let Ok(session) = checkout.get() {
            session.trace_by_hand();
        }
        Ok(checkout)
    }
}
