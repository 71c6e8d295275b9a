//! The one error type of the client, YDB's status codes, and the retry classification.
//!
//! Every failure — a status from the server, a broken connection, a bad argument from the caller —
//! becomes an [`Error`]. Whether it may be retried, after which backoff, and whether the session it
//! happened on must be thrown away is decided here, in [`Error::policy`], and nowhere else: the pools
//! and the retry loop ask; they never match statuses themselves.

use crate::proto::ydb::issue::IssueMessage;
use std::fmt;

/// A YDB status: the server's codes (`Ydb.StatusIds.StatusCode`) and the client-side codes the
/// official SDKs use for failures that never reached a server answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Success,
    BadRequest,
    Unauthorized,
    InternalError,
    Aborted,
    Unavailable,
    Overloaded,
    SchemeError,
    GenericError,
    Timeout,
    BadSession,
    PreconditionFailed,
    AlreadyExists,
    NotFound,
    SessionExpired,
    Cancelled,
    Undetermined,
    Unsupported,
    SessionBusy,
    ExternalError,
    /// The connection broke after the request was sent: the outcome is unknown.
    ConnectionLost,
    /// The request could not be delivered (refused connection, DNS, proxy answered with an error).
    ConnectionFailure,
    /// The client's deadline passed before the answer came.
    DeadlineExceeded,
    /// A malformed or unexpected answer, or another failure inside the client.
    ClientInternalError,
    /// The server does not implement the rpc.
    Unimplemented,
    /// The session pool had no session to give within the allowed time.
    SessionPoolEmpty,
    /// A table-service result was cut at the server's row limit and the caller did not accept a part.
    TruncatedResult,
    /// A status code this client does not know.
    Unknown(i32),
}

/// Every known status with its numeric id (`Ydb.StatusIds.StatusCode`, plus the official SDKs'
/// client-side ids) and its name as YDB spells it: the one table the conversions read.
const STATUSES: [(Status, i32, &str); 27] = [
    (Status::Success, 400000, "SUCCESS"),
    (Status::BadRequest, 400010, "BAD_REQUEST"),
    (Status::Unauthorized, 400020, "UNAUTHORIZED"),
    (Status::InternalError, 400030, "INTERNAL_ERROR"),
    (Status::Aborted, 400040, "ABORTED"),
    (Status::Unavailable, 400050, "UNAVAILABLE"),
    (Status::Overloaded, 400060, "OVERLOADED"),
    (Status::SchemeError, 400070, "SCHEME_ERROR"),
    (Status::GenericError, 400080, "GENERIC_ERROR"),
    (Status::Timeout, 400090, "TIMEOUT"),
    (Status::BadSession, 400100, "BAD_SESSION"),
    (Status::PreconditionFailed, 400120, "PRECONDITION_FAILED"),
    (Status::AlreadyExists, 400130, "ALREADY_EXISTS"),
    (Status::NotFound, 400140, "NOT_FOUND"),
    (Status::SessionExpired, 400150, "SESSION_EXPIRED"),
    (Status::Cancelled, 400160, "CANCELLED"),
    (Status::Undetermined, 400170, "UNDETERMINED"),
    (Status::Unsupported, 400180, "UNSUPPORTED"),
    (Status::SessionBusy, 400190, "SESSION_BUSY"),
    (Status::ExternalError, 400200, "EXTERNAL_ERROR"),
    (Status::ConnectionLost, 401010, "CONNECTION_LOST"),
    (Status::ConnectionFailure, 401020, "CONNECTION_FAILURE"),
    (Status::DeadlineExceeded, 401030, "DEADLINE_EXCEEDED"),
    (Status::ClientInternalError, 401040, "CLIENT_INTERNAL_ERROR"),
    (Status::Unimplemented, 401050, "UNIMPLEMENTED"),
    (Status::SessionPoolEmpty, 402020, "SESSION_POOL_EMPTY"),
    // This client's own id (YDB has none for it; the .NET and JDBC SDKs raise an exception of their own).
    (Status::TruncatedResult, 402030, "TRUNCATED_RESULT"),
];

impl Status {
    /// Maps YDB's numeric status id (`Ydb.StatusIds.StatusCode`, plus the SDKs' client-side ids).
    pub fn from_code(code: i32) -> Status {
        STATUSES.iter().find(|(_, c, _)| *c == code).map_or(Status::Unknown(code), |(s, _, _)| *s)
    }

