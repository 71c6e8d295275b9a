//! Table, Scheme and Auth services over the wire, with the generated tonic clients: result type names,
//! statuses inside Operations, ReadTable's stream shape, and authentication at the gRPC level.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::time::Duration;

use prost::Message;
use tonic::metadata::MetadataValue;
use tonic::Request;
use ydb_devserver::proto::ydb;
use ydb_devserver::proto::ydb::auth::v1::auth_service_client::AuthServiceClient;
use ydb_devserver::proto::ydb::discovery::v1::discovery_service_client::DiscoveryServiceClient;
use ydb_devserver::proto::ydb::scheme::v1::scheme_service_client::SchemeServiceClient;
use ydb_devserver::proto::ydb::table::v1::table_service_client::TableServiceClient;
use ydb_devserver::server::{start, Config, Running};

use ydb::status_ids::StatusCode;

mod common;
use common::grpc_web_empty_call;

async fn server(users: &[(&str, &str)], token_ttl: Duration) -> Running {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        users: users.iter().map(|(u, p)| (u.to_string(), p.to_string())).collect(),
        token_ttl,
        ..Config::default()
    };
    start(config).await.unwrap()
}

fn url(running: &Running) -> String {
    format!("http://{}", running.addr)
}

/// The operation's status, and its result decoded as `M` after checking YDB's type name.
fn result<M: Message + Default>(op: Option<ydb::operations::Operation>, type_name: &str) -> M {
    let op = op.unwrap();
    assert_eq!(op.status, StatusCode::Success as i32, "{:?}", op.issues);
    let any = op.result.unwrap();
    assert_eq!(any.type_url, format!("type.googleapis.com/{type_name}"));
    M::decode(any.value.as_slice()).unwrap()
}

fn status(op: Option<ydb::operations::Operation>) -> i32 {
    op.unwrap().status
}

