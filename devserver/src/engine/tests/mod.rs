//! Engine-level tests through the public contract (`Engine::execute`, transactions, persistence), one
//! module per area: `queries`, `transactions`, `scheme`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::HashMap;

use super::types::{Prim, Type};
use super::*;
use crate::proto::ydb;
use ydb::value::Value as PV;

mod cache;
mod queries;
mod scheme;
mod transactions;
mod types;

// ---- helpers shared by the test modules ----

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

fn score(e: &Engine, id: u64) -> Option<PV> {
    let rs = q(e, &format!("SELECT score FROM series WHERE id = {id}ul;"));
    rs[0].rows.first().and_then(|r| r.items[0].value.clone())
}

fn col(name: &str, t: Type, not_null: bool) -> ColumnSpec {
    ColumnSpec { name: name.into(), ty: t.to_proto(), not_null }
}
