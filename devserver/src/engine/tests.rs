//! Engine-level tests through the public contract (`Engine::execute`, transactions, persistence).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::HashMap;

use super::types::{Prim, Type};
use super::*;
use crate::proto::ydb;
use ydb::value::Value as PV;

fn eng() -> Engine {
    Engine::open(None).unwrap()
}

fn run(e: &Engine, yql: &str, params: &HashMap<String, ydb::TypedValue>) -> Result<ExecuteOutcome, EngineError> {
    e.execute(ExecuteRequest { database: "/local", yql, params, tx: TxSelector::None, commit: true })
}

fn q(e: &Engine, yql: &str) -> Vec<ydb::ResultSet> {
    run(e, yql, &HashMap::new()).unwrap_or_else(|err| panic!("{yql}: {err}")).result_sets
}

fn tv(t: Type, v: PV) -> ydb::TypedValue {
    ydb::TypedValue { r#type: Some(t.to_proto()), value: Some(ydb::Value { value: Some(v), ..Default::default() }) }
}

fn cell(rs: &ydb::ResultSet, row: usize, col: usize) -> Option<PV> {
    rs.rows[row].items[col].value.clone()
}

fn setup(e: &Engine) {
    e.execute_scheme(
        "/local",
        "CREATE TABLE `series` (id Uint64 NOT NULL, title Utf8, score Double, big Uint64, PRIMARY KEY (id))",
    )
    .unwrap();
}

#[test]
fn round_trip_with_params() {
    let e = eng();
    setup(&e);
    let mut p = HashMap::new();
    p.insert("$id".to_string(), tv(Type::Prim(Prim::Uint64), PV::Uint64Value(7)));
    p.insert("$title".to_string(), tv(Type::Prim(Prim::Utf8), PV::TextValue("Seven".into())));
    p.insert("$big".to_string(), tv(Type::Prim(Prim::Uint64), PV::Uint64Value(u64::MAX)));
    run(
        &e,
        "DECLARE $id AS Uint64; DECLARE $title AS Utf8; DECLARE $big AS Uint64;
         UPSERT INTO series (id, title, score, big) VALUES ($id, $title, 1.5, $big), (1, 'one'u, NULL, 5ul);",
        &p,
    )
    .unwrap();
    let rs = q(&e, "SELECT id, title, score, big FROM series ORDER BY id;");
    assert_eq!(rs.len(), 1);
    let r = &rs[0];
    assert_eq!(r.rows.len(), 2);
    assert_eq!(r.columns[0].r#type, Some(Type::Prim(Prim::Uint64).to_proto()));
    assert_eq!(r.columns[1].r#type, Some(Type::optional(Type::Prim(Prim::Utf8)).to_proto()));
    assert_eq!(cell(r, 0, 0), Some(PV::Uint64Value(1)));
    assert_eq!(cell(r, 0, 2), Some(PV::NullFlagValue(0)));
    assert_eq!(cell(r, 1, 1), Some(PV::TextValue("Seven".into())));
    assert_eq!(cell(r, 1, 2), Some(PV::DoubleValue(1.5)));
    assert_eq!(cell(r, 1, 3), Some(PV::Uint64Value(u64::MAX)));
    // Uint64 above 2^63 keeps its order in WHERE.
    let rs = q(&e, "SELECT id FROM series WHERE big > 5ul;");
    assert_eq!(rs[0].rows.len(), 1);
}

#[test]
fn upsert_from_as_table_and_order_limit() {
    let e = eng();
    setup(&e);
    let row_t = Type::Struct(vec![("id".into(), Type::Prim(Prim::Uint64)), ("title".into(), Type::Prim(Prim::Utf8))]);
    let list_t = Type::List(Box::new(row_t));
    let rows: Vec<ydb::Value> = (0..20u64)
        .map(|i| ydb::Value {
            items: vec![
                ydb::Value { value: Some(PV::Uint64Value(i)), ..Default::default() },
                ydb::Value { value: Some(PV::TextValue(format!("t{i}"))), ..Default::default() },
            ],
            ..Default::default()
        })
        .collect();
    let mut p = HashMap::new();
    p.insert(
        "$rows".to_string(),
        ydb::TypedValue {
            r#type: Some(list_t.to_proto()),
            value: Some(ydb::Value { items: rows, ..Default::default() }),
        },
    );
    run(
        &e,
        "DECLARE $rows AS List<Struct<id:Uint64,title:Utf8>>; UPSERT INTO series SELECT id, title FROM AS_TABLE($rows);",
        &p,
    )
    .unwrap();
    let rs = q(&e, "SELECT id, title AS t FROM series WHERE id >= 5 ORDER BY id DESC LIMIT 3 OFFSET 1;");
    let r = &rs[0];
    assert_eq!(r.columns[1].name, "t");
    let ids: Vec<_> = (0..r.rows.len()).map(|i| cell(r, i, 0)).collect();
    assert_eq!(ids, vec![Some(PV::Uint64Value(18)), Some(PV::Uint64Value(17)), Some(PV::Uint64Value(16))]);
    let rs = q(&e, "SELECT COUNT(*) FROM series; SELECT 1; SELECT COUNT(*) AS c FROM series WHERE id < 3;");
    assert_eq!(rs.len(), 3);
    assert_eq!(rs[0].columns[0].name, "column0");
    assert_eq!(rs[0].columns[0].r#type, Some(Type::Prim(Prim::Uint64).to_proto()));
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Uint64Value(20)));
    assert_eq!(rs[1].columns[0].r#type, Some(Type::Prim(Prim::Int32).to_proto()));
    assert_eq!(cell(&rs[1], 0, 0), Some(PV::Int32Value(1)));
    assert_eq!(cell(&rs[2], 0, 0), Some(PV::Uint64Value(3)));
}

#[test]
fn expressions_and_group_by() {
    let e = eng();
    e.execute_scheme("/local", "CREATE TABLE t (k Int32, g Utf8, v Int64, PRIMARY KEY (k))").unwrap();
    q(&e, "UPSERT INTO t (k, g, v) VALUES (1, 'a'u, 10), (2, 'a'u, 20), (3, 'b'u, NULL), (4, NULL, 5);");
    let rs = q(&e, "SELECT g, COUNT(*) AS n, SUM(v) AS s FROM t GROUP BY g ORDER BY g;");
    let r = &rs[0];
    assert_eq!(r.rows.len(), 3);
    assert_eq!(cell(r, 0, 0), Some(PV::NullFlagValue(0)));
    assert_eq!(cell(r, 1, 2), Some(PV::Int64Value(30)));
    let rs = q(&e, "SELECT k FROM t WHERE v IS NULL OR (k > 1 AND NOT k = 2) ORDER BY k;");
    assert_eq!(rs[0].rows.len(), 2);
    let rs = q(&e, "SELECT 1 + 2 * 3, CAST(1 AS Uint64), 7 / 2, 'a' || 'b', 5 BETWEEN 1 AND 9, 3 IN (1, 2);");
    let r = &rs[0];
    assert_eq!(cell(r, 0, 0), Some(PV::Int32Value(7)));
    assert_eq!(r.columns[1].r#type, Some(Type::Prim(Prim::Uint64).to_proto()));
    assert_eq!(cell(r, 0, 2), Some(PV::Int32Value(3)));
    assert_eq!(cell(r, 0, 3), Some(PV::BytesValue(b"ab".to_vec())));
    assert_eq!(cell(r, 0, 4), Some(PV::BoolValue(true)));
    assert_eq!(cell(r, 0, 5), Some(PV::BoolValue(false)));
    q(&e, "UPDATE t SET v = v + 1 WHERE k = 1; DELETE FROM t WHERE k = 4;");
    let rs = q(&e, "SELECT v FROM t WHERE k = 1; SELECT COUNT(*) FROM t;");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Int64Value(11)));
    assert_eq!(cell(&rs[1], 0, 0), Some(PV::Uint64Value(3)));
}

#[test]
fn errors() {
    let e = eng();
    let err = run(&e, "SELECT * FROM missing;", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::SchemeError);
    assert!(err.message().contains("/local/missing"), "{}", err.message());
    let err = run(&e, "SELECT FROM WHERE;", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::GenericError);
    assert!(err.issues[0].position.is_some());
    let mut p = HashMap::new();
    p.insert("$x".to_string(), tv(Type::Prim(Prim::Utf8), PV::TextValue("a".into())));
    let err = run(&e, "DECLARE $x AS Uint64; SELECT $x;", &p).unwrap_err();
    assert_eq!(err.status, StatusCode::BadRequest);
    let err = run(&e, "DECLARE $y AS Uint64; SELECT $y;", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::BadRequest);
    setup(&e);
    // Out of range: a negative value into Uint64 is an error, not a wrap.
    let err = run(&e, "UPSERT INTO series (id) VALUES (-1);", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::GenericError);
    let err = run(&e, "UPSERT INTO series (id, title) VALUES (1, 5);", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::GenericError);
    q(&e, "INSERT INTO series (id) VALUES (1);");
    let err = run(&e, "INSERT INTO series (id) VALUES (1);", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::PreconditionFailed);
    let err = e.commit("nope").unwrap_err();
    assert_eq!(err.status, StatusCode::NotFound);
    let err = e
        .execute(ExecuteRequest {
            database: "/local",
            yql: "SELECT 1",
            params: &HashMap::new(),
            tx: TxSelector::Existing("nope".into()),
            commit: false,
        })
        .unwrap_err();
    assert_eq!(err.status, StatusCode::NotFound);
}

fn in_tx(e: &Engine, tx: &str, yql: &str) -> Result<ExecuteOutcome, EngineError> {
    e.execute(ExecuteRequest {
        database: "/local",
        yql,
        params: &HashMap::new(),
        tx: TxSelector::Existing(tx.to_string()),
        commit: false,
    })
}

#[test]
fn interactive_transactions() {
    let e = eng();
    setup(&e);
    // Begin through execute; visible after commit.
    let out = e
        .execute(ExecuteRequest {
            database: "/local",
            yql: "UPSERT INTO series (id, title) VALUES (1, 'a'u);",
            params: &HashMap::new(),
            tx: TxSelector::Begin(TxMode::SerializableReadWrite),
            commit: false,
        })
        .unwrap();
    let tx = out.tx_id.unwrap();
    assert_eq!(q(&e, "SELECT COUNT(*) FROM series;")[0].rows[0].items[0].value, Some(PV::Uint64Value(0)));
    e.commit(&tx).unwrap();
    assert_eq!(q(&e, "SELECT COUNT(*) FROM series;")[0].rows[0].items[0].value, Some(PV::Uint64Value(1)));
    // Rollback discards.
    let tx = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &tx, "UPSERT INTO series (id) VALUES (2);").unwrap();
    let inside = in_tx(&e, &tx, "SELECT COUNT(*) FROM series;").unwrap();
    assert_eq!(inside.result_sets[0].rows[0].items[0].value, Some(PV::Uint64Value(2)));
    e.rollback(&tx).unwrap();
    assert_eq!(q(&e, "SELECT COUNT(*) FROM series;")[0].rows[0].items[0].value, Some(PV::Uint64Value(1)));
    assert_eq!(e.rollback(&tx).unwrap_err().status, StatusCode::NotFound);
}

#[test]
fn conflicting_transactions_abort_the_later() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, score) VALUES (1, 1.0);");
    let t1 = e.begin(TxMode::SerializableReadWrite).unwrap();
    let t2 = e.begin(TxMode::SerializableReadWrite).unwrap();
    in_tx(&e, &t1, "SELECT score FROM series WHERE id = 1;").unwrap();
    in_tx(&e, &t2, "SELECT score FROM series WHERE id = 1;").unwrap();
    in_tx(&e, &t1, "UPSERT INTO series (id, score) VALUES (1, 2.0);").unwrap();
    e.commit(&t1).unwrap();
    let res = in_tx(&e, &t2, "UPSERT INTO series (id, score) VALUES (1, 3.0);")
        .and_then(|_| e.commit(&t2).map(|_| ExecuteOutcome::default()));
    let err = res.unwrap_err();
    assert_eq!(err.status, StatusCode::Aborted);
    assert_eq!(err.message(), "Transaction locks invalidated.");
    // The aborted transaction is gone.
    assert_eq!(e.commit(&t2).unwrap_err().status, StatusCode::NotFound);
    assert_eq!(q(&e, "SELECT score FROM series;")[0].rows[0].items[0].value, Some(PV::DoubleValue(2.0)));
}

