//! The scheme: DDL in YQL and structured, indexes, directories, permissions, copy and rename, ReadTable,
//! BulkUpsert, EXPLAIN, and what survives a restart.

use super::*;

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

fn u64_key_bound(v: u64, inclusive: bool) -> KeyBound {
    KeyBound {
        value: ydb::TypedValue {
            r#type: Some(Type::Tuple(vec![Type::Prim(Prim::Uint64)]).to_proto()),
            value: Some(ydb::Value {
                items: vec![ydb::Value { value: Some(PV::Uint64Value(v)), ..Default::default() }],
                ..Default::default()
            }),
        },
        inclusive,
    }
}

fn fill(e: &Engine, n: u64) {
    let vals: Vec<String> = (1..=n).map(|i| format!("({i}, 'v{i}')")).collect();
    q(e, &format!("UPSERT INTO series (id, title) VALUES {}", vals.join(", ")));
}

#[test]
fn create_table_keeps_secondary_indexes_and_describe_shows_them() {
    let e = eng();
    e.execute_scheme(
        "/local",
        "CREATE TABLE t (id Uint64, a Utf8, b Int32 NOT NULL, INDEX by_a GLOBAL ON (a), \
         INDEX by_ab GLOBAL ASYNC ON (a, b) COVER (id), PRIMARY KEY (id))",
    )
    .unwrap();
    let d = e.describe_table("/local", "t").unwrap();
    assert_eq!(d.primary_key, vec!["id"]);
    assert_eq!(d.entry.kind, EntryKind::Table);
    assert_eq!(d.columns[1].ty, Type::optional(Type::Prim(Prim::Utf8)).to_proto());
    assert_eq!(d.columns[2].ty, Type::Prim(Prim::Int32).to_proto());
    assert!(d.columns[2].not_null);
    let names: Vec<(&str, IndexKind)> = d.indexes.iter().map(|i| (i.name.as_str(), i.kind)).collect();
    assert_eq!(names, vec![("by_a", IndexKind::Global), ("by_ab", IndexKind::GlobalAsync)]);
    assert_eq!(d.indexes[1].data_columns, vec!["id"]);
    let err = e.execute_scheme("/local", "CREATE TABLE u (id Uint64, INDEX i GLOBAL ON (nope), PRIMARY KEY (id))");
    assert_eq!(err.unwrap_err().status, StatusCode::SchemeError);
}

#[test]
fn alter_table_adds_and_drops_columns_in_yql_and_structured() {
    let e = eng();
    setup(&e);
    fill(&e, 2);
    q(&e, "ALTER TABLE series ADD COLUMN extra Int64, DROP COLUMN score");
    let rs = q(&e, "SELECT * FROM series ORDER BY id");
    let names: Vec<&str> = rs[0].columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["id", "title", "big", "extra"]);
    assert_eq!(cell(&rs[0], 0, 3), Some(PV::NullFlagValue(0)));
    let add = Alteration {
        add_columns: vec![col("more", Type::optional(Type::Prim(Prim::Bool)), false)],
        ..Default::default()
    };
    e.alter_table("/local", "series", &add).unwrap();
    let drop_key = Alteration { drop_columns: vec!["id".into()], ..Default::default() };
    assert_eq!(e.alter_table("/local", "series", &drop_key).unwrap_err().status, StatusCode::BadRequest);
    let drop_missing = Alteration { drop_columns: vec!["missing".into()], ..Default::default() };
    let err = e.alter_table("/local", "series", &drop_missing).unwrap_err();
    assert_eq!(err.status, StatusCode::SchemeError);
    assert_eq!(e.describe_table("/local", "series").unwrap().columns.len(), 5);
}

