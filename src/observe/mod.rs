//! What the driver tells the outside about its work: log events ([`Logger`]) and trace spans
//! ([`trace`]), both off unless the caller hands in a logger or a tracer.
//!
//! Every driver carries one [`Observer`] (inside its `FetchSettings`, so that everything that sends a
//! request — channels, discovery, credentials that log in — can reach it). When nothing is set it is
//! two `None`s: a log call or a span start checks that first and returns, so the cost when off is one
//! branch — no allocation, no formatting. Fields are borrowed (`&[(&str, Value)]`) and messages are
//! static text, so even a set logger formats nothing the logger did not ask for.
//!
//! What must never be observed: tokens, passwords, JWTs, keys, header values and query parameter
//! values. Callers pass only names, statuses, counts, endpoints and (for spans, when the driver's
//! `trace_query_text` says so) the query text, never its parameters.

pub mod trace;

use std::rc::Rc;

pub use trace::{CallTrace, Span, SpanContext, Tracer};

/// How much a log event matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    /// The name of the logger method (`debug`, `info`, `warn`, `error`).
    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// A field of a log event or an attribute of a span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Str(s)
    }
}

impl From<f64> for Value<'_> {
    fn from(n: f64) -> Self {
        Value::Num(n)
    }
}

impl From<u32> for Value<'_> {
    fn from(n: u32) -> Self {
        Value::Num(f64::from(n))
    }
}

impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// Named fields, borrowed for the length of one call.
pub type Fields<'a> = [(&'a str, Value<'a>)];

/// Receives the driver's log events (in JS, the `logger` option's `debug/info/warn/error`). An
/// implementation must not fail the driver: whatever goes wrong in it stays in it.
pub trait Logger {
    fn log(&self, level: Level, message: &str, fields: &Fields<'_>);
}

/// The driver's logger and tracer; `Default` is silent and traces nothing.
#[derive(Clone, Default)]
pub struct Observer {
    logger: Option<Rc<dyn Logger>>,
    tracer: Option<Rc<dyn Tracer>>,
    /// Whether query spans carry `db.query.text` (off by default: a query's text may be sensitive).
    trace_query_text: bool,
}

impl Observer {
    pub fn new(logger: Option<Rc<dyn Logger>>, tracer: Option<Rc<dyn Tracer>>, trace_query_text: bool) -> Self {
        Observer { logger, tracer, trace_query_text }
    }

    /// Logs one event when a logger is set; nothing otherwise.
    #[inline]
    pub fn log(&self, level: Level, message: &str, fields: &Fields<'_>) {
        if let Some(logger) = &self.logger {
            logger.log(level, message, fields);
        }
    }

    /// `session created` (debug): a `service` (`table`, `query`) session `id` on `endpoint`.
    pub fn session_created(&self, service: &str, id: &str, endpoint: &str) {
        let fields = [("service", service.into()), ("sessionId", id.into()), ("endpoint", endpoint.into())];
        self.log(Level::Debug, "session created", &fields);
    }

    /// `session discarded` (info): the session will not be used again, and why — the status of the
    /// error that killed it, or the server's hint.
    pub fn session_discarded(&self, service: &str, id: &str, reason: &str) {
        let fields = [("service", service.into()), ("sessionId", id.into()), ("reason", reason.into())];
        self.log(Level::Info, "session discarded", &fields);
    }

    pub fn logs(&self) -> bool {
        self.logger.is_some()
    }

    pub fn tracer(&self) -> Option<&Rc<dyn Tracer>> {
        self.tracer.as_ref()
    }

    pub fn trace_query_text(&self) -> bool {
        self.trace_query_text
    }
}

#[cfg(test)]
pub mod testing {
    //! A logger that records what it got, for tests in any module.
    use super::*;
    use std::cell::RefCell;

    /// A level, a message and the fields rendered as text.
    pub type Event = (Level, String, Vec<(String, String)>);

    #[derive(Default)]
    pub struct Recorded {
        pub events: RefCell<Vec<Event>>,
    }

    impl Logger for Recorded {
        fn log(&self, level: Level, message: &str, fields: &Fields<'_>) {
            let fields = fields.iter().map(|(k, v)| (k.to_string(), format!("{v:?}"))).collect();
            self.events.borrow_mut().push((level, message.to_string(), fields));
        }
    }

    impl Recorded {
        pub fn messages(&self) -> Vec<String> {
            self.events.borrow().iter().map(|(_, m, _)| m.clone()).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::Recorded;
    use super::*;

    #[test]
    fn a_silent_observer_calls_nothing_and_a_set_logger_gets_the_fields() {
        Observer::default().log(Level::Info, "nobody hears this", &[("n", 1u32.into())]);
        let logger = Rc::new(Recorded::default());
        let observer = Observer::new(Some(logger.clone()), None, false);
        assert!(observer.logs());
        observer.log(Level::Warn, "endpoint pessimised", &[("endpoint", "http://a:1".into())]);
        let events = logger.events.borrow();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].0, Level::Warn);
        assert_eq!(events[0].2, vec![("endpoint".to_string(), "Str(\"http://a:1\")".to_string())]);
    }
}