    /// The numeric id, as YDB and the official SDKs number it.
    pub fn code(self) -> i32 {
        match self {
            Status::Unknown(code) => code,
            known => STATUSES.iter().find(|(s, _, _)| *s == known).map_or(0, |(_, c, _)| *c),
        }
    }

    /// The status name as YDB spells it (`"BAD_SESSION"`).
    pub fn name(self) -> &'static str {
        STATUSES.iter().find(|(s, _, _)| *s == self).map_or("UNKNOWN", |(_, _, n)| n)
    }

    /// The status of a gRPC failure (the `grpc-status` trailer) that carried no YDB status.
    pub fn from_grpc(grpc_code: u32) -> Status {
        match grpc_code {
            1 => Status::Cancelled,           // CANCELLED
            4 => Status::DeadlineExceeded,    // DEADLINE_EXCEEDED
            8 => Status::Overloaded,          // RESOURCE_EXHAUSTED
            12 => Status::Unimplemented,      // UNIMPLEMENTED
            14 => Status::ConnectionFailure,  // UNAVAILABLE: not delivered
            16 => Status::Unauthorized,       // UNAUTHENTICATED
            7 => Status::Unauthorized,        // PERMISSION_DENIED
            3 | 9 | 11 => Status::BadRequest, // INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE
            _ => Status::ConnectionLost,      // UNKNOWN, INTERNAL, DATA_LOSS, ABORTED: outcome unknown
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One issue of a YDB answer: a message with a code, a severity and nested issues.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub message: String,
    pub issue_code: u32,
    /// 0 fatal, 1 error, 2 warning, 3 info.
    pub severity: u32,
    pub issues: Vec<Issue>,
}

impl Issue {
    /// `{ message, issueCode, severity, issues }`, as a `YdbError`'s `issues` hold it.
    pub fn to_plain(&self) -> crate::plain::Plain {
        use crate::plain::{list, object};
        object(vec![
            ("message", (&self.message).into()),
            ("issueCode", self.issue_code.into()),
            ("severity", self.severity.into()),
            ("issues", list(&self.issues, Issue::to_plain)),
        ])
    }
}

/// How deep an issue tree is kept. YDB nests issues a few levels (a query error inside a statement
/// inside the query); prost accepts up to 100 levels, and every layer that walks the tree (the
/// summary, the conversion to JS) recurses, so deeper levels are cut here, once, where the tree is
/// built. A cut subtree is replaced by one issue that says so.
pub const MAX_ISSUE_DEPTH: usize = 16;

impl From<&IssueMessage> for Issue {
    fn from(m: &IssueMessage) -> Self {
        Issue::at_depth(m, 0)
    }
}

impl Issue {
    fn at_depth(m: &IssueMessage, depth: usize) -> Self {
        let issues = if m.issues.is_empty() {
            Vec::new()
        } else if depth + 1 >= MAX_ISSUE_DEPTH {
            vec![Issue {
                message: format!("(issues nested deeper than {MAX_ISSUE_DEPTH} levels are left out)"),
                issue_code: 0,
                severity: m.severity,
                issues: Vec::new(),
            }]
        } else {
            m.issues.iter().map(|i| Issue::at_depth(i, depth + 1)).collect()
        };
        Issue { message: m.message.clone(), issue_code: m.issue_code, severity: m.severity, issues }
    }
}

/// What failed, broadly: the server said no, the wire broke, or the caller passed something wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The server answered with a non-success YDB status.
    Ydb,
    /// The request or the answer did not make it (network, proxy, gRPC-level failure).
    Transport,
    /// The caller's argument is wrong; nothing was sent.
    Argument,
    /// The operation was cancelled by the caller (AbortSignal) or by `stop()`.
    Cancelled,
    /// The client itself could not serve the call: no session free in the pool, no endpoint discovered.
    Client,
}

/// Each kind and its name as JS sees it (`error.kind`).
const KIND_NAMES: [(ErrorKind, &str); 5] = [
    (ErrorKind::Ydb, "ydb"),
    (ErrorKind::Transport, "transport"),
    (ErrorKind::Argument, "argument"),
    (ErrorKind::Cancelled, "cancelled"),
    (ErrorKind::Client, "client"),
];

