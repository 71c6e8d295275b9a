//! Point reads per second over plain gRPC: N concurrent tasks, each with its own connection and table
//! session, run `DECLARE $id AS Uint64; SELECT * FROM kv WHERE id = $id` against a 10,000-row table.
//!
//! ```sh
//! cargo bench -p ydb-devserver --bench point_reads            # in-process dev server
//! POINT_READS_TASKS=32 POINT_READS_SECONDS=10 cargo bench -p ydb-devserver --bench point_reads
//! ```
//! The server runs in the same process (same tokio runtime) as the clients, so on a small machine the
//! number is a lower bound of what the server alone can do. Beside the rate it prints the process's CPU
//! time per read (clients and server; Linux only), which a machine shared with other work does not skew
//! as much as the rate: the scheduler shares the cores between threads, so a process with many runnable
//! threads gets more of a busy machine than one with few.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use prost::Message;
use tonic::transport::Channel;
use ydb_devserver::proto::ydb;
use ydb_devserver::proto::ydb::status_ids::StatusCode;
use ydb_devserver::proto::ydb::table::v1::table_service_client::TableServiceClient;
use ydb_devserver::proto::ydb::table::{self as t, transaction_control::TxSelector, transaction_settings::TxMode};
use ydb_devserver::server::{start, Config};

const ROWS: u64 = 10_000;
const READ: &str = "DECLARE $id AS Uint64; SELECT * FROM kv WHERE id = $id;";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn session(client: &mut TableServiceClient<Channel>) -> String {
    let op = client.create_session(t::CreateSessionRequest::default()).await.unwrap().into_inner().operation.unwrap();
    t::CreateSessionResult::decode(op.result.unwrap().value.as_slice()).unwrap().session_id
}

fn query(session: &str, text: &str, params: HashMap<String, ydb::TypedValue>) -> t::ExecuteDataQueryRequest {
    t::ExecuteDataQueryRequest {
        session_id: session.to_string(),
        query: Some(t::Query { query: Some(t::query::Query::YqlText(text.to_string())) }),
        tx_control: Some(t::TransactionControl {
            tx_selector: Some(TxSelector::BeginTx(t::TransactionSettings {
                tx_mode: Some(TxMode::SerializableReadWrite(Default::default())),
            })),
            commit_tx: true,
        }),
        parameters: params,
        ..Default::default()
    }
}

fn uint64(v: u64) -> ydb::TypedValue {
    ydb::TypedValue {
        r#type: Some(ydb::Type {
            r#type: Some(ydb::r#type::Type::TypeId(ydb::r#type::PrimitiveTypeId::Uint64 as i32)),
        }),
        value: Some(ydb::Value { value: Some(ydb::value::Value::Uint64Value(v)), ..Default::default() }),
    }
}

/// The process's user + system CPU time, from `/proc/self/stat` (clock ticks of 1/100 s).
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let mut fields = stat.rsplit_once(") ")?.1.split(' ');
    let utime: f64 = fields.nth(11)?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

#[tokio::main]
async fn main() {
    let tasks = env("POINT_READS_TASKS", 16);
    let seconds = env("POINT_READS_SECONDS", 5);
    let running = start(Config { listen: "127.0.0.1:0".parse().unwrap(), ..Config::default() }).await.unwrap();
    let url = format!("http://{}", running.addr);

    let mut client = TableServiceClient::connect(url.clone()).await.unwrap();
    let setup = session(&mut client).await;
    let created = client
        .execute_scheme_query(t::ExecuteSchemeQueryRequest {
            session_id: setup.clone(),
            yql_text: "CREATE TABLE kv (id Uint64, value Utf8, PRIMARY KEY (id))".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.operation.unwrap().status, StatusCode::Success as i32);
    for start in (0..ROWS).step_by(500) {
        let values: Vec<String> = (start..start + 500).map(|id| format!("({id}, 'value {id}'u)")).collect();
        let text = format!("UPSERT INTO kv (id, value) VALUES {};", values.join(", "));
        let op = client.execute_data_query(query(&setup, &text, HashMap::new())).await.unwrap().into_inner();
        assert_eq!(op.operation.unwrap().status, StatusCode::Success as i32);
    }

    let reads = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for task in 0..tasks {
        let url = url.clone();
        let reads = reads.clone();
        workers.push(tokio::spawn(async move {
            let mut client = TableServiceClient::connect(url).await.unwrap();
            let session = session(&mut client).await;
            let mut id = task.wrapping_mul(7919) % ROWS;
            while Instant::now() < deadline {
                id = (id.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407)) % ROWS;
                let params = HashMap::from([("$id".to_string(), uint64(id))]);
                let op = client.execute_data_query(query(&session, READ, params)).await.unwrap().into_inner();
                let op = op.operation.unwrap();
                assert_eq!(op.status, StatusCode::Success as i32, "{:?}", op.issues);
                let result = t::ExecuteQueryResult::decode(op.result.unwrap().value.as_slice()).unwrap();
                assert_eq!(result.result_sets[0].rows.len(), 1);
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let started = Instant::now();
    let cpu_before = process_cpu_seconds();
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total = reads.load(Ordering::Relaxed);
    let cpu = match (cpu_before, process_cpu_seconds()) {
        (Some(a), Some(b)) => format!(", {:.0} µs of CPU per read", (b - a) * 1e6 / total as f64),
        _ => String::new(),
    };
    println!(
        "point_reads: {tasks} tasks, {total} reads in {elapsed:.2} s = {:.0} reads/s (table of {ROWS} rows){cpu}",
        total as f64 / elapsed
    );
    running.stop().await.unwrap();
}