#[test]
fn copy_and_rename_move_data_and_schema() {
    let e = eng();
    setup(&e);
    fill(&e, 3);
    q(&e, "ALTER TABLE series ADD INDEX by_title GLOBAL ON (title)");
    e.copy_tables(
        "/local",
        &[("series".into(), "backup/series".into(), false), ("series".into(), "bare".into(), true)],
    )
    .unwrap();
    assert_eq!(e.describe_table("/local", "backup/series").unwrap().indexes.len(), 1);
    assert!(e.describe_table("/local", "bare").unwrap().indexes.is_empty());
    // Onto an existing table: accepted and nothing changes, as in YDB; onto a directory: refused.
    q(&e, "DELETE FROM series WHERE id = 1");
    e.copy_tables("/local", &[("series".into(), "backup/series".into(), false)]).unwrap();
    let rs = q(&e, "SELECT COUNT(*) AS n FROM `backup/series`");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Uint64Value(3)));
    assert_eq!(
        e.copy_tables("/local", &[("series".into(), "backup".into(), false)]).unwrap_err().status,
        StatusCode::AlreadyExists
    );
    e.rename_tables("/local", &[("backup/series".into(), "moved".into(), false)]).unwrap();
    let rs = q(&e, "SELECT COUNT(*) AS n FROM moved");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::Uint64Value(3)));
    assert_eq!(e.describe_table("/local", "backup/series").unwrap_err().status, StatusCode::SchemeError);
    let err = e.rename_tables("/local", &[("moved".into(), "series".into(), false)]).unwrap_err();
    assert_eq!(err.status, StatusCode::SchemeError);
    e.rename_tables("/local", &[("moved".into(), "series".into(), true)]).unwrap();
    // The backup directory stays, empty, as in YDB.
    let (_, children) = e.list_directory("/local", "backup").unwrap();
    assert!(children.is_empty());
}

#[test]
fn directories_are_listed_described_and_removed_only_when_empty() {
    let e = eng();
    e.execute_scheme("/local", "CREATE TABLE `a/b/t` (id Uint64, PRIMARY KEY (id))").unwrap();
    e.make_directory("/local", "/local/a/c").unwrap();
    e.make_directory("/local", "/local/a/c").unwrap(); // idempotent
    assert_eq!(e.describe_path("/local", "/local").unwrap().kind, EntryKind::Database);
    let (this, children) = e.list_directory("/local", "/local/a").unwrap();
    assert_eq!(this.kind, EntryKind::Directory);
    let names: Vec<(&str, EntryKind)> = children.iter().map(|c| (c.name.as_str(), c.kind)).collect();
    assert_eq!(names, vec![("b", EntryKind::Directory), ("c", EntryKind::Directory)]);
    assert_eq!(e.describe_path("/local", "a/b/t").unwrap().kind, EntryKind::Table);
    assert_eq!(e.remove_directory("/local", "a/b").unwrap_err().status, StatusCode::SchemeError);
    assert_eq!(e.remove_directory("/local", "a/b/t").unwrap_err().status, StatusCode::SchemeError);
    assert_eq!(e.remove_directory("/local", "nope").unwrap_err().status, StatusCode::SchemeError);
    e.remove_directory("/local", "a/c").unwrap();
    assert_eq!(e.describe_path("/local", "a/c").unwrap_err().status, StatusCode::SchemeError);
    assert_eq!(
        e.execute_scheme("/local", "CREATE TABLE `a/b/t/x` (id Uint64, PRIMARY KEY (id))").unwrap_err().status,
        StatusCode::SchemeError
    );
}

#[test]
fn permissions_are_kept_per_path_and_inherited() {
    let e = eng();
    e.make_directory("/local", "d/e").unwrap();
    let grant = PermissionAction::Grant("alice".into(), vec!["ydb.generic.read".into(), "ydb.generic.write".into()]);
    e.modify_permissions("/local", "d", &[grant], false).unwrap();
    e.modify_permissions(
        "/local",
        "d/e",
        &[PermissionAction::Set("bob".into(), vec!["ydb.generic.list".into()])],
        false,
    )
    .unwrap();
    let entry = e.describe_path("/local", "d/e").unwrap();
    assert_eq!(entry.permissions, vec![("bob".to_string(), vec!["ydb.generic.list".to_string()])]);
    assert_eq!(entry.effective_permissions.len(), 2);
    let revoke = PermissionAction::Revoke("alice".into(), vec!["ydb.generic.write".into()]);
    e.modify_permissions("/local", "d", &[revoke, PermissionAction::ChangeOwner("carol".into())], false).unwrap();
    let entry = e.describe_path("/local", "d").unwrap();
    assert_eq!(entry.permissions, vec![("alice".to_string(), vec!["ydb.generic.read".to_string()])]);
    assert_eq!(entry.owner, "carol");
    e.modify_permissions("/local", "d", &[], true).unwrap();
    assert!(e.describe_path("/local", "d").unwrap().permissions.is_empty());
}