#[test]
fn concurrent_autocommit() {
    let e = eng();
    setup(&e);
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            let e = e.clone();
            std::thread::spawn(move || {
                for i in 0..25u64 {
                    q(&e, &format!("UPSERT INTO series (id) VALUES ({}ul);", t * 100 + i));
                    q(&e, "SELECT COUNT(*) FROM series;");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(q(&e, "SELECT COUNT(*) FROM series;")[0].rows[0].items[0].value, Some(PV::Uint64Value(100)));
}

#[test]
fn ten_thousand_rows() {
    let e = eng();
    setup(&e);
    let values: Vec<String> = (0..10_000).map(|i| format!("({i}, 'x{i}'u)")).collect();
    q(&e, &format!("UPSERT INTO series (id, title) VALUES {};", values.join(",")));
    let rs = q(&e, "SELECT * FROM series;");
    assert_eq!(rs[0].rows.len(), 10_000);
    assert_eq!(rs[0].columns.len(), 4);
    let rs = q(&e, "SELECT title FROM series WHERE id = 9999;");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::TextValue("x9999".into())));
}

#[test]
fn persistence() {
    let dir = tempfile::tempdir().unwrap();
    {
        let e = Engine::open(Some(dir.path())).unwrap();
        e.execute_scheme("/local", "CREATE TABLE `/local/dir/p` (k Utf8, d Decimal(22,9), PRIMARY KEY (k))").unwrap();
        q(&e, "UPSERT INTO `dir/p` (k, d) VALUES ('a'u, Decimal('1.25', 22, 9));");
    }
    let e = Engine::open(Some(dir.path())).unwrap();
    let rs = q(&e, "SELECT k, d FROM `/local/dir/p`;");
    assert_eq!(rs[0].columns[1].r#type, Some(Type::optional(Type::Decimal(22, 9)).to_proto()));
    assert_eq!(cell(&rs[0], 0, 1), Some(PV::Low128(1_250_000_000)));
}

#[test]
fn ddl_errors() {
    let e = eng();
    setup(&e);
    let err = e.execute_scheme("/local", "CREATE TABLE series (id Uint64, PRIMARY KEY (id))").unwrap_err();
    assert_eq!(err.status, StatusCode::AlreadyExists);
    e.execute_scheme("/local", "DROP TABLE series").unwrap();
    let err = run(&e, "SELECT * FROM series;", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::SchemeError);
}

#[test]
fn named_expressions_joins_and_prefix() {
    let e = eng();
    e.execute_scheme("/local", "CREATE TABLE `dir/a` (id Int32, name Utf8, PRIMARY KEY (id))").unwrap();
    e.execute_scheme("/local", "CREATE TABLE `dir/b` (id Int32, a_id Int32, v Double, PRIMARY KEY (id))").unwrap();
    q(
        &e,
        "PRAGMA TablePathPrefix('/local/dir'); UPSERT INTO a (id, name) VALUES (1, 'x'u), (2, 'y'u);
           UPSERT INTO b (id, a_id, v) VALUES (10, 1, 1.0), (11, 1, 2.0), (12, 3, 4.0);",
    );
    let rs = q(
        &e,
        "PRAGMA TablePathPrefix = '/local/dir';
         $min = 1.5;
         $big = (SELECT a_id, v FROM b WHERE v >= $min);
         SELECT a.name AS name, bb.v AS v FROM a AS a JOIN $big AS bb ON a.id = bb.a_id ORDER BY v;
         SELECT a.id, b.id FROM a LEFT JOIN b ON a.id = b.a_id ORDER BY a.id, b.id;",
    );
    assert_eq!(rs[0].rows.len(), 1);
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::TextValue("x".into())));
    assert_eq!(rs[1].rows.len(), 3);
    assert_eq!(cell(&rs[1], 2, 1), Some(PV::NullFlagValue(0)));
    let rs = q(&e, "SELECT COUNT(*) FROM `/local/dir/b` WHERE a_id IN (SELECT id FROM `/local/dir/a`);");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Uint64Value(2)));
}

