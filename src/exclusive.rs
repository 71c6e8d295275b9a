//! Values that several handles share but only one call may use at a time: an interactive transaction, a
//! result stream read piecemeal.
//!
//! JS may call a handle's method again before its last call settled. Such a second call is refused with
//! an argument error instead of interleaving with the first (two statements of one transaction racing,
//! two readers splitting one stream's parts between them).

use crate::error::{Error, Result};
use futures_util::future::LocalBoxFuture;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

/// A value one call uses at a time; clones share it.
pub struct Exclusive<T> {
    value: Rc<RefCell<Option<T>>>,
    /// What a call is told when another one holds the value.
    busy: &'static str,
}

impl<T> Clone for Exclusive<T> {
    fn clone(&self) -> Self {
        Exclusive { value: self.value.clone(), busy: self.busy }
    }
}

impl<T> Exclusive<T> {
    pub fn new(value: T, busy: &'static str) -> Self {
        Exclusive { value: Rc::new(RefCell::new(Some(value))), busy }
    }

    /// Runs `use_it` on the value, which no other call can reach until `use_it` hands it back.
    pub async fn run<R, F>(&self, use_it: impl FnOnce(T) -> F) -> Result<R>
    where
        F: Future<Output = (T, Result<R>)>,
    {
        let value = self.value.borrow_mut().take().ok_or_else(|| Error::argument(self.busy))?;
        let (value, outcome) = use_it(value).await;
        *self.value.borrow_mut() = Some(value);
        outcome
    }

    /// A look at the value; `None` while a call holds it.
    pub fn peek<R>(&self, look: impl FnOnce(&T) -> R) -> Option<R> {
        self.value.borrow().as_ref().map(look)
    }
}

enum Phase<S> {
    Unopened(LocalBoxFuture<'static, Result<S>>),
    Open(S),
    Ended,
}

/// A server stream opened on its first read and read by one call at a time. It ends when a read fails or
/// finds the end, or when it is cancelled; dropping it aborts its request.
pub struct Parts<S> {
    phase: Exclusive<Phase<S>>,
    cancelled: Rc<Cell<bool>>,
}

impl<S> Clone for Parts<S> {
    fn clone(&self) -> Self {
        Parts { phase: self.phase.clone(), cancelled: self.cancelled.clone() }
    }
}

impl<S: 'static> Parts<S> {
    /// A stream that `open` opens on the first read.
    pub fn new(open: impl Future<Output = Result<S>> + 'static) -> Self {
        let phase = Phase::Unopened(Box::pin(open));
        Parts {
            phase: Exclusive::new(phase, "next() called before the previous next() settled"),
            cancelled: Rc::default(),
        }
    }

    /// Runs `read` on the stream, opening it first; `Ok(None)` once it has ended. `read` hands the
    /// stream back with what it read: `Ok(None)` (the end) or an error ends the stream.
    pub async fn read<T, F>(&self, read: impl FnOnce(S) -> F) -> Result<Option<T>>
    where
        F: Future<Output = (S, Result<Option<T>>)>,
    {
        let cancelled = self.cancelled.clone();
        self.phase
            .run(|phase| async move {
                let stream = match phase {
                    Phase::Ended => return (Phase::Ended, Ok(None)),
                    Phase::Open(stream) => stream,
                    Phase::Unopened(open) => match open.await {
                        Ok(stream) => stream,
                        Err(e) => return (Phase::Ended, Err(e)),
                    },
                };
                let (stream, outcome) = read(stream).await;
                let goes_on = matches!(outcome, Ok(Some(_))) && !cancelled.get();
                (if goes_on { Phase::Open(stream) } else { Phase::Ended }, outcome)
            })
            .await
    }

    /// Ends the stream: at once when no read is running, else when the running one returns.
    pub fn cancel(&self) {
        self.cancelled.set(true);
        if let Ok(mut phase) = self.phase.value.try_borrow_mut() {
            if phase.is_some() {
                *phase = Some(Phase::Ended);
            }
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use futures_executor::block_on;
    use futures_util::future;

    /// Numbers 1..=n, then the end; `fail_at` fails instead.
    struct Counting {
        next: u32,
        last: u32,
        fail_at: Option<u32>,
    }

    async fn next(mut s: Counting) -> (Counting, Result<Option<u32>>) {
        let n = s.next;
        s.next += 1;
        let outcome = match n {
            _ if Some(n) == s.fail_at => Err(Error::protocol("broken")),
            _ if n > s.last => Ok(None),
            _ => Ok(Some(n)),
        };
        (s, outcome)
    }

    fn parts(last: u32, fail_at: Option<u32>, opened: Rc<Cell<u32>>) -> Parts<Counting> {
        Parts::new(async move {
            opened.set(opened.get() + 1);
            Ok(Counting { next: 1, last, fail_at })
        })
    }

    #[test]
    fn a_stream_opens_on_the_first_read_and_ends_at_its_end() {
        let opened = Rc::new(Cell::new(0));
        let p = parts(2, None, opened.clone());
        assert_eq!(opened.get(), 0, "nothing is sent before the first read");
        let reads: Vec<_> = (0..4).map(|_| block_on(p.read(next)).ok().flatten()).collect();
        assert_eq!(reads, vec![Some(1), Some(2), None, None]);
        assert_eq!(opened.get(), 1);
    }

    #[test]
    fn an_error_ends_the_stream_and_a_failed_open_too() {
        let p = parts(5, Some(2), Rc::default());
        assert_eq!(block_on(p.read(next)).ok().flatten(), Some(1));
        assert!(block_on(p.read(next)).is_err());
        assert_eq!(block_on(p.read(next)).ok().flatten(), None);
        let failed: Parts<Counting> = Parts::new(async { Err(Error::protocol("refused")) });
        assert!(block_on(failed.read(next)).is_err());
        assert_eq!(block_on(failed.read(next)).ok().flatten(), None);
    }

    #[test]
    fn a_second_reader_is_refused_while_one_reads_and_cancel_ends_the_stream_after_it() {
        let p = parts(5, None, Rc::default());
        let (gate, opened) = futures_channel::oneshot::channel::<()>();
        let slow = p.read(|s| async move {
            let _ = opened.await;
            next(s).await
        });
        let (first, second) = block_on(future::join(slow, async {
            let second = p.read(next).await.err().map(|e| e.kind());
            p.cancel();
            let _ = gate.send(());
            second
        }));
        assert_eq!(second, Some(crate::ErrorKind::Argument));
        assert_eq!(first.ok().flatten(), Some(1), "the running read completes");
        assert_eq!(block_on(p.read(next)).ok().flatten(), None, "then the cancel holds");
    }

    #[test]
    fn an_exclusive_value_is_given_back_after_each_call() {
        let tx = Exclusive::new(0u32, "busy");
        let bump = |n: u32| async move { (n + 1, Ok(n + 1)) };
        assert_eq!(block_on(tx.run(bump)).ok(), Some(1));
        assert_eq!(block_on(tx.run(bump)).ok(), Some(2));
        assert_eq!(tx.peek(|n| *n), Some(2));
    }
}
