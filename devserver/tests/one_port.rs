//! The dev server as clients see it over the wire: one port answers plain gRPC (HTTP/2) and gRPC-web
//! (HTTP/1.1, with CORS), with YDB's shapes and statuses.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::time::Duration;

use prost::Message;
use ydb_devserver::proto::ydb;
use ydb_devserver::proto::ydb::discovery::v1::discovery_service_client::DiscoveryServiceClient;
use ydb_devserver::proto::ydb::query::v1::query_service_client::QueryServiceClient;
use ydb_devserver::proto::ydb::table::v1::table_service_client::TableServiceClient;
use ydb_devserver::server::{start, Config, Running};

mod common;
use common::{grpc_web_empty_call, http1};

async fn server() -> Running {
    let config = Config { listen: "127.0.0.1:0".parse().unwrap(), ..Config::default() };
    start(config).await.unwrap()
}

#[tokio::test]
async fn plain_grpc_lists_the_server_itself_as_the_endpoint() {
    let running = server().await;
    let mut client = DiscoveryServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let answer = client
        .list_endpoints(ydb::discovery::ListEndpointsRequest { database: "/local".into(), service: vec![] })
        .await
        .unwrap()
        .into_inner();
    let op = answer.operation.unwrap();
    assert_eq!(op.status, ydb::status_ids::StatusCode::Success as i32);
    let any = op.result.unwrap();
    assert_eq!(any.type_url, "type.googleapis.com/Ydb.Discovery.ListEndpointsResult");
    let result = ydb::discovery::ListEndpointsResult::decode(any.value.as_slice()).unwrap();
    assert_eq!(result.endpoints.len(), 1);
    assert_eq!(result.endpoints[0].port, u32::from(running.addr.port()));
    running.stop().await.unwrap();
}

#[tokio::test]
async fn grpc_web_over_http1_answers_on_the_same_port_with_the_status_in_a_trailer_frame() {
    let running = server().await;
    let text = grpc_web_empty_call(
        running.addr,
        "/Ydb.Discovery.V1.DiscoveryService/ListEndpoints",
        "origin: http://127.0.0.1:8000\r\n",
    )
    .await;
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(text.contains("content-type: application/grpc-web"), "{text}");
    assert!(text.contains("access-control-allow-origin: http://127.0.0.1:8000"), "{text}");
    assert!(text.contains("access-control-expose-headers"), "{text}");
    assert!(text.contains("grpc-status:0"), "the trailer frame carries grpc-status: {text}");
    running.stop().await.unwrap();
}

/// A CORS preflight for ExecuteQuery from `origin`, answered (lowercased).
async fn preflight(running: &Running, origin: &str) -> String {
    let request = format!(
        "OPTIONS /Ydb.Query.V1.QueryService/ExecuteQuery HTTP/1.1\r\nhost: {}\r\norigin: {origin}\r\n\
         access-control-request-method: POST\r\n\
         access-control-request-headers: content-type,x-grpc-web,x-ydb-database,x-ydb-auth-ticket\r\n\
         connection: close\r\n\r\n",
        running.addr
    );
    String::from_utf8_lossy(&http1(running.addr, request.as_bytes()).await).to_lowercase()
}

#[tokio::test]
async fn cors_preflight_allows_the_grpc_web_headers_to_loopback_origins_of_any_port() {
    let running = server().await;
    // The project's browser tests serve their pages from 127.0.0.1 on a free port; localhost works too.
    for origin in ["http://127.0.0.1:8000", "http://127.0.0.1:41234", "http://localhost:5173", "http://[::1]:3000"] {
        let text = preflight(&running, origin).await;
        assert!(text.starts_with("http/1.1 200"), "{origin}: {text}");
        assert!(text.contains(&format!("access-control-allow-origin: {origin}")), "{text}");
        assert!(text.contains("access-control-allow-headers"), "{text}");
    }
    running.stop().await.unwrap();
}

#[tokio::test]
async fn a_foreign_origin_is_refused_before_any_service_runs() {
    let running = server().await;
    let text = preflight(&running, "http://evil.example").await;
    assert!(text.starts_with("http/1.1 403"), "{text}");
    assert!(!text.contains("access-control-allow-origin"), "{text}");
    let text = grpc_web_empty_call(
        running.addr,
        "/Ydb.Table.V1.TableService/CreateSession",
        "origin: http://evil.example\r\n",
    )
    .await;
    assert!(text.starts_with("http/1.1 403"), "{text}");
    assert!(text.contains("x-ydb-devserver-refused: origin http://evil.example is not allowed"), "{text}");
    assert!(!text.contains("grpc-status"), "no service ran: {text}");
    assert_eq!(running.session_count(), 0);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn allow_origin_adds_origins_and_a_star_allows_any() {
    for (allowed, origin) in [("http://app.example", "http://app.example"), ("*", "https://anything.example")] {
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            allow_origins: vec![allowed.to_string()],
            ..Config::default()
        };
        let running = start(config).await.unwrap();
        let text = preflight(&running, origin).await;
        assert!(text.contains(&format!("access-control-allow-origin: {origin}")), "{text}");
        if allowed != "*" {
            assert!(preflight(&running, "http://other.example").await.starts_with("http/1.1 403"));
        }
        running.stop().await.unwrap();
    }
}