#[test]
fn read_table_honours_key_ranges_columns_and_limits() {
    let e = eng();
    setup(&e);
    fill(&e, 50);
    let read = |from, to, columns: &[String], row_limit| {
        e.read_table(&ReadTableRequest { database: "/local", path: "series", columns, from, to, row_limit }).unwrap()
    };
    let ids = |rs: &ydb::ResultSet| -> Vec<u64> {
        rs.rows
            .iter()
            .map(|r| match r.items[0].value {
                Some(PV::Uint64Value(v)) => v,
                _ => panic!("not a Uint64"),
            })
            .collect()
    };
    assert_eq!(read(None, None, &[], 0).rows.len(), 50);
    let rs = read(Some(u64_key_bound(10, false)), Some(u64_key_bound(13, true)), &["id".to_string()], 0);
    assert_eq!(ids(&rs), vec![11, 12, 13]);
    assert_eq!(rs.columns.len(), 1);
    let rs = read(Some(u64_key_bound(10, true)), Some(u64_key_bound(13, false)), &["id".to_string()], 2);
    assert_eq!(ids(&rs), vec![10, 11]);
    let err = e
        .read_table(&ReadTableRequest {
            database: "/local",
            path: "series",
            columns: &["nope".to_string()],
            from: None,
            to: None,
            row_limit: 0,
        })
        .unwrap_err();
    assert_eq!(err.status, StatusCode::SchemeError);
}

#[test]
fn bulk_upsert_writes_only_the_named_columns() {
    let e = eng();
    setup(&e);
    q(&e, "UPSERT INTO series (id, title, score) VALUES (1, 'one', 1.5)");
    let row_type = Type::Struct(vec![
        ("id".into(), Type::Prim(Prim::Uint64)),
        ("title".into(), Type::optional(Type::Prim(Prim::Utf8))),
    ]);
    let row = |id: u64, title: &str| ydb::Value {
        items: vec![
            ydb::Value { value: Some(PV::Uint64Value(id)), ..Default::default() },
            ydb::Value { value: Some(PV::TextValue(title.into())), ..Default::default() },
        ],
        ..Default::default()
    };
    let rows = ydb::TypedValue {
        r#type: Some(Type::List(Box::new(row_type)).to_proto()),
        value: Some(ydb::Value { items: vec![row(1, "uno"), row(2, "dos")], ..Default::default() }),
    };
    e.bulk_upsert("/local", "series", &rows).unwrap();
    let rs = q(&e, "SELECT title, score FROM series ORDER BY id");
    assert_eq!(cell(&rs[0], 0, 0), Some(PV::TextValue("uno".into())));
    assert_eq!(cell(&rs[0], 0, 1), Some(PV::DoubleValue(1.5)));
    assert_eq!(cell(&rs[0], 1, 0), Some(PV::TextValue("dos".into())));
    let not_a_list = tv(Type::Prim(Prim::Uint64), PV::Uint64Value(1));
    assert_eq!(e.bulk_upsert("/local", "series", &not_a_list).unwrap_err().status, StatusCode::BadRequest);
    assert_eq!(e.bulk_upsert("/local", "missing", &rows).unwrap_err().status, StatusCode::SchemeError);
}

