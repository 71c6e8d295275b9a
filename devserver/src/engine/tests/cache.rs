//! The schema cache (`cache.rs`) never hands a query a schema other than the one its own snapshot holds:
//! every kind of scheme change, on every path, is seen by the next query; a rolled-back change is not.

use super::*;

fn columns(e: &Engine, table: &str) -> Vec<String> {
    let rs = q(e, &format!("SELECT * FROM {table};"));
    rs[0].columns.iter().map(|c| c.name.clone()).collect()
}

fn select_in(e: &Engine, tx: &str, table: &str) -> Vec<String> {
    let params = HashMap::new();
    let yql = format!("SELECT * FROM {table};");
    let req = ExecuteRequest {
        database: "/local",
        yql: &yql,
        params: &params,
        tx: TxSelector::Existing(tx.into()),
        commit: false,
    };
    e.execute(req).unwrap().result_sets[0].columns.iter().map(|c| c.name.clone()).collect()
}

#[test]
fn schema_cache_follows_every_scheme_change() {
    let e = eng();
    setup(&e);
    assert_eq!(columns(&e, "series"), ["id", "title", "score", "big"]);
    q(&e, "ALTER TABLE series ADD COLUMN extra Utf8;");
    assert_eq!(columns(&e, "series"), ["id", "title", "score", "big", "extra"]);
    let drop = Alteration { drop_columns: vec!["extra".into()], ..Default::default() };
    e.alter_table("/local", "series", &drop).unwrap();
    assert_eq!(columns(&e, "series"), ["id", "title", "score", "big"]);

    q(&e, "DROP TABLE series;");
    assert_eq!(run(&e, "SELECT * FROM series;", &HashMap::new()).unwrap_err().status, StatusCode::SchemeError);
    e.execute_scheme("/local", "CREATE TABLE series (k Utf8, v Int32, PRIMARY KEY (k))").unwrap();
    assert_eq!(columns(&e, "series"), ["k", "v"]);

    e.execute_scheme("/local", "CREATE TABLE other (a Uint64, b Utf8, c Bool, PRIMARY KEY (a))").unwrap();
    assert_eq!(columns(&e, "other"), ["a", "b", "c"]);
    e.rename_tables("/local", &[("other".into(), "series".into(), true)]).unwrap();
    assert_eq!(columns(&e, "series"), ["a", "b", "c"]);
    assert_eq!(run(&e, "SELECT * FROM other;", &HashMap::new()).unwrap_err().status, StatusCode::SchemeError);
    e.copy_tables("/local", &[("series".into(), "other".into(), false)]).unwrap();
    assert_eq!(columns(&e, "other"), ["a", "b", "c"]);
}

#[test]
fn a_rolled_back_scheme_change_leaves_no_schema_behind() {
    let e = eng();
    setup(&e);
    assert_eq!(columns(&e, "series"), ["id", "title", "score", "big"]);
    // The change and a read of it in one query that then fails: all of it rolls back...
    let failed = "ALTER TABLE series ADD COLUMN z Utf8; SELECT * FROM series; SELECT * FROM nowhere;";
    assert_eq!(run(&e, failed, &HashMap::new()).unwrap_err().status, StatusCode::SchemeError);
    assert_eq!(columns(&e, "series"), ["id", "title", "score", "big"]);
    // ...so a later change of the same size (the catalog version it reaches is the one the failed query
    // saw) shows its own column, not the rolled-back one.
    q(&e, "ALTER TABLE series ADD COLUMN w Int32;");
    assert_eq!(columns(&e, "series"), ["id", "title", "score", "big", "w"]);
    // The same with a table created, read and rolled back, then created again with other columns (the
    // same number of catalog rows, so the same catalog version as the rolled-back one).
    let failed_create = "CREATE TABLE fresh (a Uint64, PRIMARY KEY (a)); SELECT * FROM fresh; SELECT * FROM nowhere;";
    assert_eq!(run(&e, failed_create, &HashMap::new()).unwrap_err().status, StatusCode::SchemeError);
    assert_eq!(run(&e, "SELECT * FROM fresh;", &HashMap::new()).unwrap_err().status, StatusCode::SchemeError);
    e.execute_scheme("/local", "CREATE TABLE fresh (b Utf8, PRIMARY KEY (b))").unwrap();
    assert_eq!(columns(&e, "fresh"), ["b"]);
}

#[test]
fn a_snapshot_keeps_the_schema_it_saw() {
    let e = eng();
    setup(&e);
    let snap = e.begin(TxMode::SnapshotReadOnly).unwrap();
    assert_eq!(select_in(&e, &snap, "series"), ["id", "title", "score", "big"]);
    q(&e, "ALTER TABLE series ADD COLUMN extra Utf8;");
    assert_eq!(columns(&e, "series"), ["id", "title", "score", "big", "extra"]);
    assert_eq!(select_in(&e, &snap, "series"), ["id", "title", "score", "big"]);
    assert_eq!(columns(&e, "series"), ["id", "title", "score", "big", "extra"]);
    e.commit(&snap).unwrap();
}
