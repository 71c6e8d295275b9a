//! One-shot queries in an *implicit session*: one ExecuteQuery with an empty `session_id`, which the
//! server runs in a session of its own making that lives for the call — no CreateSession, no
//! AttachSession stream, no pool slot. That is one request instead of three for a cold query, and in
//! Workers (where an AttachSession stream dies with the request that opened it) one request instead of
//! three on every request. YDB accepts no transaction control there, or a transaction begun and
//! committed by the query itself; interactive transactions still need a session.
//!
//! An older YDB refuses an empty session id: its query proxy tries to parse the id and answers
//! BAD_REQUEST "Failed to parse session id". [`refuses_implicit_sessions`] recognises that answer; the
//! driver then remembers it ([`ImplicitSessions`]) and runs its one-shot queries on pooled sessions from
//! then on. The refused request ran nothing, so the same attempt goes on at once on a pooled session.

use super::{execute_request, start_query, QuerySession, TxControl};
use crate::cancel::Cancel;
use crate::driver::Driver;
use crate::error::{Error, ErrorKind, Issue, Result, Status};
use crate::observe::trace::{CallTrace, Traced};
use crate::pool::Pool;
use crate::retry::{retry_traced, RetrySettings};
use crate::session_retry::{attempt_with_session, backoff_sleep};
use crate::substring::contains;
use crate::transport::{BodyRead, CallOptions, Channel};
use crate::value::params::Params;
use crate::value::rows::ResultSet;
use futures_util::future::LocalBoxFuture;
use std::borrow::Cow;
use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

/// Whether one driver's server takes implicit sessions: assumed until it refuses one, then never asked
/// again. Clones share the answer.
#[derive(Clone, Default)]
pub struct ImplicitSessions {
    refused: Rc<Cell<bool>>,
}

impl ImplicitSessions {
    /// What `driver`'s server is known to take.
    pub fn of(driver: &Driver) -> Self {
        ImplicitSessions { refused: driver.implicit_sessions_refused().clone() }
    }

    /// False once the server refused an implicit session.
    pub fn usable(&self) -> bool {
        !self.refused.get()
    }

    /// Runs one attempt: implicitly while the server takes implicit sessions; when it refuses, that is
    /// remembered and the attempt runs `pooled` at once (the refused request ran nothing).
    pub async fn attempt<T, I, P>(&self, implicit: impl FnOnce() -> I, pooled: impl FnOnce() -> P) -> Result<T>
    where
        I: Future<Output = Result<T>>,
        P: Future<Output = Result<T>>,
    {
        if self.usable() {
            match implicit().await {
                Err(e) if refuses_implicit_sessions(&e) => self.refused.set(true),
                outcome => return outcome,
            }
        }
        pooled().await
    }
}

/// Whether an answer says "this server does not know implicit sessions": BAD_REQUEST from the server
/// with an issue about the session id (an older YDB: "Failed to parse session id: "). A server that
/// knows implicit sessions names them when it refuses a request (the dev server: "Implicit session
/// (empty session_id): …"), and we never send it what it would refuse, so such answers are not taken
/// for a refusal.
pub fn refuses_implicit_sessions(e: &Error) -> bool {
    if e.kind != ErrorKind::Ydb || e.status != Status::BadRequest {
        return false;
    }
    // The issue tree is at most MAX_ISSUE_DEPTH deep (error.rs cuts it), and this walk keeps its own
    // stack instead of recursing.
    let mut pending: Vec<&Issue> = e.issues.iter().collect();
    let mut about_session_id = false;
    while let Some(issue) = pending.pop() {
        let m = issue.message.to_ascii_lowercase();
        if contains(&m, "implicit") {
            return false;
        }
        about_session_id |= contains(&m, "session id") || contains(&m, "session_id") || contains(&m, "sessionid");
        pending.extend(issue.issues.iter());
    }
    about_session_id
}

/// A query run once in its own auto-committed way (no transaction control: each statement commits).
pub struct OneShot {
    pub text: String,
    pub parameters: Params,
    /// Each attempt's deadline, and the caller's cancellation of the request and of the whole loop.
    pub call: CallOptions,
}