#[tokio::test]
async fn a_rebound_host_name_is_refused_but_ip_addresses_localhost_and_allowed_names_are_answered() {
    let running = server().await;
    let call = |host: String| {
        let request = format!(
            "POST /Ydb.Discovery.V1.DiscoveryService/ListEndpoints HTTP/1.1\r\nhost: {host}\r\n\
             content-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\ncontent-length: 5\r\n\
             connection: close\r\n\r\n\0\0\0\0\0"
        );
        let addr = running.addr;
        async move { String::from_utf8_lossy(&http1(addr, request.as_bytes()).await).to_lowercase() }
    };
    let port = running.addr.port();
    let refused = call(format!("attacker.example:{port}")).await;
    assert!(refused.starts_with("http/1.1 403"), "{refused}");
    assert!(refused.contains("--allow-host attacker.example"), "{refused}");
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        assert!(call(host.clone()).await.starts_with("http/1.1 200"), "{host}");
    }
    running.stop().await.unwrap();
    let config =
        Config { listen: "127.0.0.1:0".parse().unwrap(), allow_hosts: vec!["ydb".into()], ..Config::default() };
    let running = start(config).await.unwrap();
    let port = running.addr.port();
    let request = format!(
        "POST /Ydb.Discovery.V1.DiscoveryService/ListEndpoints HTTP/1.1\r\nhost: ydb:{port}\r\n\
         content-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\ncontent-length: 5\r\n\
         connection: close\r\n\r\n\0\0\0\0\0"
    );
    let text = String::from_utf8_lossy(&http1(running.addr, request.as_bytes()).await).to_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn an_unknown_table_session_is_bad_session_inside_a_successful_grpc_call() {
    let running = server().await;
    let mut client = TableServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let answer = client
        .execute_data_query(ydb::table::ExecuteDataQueryRequest {
            session_id: "ydb://session/3?node_id=1&id=nope".into(),
            query: Some(ydb::table::Query { query: Some(ydb::table::query::Query::YqlText("SELECT 1".into())) }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.operation.unwrap().status, ydb::status_ids::StatusCode::BadSession as i32);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn closing_the_attach_stream_kills_the_query_session() {
    let running = server().await;
    let mut client = QueryServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let created = client.create_session(ydb::query::CreateSessionRequest {}).await.unwrap().into_inner();
    assert_eq!(created.status, ydb::status_ids::StatusCode::Success as i32);
    let mut attach = client
        .attach_session(ydb::query::AttachSessionRequest { session_id: created.session_id.clone() })
        .await
        .unwrap()
        .into_inner();
    let first = attach.message().await.unwrap().unwrap();
    assert_eq!(first.status, ydb::status_ids::StatusCode::Success as i32);
    assert_eq!(running.session_count(), 1);
    drop(attach);
    for _ in 0..100 {
        if running.session_count() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(running.session_count(), 0, "the session dies with its attach stream");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn stopping_the_server_ends_attach_streams_with_a_shutdown_hint() {
    let running = server().await;
    let mut client = QueryServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    let created = client.create_session(ydb::query::CreateSessionRequest {}).await.unwrap().into_inner();
    let mut attach = client
        .attach_session(ydb::query::AttachSessionRequest { session_id: created.session_id })
        .await
        .unwrap()
        .into_inner();
    attach.message().await.unwrap().unwrap();
    let stopping = tokio::spawn(running.stop());
    let last = attach.message().await.unwrap().unwrap();
    assert!(matches!(last.session_hint, Some(ydb::query::session_state::SessionHint::NodeShutdown(_))));
    stopping.await.unwrap().unwrap();
}

#[tokio::test]
async fn query_statistics_come_in_the_last_part_only_when_asked() {
    let running = server().await;
    let mut client = QueryServiceClient::connect(format!("http://{}", running.addr)).await.unwrap();
    for (mode, expect_stats) in [(ydb::query::StatsMode::Basic, true), (ydb::query::StatsMode::None, false)] {
        let session = client.create_session(ydb::query::CreateSessionRequest {}).await.unwrap().into_inner().session_id;
        let request = ydb::query::ExecuteQueryRequest {
            session_id: session,
            query: Some(ydb::query::execute_query_request::Query::QueryContent(ydb::query::QueryContent {
                syntax: ydb::query::Syntax::YqlV1 as i32,
                text: "SELECT 1 AS one; SELECT 2 AS two;".into(),
            })),
            stats_mode: mode as i32,
            ..Default::default()
        };
        let mut stream = client.execute_query(request).await.unwrap().into_inner();
        let mut parts = Vec::new();
        while let Some(part) = stream.message().await.unwrap() {
            parts.push(part);
        }
        let with_stats: Vec<usize> =
            parts.iter().enumerate().filter(|(_, p)| p.exec_stats.is_some()).map(|(i, _)| i).collect();
        if expect_stats {
            assert_eq!(with_stats, vec![parts.len() - 1], "statistics in the last part");
            let stats = parts.last().unwrap().exec_stats.as_ref().unwrap();
            assert_eq!(stats.query_phases[0].table_access[0].reads.as_ref().unwrap().rows, 2);
        } else {
            assert!(with_stats.is_empty());
        }
    }
    running.stop().await.unwrap();
}
