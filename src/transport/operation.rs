//! Unwrapping YDB's `Operation`: the envelope of every unary Table, Scheme and Discovery answer.
//!
//! A unary YDB answer carries an `Operation` with a status, issues and the result packed in a
//! `google.protobuf.Any`. A non-success status becomes an [`Error`] with the issues; a success is
//! decoded into the expected result message.

use crate::error::{Error, Result, Status};
use crate::proto::ydb::operations::{Operation, OperationParams};

/// Every answer that is an `Operation` and nothing else (`CreateTableResponse`, `DropTableResponse`, …):
/// build.rs has the method table decode them all as this one type, since they are one message on the
/// wire.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OperationAnswer {
    #[prost(message, optional, tag = "1")]
    pub operation: Option<Operation>,
}

/// The `operation_params` of a Table or Scheme request from the call's `timeoutMs`: the server is
/// told the deadline too (`operation_timeout`), and to cancel the operation when it passes
/// (`cancel_after`), so that an abandoned call stops using the database instead of running on after
/// the client gave up. Without a timeout nothing is sent and the server's defaults apply.
pub fn operation_params(timeout_ms: Option<u32>) -> Option<OperationParams> {
    let ms = timeout_ms?;
    let duration = prost_types::Duration { seconds: i64::from(ms / 1000), nanos: ((ms % 1000) * 1_000_000) as i32 };
    Some(OperationParams { operation_timeout: Some(duration), cancel_after: Some(duration), ..Default::default() })
}

/// Checks the operation's status and decodes its result as `T`.
pub fn result_of<T: prost::Message + Default>(operation: Option<Operation>) -> Result<T> {
    result_in(check(operation)?)
}

/// Decodes the result of a checked operation as `T` (`T`'s default when it carries none).
pub fn result_in<T: prost::Message + Default>(op: Operation) -> Result<T> {
    match op.result {
        Some(any) => T::decode(any.value.as_slice()).map_err(|e| undecodable(&any.type_url, e)),
        None => Ok(T::default()),
    }
}

/// The error of a result that does not decode. Out of line: `result_of` has a copy per result type.
#[inline(never)]
fn undecodable(type_url: &str, e: prost::DecodeError) -> Error {
    Error::protocol(format!("undecodable operation result {type_url}: {e}"))
}

/// Checks the operation's status (for answers without a result).
pub fn check(operation: Option<Operation>) -> Result<Operation> {
    let op = operation.ok_or_else(|| Error::protocol("the answer carries no operation"))?;
    if !op.ready {
        return Err(Error::protocol("asynchronous operations are not supported: the operation is not ready"));
    }
    if Status::from_code(op.status) != Status::Success {
        return Err(Error::from_ydb(op.status, &op.issues));
    }
    Ok(op)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::ydb::table::CreateSessionResult;
    use prost::Message;

    #[test]
    fn a_success_decodes_the_packed_result() {
        let result = CreateSessionResult { session_id: "s1".into() };
        let op = Operation {
            ready: true,
            status: 400000,
            result: Some(prost_types::Any {
                type_url: "type.googleapis.com/Ydb.Table.CreateSessionResult".into(),
                value: result.encode_to_vec(),
            }),
            ..Default::default()
        };
        let got: CreateSessionResult = result_of(Some(op)).expect("success");
        assert_eq!(got.session_id, "s1");
    }

    #[test]
    fn a_failure_carries_status_and_issues() {
        let op = Operation { ready: true, status: 400100, ..Default::default() };
        let e = result_of::<CreateSessionResult>(Some(op)).expect_err("bad session");
        assert_eq!(e.status, Status::BadSession);
    }
}