#[test]
fn directories_indexes_and_rights_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let e = Engine::open(Some(dir.path())).unwrap();
        e.execute_scheme(
            "/local",
            "CREATE TABLE `x/t` (id Uint64, v Utf8, INDEX by_v GLOBAL ON (v), PRIMARY KEY (id))",
        )
        .unwrap();
        e.make_directory("/local", "y").unwrap();
        e.modify_permissions("/local", "y", &[PermissionAction::Grant("u".into(), vec!["p".into()])], false).unwrap();
    }
    let e = Engine::open(Some(dir.path())).unwrap();
    let (_, children) = e.list_directory("/local", "/local").unwrap();
    let names: Vec<&str> = children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["x", "y"]);
    assert_eq!(e.describe_table("/local", "x/t").unwrap().indexes.len(), 1);
    assert_eq!(e.describe_path("/local", "y").unwrap().permissions.len(), 1);
}

#[test]
fn explain_names_the_tables_a_query_reads() {
    let e = eng();
    setup(&e);
    let (ast, plan) = e.explain("/local", "SELECT * FROM series WHERE id = 1").unwrap();
    assert!(plan.contains("/local/series"), "{plan}");
    assert!(ast.contains("/local/series"), "{ast}");
    let plan: serde_json::Value = serde_json::from_str(&plan).unwrap();
    assert_eq!(plan["meta"]["version"], "0.2");
    let read = |plan: &serde_json::Value| plan["tables"][0]["reads"][0]["type"].as_str().unwrap_or("").to_string();
    let operator = |plan: &serde_json::Value| plan["Plan"]["Plans"][0]["Plans"][0]["Operators"][0]["Name"].clone();
    assert_eq!(read(&plan), "Lookup");
    assert_eq!(operator(&plan), "TablePointLookup");
    // A key fixed by a parameter is a lookup too; a filter on another column or a range scans the table.
    let plan_of =
        |yql: &str| -> serde_json::Value { serde_json::from_str(&e.explain("/local", yql).unwrap().1).unwrap() };
    assert_eq!(read(&plan_of("DECLARE $id AS Uint64; SELECT title FROM series WHERE id = $id")), "Lookup");
    assert_eq!(read(&plan_of("SELECT * FROM series WHERE id IN (1, 2)")), "Scan");
    assert_eq!(operator(&plan_of("SELECT * FROM series WHERE title = 'x'u")), "TableFullScan");
    assert_eq!(read(&plan_of("SELECT * FROM series AS s WHERE s.id > 1")), "FullScan");
    let write = plan_of("UPSERT INTO series (id) VALUES (1)");
    assert_eq!(write["tables"][0]["writes"][0]["type"], "MultiUpsert");
    assert_eq!(plan_of("SELECT 1")["tables"].as_array().map(Vec::len), Some(0));
    assert_eq!(e.explain("/local", "SELECT FROM").unwrap_err().status, StatusCode::GenericError);
}

#[test]
fn alter_table_renames_indexes_as_ydb_does() {
    let e = eng();
    setup(&e);
    q(&e, "ALTER TABLE series ADD INDEX a GLOBAL ON (title), ADD INDEX b GLOBAL ON (score)");
    let rename = |items: &[(&str, &str, bool)]| Alteration {
        rename_indexes: items.iter().map(|(s, d, r)| (s.to_string(), d.to_string(), *r)).collect(),
        ..Default::default()
    };
    let names = |e: &Engine| -> Vec<String> {
        e.describe_table("/local", "series").unwrap().indexes.into_iter().map(|i| i.name).collect()
    };
    e.alter_table("/local", "series", &rename(&[("a", "a1", false)])).unwrap();
    assert_eq!(names(&e), vec!["a1", "b"]);
    let taken = e.alter_table("/local", "series", &rename(&[("a1", "b", false)])).unwrap_err();
    assert_eq!(taken.status, StatusCode::SchemeError);
    let missing = e.alter_table("/local", "series", &rename(&[("nope", "c", false)])).unwrap_err();
    assert_eq!(missing.status, StatusCode::SchemeError);
    e.alter_table("/local", "series", &rename(&[("a1", "b", true)])).unwrap();
    let d = e.describe_table("/local", "series").unwrap();
    assert_eq!(d.indexes.len(), 1);
    assert_eq!((d.indexes[0].name.as_str(), d.indexes[0].columns.clone()), ("b", vec!["title".to_string()]));
}

