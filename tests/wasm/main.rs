//! Integration tests of the wasm client against a running `ydb-devserver`, over the real gRPC-web
//! transport (`fetch`), in Node (wasm-bindgen-test's default runtime).
//!
//! The test command starts a dev server and passes its gRPC-web URL at compile time in
//! `YDB_TEST_ENDPOINT` (wasm has no environment to read at run time).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::rc::Rc;
use ydb_wasm::value::params::{Param, Params};

use wasm_bindgen_test::wasm_bindgen_test;
use ydb_wasm::auth::AnonymousCredentials;
use ydb_wasm::driver::Driver;
use ydb_wasm::proto::ydb;
use ydb_wasm::query::{QuerySession, TxControl};
use ydb_wasm::table::schema::DataQuery;
use ydb_wasm::table::TableSession;
use ydb_wasm::transport::CallOptions;
use ydb_wasm::tx_mode::TxMode;
use ydb_wasm::Status;

fn endpoint() -> &'static str {
    option_env!("YDB_TEST_ENDPOINT").unwrap_or("http://127.0.0.1:2136")
}

fn driver() -> Driver {
    Driver::new(endpoint(), "/local", Rc::new(AnonymousCredentials), Default::default(), None, None, Default::default())
        .unwrap()
}

fn opts() -> CallOptions {
    CallOptions::with_timeout(Some(30_000))
}

/// A table name no other test (or earlier run) uses.
fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", (js_sys::Math::random() * 1e12) as u64)
}

async fn run(
    session: &QuerySession,
    yql: &str,
    params: Params,
    tx: TxControl,
) -> Vec<(usize, ydb_wasm::value::rows::ResultSet)> {
    let mut stream = session.execute(yql, params, &tx, &opts()).await.unwrap();
    let mut parts = Vec::new();
    while let Some(part) = stream.next().await {
        let part = part.unwrap();
        parts.push((part.index, part.result_set));
    }
    parts
}

fn yql(text: String) -> DataQuery {
    DataQuery::Text(text)
}

fn text(v: &str) -> ydb::Value {
    ydb::Value { value: Some(ydb::value::Value::TextValue(v.into())), ..Default::default() }
}

