//! Property tests of every answer the client decodes, and the input mutations the decoder properties share.
//!
//! What the network sends is decoded by prost and then read by our code (operation envelopes, issue
//! trees, result-set column types). Here arbitrary bytes — pure noise and valid answers with bytes
//! flipped, cut or inserted — are decoded as each answer type, and whatever decodes is read the way the
//! client reads it: nothing may panic. Nesting is checked against prost's own bound: prost refuses a
//! message nested deeper than 100 levels, and a type prost accepted must never be refused by ours
//! ([`crate::value::types::MAX_TYPE_DEPTH`]) for its depth. Test-only and native-only (proptest).

use crate::error::Error;
use crate::proto::ydb::{self, issue::IssueMessage, operations::Operation, value::Value as V};
use crate::proto::ydb::{auth, discovery, query, scheme, table};
use crate::transport::operation::{result_of, OperationAnswer};
use crate::value::YdbType;
use proptest::prelude::*;
use prost::Message;

/// Up to three edits of a byte string: `(position, byte)`, the byte also choosing the edit.
pub fn edits() -> impl Strategy<Value = Vec<(prop::sample::Index, u8)>> {
    prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)
}

/// `bytes` with each edit applied: a byte flipped, the rest cut off, or a byte inserted — what a bit
/// flip or a broken proxy delivers.
pub fn mangle(mut bytes: Vec<u8>, edits: &[(prop::sample::Index, u8)]) -> Vec<u8> {
    for (at, b) in edits {
        let i = at.index(bytes.len() + 1);
        match (b % 3, bytes.get_mut(i)) {
            (0, Some(x)) => *x ^= b | 1,
            (1, _) => bytes.truncate(i),
            _ => bytes.insert(i, *b),
        }
    }
    bytes
}

/// Pseudo-random bytes from a seed (xorshift): large inputs without generating them byte by byte.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn issue() -> impl Strategy<Value = IssueMessage> {
    let leaf = ("[ -~]{0,12}", any::<u32>(), 0u32..4).prop_map(|(message, issue_code, severity)| IssueMessage {
        message,
        issue_code,
        severity,
        ..Default::default()
    });
    leaf.prop_recursive(4, 16, 3, |inner| {
        (inner.clone(), prop::collection::vec(inner, 0..3)).prop_map(|(mut i, issues)| {
            i.issues = issues;
            i
        })
    })
}

/// Any value tree, a few levels deep, whether or not it fits a column's type.
fn value() -> impl Strategy<Value = ydb::Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(V::BoolValue),
        any::<i32>().prop_map(V::Int32Value),
        any::<u64>().prop_map(V::Uint64Value),
        any::<f64>().prop_map(V::DoubleValue),
        "[ -~]{0,8}".prop_map(V::TextValue),
        any::<u64>().prop_map(V::Low128),
        Just(V::NullFlagValue(0)),
    ]
    .prop_map(|v| ydb::Value { value: Some(v), ..Default::default() });
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(|items| ydb::Value { items, ..Default::default() }),
            inner.clone().prop_map(|v| ydb::Value { value: Some(V::NestedValue(Box::new(v))), ..Default::default() }),
            prop::collection::vec((inner.clone(), inner), 0..2).prop_map(|pairs| ydb::Value {
                pairs: pairs.into_iter().map(|(k, p)| ydb::ValuePair { key: Some(k), payload: Some(p) }).collect(),
                ..Default::default()
            }),
        ]
    })
}

