//! Query preparation: what PrepareDataQuery answers — the query parses, and the parameter types its
//! DECLAREs name (the official SDKs build typed parameters from them).

use std::collections::HashMap;

use super::ast::Stmt;
use super::{Engine, EngineError};
use crate::proto::ydb;

impl Engine {
    /// Parses `yql` and returns the declared parameter types by name (`$` included).
    pub fn prepare(&self, yql: &str) -> Result<HashMap<String, ydb::Type>, EngineError> {
        let stmts = self.parsed(yql)?;
        Ok(stmts
            .stmts
            .iter()
            .filter_map(|s| match s {
                Stmt::Declare { name, ty, .. } => Some((declared_name(name), ty.to_proto())),
                _ => None,
            })
            .collect())
    }
}

/// Parameter names travel with their `$`.
fn declared_name(name: &str) -> String {
    if name.starts_with('$') {
        name.to_string()
    } else {
        format!("${name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_reports_the_declared_parameter_types() {
        let engine = Engine::open(None).unwrap();
        let types =
            engine.prepare("DECLARE $id AS Uint64; DECLARE $name AS Optional<Utf8>; SELECT $id, $name;").unwrap();
        assert_eq!(types.len(), 2);
        assert_eq!(types["$id"], super::super::types::Type::Prim(super::super::types::Prim::Uint64).to_proto());
        assert!(matches!(types["$name"].r#type, Some(ydb::r#type::Type::OptionalType(_))));
    }

    #[test]
    fn prepare_rejects_what_does_not_parse() {
        let engine = Engine::open(None).unwrap();
        assert_eq!(engine.prepare("SELEKT").unwrap_err().status, super::super::StatusCode::GenericError);
    }
}