fn prim(id: ydb::r#type::PrimitiveTypeId) -> ydb::Type {
    ydb::Type { r#type: Some(ydb::r#type::Type::TypeId(id as i32)) }
}

#[wasm_bindgen_test]
async fn discovery_answers_with_the_server_endpoint() {
    let d = driver();
    let found = d.discover(&opts()).await.unwrap();
    assert_eq!(found.endpoints.len(), 1);
    assert!(d.discovery_debug_details().starts_with("ok"));
}

#[wasm_bindgen_test]
async fn a_result_of_ten_thousand_rows_streams_whole_across_many_parts() {
    let d = driver();
    let session = QuerySession::create(d.channel(), &opts()).await.unwrap();
    let table = unique("stream_rows");
    run(
        &session,
        &format!("CREATE TABLE `{table}` (id Uint64, payload Utf8, PRIMARY KEY (id))"),
        Params::new(),
        TxControl::None,
    )
    .await;
    let payload = "p".repeat(500);
    for batch in 0..10u64 {
        let rows: Vec<String> = (0..1000u64).map(|i| format!("({}ul, \"{payload}\")", batch * 1000 + i)).collect();
        let yql = format!("UPSERT INTO `{table}` (id, payload) VALUES {};", rows.join(", "));
        run(&session, &yql, Params::new(), TxControl::Begin { mode: TxMode::SerializableReadWrite, commit: true })
            .await;
    }
    let parts = run(
        &session,
        &format!("SELECT id, payload FROM `{table}` ORDER BY id"),
        Params::new(),
        TxControl::Begin { mode: TxMode::SerializableReadWrite, commit: true },
    )
    .await;
    assert!(parts.len() > 5, "expected many parts, got {}", parts.len());
    let mut next = 0u64;
    let mut bytes = 0usize;
    for (index, set) in &parts {
        assert_eq!(*index, 0);
        for row in &set.rows.decode().unwrap() {
            match row.items[0].value {
                Some(ydb::value::Value::Uint64Value(id)) => assert_eq!(id, next),
                ref other => panic!("unexpected id value {other:?}"),
            }
            match &row.items[1].value {
                Some(ydb::value::Value::TextValue(p)) => bytes += p.len(),
                other => panic!("unexpected payload value {other:?}"),
            }
            next += 1;
        }
    }
    assert_eq!(next, 10_000);
    assert!(bytes >= 5_000_000);
    run(&session, &format!("DROP TABLE `{table}`"), Params::new(), TxControl::None).await;
    session.delete().await;
}

#[wasm_bindgen_test]
async fn parameters_go_in_typed_and_come_back_typed() {
    let d = driver();
    let session = QuerySession::create(d.channel(), &opts()).await.unwrap();
    let params = vec![Param::new(
        "$name".to_string(),
        ydb::TypedValue { r#type: Some(prim(ydb::r#type::PrimitiveTypeId::Utf8)), value: Some(text("héllo")) },
    )];
    let parts = run(
        &session,
        "DECLARE $name AS Utf8; SELECT $name AS greeting;",
        params,
        TxControl::Begin { mode: TxMode::SerializableReadWrite, commit: true },
    )
    .await;
    let set = &parts[0].1;
    assert_eq!(set.columns[0].name, "greeting");
    assert_eq!(set.columns[0].r#type, Some(prim(ydb::r#type::PrimitiveTypeId::Utf8)));
    assert_eq!(set.rows.decode().unwrap()[0].items[0], text("héllo"));
    session.delete().await;
}

#[wasm_bindgen_test]
async fn a_missing_table_is_a_scheme_error_with_issues() {
    let d = driver();
    let session = QuerySession::create(d.channel(), &opts()).await.unwrap();
    let mut stream = session
        .execute(
            "SELECT * FROM `no_such_table_here`",
            Params::new(),
            &TxControl::Begin { mode: TxMode::SerializableReadWrite, commit: true },
            &opts(),
        )
        .await
        .unwrap();
    let err = stream.next().await.unwrap().err().unwrap();
    assert_eq!(err.status(), Status::SchemeError);
    assert!(!err.issues().is_empty());
    assert!(session.is_alive(), "a scheme error must not discard the session");
    drop(stream);
    session.delete().await;
}

#[wasm_bindgen_test]
async fn a_syntax_error_is_a_generic_error() {
    let d = driver();
    let session = QuerySession::create(d.channel(), &opts()).await.unwrap();
    let mut stream = session.execute("SELEKT 1", Params::new(), &TxControl::None, &opts()).await.unwrap();
    let err = stream.next().await.unwrap().err().unwrap();
    assert_eq!(err.status(), Status::GenericError);
    drop(stream);
    session.delete().await;
}

#[wasm_bindgen_test]
async fn a_deleted_session_is_a_bad_session() {
    let d = driver();
    let session = QuerySession::create(d.channel(), &opts()).await.unwrap();
    session.delete().await;
    let outcome = session.execute("SELECT 1", Params::new(), &TxControl::None, &opts()).await;
    let err = match outcome {
        Ok(mut stream) => stream.next().await.unwrap().err().unwrap(),
        Err(e) => e,
    };
    assert_eq!(err.status(), Status::BadSession);
}

#[wasm_bindgen_test]
async fn a_table_transaction_commits_what_it_wrote() {
    let d = driver();
    let session = TableSession::create(d.channel(), &opts()).await.unwrap();
    let table = unique("tx_commit");
    session
        .execute_scheme_query(&format!("CREATE TABLE `{table}` (id Int32, name Utf8, PRIMARY KEY (id))"), &opts())
        .await
        .unwrap();
    let session = Rc::new(session);
    let mut tx = ydb_wasm::table::TxContext::new(session.clone(), TxMode::SerializableReadWrite);
    tx.execute(&yql(format!("UPSERT INTO `{table}` (id, name) VALUES (1, \"one\")")), Params::new(), false, &opts())
        .await
        .unwrap();
    assert!(tx.tx_id().is_some());
    tx.commit(&opts()).await.unwrap();
    let read = session
        .execute_data_query(
            yql(format!("SELECT name FROM `{table}` WHERE id = 1")).to_proto(),
            Params::new(),
            ydb::table::TransactionControl {
                tx_selector: Some(ydb::table::transaction_control::TxSelector::BeginTx(
                    TxMode::SerializableReadWrite.to_table(),
                )),
                commit_tx: true,
            },
            &opts(),
        )
        .await
        .unwrap();
    assert_eq!(read.result_sets[0].rows.len(), 1);
    assert_eq!(read.result_sets[0].rows.decode().unwrap()[0].items[0], text("one"));
    session.execute_scheme_query(&format!("DROP TABLE `{table}`"), &opts()).await.unwrap();
    session.delete().await;
}

/// In wasm, where memory ends at 4 GiB and a failed allocation traps: an answer of many empty rows and many
/// columns is a protocol error, not room made for the product of the two (here 10^9 cells, 5 GB).
#[wasm_bindgen_test]
fn many_empty_rows_of_many_columns_are_an_error_not_a_trap() {
    use ydb_wasm::value::{columns::columns, rows::Rows, YdbType};
    let types = vec![YdbType::parse("Optional<Utf8>").unwrap(); 10_000];
    let rows: Rows = std::iter::repeat_n(ydb::Value::default(), 100_000).collect();
    let e = columns(&types, &rows, false).err().map(|e| e.message().to_string());
    assert_eq!(e.as_deref(), Some("a row with a different number of cells than columns"));
}
