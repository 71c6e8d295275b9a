//! ExecuteQuery with an empty `session_id`: YDB's implicit session, over plain gRPC and gRPC-web. The
//! query runs in a session that lives for the call; the only transaction controls allowed are none and
//! `begin_tx` with `commit_tx: true`; anything else is BAD_REQUEST with an issue that says why.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use prost::Message;
use ydb_devserver::proto::ydb;
use ydb_devserver::proto::ydb::query::v1::query_service_client::QueryServiceClient;
use ydb_devserver::proto::ydb::query::{transaction_control::TxSelector, TransactionControl, TransactionSettings};
use ydb_devserver::proto::ydb::status_ids::StatusCode;
use ydb_devserver::server::{start, Config, Running};

mod common;
use common::http1;

async fn server() -> Running {
    start(Config { listen: "127.0.0.1:0".parse().unwrap(), ..Config::default() }).await.unwrap()
}

fn implicit(text: &str, tx_control: Option<TransactionControl>) -> ydb::query::ExecuteQueryRequest {
    ydb::query::ExecuteQueryRequest {
        session_id: String::new(),
        query: Some(ydb::query::execute_query_request::Query::QueryContent(ydb::query::QueryContent {
            syntax: ydb::query::Syntax::YqlV1 as i32,
            text: text.into(),
        })),
        tx_control,
        ..Default::default()
    }
}

fn begin(commit_tx: bool) -> Option<TransactionControl> {
    Some(TransactionControl { tx_selector: Some(TxSelector::BeginTx(TransactionSettings::default())), commit_tx })
}

/// Runs `request` and returns every part of its answer.
async fn run(
    client: &mut QueryServiceClient<tonic::transport::Channel>,
    request: ydb::query::ExecuteQueryRequest,
) -> Vec<ydb::query::ExecuteQueryResponsePart> {
    let mut stream = client.execute_query(request).await.unwrap().into_inner();
    let mut parts = Vec::new();
    while let Some(part) = stream.message().await.unwrap() {
        parts.push(part);
    }
    parts
}

fn failed_with(parts: &[ydb::query::ExecuteQueryResponsePart]) -> Option<(i32, String)> {
    parts
        .iter()
        .find(|p| p.status != StatusCode::Success as i32)
        .map(|p| (p.status, p.issues.iter().map(|i| i.message.clone()).collect::<Vec<_>>().join("; ")))
}

#[tokio::test]
async fn an_empty_session_id_runs_the_query_in_a_session_that_lives_for_the_call() {
    let running = server().await;
    let mut client = QueryServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let created = run(&mut client, implicit("CREATE TABLE kv (k Uint64, v Utf8, PRIMARY KEY (k))", None)).await;
    assert_eq!(failed_with(&created), None);
    let written = run(&mut client, implicit("UPSERT INTO kv (k, v) VALUES (1ul, \"one\"u)", begin(true))).await;
    assert_eq!(failed_with(&written), None);
    assert!(written.iter().all(|p| p.tx_meta.is_none()), "a committed transaction is not handed out");
    let read = run(&mut client, implicit("SELECT v FROM kv WHERE k = 1ul", None)).await;
    assert_eq!(failed_with(&read), None);
    let set = read.iter().find_map(|p| p.result_set.as_ref()).unwrap();
    assert_eq!(set.rows.len(), 1, "the write committed and is visible to the next call");
    assert_eq!(running.session_count(), 0, "no session outlives its call");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn an_implicit_session_refuses_what_would_leave_a_transaction_behind() {
    let running = server().await;
    let mut client = QueryServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let open = run(&mut client, implicit("SELECT 1", begin(false))).await;
    let (status, issues) = failed_with(&open).unwrap();
    assert_eq!(status, StatusCode::BadRequest as i32);
    assert!(issues.contains("commit_tx"), "{issues}");
    let tx_id = Some(TransactionControl { tx_selector: Some(TxSelector::TxId("tx".into())), commit_tx: true });
    let (status, issues) = failed_with(&run(&mut client, implicit("SELECT 1", tx_id)).await).unwrap();
    assert_eq!(status, StatusCode::BadRequest as i32);
    assert!(issues.contains("tx_id is not allowed"), "{issues}");
    // A failed query in an implicit transaction leaves nothing open either.
    let failed = run(&mut client, implicit("SELECT * FROM missing_table", begin(true))).await;
    assert_eq!(failed_with(&failed).map(|(s, _)| s), Some(StatusCode::SchemeError as i32));
    assert_eq!(running.session_count(), 0);
    running.stop().await.unwrap();
}

/// POSTs one gRPC-web ExecuteQuery over HTTP/1.1 and returns the answer as text (frames included).
async fn grpc_web_execute(running: &Running, request: &ydb::query::ExecuteQueryRequest) -> String {
    let message = request.encode_to_vec();
    let mut body = vec![0u8];
    body.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    body.extend_from_slice(&message);
    let addr = running.addr;
    let mut raw = format!(
        "POST /Ydb.Query.V1.QueryService/ExecuteQuery HTTP/1.1\r\nhost: {addr}\r\n\
         content-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\nx-ydb-database: /local\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(&body);
    String::from_utf8_lossy(&http1(addr, &raw).await).into_owned()
}

#[tokio::test]
async fn grpc_web_runs_implicit_sessions_with_the_same_rules() {
    let running = server().await;
    let ok = grpc_web_execute(&running, &implicit("SELECT 42 AS the_answer", None)).await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.contains("the_answer"), "the result set came back: {ok}");
    assert!(!ok.contains("Implicit session"), "{ok}");
    let refused = grpc_web_execute(&running, &implicit("SELECT 1", begin(false))).await;
    assert!(refused.contains("Implicit session (empty session_id)"), "{refused}");
    assert!(!refused.contains("the_answer"));
    assert_eq!(running.session_count(), 0);
    running.stop().await.unwrap();
}