/// Runs `query` as one-shot queries run: an implicit session per attempt (see the module docs), with
/// retries as `settings` allow; after the server refused implicit sessions, on sessions of `fallback()`
/// (asked for only then). A cut answer is retried only when `settings.idempotent`: the query may have run.
/// The driver's retry budget applies unless `settings` bring their own.
pub async fn execute_once(
    driver: &Driver,
    fallback: &dyn Fn() -> Result<Pool<Rc<QuerySession>>>,
    settings: &RetrySettings,
    random: impl FnMut() -> f64,
    query: &OneShot,
) -> Result<Vec<ResultSet>> {
    driver.ensure_running()?;
    let settings = &driver.retry_settings(settings.clone());
    let cancel = query.call.cancel.as_ref();
    let support = &ImplicitSessions::of(driver);
    let seed = driver.channel();
    let trace = CallTrace::start(seed.observer(), seed.endpoint(), seed.database(), Some("ExecuteQuery"));
    let request = |session_id| execute_request(session_id, &query.text, query.parameters.clone(), &TxControl::None);
    let attempt = |_, span: Traced| {
        // The request's span, whose context the server receives in `traceparent`.
        let traced = trace.request(&span, "ExecuteQuery", Some(&query.text));
        // Copied only to carry a traceparent: untraced, the attempt uses the caller's options as they are.
        let call = match traced.traceparent() {
            Some(t) => Cow::Owned(CallOptions { traceparent: Some(t), ..query.call.clone() }),
            None => Cow::Borrowed(&query.call),
        };
        async move {
            crate::cancel::check(cancel)?;
            let call = &*call;
            // Both ways run the same boxed `collected`; they differ only in the session id and the channel.
            let implicit = || collected(driver.endpoints().pick(), request(String::new()), call, Rc::default());
            let pooled = || pooled_attempt(fallback, settings, cancel, &request, call);
            let outcome = support.attempt(implicit, pooled).await;
            if let Err(e) = &outcome {
                traced.fail_with(e);
            }
            outcome
        }
    };
    let sleep = |ms| backoff_sleep::<Error>(driver.shutdown(), cancel, ms);
    retry_traced(settings, &trace, attempt, sleep, random).await
}

/// An attempt on a session of `fallback()`, once the server refused implicit sessions. Boxed and out of
/// line: its state machine is then a function of its own, which V8 (compiling a wasm function at its first
/// call) compiles only for a server that refuses implicit sessions, not in every first one-shot query.
#[inline(never)]
fn pooled_attempt<'a>(
    fallback: &'a dyn Fn() -> Result<Pool<Rc<QuerySession>>>,
    settings: &'a RetrySettings,
    cancel: Option<&'a Cancel>,
    request: &'a dyn Fn(String) -> crate::proto::ydb::query::ExecuteQueryRequest,
    call: &'a CallOptions,
) -> LocalBoxFuture<'a, Result<Vec<ResultSet>>> {
    Box::pin(async move {
        let pool = fallback()?;
        attempt_with_session(&pool, settings, cancel, |checkout| async move {
            let session = checkout.get()?;
            collected(session.channel.clone(), request(session.id.clone()), call, session.alive.clone()).await
        })
        .await
    })
}