#[test]
fn alter_table_adds_and_drops_indexes() {
    let e = eng();
    setup(&e);
    q(&e, "ALTER TABLE series ADD INDEX by_title GLOBAL ON (title) COVER (score)");
    let d = e.describe_table("/local", "series").unwrap();
    assert_eq!(d.indexes.len(), 1);
    assert_eq!(d.indexes[0].data_columns, vec!["score"]);
    let err = run(&e, "ALTER TABLE series ADD INDEX by_title GLOBAL ON (title)", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::AlreadyExists);
    let err = run(&e, "ALTER TABLE series DROP COLUMN title", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::BadRequest);
    q(&e, "ALTER TABLE series DROP INDEX by_title, DROP COLUMN title");
    let d = e.describe_table("/local", "series").unwrap();
    assert!(d.indexes.is_empty());
    assert_eq!(d.columns.len(), 3);
    let err = run(&e, "ALTER TABLE series DROP INDEX nope", &HashMap::new()).unwrap_err();
    assert_eq!(err.status, StatusCode::SchemeError);
}

#[test]
fn scheme_changes_outside_the_database_are_scheme_errors() {
    let e = eng();
    assert_eq!(e.make_directory("/local", "/").unwrap_err().status, StatusCode::SchemeError);
    assert_eq!(e.make_directory("/local", "/elsewhere/d").unwrap_err().status, StatusCode::SchemeError);
    assert_eq!(e.remove_directory("/local", "/local").unwrap_err().status, StatusCode::SchemeError);
    assert_eq!(e.remove_directory("/local", "").unwrap_err().status, StatusCode::SchemeError);
    let grant = PermissionAction::Grant("u".into(), vec!["p".into()]);
    e.modify_permissions("/local", "/local", &[grant], false).unwrap();
    assert_eq!(e.describe_path("/local", "/local/").unwrap().permissions.len(), 1);
    assert_eq!(e.describe_path("/local", "").unwrap().kind, EntryKind::Database);
}