impl ErrorKind {
    pub fn name(self) -> &'static str {
        KIND_NAMES.iter().find(|(k, _)| *k == self).map_or("client", |(_, name)| name)
    }

    pub fn from_name(name: &str) -> Option<ErrorKind> {
        KIND_NAMES.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }
}

/// The client's error: a kind, a YDB status, a message and the server's issues. Opaque outside the
/// crate: read it through its accessors; only the crate makes one, through constructors that pair each
/// kind with what it means (a client-side failure is never labelled a server answer).
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub(crate) kind: ErrorKind,
    pub(crate) status: Status,
    pub(crate) message: String,
    pub(crate) issues: Vec<Issue>,
    /// How many attempts a retry loop made before it gave up with this error (1 outside a loop).
    pub(crate) attempts: u32,
}

/// Which backoff a retryable error waits for before the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backoff {
    /// Retry at once (BAD_SESSION: the next attempt, on another session, is expected to succeed).
    Immediate,
    /// Short waits (UNAVAILABLE, SESSION_EXPIRED, …): the cluster recovers quickly.
    Fast,
    /// Long waits (OVERLOADED, transport failures): give the server room.
    Slow,
}

/// The answer to "may I retry this, and how?" — see [`Error::policy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `None`: never retried.
    pub backoff: Option<Backoff>,
    /// Retried only when the operation is idempotent (the write may have been applied).
    pub idempotent_only: bool,
    /// The session the error happened on can no longer be used.
    pub discards_session: bool,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, status: Status, message: impl Into<String>) -> Self {
        Error { kind, status, message: message.into(), issues: Vec::new(), attempts: 1 }
    }

    /// A non-success status from the server, with its issues.
    pub(crate) fn from_ydb(status_code: i32, issues: &[IssueMessage]) -> Self {
        let status = Status::from_code(status_code);
        let issues: Vec<Issue> = issues.iter().map(Issue::from).collect();
        let message = summarize(status, &issues);
        Error { kind: ErrorKind::Ydb, status, message, issues, attempts: 1 }
    }

    /// A bad argument from the caller; reaches JS as a `TypeError`.
    pub(crate) fn argument(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Argument, Status::BadRequest, message)
    }

    /// A failure of the wire: what was sent may or may not have been executed.
    pub(crate) fn transport(status: Status, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Transport, status, message)
    }

    /// An answer the client cannot make sense of.
    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Transport, Status::ClientInternalError, message)
    }

    pub(crate) fn cancelled(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Cancelled, Status::Cancelled, message)
    }

    /// A server error with `status`, for examples and tests outside the crate (which cannot make one).
    #[doc(hidden)]
    pub fn test_error_of(status: Status) -> Self {
        Error::new(ErrorKind::Ydb, status, status.name())
    }

    /// The client could not serve the call by itself (pool exhaustion, discovery).
    pub(crate) fn client(status: Status, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Client, status, message)
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// How many attempts the retry loop that returned this error made (1 when it was not retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Records that a retry loop gave up with this error after `attempts` attempts; from two on, the
    /// error's text (`Display`, and the JS message) says so.
    pub fn set_attempts(&mut self, attempts: u32) {
        self.attempts = attempts;
    }

    /// The server's issues (empty for failures that never reached an answer).
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    /// The retry classification, following the official SDKs (Python `ydb/retries.py`, Go
    /// `retry.Check`): which statuses retry, with which backoff, and which kill the session.
    pub fn policy(&self) -> RetryPolicy {
        policy_for(self.kind, self.status)
    }

    /// What a JS error is made of: `{ kind, status, code, message, issues, retryable }`, `retryable` when
    /// some retry policy retries it.
    pub fn to_plain(&self) -> crate::plain::Plain {
        crate::plain::object(vec![
            ("kind", self.kind.name().into()),
            ("status", self.status.name().into()),
            ("code", crate::plain::Plain::Number(f64::from(self.status.code()))),
            // With the number of attempts when there was more than one (see `Display`).
            ("message", crate::plain::Plain::Text(self.to_string())),
            ("issues", crate::plain::list(&self.issues, Issue::to_plain)),
            ("retryable", self.policy().backoff.is_some().into()),
            ("attempts", crate::plain::Plain::Number(f64::from(self.attempts))),
        ])
    }

    pub fn is_retryable(&self, idempotent: bool) -> bool {
        let p = self.policy();
        p.backoff.is_some() && (idempotent || !p.idempotent_only)
    }
}