/// Runs `request` through `channel` and gathers its result sets; `alive` is marked false on an error that
/// kills sessions (an implicit session's flag is nobody's). Boxed and not generic: one copy for both ways.
fn collected(
    channel: Channel,
    request: crate::proto::ydb::query::ExecuteQueryRequest,
    opts: &CallOptions,
    alive: Rc<Cell<bool>>,
) -> LocalBoxFuture<'_, Result<Vec<ResultSet>>> {
    Box::pin(async move {
        let alive_on_open = alive.clone();
        let opened = start_query(&channel, &request, opts, alive, BodyRead::Gathered).await;
        let mut stream = opened.inspect_err(|e| {
            if e.policy().discards_session {
                alive_on_open.set(false);
            }
        })?;
        stream.collect().await
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use futures_executor::block_on;

    use crate::proto::ydb::issue::IssueMessage;

    fn issue(message: &str, issues: Vec<IssueMessage>) -> IssueMessage {
        IssueMessage { message: message.into(), severity: 1, issues, ..Default::default() }
    }

    fn answer(status: Status, messages: &[&str]) -> Error {
        let issues: Vec<IssueMessage> = messages.iter().map(|m| issue(m, Vec::new())).collect();
        Error::from_ydb(status.code(), &issues)
    }

    #[test]
    fn an_older_server_refusal_is_told_apart_from_other_bad_requests() {
        // What YDB before implicit sessions answers an empty session id.
        assert!(refuses_implicit_sessions(&answer(Status::BadRequest, &["Failed to parse session id: "])));
        assert!(refuses_implicit_sessions(&answer(Status::BadRequest, &["Empty session_id"])));
        // A bad query, or a server that knows implicit sessions refusing what it must, is no refusal.
        assert!(!refuses_implicit_sessions(&answer(Status::BadRequest, &["Missing value for parameter: $id"])));
        assert!(!refuses_implicit_sessions(&answer(
            Status::BadRequest,
            &["Implicit session (empty session_id): tx_id is not allowed"]
        )));
        assert!(!refuses_implicit_sessions(&answer(Status::BadSession, &["Failed to parse session id: "])));
        assert!(!refuses_implicit_sessions(&Error::transport(Status::BadRequest, "gRPC status 3: session id")));
    }

    #[test]
    fn the_refusal_is_found_in_nested_issues() {
        let nested = issue("Query failed", vec![issue("Failed to parse session id: ", Vec::new())]);
        assert!(refuses_implicit_sessions(&Error::from_ydb(Status::BadRequest.code(), &[nested])));
    }

    /// Runs one attempt whose implicit call answers `implicit`; returns (outcome, ran pooled).
    fn attempt(support: &ImplicitSessions, implicit: Result<u32>) -> (Result<u32>, bool) {
        let pooled = Cell::new(false);
        let outcome = block_on(support.attempt(
            || async { implicit },
            || async {
                pooled.set(true);
                Ok(2)
            },
        ));
        (outcome, pooled.get())
    }

    #[test]
    fn a_server_that_takes_implicit_sessions_never_sees_a_pooled_session() {
        let support = ImplicitSessions::default();
        assert_eq!(attempt(&support, Ok(1)), (Ok(1), false));
        let failed = answer(Status::Overloaded, &["busy"]);
        assert_eq!(attempt(&support, Err(failed.clone())), (Err(failed), false), "errors go to the retry loop");
        assert!(support.usable());
    }

    #[test]
    fn a_refusal_runs_the_same_attempt_pooled_and_is_remembered_by_every_clone() {
        let support = ImplicitSessions::default();
        let clone = support.clone();
        let refused = answer(Status::BadRequest, &["Failed to parse session id: "]);
        assert_eq!(attempt(&support, Err(refused)), (Ok(2), true));
        assert!(!clone.usable());
        let implicit_ran = Cell::new(false);
        let outcome = block_on(clone.attempt(
            || async {
                implicit_ran.set(true);
                Ok(1)
            },
            || async { Ok(2) },
        ));
        assert_eq!((outcome, implicit_ran.get()), (Ok(2), false), "the driver does not ask again");
    }

    #[test]
    fn a_cut_answer_stays_undetermined_and_is_not_run_pooled() {
        let support = ImplicitSessions::default();
        let cut = Error::transport(Status::ConnectionLost, "connection lost while reading");
        let (outcome, pooled) = attempt(&support, Err(cut));
        assert_eq!(outcome.map_err(|e| e.status), Err(Status::ConnectionLost));
        assert!(!pooled);
        assert!(!Error::transport(Status::ConnectionLost, "x").is_retryable(false), "retried only when idempotent");
        assert!(support.usable());
    }
}