#[test]
fn read_rows_reads_the_rows_of_the_keys_it_is_given() {
    let e = eng();
    setup(&e);
    fill(&e, 5);
    let key_type = |members: &[(&str, Prim)]| {
        Type::List(Box::new(Type::Struct(members.iter().map(|(n, p)| (n.to_string(), Type::Prim(*p))).collect())))
    };
    let keys = |t: Type, ids: &[i32]| ydb::TypedValue {
        r#type: Some(t.to_proto()),
        value: Some(ydb::Value {
            items: ids
                .iter()
                .map(|i| ydb::Value {
                    items: vec![ydb::Value { value: Some(PV::Int32Value(*i)), ..Default::default() }],
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
    };
    // Keys out of order, repeated and missing: each existing row once, in key order; the key's Int32
    // converts to the column's Uint64.
    let by_id = key_type(&[("id", Prim::Int32)]);
    let rs = e.read_rows("/local", "series", &keys(by_id.clone(), &[4, 2, 9, 2]), &[]).unwrap();
    assert_eq!(rs.columns.len(), 4);
    let ids: Vec<_> = rs.rows.iter().map(|r| r.items[0].value.clone()).collect();
    assert_eq!(ids, vec![Some(PV::Uint64Value(2)), Some(PV::Uint64Value(4))]);
    let rs = e.read_rows("/local", "series", &keys(by_id.clone(), &[3]), &["title".to_string()]).unwrap();
    assert_eq!(rs.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), vec!["title"]);
    assert_eq!(cell(&rs, 0, 0), Some(PV::TextValue("v3".into())));
    let none = e.read_rows("/local", "series", &keys(by_id.clone(), &[]), &[]).unwrap();
    assert!(none.rows.is_empty() && none.columns.len() == 4);
    assert_eq!(
        e.read_rows("/local", "nope", &keys(by_id.clone(), &[1]), &[]).unwrap_err().status,
        StatusCode::SchemeError
    );
    let by_title = key_type(&[("title", Prim::Int32)]);
    assert_eq!(e.read_rows("/local", "series", &keys(by_title, &[1]), &[]).unwrap_err().status, StatusCode::BadRequest);
    let unknown = e.read_rows("/local", "series", &keys(by_id, &[1]), &["nope".to_string()]).unwrap_err();
    assert_eq!(unknown.status, StatusCode::SchemeError);
}

#[test]
fn create_table_accepts_families_hash_partitioning_ttl_and_column_store_settings() {
    let e = eng();
    e.execute_scheme(
        "/local",
        "CREATE TABLE f (id Int64 NOT NULL, d Utf8 FAMILY cold, ts Timestamp, PRIMARY KEY (id), \
         FAMILY default (DATA = 'ssd'), FAMILY cold (DATA = 'hdd', COMPRESSION = 'lz4')) \
         PARTITION BY HASH(id) WITH (STORE = COLUMN, TTL = Interval('P1D') ON ts)",
    )
    .unwrap();
    q(&e, "UPSERT INTO f (id, d) VALUES (1, 'x'u)");
    assert_eq!(cell(&q(&e, "SELECT d FROM f")[0], 0, 0), Some(PV::TextValue("x".into())));
    let err =
        e.execute_scheme("/local", "CREATE TABLE g (id Int64, PRIMARY KEY (id)) PARTITION BY HASH(nope)").unwrap_err();
    assert_eq!(err.status, StatusCode::GenericError);
    assert!(e.execute_scheme("/local", "CREATE TABLE h (id Int64, PRIMARY KEY (id), FAMILY x (DATA = 'a')").is_err());
}

#[test]
fn unique_indexes_are_enforced_on_every_write() {
    let e = eng();
    e.execute_scheme(
        "/local",
        "CREATE TABLE u (id Int64, email Utf8, a Int64, b Int64, PRIMARY KEY (id), \
         INDEX by_email GLOBAL UNIQUE SYNC ON (email), INDEX by_ab GLOBAL UNIQUE ON (a, b), INDEX plain GLOBAL ON (a))",
    )
    .unwrap();
    q(&e, "UPSERT INTO u (id, email, a, b) VALUES (1, 'x'u, 1, 1), (2, 'y'u, 1, 2), (3, NULL, NULL, 1), (4, NULL, NULL, 1)");
    let conflict = |yql: &str| {
        let err = run(&e, yql, &HashMap::new()).unwrap_err();
        assert_eq!(err.status, StatusCode::PreconditionFailed, "{yql}");
        assert_eq!(err.issues[0].issue_code, 2012, "{yql}");
    };
    conflict("UPSERT INTO u (id, email) VALUES (5, 'x'u)");
    conflict("INSERT INTO u (id, email) VALUES (5, 'z'u), (6, 'z'u)");
    conflict("UPDATE u SET b = 1 WHERE id = 2");
    conflict("REPLACE INTO u (id, a, b) VALUES (7, 1, 2)");
    // Nothing of a refused statement stays; a row may keep its own values, and NULLs never conflict.
    assert_eq!(cell(&q(&e, "SELECT COUNT(*) FROM u")[0], 0, 0), Some(PV::Uint64Value(4)));
    q(&e, "UPSERT INTO u (id, email, a, b) VALUES (1, 'x'u, 1, 1), (5, NULL, 2, NULL), (6, NULL, 2, NULL)");
    q(&e, "UPDATE u SET email = 'w'u WHERE id = 1");
    q(&e, "UPSERT INTO u (id, email) VALUES (7, 'x'u)");
    // Inside an interactive transaction the conflict is found at the statement and ends the transaction.
    let tx = e.begin(TxMode::SerializableReadWrite).unwrap();
    let in_tx = e.execute(ExecuteRequest {
        database: "/local",
        yql: "UPSERT INTO u (id, email) VALUES (8, 'w'u)",
        params: &HashMap::new(),
        tx: TxSelector::Existing(tx.clone()),
        commit: false,
    });
    assert_eq!(in_tx.unwrap_err().status, StatusCode::PreconditionFailed);
}