/// A server error with `status` (see [`Error::test_error_of`]).
#[doc(hidden)]
pub fn test_error(status: Status) -> Error {
    Error::test_error_of(status)
}

/// The classification table itself, by kind and status; see [`Error::policy`].
///
/// ```
/// use ydb_wasm::error::{policy_for, Backoff, ErrorKind};
/// use ydb_wasm::Status;
/// // A lost answer may have been applied: retried only when the operation is idempotent, on another session.
/// let lost = policy_for(ErrorKind::Transport, Status::ConnectionLost);
/// assert_eq!((lost.backoff, lost.idempotent_only, lost.discards_session), (Some(Backoff::Slow), true, true));
/// // The caller's own mistakes are never retried, whatever the status.
/// assert_eq!(policy_for(ErrorKind::Argument, Status::Unavailable).backoff, None);
/// ```
pub fn policy_for(kind: ErrorKind, status: Status) -> RetryPolicy {
    let never = RetryPolicy { backoff: None, idempotent_only: false, discards_session: false };
    if matches!(kind, ErrorKind::Argument | ErrorKind::Cancelled) {
        return never;
    }
    let retry = |backoff, idempotent_only, discards_session| RetryPolicy {
        backoff: Some(backoff),
        idempotent_only,
        discards_session,
    };
    match status {
        // Fast, not immediate: transactions that conflicted once conflict again when they all retry at
        // the same instant (the bank-transfer suite ran out of retries that way); the jitter spreads them.
        Status::Aborted => retry(Backoff::Fast, false, false),
        Status::BadSession => retry(Backoff::Immediate, false, true),
        Status::SessionBusy => retry(Backoff::Fast, false, true),
        Status::SessionExpired => retry(Backoff::Fast, false, true),
        Status::Unavailable => retry(Backoff::Fast, false, false),
        Status::NotFound => retry(Backoff::Fast, true, false),
        Status::Overloaded | Status::SessionPoolEmpty => retry(Backoff::Slow, false, false),
        Status::Undetermined => retry(Backoff::Fast, true, false),
        // The request never reached the server: safe to send again.
        Status::ConnectionFailure => retry(Backoff::Slow, false, true),
        // Sent, but the answer was lost: only an idempotent operation may run again.
        Status::ConnectionLost | Status::DeadlineExceeded => retry(Backoff::Slow, true, true),
        Status::ClientInternalError => retry(Backoff::Fast, true, true),
        _ => never,
    }
}

/// The message of a YDB error: the status name and the first lines of its issues.
fn summarize(status: Status, issues: &[Issue]) -> String {
    fn walk(issues: &[Issue], out: &mut Vec<String>) {
        for i in issues {
            if !i.message.is_empty() {
                out.push(i.message.clone());
            }
            walk(&i.issues, out);
        }
    }
    let mut lines = Vec::new();
    walk(issues, &mut lines);
    if lines.is_empty() {
        status.name().to_string()
    } else {
        format!("{}: {}", status.name(), lines.join("; "))
    }
}

impl fmt::Display for Error {
    /// The message, and how many attempts were made when there was more than one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Text quoted for an error message, as `{:?}` quotes it (`"/local"`), escaping quotes, backslashes and
/// control characters. Every other character is shown as it is: `{:?}` would also escape unprintable
/// Unicode, which needs the standard library's Unicode tables (about 4 KB of the wasm) for messages only.
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_reads_as_debug_would_show_it() {
        let text = "a \"b\" \\ c\nd\te\r\u{1} é ✓";
        assert_eq!(Quoted(text).to_string(), format!("{text:?}"));
    }

    #[test]
    fn the_message_says_how_many_attempts_were_made_once() {
        let mut e = Error::new(ErrorKind::Ydb, Status::Overloaded, "OVERLOADED: busy");
        e.set_attempts(1);
        assert_eq!((e.to_string(), e.attempts()), ("OVERLOADED: busy".to_string(), 1));
        e.set_attempts(3);
        assert_eq!(e.to_string(), "OVERLOADED: busy (after 3 attempts)");
        e.set_attempts(4);
        assert_eq!(
            e.to_string(),
            "OVERLOADED: busy (after 4 attempts)",
            "an outer loop's count replaces an inner one's"
        );
        assert_eq!((e.message(), e.attempts()), ("OVERLOADED: busy", 4));
    }

