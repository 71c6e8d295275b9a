//! The admin endpoint as tests use it: injected faults (statuses inside YDB's own shapes, latency, cut
//! streams), session kills, restarts, several nodes that stop and start, and the stats that prove no leak.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use ydb_devserver::proto::ydb;
use ydb_devserver::proto::ydb::discovery::v1::discovery_service_client::DiscoveryServiceClient;
use ydb_devserver::proto::ydb::query::v1::query_service_client::QueryServiceClient;
use ydb_devserver::proto::ydb::status_ids::StatusCode;
use ydb_devserver::proto::ydb::table::v1::table_service_client::TableServiceClient;
use ydb_devserver::server::{start, Config, Running};

mod common;
use common::{grpc_web_empty_call, http1};

async fn server(nodes: u32) -> Running {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        admin: Some("127.0.0.1:0".parse().unwrap()),
        nodes,
        ..Config::default()
    };
    start(config).await.unwrap()
}

/// An ExecuteQuery request of `text` in `session`.
fn query_request(session: String, text: &str) -> ydb::query::ExecuteQueryRequest {
    ydb::query::ExecuteQueryRequest {
        session_id: session,
        query: Some(ydb::query::execute_query_request::Query::QueryContent(ydb::query::QueryContent {
            text: text.into(),
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// One admin request; returns the HTTP status and the JSON answer.
async fn admin(running: &Running, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let host = running.admin_addr.unwrap().to_string();
    admin_with(running, method, path, body, &format!("host: {host}\r\n")).await
}

/// [`admin`] with these header lines (each ending in `\r\n`) instead of the `host` line.
async fn admin_with(running: &Running, method: &str, path: &str, body: Option<Value>, headers: &str) -> (u16, Value) {
    let addr = running.admin_addr.unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\n{headers}content-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    let text = String::from_utf8(http1(addr, request.as_bytes()).await).unwrap();
    let status = text[9..12].parse().unwrap();
    let json = text.split("\r\n\r\n").nth(1).unwrap();
    (status, serde_json::from_str(json).unwrap())
}

async fn table_client(addr: SocketAddr) -> TableServiceClient<tonic::transport::Channel> {
    TableServiceClient::connect(format!("http://{addr}")).await.unwrap()
}

async fn table_session(client: &mut TableServiceClient<tonic::transport::Channel>) -> String {
    let op = client.create_session(ydb::table::CreateSessionRequest::default()).await.unwrap().into_inner();
    let any = op.operation.unwrap().result.unwrap();
    <ydb::table::CreateSessionResult as prost::Message>::decode(any.value.as_slice()).unwrap().session_id
}

/// An ExecuteDataQuery request of `text` in `session`, in a new transaction committed with it or left open.
fn data_query(session: &str, text: &str, commit: bool) -> ydb::table::ExecuteDataQueryRequest {
    ydb::table::ExecuteDataQueryRequest {
        session_id: session.to_string(),
        query: Some(ydb::table::Query { query: Some(ydb::table::query::Query::YqlText(text.into())) }),
        tx_control: Some(ydb::table::TransactionControl {
            tx_selector: Some(ydb::table::transaction_control::TxSelector::BeginTx(Default::default())),
            commit_tx: commit,
        }),
        ..Default::default()
    }
}

async fn select_one(client: &mut TableServiceClient<tonic::transport::Channel>, session: &str) -> i32 {
    let answer = client.execute_data_query(data_query(session, "SELECT 1", true)).await.unwrap().into_inner();
    answer.operation.unwrap().status
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test]
async fn the_admin_endpoint_refuses_browsers_and_rebound_host_names() {
    let running = server(1).await;
    let addr = running.admin_addr.unwrap();
    // Even a loopback page may not drive it: any Origin is refused, and nothing happens.
    let (status, answer) =
        admin_with(&running, "POST", "/restart", None, &format!("host: {addr}\r\norigin: http://127.0.0.1:8000\r\n"))
            .await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("Origin"), "{answer}");
    let (status, _) = admin_with(&running, "GET", "/stats", None, "host: attacker.example\r\n").await;
    assert_eq!(status, 403);
    let (status, _) =
        admin_with(&running, "GET", "/stats", None, &format!("host: localhost:{}\r\n", addr.port())).await;
    assert_eq!(status, 200);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn an_injected_status_answers_the_next_calls_inside_the_operation_then_calls_pass() {
    let running = server(1).await;
    let mut client = table_client(running.addr).await;
    let session = table_session(&mut client).await;
    let (code, added) = admin(
        &running,
        "POST",
        "/faults",
        Some(json!({ "rpc": "Ydb.Table.V1.TableService/ExecuteDataQuery", "status": "OVERLOADED", "times": 2 })),
    )
    .await;
    assert_eq!(code, 200, "{added}");
    assert_eq!(added["id"], 1);
    assert_eq!(select_one(&mut client, &session).await, StatusCode::Overloaded as i32);
    assert_eq!(select_one(&mut client, &session).await, StatusCode::Overloaded as i32);
    assert_eq!(select_one(&mut client, &session).await, StatusCode::Success as i32);
    let (_, listed) = admin(&running, "GET", "/faults", None).await;
    assert_eq!(listed["faults"][0]["hits"], 2);
    assert_eq!(listed["faults"][0]["status"], "OVERLOADED");
    let (_, stats) = admin(&running, "GET", "/stats", None).await;
    assert_eq!(stats["calls"]["/Ydb.Table.V1.TableService/ExecuteDataQuery"], 3);
    assert_eq!(stats["faultsHit"], 2);
    assert_eq!(stats["sessions"], 1);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn an_injected_status_on_the_query_service_is_the_first_part_of_the_stream() {
    let running = server(1).await;
    let mut client = QueryServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let session = client.create_session(ydb::query::CreateSessionRequest {}).await.unwrap().into_inner().session_id;
    admin(&running, "POST", "/faults", Some(json!({ "rpc": "Ydb.Query.V1.QueryService", "status": "ABORTED" }))).await;
    let mut parts = client.execute_query(query_request(session, "SELECT 1")).await.unwrap().into_inner();
    let part = parts.message().await.unwrap().unwrap();
    assert_eq!(part.status, StatusCode::Aborted as i32);
    assert!(part.issues[0].message.contains("ABORTED"), "{:?}", part.issues);
    assert!(parts.message().await.unwrap().is_none(), "the stream ends cleanly after the error part");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn a_bad_session_fault_really_ends_the_session_so_nothing_leaks() {
    let running = server(1).await;
    let mut client = table_client(running.addr).await;
    let session = table_session(&mut client).await;
    admin(&running, "POST", "/faults", Some(json!({ "rpc": "*", "status": "BAD_SESSION", "times": 1 }))).await;
    assert_eq!(select_one(&mut client, &session).await, StatusCode::BadSession as i32);
    assert_eq!(running.session_count(), 0);
    assert_eq!(select_one(&mut client, &session).await, StatusCode::BadSession as i32, "and it stays bad");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn latency_delays_calls_and_faults_can_be_cleared() {
    let running = server(1).await;
    let mut client = table_client(running.addr).await;
    let session = table_session(&mut client).await;
    admin(&running, "POST", "/faults", Some(json!({ "rpc": "Ydb.Table.V1.TableService", "latencyMs": 300 }))).await;
    let started = Instant::now();
    assert_eq!(select_one(&mut client, &session).await, StatusCode::Success as i32);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let (_, cleared) = admin(&running, "DELETE", "/faults", None).await;
    assert_eq!(cleared["cleared"], 1);
    let started = Instant::now();
    select_one(&mut client, &session).await;
    assert!(started.elapsed() < Duration::from_millis(300));
    running.stop().await.unwrap();
}

#[tokio::test]
async fn bad_faults_and_unknown_paths_are_refused_with_a_reason() {
    let running = server(1).await;
    let (code, body) = admin(&running, "POST", "/faults", Some(json!({ "status": "SOMETIMES" }))).await;
    assert_eq!(code, 400);
    assert!(body["error"].as_str().unwrap().contains("SOMETIMES"));
    let (code, _) = admin(&running, "POST", "/faults", Some(json!({ "statsu": "ABORTED" }))).await;
    assert_eq!(code, 400);
    let (code, _) = admin(&running, "GET", "/nope", None).await;
    assert_eq!(code, 404);
    let (code, _) = admin(&running, "POST", "/nodes/7/stop", None).await;
    assert_eq!(code, 404);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn drop_stream_cuts_a_query_stream_after_its_first_part_and_a_unary_call_before_its_answer() {
    let running = server(1).await;
    let mut client = QueryServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let session = client.create_session(ydb::query::CreateSessionRequest {}).await.unwrap().into_inner().session_id;
    admin(
        &running,
        "POST",
        "/faults",
        Some(json!({ "rpc": "Ydb.Query.V1.QueryService/ExecuteQuery", "dropStream": true, "times": 1 })),
    )
    .await;
    let mut parts =
        client.execute_query(query_request(session.clone(), "SELECT 1; SELECT 2")).await.unwrap().into_inner();
    let first = parts.message().await.unwrap().unwrap();
    assert_eq!(first.status, StatusCode::Success as i32);
    assert!(parts.message().await.is_err(), "the stream is cut after the first part");

    admin(
        &running,
        "POST",
        "/faults",
        Some(json!({ "rpc": "Ydb.Query.V1.QueryService/CreateSession", "dropStream": true, "times": 1 })),
    )
    .await;
    assert!(client.create_session(ydb::query::CreateSessionRequest {}).await.is_err());
    let again = client.create_session(ydb::query::CreateSessionRequest {}).await.unwrap().into_inner();
    assert_eq!(again.status, StatusCode::Success as i32);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn killed_sessions_are_bad_and_their_attach_streams_end() {
    let running = server(1).await;
    let mut query = QueryServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let created = query.create_session(ydb::query::CreateSessionRequest {}).await.unwrap().into_inner();
    let mut attach = query
        .attach_session(ydb::query::AttachSessionRequest { session_id: created.session_id.clone() })
        .await
        .unwrap()
        .into_inner();
    attach.message().await.unwrap().unwrap();
    let mut table = table_client(running.addr).await;
    let table_session = table_session(&mut table).await;
    let (_, killed) = admin(&running, "POST", "/sessions/kill", Some(json!({ "sessionId": table_session }))).await;
    assert_eq!(killed["killed"], 1);
    assert_eq!(select_one(&mut table, &table_session).await, StatusCode::BadSession as i32);
    let (_, killed) = admin(&running, "POST", "/sessions/kill", None).await;
    assert_eq!(killed["killed"], 1);
    let last = attach.message().await.unwrap().unwrap();
    assert_eq!(last.status, StatusCode::BadSession as i32);
    assert!(attach.message().await.unwrap().is_none());
    let (_, stats) = admin(&running, "GET", "/stats", None).await;
    assert_eq!(stats["sessions"], 0);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn restart_ends_sessions_with_the_shutdown_hint_rolls_back_and_keeps_data() {
    let running = server(1).await;
    let mut table = table_client(running.addr).await;
    let session = table_session(&mut table).await;
    let scheme = table
        .execute_scheme_query(ydb::table::ExecuteSchemeQueryRequest {
            session_id: session.clone(),
            yql_text: "CREATE TABLE kv (id Uint64, v Utf8, PRIMARY KEY (id))".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(scheme.operation.unwrap().status, StatusCode::Success as i32);
    let upsert = |text: &str, commit: bool| data_query(&session, text, commit);
    let kept = table.execute_data_query(upsert("UPSERT INTO kv (id, v) VALUES (1, 'kept')", true)).await.unwrap();
    assert_eq!(kept.into_inner().operation.unwrap().status, StatusCode::Success as i32);
    let open = table.execute_data_query(upsert("UPSERT INTO kv (id, v) VALUES (2, 'lost')", false)).await.unwrap();
    let open = open.into_inner().operation.unwrap();
    assert_eq!(open.status, StatusCode::Success as i32);
    let open = <ydb::table::ExecuteQueryResult as prost::Message>::decode(open.result.unwrap().value.as_slice());
    let open_tx = open.unwrap().tx_meta.unwrap().id;

    let mut query = QueryServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let created = query.create_session(ydb::query::CreateSessionRequest {}).await.unwrap().into_inner();
    let mut attach = query
        .attach_session(ydb::query::AttachSessionRequest { session_id: created.session_id })
        .await
        .unwrap()
        .into_inner();
    attach.message().await.unwrap().unwrap();
    let (_, restarted) = admin(&running, "POST", "/restart", None).await;
    assert_eq!(restarted["sessionsEnded"], 2);
    let last = attach.message().await.unwrap().unwrap();
    assert!(matches!(last.session_hint, Some(ydb::query::session_state::SessionHint::NodeShutdown(_))));
    assert_eq!(select_one(&mut table, &session).await, StatusCode::BadSession as i32);

    let session = table_session(&mut table).await;
    // The open transaction was rolled back: committing it now (from another session) finds nothing.
    let commit = table
        .commit_transaction(ydb::table::CommitTransactionRequest {
            session_id: session.clone(),
            tx_id: open_tx,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(commit.operation.unwrap().status, StatusCode::NotFound as i32);
    let read = table
        .execute_data_query(data_query(&session, "SELECT id FROM kv ORDER BY id", true))
        .await
        .unwrap()
        .into_inner();
    let any = read.operation.unwrap().result.unwrap();
    let result = <ydb::table::ExecuteQueryResult as prost::Message>::decode(any.value.as_slice()).unwrap();
    assert_eq!(result.result_sets[0].rows.len(), 1, "the committed row stays, the open transaction is gone");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn several_nodes_are_listed_own_their_sessions_and_stop_and_start() {
    let running = server(3).await;
    let addrs = running.addrs();
    assert_eq!(addrs.len(), 3);
    let mut discovery = DiscoveryServiceClient::connect(format!("http://{}", addrs[1])).await.unwrap();
    let list = || ydb::discovery::ListEndpointsRequest { database: "/local".into(), service: vec![] };
    let endpoints = |answer: ydb::discovery::ListEndpointsResponse| {
        let any = answer.operation.unwrap().result.unwrap();
        let result = <ydb::discovery::ListEndpointsResult as prost::Message>::decode(any.value.as_slice()).unwrap();
        result.endpoints.iter().map(|e| (e.node_id, e.port)).collect::<Vec<_>>()
    };
    let listed = endpoints(discovery.list_endpoints(list()).await.unwrap().into_inner());
    let expected: Vec<(u32, u32)> = addrs.iter().zip(1..).map(|(a, id)| (id, u32::from(a.port()))).collect();
    assert_eq!(listed, expected);

    let mut on_two = table_client(addrs[1]).await;
    let session = table_session(&mut on_two).await;
    assert!(session.contains("node_id=2"), "{session}");
    let (_, stats) = admin(&running, "GET", "/stats", None).await;
    assert_eq!(stats["sessionsPerNode"]["2"], 1);

    let mut query = QueryServiceClient::connect(format!("http://{}", addrs[1])).await.unwrap();
    let created = query.create_session(ydb::query::CreateSessionRequest {}).await.unwrap().into_inner();
    assert_eq!(created.node_id, 2);
    let mut attach = query
        .attach_session(ydb::query::AttachSessionRequest { session_id: created.session_id })
        .await
        .unwrap()
        .into_inner();
    attach.message().await.unwrap().unwrap();

    let (_, stopped) = admin(&running, "POST", "/nodes/2/stop", None).await;
    assert_eq!(stopped, json!({ "id": 2, "up": false, "changed": true }));
    let last = attach.message().await.unwrap().unwrap();
    assert!(matches!(last.session_hint, Some(ydb::query::session_state::SessionHint::NodeShutdown(_))));
    assert!(tokio::net::TcpStream::connect(addrs[1]).await.is_err(), "a stopped node refuses connections");
    let mut discovery = DiscoveryServiceClient::connect(format!("http://{}", addrs[0])).await.unwrap();
    let listed = endpoints(discovery.list_endpoints(list()).await.unwrap().into_inner());
    assert_eq!(listed.iter().map(|e| e.0).collect::<Vec<_>>(), vec![1, 3]);
    assert_eq!(running.session_count(), 0);

    let (_, started) = admin(&running, "POST", "/nodes/2/start", None).await;
    assert_eq!(started["up"], true);
    let mut on_two = table_client(addrs[1]).await;
    let fresh = table_session(&mut on_two).await;
    assert_eq!(select_one(&mut on_two, &fresh).await, StatusCode::Success as i32);
    assert_eq!(select_one(&mut on_two, &session).await, StatusCode::BadSession as i32, "old sessions are gone");
    wait_until("one session left", || running.session_count() == 1).await;
    running.stop().await.unwrap();
}

#[tokio::test]
async fn faults_reach_grpc_web_clients_in_the_same_shape() {
    let running = server(1).await;
    admin(
        &running,
        "POST",
        "/faults",
        Some(json!({ "rpc": "Ydb.Discovery.V1.DiscoveryService", "status": "UNAVAILABLE" })),
    )
    .await;
    let text = grpc_web_empty_call(running.addr, "/Ydb.Discovery.V1.DiscoveryService/ListEndpoints", "").await;
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(text.contains("injected fault #1: unavailable"), "{text}");
    assert!(text.contains("grpc-status:0"), "{text}");
    running.stop().await.unwrap();
}
