//! SQL tagged templates (`` sql`SELECT * FROM t WHERE id = ${id}` ``), injection-safe by construction:
//! every interpolated value becomes a parameter with a generated `DECLARE` of its type, never text in
//! the query. Only what the program itself wrote — the template's literal parts, a name through
//! `sql.identifier`, text through `sql.unsafe` — becomes query text.
//!
//! The bindings turn a template into [`Piece`]s (converting each value as any parameter is converted);
//! [`compose`] makes the YQL text and the parameters from them.

use crate::error::{Error, Result};
use crate::proto::ydb::TypedValue;
use crate::value::YdbType;
use std::collections::HashMap;
use std::fmt::Write;

/// One part of a template, in order.
pub enum Piece {
    /// Literal text the program wrote.
    Text(String),
    /// An interpolated value: bound as a parameter.
    Value(TypedValue),
    /// A table or column name (`sql.identifier`): quoted.
    Identifier(String),
    /// Text the program vouches for (`sql.unsafe`): spliced as it is.
    Raw(String),
}

/// YQL text and its parameters.
#[derive(Debug)]
pub struct Composed {
    pub text: String,
    pub params: HashMap<String, TypedValue>,
}

/// The query of `pieces`: `DECLARE $p0 AS <type>; …` for each value, then the text with `$p0, $p1, …` where
/// the values stood.
pub fn compose(pieces: Vec<Piece>) -> Result<Composed> {
    let mut declares = String::new();
    let mut body = String::new();
    let mut params = HashMap::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) | Piece::Raw(text) => body.push_str(&text),
            Piece::Identifier(name) => body.push_str(&quote_identifier(&name)?),
            Piece::Value(value) => {
                let name = format!("$p{}", params.len());
                let t = value.r#type.as_ref().ok_or_else(|| Error::argument("a template value without a type"))?;
                let t = YdbType::from_proto(t)?;
                let _ = writeln!(declares, "DECLARE {name} AS {t};");
                body.push_str(&name);
                params.insert(name, value);
            }
        }
    }
    Ok(Composed { text: declares + &body, params })
}

/// A name in backticks. A name that could end the quoting (a backtick, a line break, NUL) is refused
/// rather than escaped: no table or column is named so.
fn quote_identifier(name: &str) -> Result<String> {
    if name.is_empty() || name.contains(['`', '\n', '\r', '\0']) {
        return Err(Error::argument(format!(
            "sql.identifier({name:?}): a name must be non-empty, without backticks or line breaks"
        )));
    }
    Ok(format!("`{name}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(t: YdbType, v: crate::proto::ydb::value::Value) -> Piece {
        Piece::Value(TypedValue {
            r#type: Some(t.to_proto()),
            value: Some(crate::proto::ydb::Value { value: Some(v), ..Default::default() }),
        })
    }

    #[test]
    fn values_become_declared_parameters_and_never_text() {
        use crate::proto::ydb::value::Value as V;
        use crate::value::Primitive as P;
        let hostile = "'; DROP TABLE t; --";
        let composed = compose(vec![
            Piece::Text("SELECT * FROM ".into()),
            Piece::Identifier("my/table".into()),
            Piece::Text(" WHERE id = ".into()),
            value(YdbType::Primitive(P::Uint64), V::Uint64Value(7)),
            Piece::Text(" AND name = ".into()),
            value(YdbType::Primitive(P::Utf8), V::TextValue(hostile.into())),
            Piece::Raw(" ORDER BY id".into()),
        ])
        .expect("composed");
        assert_eq!(
            composed.text,
            "DECLARE $p0 AS Uint64;\nDECLARE $p1 AS Utf8;\nSELECT * FROM `my/table` WHERE id = $p0 AND name = $p1 ORDER BY id"
        );
        assert!(!composed.text.contains("DROP"));
        assert_eq!(composed.params.len(), 2);
    }

    #[test]
    fn names_that_could_end_their_quoting_are_refused() {
        for name in ["", "a`b", "a\nb", "a\0"] {
            assert!(compose(vec![Piece::Identifier(name.into())]).is_err(), "{name:?}");
        }
    }
}