    fn ydb(status: Status) -> Error {
        Error::new(ErrorKind::Ydb, status, "x")
    }

    #[test]
    fn an_error_is_made_plain_with_its_names_and_whether_it_is_retried() {
        use crate::plain::Plain;
        let e = Error::from_ydb(Status::Overloaded.code(), &[]);
        let plain = e.to_plain();
        assert_eq!(plain.field("kind"), Some(&Plain::from("ydb")));
        assert_eq!(plain.field("status"), Some(&Plain::from("OVERLOADED")));
        assert_eq!(plain.field("code"), Some(&Plain::Number(f64::from(Status::Overloaded.code()))));
        assert_eq!(plain.field("retryable"), Some(&Plain::Bool(true)));
        let bad = Error::from_ydb(Status::SchemeError.code(), &[]).to_plain();
        assert_eq!(bad.field("retryable"), Some(&Plain::Bool(false)));
    }

    #[test]
    fn every_kind_has_one_name_that_reads_back() {
        for kind in [ErrorKind::Ydb, ErrorKind::Transport, ErrorKind::Argument, ErrorKind::Cancelled, ErrorKind::Client]
        {
            assert_eq!(ErrorKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(ErrorKind::from_name("YDB"), None);
    }

    #[test]
    fn status_codes_round_trip_through_their_numbers() {
        for code in [400000, 400040, 400100, 400190, 401010, 402020, 123] {
            assert_eq!(Status::from_code(code).code(), code);
        }
        assert_eq!(Status::from_code(400100).name(), "BAD_SESSION");
    }

    #[test]
    fn classification_follows_the_official_sdks() {
        // (status, retried?, backoff, idempotent only, discards session)
        let table = [
            (Status::Aborted, Some(Backoff::Fast), false, false),
            (Status::BadSession, Some(Backoff::Immediate), false, true),
            (Status::SessionExpired, Some(Backoff::Fast), false, true),
            (Status::SessionBusy, Some(Backoff::Fast), false, true),
            (Status::Unavailable, Some(Backoff::Fast), false, false),
            (Status::Overloaded, Some(Backoff::Slow), false, false),
            (Status::Undetermined, Some(Backoff::Fast), true, false),
            (Status::NotFound, Some(Backoff::Fast), true, false),
            (Status::SchemeError, None, false, false),
            (Status::GenericError, None, false, false),
            (Status::Unauthorized, None, false, false),
            (Status::PreconditionFailed, None, false, false),
            (Status::BadRequest, None, false, false),
        ];
        for (status, backoff, idempotent_only, discards_session) in table {
            let p = ydb(status).policy();
            assert_eq!(p, RetryPolicy { backoff, idempotent_only, discards_session }, "{status}");
        }
    }

    #[test]
    fn a_lost_answer_is_retried_only_when_idempotent() {
        let e = Error::transport(Status::ConnectionLost, "reset");
        assert!(!e.is_retryable(false));
        assert!(e.is_retryable(true));
        assert!(e.policy().discards_session);
        let refused = Error::transport(Status::ConnectionFailure, "refused");
        assert!(refused.is_retryable(false));
    }

    #[test]
    fn argument_errors_are_never_retried() {
        assert!(!Error::argument("bad").is_retryable(true));
    }

    #[test]
    fn the_message_carries_nested_issues() {
        let issue = IssueMessage {
            message: "outer".into(),
            issues: vec![IssueMessage { message: "Table not found".into(), ..Default::default() }],
            ..Default::default()
        };
        let e = Error::from_ydb(400070, &[issue]);
        assert_eq!(e.status, Status::SchemeError);
        assert_eq!(e.message, "SCHEME_ERROR: outer; Table not found");
        assert_eq!(e.issues.first().map(|i| i.issues.len()), Some(1));
    }

    #[test]
    fn an_issue_tree_deeper_than_the_bound_is_cut_with_a_note() {
        let mut issue = IssueMessage { message: "leaf".into(), ..Default::default() };
        for level in 0..90 {
            issue = IssueMessage { message: format!("level {level}"), issues: vec![issue], ..Default::default() };
        }
        let e = Error::from_ydb(400070, &[issue]);
        let (mut depth, mut node) = (1, e.issues.first());
        let mut last = String::new();
        while let Some(i) = node {
            last.clone_from(&i.message);
            node = i.issues.first();
            depth += 1;
        }
        assert_eq!(depth - 1, MAX_ISSUE_DEPTH + 1, "16 levels kept, then the note");
        assert!(last.contains("nested deeper"), "{last}");
        assert!(!e.message.contains("leaf"));
    }

    /// Every status, each once; the match makes a new status a compile error here until it is classified.
    const ALL: [Status; 28] = [
        Status::Success,
        Status::BadRequest,
        Status::Unauthorized,
        Status::InternalError,
        Status::Aborted,
        Status::Unavailable,
        Status::Overloaded,
        Status::SchemeError,
        Status::GenericError,
        Status::Timeout,
        Status::BadSession,
        Status::PreconditionFailed,
        Status::AlreadyExists,
        Status::NotFound,
        Status::SessionExpired,
        Status::Cancelled,
        Status::Undetermined,
        Status::Unsupported,
        Status::SessionBusy,
        Status::ExternalError,
        Status::ConnectionLost,
        Status::ConnectionFailure,
        Status::DeadlineExceeded,
        Status::ClientInternalError,
        Status::Unimplemented,
        Status::SessionPoolEmpty,
        Status::TruncatedResult,
        Status::Unknown(1),
    ];

    /// The expected row of the table: (backoff, idempotent only, discards session).
    fn expected(status: Status) -> (Option<Backoff>, bool, bool) {
        use Backoff::{Fast, Immediate, Slow};
        match status {
            Status::Aborted => (Some(Fast), false, false),
            Status::BadSession => (Some(Immediate), false, true),
            Status::SessionBusy | Status::SessionExpired => (Some(Fast), false, true),
            Status::Unavailable => (Some(Fast), false, false),
            Status::NotFound | Status::Undetermined => (Some(Fast), true, false),
            Status::Overloaded | Status::SessionPoolEmpty => (Some(Slow), false, false),
            Status::ConnectionFailure => (Some(Slow), false, true),
            Status::ConnectionLost | Status::DeadlineExceeded => (Some(Slow), true, true),
            Status::ClientInternalError => (Some(Fast), true, true),
            Status::Success
            | Status::BadRequest
            | Status::Unauthorized
            | Status::InternalError
            | Status::SchemeError
            | Status::GenericError
            | Status::Timeout
            | Status::PreconditionFailed
            | Status::AlreadyExists
            | Status::Cancelled
            | Status::Unsupported
            | Status::ExternalError
            | Status::Unimplemented
            | Status::TruncatedResult
            | Status::Unknown(_) => (None, false, false),
        }
    }

    #[test]
    fn every_status_has_its_row_in_the_classification_table() {
        for status in ALL {
            let (backoff, idempotent_only, discards_session) = expected(status);
            for kind in [ErrorKind::Ydb, ErrorKind::Transport, ErrorKind::Client] {
                let p = policy_for(kind, status);
                assert_eq!(p, RetryPolicy { backoff, idempotent_only, discards_session }, "{kind:?} {status}");
                let e = Error::new(kind, status, "x");
                assert_eq!(e.is_retryable(true), backoff.is_some(), "{status} when idempotent");
                assert_eq!(e.is_retryable(false), backoff.is_some() && !idempotent_only, "{status} otherwise");
            }
            // The caller's own mistakes and cancellations are never retried, whatever the status.
            for kind in [ErrorKind::Argument, ErrorKind::Cancelled] {
                assert_eq!(policy_for(kind, status).backoff, None, "{kind:?} {status}");
            }
        }
    }

    #[test]
    fn every_status_code_round_trips_and_has_a_name() {
        for status in ALL {
            assert_eq!(Status::from_code(status.code()), status);
            assert!(!status.name().is_empty());
        }
    }

    #[test]
    fn grpc_failures_map_to_delivered_or_not() {
        assert_eq!(Status::from_grpc(14), Status::ConnectionFailure);
        assert_eq!(Status::from_grpc(4), Status::DeadlineExceeded);
        assert_eq!(Status::from_grpc(8), Status::Overloaded);
        assert_eq!(Status::from_grpc(13), Status::ConnectionLost);
        assert_eq!(Status::from_grpc(2), Status::ConnectionLost);
        assert_eq!(Status::from_grpc(16), Status::Unauthorized);
    }
}