#[test]
fn read_only_transaction_rejects_writes() {
    let e = eng();
    setup(&e);
    let tx = e.begin(TxMode::SnapshotReadOnly).unwrap();
    assert!(in_tx(&e, &tx, "SELECT * FROM series;").is_ok());
    let err = in_tx(&e, &tx, "UPSERT INTO series (id) VALUES (1);").unwrap_err();
    assert_eq!(err.status, StatusCode::GenericError);
}

#[test]
fn hostile_input_is_an_error_not_a_crash() {
    let e = eng();
    let deep = format!("SELECT {}1{};", "(".repeat(5000), ")".repeat(5000));
    assert_eq!(run(&e, &deep, &HashMap::new()).unwrap_err().status, StatusCode::GenericError);
    let ok = format!("SELECT {}1{};", "(".repeat(60), ")".repeat(60));
    assert_eq!(q(&e, &ok)[0].rows.len(), 1);
    let negs = format!("SELECT {}1;", "-".repeat(5000));
    assert!(run(&e, &negs, &HashMap::new()).is_err());
    for bad in [
        "SELECT 340282366920938463463374607431768211455;",
        "SELECT -170141183460469231731687303715884105728;",
        "SELECT Date('99999999-01-01');",
        "SELECT CAST('1e400' AS Decimal(35,0));",
        "SELECT 1 +;",
        "SELECT `unterminated",
    ] {
        let _ = run(&e, bad, &HashMap::new());
    }
    let rs = q(&e, "SELECT 2147483647 + 1, 10 / 0, CAST('abc' AS Int32);");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Int32Value(i32::MIN)));
    assert_eq!(cell(&rs[0], 0, 1), Some(PV::NullFlagValue(0)));
    assert_eq!(cell(&rs[0], 0, 2), Some(PV::NullFlagValue(0)));
}