fn result_set() -> impl Strategy<Value = crate::value::rows::ResultSet> {
    (
        prop::collection::vec(("[a-z]{1,4}", crate::value::types::properties::any_type(false)), 0..4),
        prop::collection::vec(value(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(columns, rows, truncated)| crate::value::rows::ResultSet {
            columns: columns.into_iter().map(|(name, t)| ydb::Column { name, r#type: Some(t.to_proto()) }).collect(),
            rows: rows.into_iter().collect(),
            truncated,
        })
}

fn status() -> impl Strategy<Value = i32> {
    prop_oneof![Just(400000), Just(400100), Just(400050), any::<i32>()]
}

/// A valid answer of the kinds the client reads most: a query-service part and a table-service
/// `ExecuteDataQuery` answer (its result packed in an `Operation`).
fn valid_answer() -> impl Strategy<Value = Vec<u8>> {
    let part = (status(), prop::collection::vec(issue(), 0..3), any::<i64>(), prop::option::of(result_set())).prop_map(
        |(status, issues, result_set_index, result_set)| {
            query::ExecuteQueryResponsePart { status, issues, result_set_index, result_set, ..Default::default() }
                .encode_to_vec()
        },
    );
    let data_query =
        (status(), any::<bool>(), prop::collection::vec(issue(), 0..3), prop::collection::vec(result_set(), 0..3))
            .prop_map(|(status, ready, issues, result_sets)| {
                let result = table::ExecuteQueryResult { result_sets, ..Default::default() };
                let operation = Operation {
                    ready,
                    status,
                    issues,
                    result: Some(prost_types::Any {
                        type_url: "type.googleapis.com/Ydb.Table.ExecuteQueryResult".into(),
                        value: result.encode_to_vec(),
                    }),
                    ..Default::default()
                };
                OperationAnswer { operation: Some(operation) }.encode_to_vec()
            });
    prop_oneof![part, data_query]
}

fn answer_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512),
        3 => (valid_answer(), edits()).prop_map(|(bytes, edits)| mangle(bytes, &edits)),
        1 => valid_answer(),
    ]
}

/// Reads result sets the way the client does before converting cells: every column's type, then the
/// rows column by column.
fn read_result_sets<'a>(sets: impl IntoIterator<Item = &'a crate::value::rows::ResultSet>) {
    for rs in sets {
        let types: Option<Vec<YdbType>> =
            rs.columns.iter().map(|c| c.r#type.as_ref().and_then(|t| YdbType::from_proto(t).ok())).collect();
        if let Some(types) = types {
            let _ = types.iter().map(ToString::to_string).count();
            for micros in [false, true] {
                let _ = crate::value::columns::columns(&types, &rs.rows, micros);
            }
        }
    }
}

fn read_issues(status: i32, issues: &[IssueMessage]) {
    let e = Error::from_ydb(status, issues);
    let _ = (e.policy(), e.to_string());
}

/// `bytes` decoded as every answer the client reads, each read on as the client reads it.
fn read_as_every_answer(bytes: &[u8]) {
    if let Ok(part) = query::ExecuteQueryResponsePart::decode(bytes) {
        read_issues(part.status, &part.issues);
        read_result_sets(part.result_set.as_ref());
    }
    if let Ok(state) = query::SessionState::decode(bytes) {
        read_issues(state.status, &state.issues);
    }
    if let Ok(created) = query::CreateSessionResponse::decode(bytes) {
        read_issues(created.status, &created.issues);
    }
    if let Ok(part) = table::ReadTableResponse::decode(bytes) {
        read_issues(part.status, &part.issues);
        read_result_sets(part.result.as_ref().and_then(|r| r.result_set.as_ref()));
    }
    if let Ok(answer) = OperationAnswer::decode(bytes) {
        if let Ok(result) = result_of::<table::ExecuteQueryResult>(answer.operation.clone()) {
            read_result_sets(&result.result_sets);
        }
        if let Ok(prepared) = result_of::<table::PrepareQueryResult>(answer.operation.clone()) {
            prepared
                .parameters_types
                .iter()
                .filter_map(|e| e.value.as_ref())
                .for_each(|t| drop(YdbType::from_proto(t)));
        }
        if let Ok(described) = result_of::<table::DescribeTableResult>(answer.operation.clone()) {
            described.columns.iter().filter_map(|c| c.r#type.as_ref()).for_each(|t| drop(YdbType::from_proto(t)));
        }
        let _ = result_of::<scheme::ListDirectoryResult>(answer.operation.clone());
        let _ = result_of::<discovery::ListEndpointsResult>(answer.operation.clone());
        let _ = result_of::<auth::LoginResult>(answer.operation.clone());
        if let Err(e) = result_of::<table::CreateSessionResult>(answer.operation) {
            let _ = (e.policy(), e.to_string());
        }
    }
}

/// An `ExecuteQueryResponsePart` whose one column's type is `levels` `Optional`s around `Int32`, and
/// whose issue tree is `levels` deep — as built in code, of any depth.
fn deep_part(levels: usize) -> query::ExecuteQueryResponsePart {
    let mut t = ydb::Type { r#type: Some(ydb::r#type::Type::TypeId(ydb::r#type::PrimitiveTypeId::Int32 as i32)) };
    let mut issue = IssueMessage { message: "innermost".into(), ..Default::default() };
    for _ in 1..levels {
        t = ydb::Type {
            r#type: Some(ydb::r#type::Type::OptionalType(Box::new(ydb::OptionalType { item: Some(Box::new(t)) }))),
        };
        issue = IssueMessage { message: "outer".into(), issues: vec![issue], ..Default::default() };
    }
    query::ExecuteQueryResponsePart {
        status: 400030,
        issues: vec![issue],
        result_set: Some(crate::value::rows::ResultSet {
            columns: vec![ydb::Column { name: "c".into(), r#type: Some(t) }],
            ..Default::default()
        }),
        ..Default::default()
    }
}

mod properties {
    use super::*;

    proptest! {
        #[test]
        fn any_bytes_read_as_any_answer_never_panic(bytes in answer_bytes()) {
            read_as_every_answer(&bytes);
        }
    }
}

/// Every depth from 1 to 160, exhaustively: prost refuses past its bound of 100, and whatever it
/// accepted our readers take without a depth error.
#[test]
fn nothing_prost_accepts_is_refused_by_our_depth_bound() {
    let mut deepest_accepted = 0;
    for levels in 1..160 {
        let bytes = deep_part(levels).encode_to_vec();
        match query::ExecuteQueryResponsePart::decode(bytes.as_slice()) {
            Ok(part) => {
                deepest_accepted = levels;
                let column = part.result_set.and_then(|rs| rs.columns.into_iter().next()).and_then(|c| c.r#type);
                let t = YdbType::from_proto(&column.expect("a column type"));
                assert!(t.is_ok(), "{levels} levels: {t:?}");
                read_issues(part.status, &part.issues);
            }
            Err(_) => assert!(levels > 40, "prost refused only {levels} levels"),
        }
    }
    // Two messages per type level under a part, a result set and a column: about 48 levels get through.
    assert!((40..=100).contains(&deepest_accepted), "prost accepted {deepest_accepted} levels");
}