fn optional(t: ydb::r#type::PrimitiveTypeId) -> ydb::Type {
    let item = ydb::Type { r#type: Some(ydb::r#type::Type::TypeId(t as i32)) };
    ydb::Type {
        r#type: Some(ydb::r#type::Type::OptionalType(Box::new(ydb::OptionalType { item: Some(Box::new(item)) }))),
    }
}

fn plain(t: ydb::r#type::PrimitiveTypeId) -> ydb::Type {
    ydb::Type { r#type: Some(ydb::r#type::Type::TypeId(t as i32)) }
}

async fn session(client: &mut TableServiceClient<tonic::transport::Channel>) -> String {
    let answer = client.create_session(ydb::table::CreateSessionRequest::default()).await.unwrap().into_inner();
    result::<ydb::table::CreateSessionResult>(answer.operation, "Ydb.Table.CreateSessionResult").session_id
}

fn create_request(session_id: &str, path: &str) -> ydb::table::CreateTableRequest {
    use ydb::r#type::PrimitiveTypeId as P;
    ydb::table::CreateTableRequest {
        session_id: session_id.into(),
        path: path.into(),
        columns: vec![
            ydb::table::ColumnMeta { name: "id".into(), r#type: Some(plain(P::Uint64)), ..Default::default() },
            ydb::table::ColumnMeta { name: "name".into(), r#type: Some(optional(P::Utf8)), ..Default::default() },
        ],
        primary_key: vec!["id".into()],
        indexes: vec![ydb::table::TableIndex {
            name: "by_name".into(),
            index_columns: vec!["name".into()],
            r#type: Some(ydb::table::table_index::Type::GlobalIndex(ydb::table::GlobalIndex {})),
            data_columns: vec![],
        }],
        ..Default::default()
    }
}

fn rows(n: u64) -> ydb::TypedValue {
    use ydb::r#type::PrimitiveTypeId as P;
    let row_type = ydb::Type {
        r#type: Some(ydb::r#type::Type::StructType(ydb::StructType {
            members: vec![
                ydb::StructMember { name: "id".into(), r#type: Some(plain(P::Uint64)) },
                ydb::StructMember { name: "name".into(), r#type: Some(optional(P::Utf8)) },
            ],
        })),
    };
    let list_type = ydb::Type {
        r#type: Some(ydb::r#type::Type::ListType(Box::new(ydb::ListType { item: Some(Box::new(row_type)) }))),
    };
    let items = (1..=n)
        .map(|i| ydb::Value {
            items: vec![
                ydb::Value { value: Some(ydb::value::Value::Uint64Value(i)), ..Default::default() },
                ydb::Value { value: Some(ydb::value::Value::TextValue("x".repeat(1000))), ..Default::default() },
            ],
            ..Default::default()
        })
        .collect();
    ydb::TypedValue { r#type: Some(list_type), value: Some(ydb::Value { items, ..Default::default() }) }
}

#[tokio::test]
async fn create_describe_bulk_upsert_and_stream_read_a_table() {
    let running = server(&[], Duration::from_secs(60)).await;
    let mut client = TableServiceClient::connect(url(&running)).await.unwrap();
    let sid = session(&mut client).await;

    let answer = client.create_table(create_request(&sid, "/local/dir/t")).await.unwrap().into_inner();
    assert_eq!(status(answer.operation), StatusCode::Success as i32);
    let again = client.create_table(create_request(&sid, "/local/dir/t")).await.unwrap().into_inner();
    assert_eq!(status(again.operation), StatusCode::AlreadyExists as i32);
    let bad = client.create_table(create_request("no-such-session", "/local/u")).await.unwrap().into_inner();
    assert_eq!(status(bad.operation), StatusCode::BadSession as i32);

    let request =
        ydb::table::DescribeTableRequest { session_id: sid.clone(), path: "/local/dir/t".into(), ..Default::default() };
    let answer = client.describe_table(request).await.unwrap().into_inner();
    let desc: ydb::table::DescribeTableResult = result(answer.operation, "Ydb.Table.DescribeTableResult");
    let this = desc.self_.unwrap();
    assert_eq!((this.name.as_str(), this.r#type), ("t", ydb::scheme::entry::Type::Table as i32));
    assert_eq!(desc.primary_key, vec!["id"]);
    assert_eq!(desc.columns[1].r#type, Some(optional(ydb::r#type::PrimitiveTypeId::Utf8)));
    assert_eq!(desc.indexes[0].name, "by_name");
    assert_eq!(desc.indexes[0].status, ydb::table::table_index_description::Status::Ready as i32);

    let upsert =
        ydb::table::BulkUpsertRequest { table: "/local/dir/t".into(), rows: Some(rows(3000)), ..Default::default() };
    let answer = client.bulk_upsert(upsert).await.unwrap().into_inner();
    let _: ydb::table::BulkUpsertResult = result(answer.operation, "Ydb.Table.BulkUpsertResult");

    let read =
        ydb::table::ReadTableRequest { session_id: sid.clone(), path: "/local/dir/t".into(), ..Default::default() };
    let mut stream = client.stream_read_table(read).await.unwrap().into_inner();
    let (mut parts, mut total) = (0, 0);
    while let Some(part) = stream.message().await.unwrap() {
        // Each part as YDB sends it: status, snapshot and rows.
        assert_eq!(part.status, StatusCode::Success as i32);
        assert!(part.snapshot.is_some());
        parts += 1;
        total += part.result.unwrap().result_set.unwrap().rows.len();
    }
    assert!(parts > 1, "{parts} parts");
    assert_eq!(total, 3000);

    let batched = ydb::table::ReadTableRequest {
        session_id: sid.clone(),
        path: "/local/dir/t".into(),
        batch_limit_rows: 100,
        row_limit: 1000,
        ..Default::default()
    };
    let mut stream = client.stream_read_table(batched).await.unwrap().into_inner();
    let mut sizes = Vec::new();
    while let Some(part) = stream.message().await.unwrap() {
        if let Some(result) = part.result {
            sizes.push(result.result_set.unwrap().rows.len());
        }
    }
    assert_eq!(sizes, vec![100; 10]);

    let missing =
        ydb::table::ReadTableRequest { session_id: sid.clone(), path: "/local/nope".into(), ..Default::default() };
    let mut stream = client.stream_read_table(missing).await.unwrap().into_inner();
    assert_eq!(stream.message().await.unwrap().unwrap().status, StatusCode::SchemeError as i32);

    let drop =
        ydb::table::DropTableRequest { session_id: sid.clone(), path: "/local/dir/t".into(), ..Default::default() };
    assert_eq!(
        status(client.drop_table(drop.clone()).await.unwrap().into_inner().operation),
        StatusCode::Success as i32
    );
    assert_eq!(status(client.drop_table(drop).await.unwrap().into_inner().operation), StatusCode::SchemeError as i32);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn scheme_service_lists_directories_and_describes_the_database() {
    let running = server(&[], Duration::from_secs(60)).await;
    let mut scheme = SchemeServiceClient::connect(url(&running)).await.unwrap();
    let mkdir = ydb::scheme::MakeDirectoryRequest { path: "/local/a/b".into(), ..Default::default() };
    assert_eq!(status(scheme.make_directory(mkdir).await.unwrap().into_inner().operation), StatusCode::Success as i32);

    let list = ydb::scheme::ListDirectoryRequest { path: "/local".into(), ..Default::default() };
    let answer = scheme.list_directory(list).await.unwrap().into_inner();
    let listing: ydb::scheme::ListDirectoryResult = result(answer.operation, "Ydb.Scheme.ListDirectoryResult");
    assert_eq!(listing.self_.unwrap().r#type, ydb::scheme::entry::Type::Database as i32);
    let children: Vec<(String, i32)> = listing.children.into_iter().map(|c| (c.name, c.r#type)).collect();
    assert_eq!(children, vec![("a".to_string(), ydb::scheme::entry::Type::Directory as i32)]);

    let rmdir = ydb::scheme::RemoveDirectoryRequest { path: "/local/a".into(), ..Default::default() };
    assert_eq!(
        status(scheme.remove_directory(rmdir).await.unwrap().into_inner().operation),
        StatusCode::SchemeError as i32
    );

    let grant = ydb::scheme::PermissionsAction {
        action: Some(ydb::scheme::permissions_action::Action::Grant(ydb::scheme::Permissions {
            subject: "alice".into(),
            permission_names: vec!["ydb.generic.read".into()],
        })),
    };
    let modify =
        ydb::scheme::ModifyPermissionsRequest { path: "/local/a".into(), actions: vec![grant], ..Default::default() };
    assert_eq!(
        status(scheme.modify_permissions(modify).await.unwrap().into_inner().operation),
        StatusCode::Success as i32
    );
    let describe = ydb::scheme::DescribePathRequest { path: "/local/a/b".into(), ..Default::default() };
    let answer = scheme.describe_path(describe).await.unwrap().into_inner();
    let entry =
        result::<ydb::scheme::DescribePathResult>(answer.operation, "Ydb.Scheme.DescribePathResult").self_.unwrap();
    assert_eq!(entry.effective_permissions[0].subject, "alice");
    assert!(entry.permissions.is_empty());
    running.stop().await.unwrap();
}

#[tokio::test]
async fn with_users_calls_need_a_token_from_login() {
    let running = server(&[("alice", "secret")], Duration::from_secs(60)).await;
    let mut table = TableServiceClient::connect(url(&running)).await.unwrap();
    let err = table.create_session(ydb::table::CreateSessionRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated);

    let mut auth = AuthServiceClient::connect(url(&running)).await.unwrap();
    let wrong = ydb::auth::LoginRequest { user: "alice".into(), password: "nope".into(), ..Default::default() };
    assert_eq!(status(auth.login(wrong).await.unwrap().into_inner().operation), StatusCode::Unauthorized as i32);
    let right = ydb::auth::LoginRequest { user: "alice".into(), password: "secret".into(), ..Default::default() };
    let answer = auth.login(right).await.unwrap().into_inner();
    let token = result::<ydb::auth::LoginResult>(answer.operation, "Ydb.Auth.LoginResult").token;
    let ticket: MetadataValue<_> = token.parse().unwrap();

    let mut request = Request::new(ydb::table::CreateSessionRequest::default());
    request.metadata_mut().insert("x-ydb-auth-ticket", ticket.clone());
    let answer = table.create_session(request).await.unwrap().into_inner();
    assert_eq!(status(answer.operation), StatusCode::Success as i32);

    let mut discovery = DiscoveryServiceClient::connect(url(&running)).await.unwrap();
    let mut request = Request::new(ydb::discovery::WhoAmIRequest::default());
    request.metadata_mut().insert("x-ydb-auth-ticket", ticket);
    let answer = discovery.who_am_i(request).await.unwrap().into_inner();
    let who: ydb::discovery::WhoAmIResult = result(answer.operation, "Ydb.Discovery.WhoAmIResult");
    assert_eq!(who.user, "alice");

    let mut request = Request::new(ydb::table::CreateSessionRequest::default());
    request.metadata_mut().insert("x-ydb-auth-ticket", "forged".parse().unwrap());
    assert_eq!(table.create_session(request).await.unwrap_err().code(), tonic::Code::Unauthenticated);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn tokens_expire_after_the_token_ttl() {
    let running = server(&[("alice", "secret")], Duration::from_millis(200)).await;
    let mut auth = AuthServiceClient::connect(url(&running)).await.unwrap();
    let login = ydb::auth::LoginRequest { user: "alice".into(), password: "secret".into(), ..Default::default() };
    let answer = auth.login(login).await.unwrap().into_inner();
    let token = result::<ydb::auth::LoginResult>(answer.operation, "Ydb.Auth.LoginResult").token;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut table = TableServiceClient::connect(url(&running)).await.unwrap();
    let mut request = Request::new(ydb::table::CreateSessionRequest::default());
    request.metadata_mut().insert("x-ydb-auth-ticket", token.parse().unwrap());
    let err = table.create_session(request).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
    assert!(err.message().contains("expired"), "{}", err.message());
    running.stop().await.unwrap();
}

#[tokio::test]
async fn grpc_web_calls_without_a_token_are_unauthenticated_too() {
    let running = server(&[("alice", "secret")], Duration::from_secs(60)).await;
    let text = grpc_web_empty_call(running.addr, "/Ydb.Table.V1.TableService/CreateSession", "").await;
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(text.contains("grpc-status: 16") || text.contains("grpc-status:16"), "{text}");
    running.stop().await.unwrap();
}

/// ExecuteDataQuery in `session`: begins a serializable transaction when `tx` is empty, else continues it.
async fn data_query(
    client: &mut TableServiceClient<tonic::transport::Channel>,
    session: &str,
    tx: &str,
    text: &str,
) -> ydb::operations::Operation {
    use ydb::table::transaction_control::TxSelector;
    let selector = if tx.is_empty() {
        TxSelector::BeginTx(ydb::table::TransactionSettings {
            tx_mode: Some(ydb::table::transaction_settings::TxMode::SerializableReadWrite(Default::default())),
        })
    } else {
        TxSelector::TxId(tx.to_string())
    };
    let request = ydb::table::ExecuteDataQueryRequest {
        session_id: session.to_string(),
        tx_control: Some(ydb::table::TransactionControl { tx_selector: Some(selector), commit_tx: false }),
        query: Some(ydb::table::Query { query: Some(ydb::table::query::Query::YqlText(text.into())) }),
        ..Default::default()
    };
    client.execute_data_query(request).await.unwrap().into_inner().operation.unwrap()
}

async fn commit(
    client: &mut TableServiceClient<tonic::transport::Channel>,
    session: &str,
    tx: &str,
) -> ydb::operations::Operation {
    let request = ydb::table::CommitTransactionRequest {
        session_id: session.to_string(),
        tx_id: tx.to_string(),
        ..Default::default()
    };
    client.commit_transaction(request).await.unwrap().into_inner().operation.unwrap()
}

#[tokio::test]
async fn interactive_transactions_in_two_sessions_are_open_together_and_conflict_only_at_commit() {
    let running = server(&[], Duration::from_secs(60)).await;
    let mut client = TableServiceClient::connect(url(&running)).await.unwrap();
    let (s1, s2) = (session(&mut client).await, session(&mut client).await);
    let created = client
        .execute_scheme_query(ydb::table::ExecuteSchemeQueryRequest {
            session_id: s1.clone(),
            yql_text: "CREATE TABLE acc (id Uint64, n Int64, PRIMARY KEY (id))".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(status(created.operation), StatusCode::Success as i32);
    let tx_of = |op: ydb::operations::Operation| {
        let result = ydb::table::ExecuteQueryResult::decode(op.result.unwrap().value.as_slice()).unwrap();
        result.tx_meta.unwrap().id
    };
    // Different rows: both transactions write while both are open, and both commit.
    let t1 = tx_of(data_query(&mut client, &s1, "", "UPSERT INTO acc (id, n) VALUES (1, 1)").await);
    let t2 = tx_of(data_query(&mut client, &s2, "", "UPSERT INTO acc (id, n) VALUES (2, 2)").await);
    assert_eq!(commit(&mut client, &s2, &t2).await.status, StatusCode::Success as i32);
    assert_eq!(commit(&mut client, &s1, &t1).await.status, StatusCode::Success as i32);
    // The same row: both writes succeed, the later commit is ABORTED with YDB's issue.
    let read = "SELECT n FROM acc WHERE id = 1";
    let t1 = tx_of(data_query(&mut client, &s1, "", read).await);
    let t2 = tx_of(data_query(&mut client, &s2, "", read).await);
    let write = |n: i64| format!("UPSERT INTO acc (id, n) VALUES (1, {n})");
    assert_eq!(data_query(&mut client, &s1, &t1, &write(10)).await.status, StatusCode::Success as i32);
    assert_eq!(data_query(&mut client, &s2, &t2, &write(20)).await.status, StatusCode::Success as i32);
    assert_eq!(commit(&mut client, &s1, &t1).await.status, StatusCode::Success as i32);
    let aborted = commit(&mut client, &s2, &t2).await;
    assert_eq!(aborted.status, StatusCode::Aborted as i32);
    assert!(aborted.issues[0].message.starts_with("Transaction locks invalidated."), "{:?}", aborted.issues);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn requests_compressed_with_gzip_or_deflate_are_answered() {
    use tonic::codec::CompressionEncoding;
    let running = server(&[], Duration::from_secs(60)).await;
    for encoding in [CompressionEncoding::Gzip, CompressionEncoding::Deflate] {
        let mut scheme = SchemeServiceClient::connect(url(&running)).await.unwrap().send_compressed(encoding);
        let list = ydb::scheme::ListDirectoryRequest { path: "/local".into(), ..Default::default() };
        let answer = scheme.list_directory(list).await.unwrap().into_inner();
        assert_eq!(status(answer.operation), StatusCode::Success as i32, "{encoding:?}");
        let mut table = TableServiceClient::connect(url(&running)).await.unwrap().send_compressed(encoding);
        assert!(!session(&mut table).await.is_empty());
    }
}

#[tokio::test]
async fn keep_in_cache_answers_one_id_per_text_that_runs_the_text_again() {
    use ydb::table::{query, transaction_control, ExecuteDataQueryRequest, ExecuteQueryResult, Query};
    let running = server(&[], Duration::from_secs(60)).await;
    let mut client = TableServiceClient::connect(url(&running)).await.unwrap();
    let sid = session(&mut client).await;
    let run = |q: query::Query, keep: bool| ExecuteDataQueryRequest {
        session_id: sid.clone(),
        tx_control: Some(ydb::table::TransactionControl {
            tx_selector: Some(transaction_control::TxSelector::BeginTx(Default::default())),
            commit_tx: true,
        }),
        query: Some(Query { query: Some(q) }),
        query_cache_policy: Some(ydb::table::QueryCachePolicy { keep_in_cache: keep }),
        parameters: [(
            "$x".to_string(),
            ydb::TypedValue {
                r#type: Some(plain(ydb::r#type::PrimitiveTypeId::Int32)),
                value: Some(ydb::Value { value: Some(ydb::value::Value::Int32Value(5)), ..Default::default() }),
            },
        )]
        .into(),
        ..Default::default()
    };
    let text = "DECLARE $x AS Int32; SELECT $x + 1 AS v".to_string();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let answer = client.execute_data_query(run(query::Query::YqlText(text.clone()), true)).await.unwrap();
        let answered: ExecuteQueryResult = result(answer.into_inner().operation, "Ydb.Table.ExecuteQueryResult");
        let meta = answered.query_meta.unwrap();
        assert!(meta.parameters_types.contains_key("$x"));
        ids.push(meta.id);
    }
    assert_eq!(ids[0], ids[1]);
    let by_id = client.execute_data_query(run(query::Query::Id(ids[0].clone()), false)).await.unwrap();
    let by_id: ExecuteQueryResult = result(by_id.into_inner().operation, "Ydb.Table.ExecuteQueryResult");
    assert!(by_id.query_meta.is_none());
    assert_eq!(by_id.result_sets[0].rows.len(), 1);
    let plain = client.execute_data_query(run(query::Query::YqlText(text), false)).await.unwrap();
    let plain: ExecuteQueryResult = result(plain.into_inner().operation, "Ydb.Table.ExecuteQueryResult");
    assert!(plain.query_meta.is_none());
}
