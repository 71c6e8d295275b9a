//! SQL tagged templates (`` sql`SELECT * FROM t WHERE id = ${id}` ``), injection-safe by construction:
//! every interpolated value becomes a parameter with a generated `DECLARE` of its type, never text in
//! the query. Only what the program itself wrote — the template's literal parts, a name through
//! `sql.identifier`, text through `sql.unsafe` — becomes query text.
//!
//! The bindings turn a template into [`Piece`]s (converting each value as any parameter is converted);
//! [`compose`] makes the YQL text and the parameters from them.

use crate::error::{Error, Quoted, Result};
use crate::proto::ydb::TypedValue;
use crate::substring;
use crate::value::params::{Param, Params};
use crate::value::YdbType;
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
    pub params: Params,
}

/// The query of `pieces`: `DECLARE $p0 AS <type>; …` for each value, then the text with `$p0, $p1, …` where
/// the values stood.
pub fn compose(pieces: Vec<Piece>) -> Result<Composed> {
    let mut declares = String::new();
    let mut body = String::new();
    let mut params = Params::new();
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
                params.push(Param::new(name, value));
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
            "sql.identifier({}): a name must be non-empty, without backticks or line breaks",
            Quoted(name)
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

/// Parameter names and the types declared for them, in the order of their declarations.
pub type DeclaredTypes = Vec<(String, YdbType)>;

/// The type declared for `name`: its last declaration, as a map of them would keep. A query declares a
/// handful of parameters, so a scan beats a hash table (which would bring its code into the wasm).
pub fn declared_type<'a>(declared: &'a [(String, YdbType)], name: &str) -> Option<&'a YdbType> {
    declared.iter().rev().find(|(n, _)| n == name).map(|(_, t)| t)
}

/// The parameter types a query's text declares (`DECLARE $id AS Uint64;`), so that a plain JS value
/// given for a declared parameter is sent as the declared type rather than an inferred one (a whole
/// number for a `Double`, say). One pass over the text that skips string literals, quoted names and
/// comments; a declaration whose type this client cannot read is left out (inference then applies).
pub fn declared_types(text: &str) -> DeclaredTypes {
    let mut out = DeclaredTypes::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\'' | b'"' | b'`' => i = skip_quoted(bytes, i),
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = bytes.iter().skip(i).position(|&c| c == b'\n').map_or(bytes.len(), |n| i + n + 1);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text
                    .get(i + 2..)
                    .and_then(|rest| substring::find(rest, "*/"))
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
            }
            _ if starts_word(bytes, i, b"declare") => {
                let (declaration, end) = declaration_at(text, i + 7);
                if let Some((name, t)) = declaration {
                    out.push((name, t));
                }
                i = end.max(i + 7);
            }
            _ => i += 1,
        }
    }
    out
}

/// The index after a quoted literal starting at `start` (backslash escapes, doubled quotes).
fn skip_quoted(bytes: &[u8], start: usize) -> usize {
    let quote = bytes.get(start).copied().unwrap_or(b'\'');
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            i += 2;
        } else if b == quote {
            return i + 1;
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Whether the case-insensitive word `word` starts at `i` (not inside a longer name).
fn starts_word(bytes: &[u8], i: usize, word: &[u8]) -> bool {
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let before = i.checked_sub(1).and_then(|j| bytes.get(j)).is_some_and(|&b| is_name(b));
    let matches = bytes.get(i..i + word.len()).is_some_and(|w| w.eq_ignore_ascii_case(word));
    let after = bytes.get(i + word.len()).is_some_and(|&b| is_name(b));
    !before && matches && !after
}

/// `$name AS Type` after a DECLARE, up to its `;`; with the index where the declaration ends.
fn declaration_at(text: &str, from: usize) -> (Option<(String, YdbType)>, usize) {
    let Some(rest) = text.get(from..) else { return (None, text.len()) };
    // A byte scan rather than `find(';')`, whose memchr and searcher a first query would compile (V8
    // compiles a wasm function at its first call) for a text of a few dozen bytes.
    let end = rest.bytes().position(|b| b == b';').map_or(text.len(), |n| from + n + 1);
    let body = text.get(from..end).unwrap_or_default().trim().trim_end_matches(';');
    let parsed = (|| {
        let body = body.strip_prefix('$')?;
        let name_len = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
        let (name, rest) = body.split_at_checked(name_len)?;
        let rest = rest.trim_start();
        let t = rest.get(..2).filter(|a| a.eq_ignore_ascii_case("as")).and(rest.get(2..))?;
        if !t.starts_with(char::is_whitespace) {
            return None;
        }
        let mut dollar_name = String::with_capacity(name.len() + 1);
        dollar_name.push('$');
        dollar_name.push_str(name);
        Some((dollar_name, YdbType::parse(t.trim()).ok()?))
    })();
    (parsed, end)
}

#[cfg(test)]
mod declare_tests {
    use super::*;
    use crate::value::Primitive as P;

    #[test]
    fn declarations_are_read_and_literals_comments_and_names_skipped() {
        let text = "-- DECLARE $c AS Int8;\n/* DECLARE $d AS Int8; */ declare $id as Uint64;\n\
                    DECLARE $rows AS List<Struct<a:Int32, b:Utf8?>>; SELECT 'DECLARE $s AS Int8;', `declare` FROM t; \
                    DECLARE $amount AS Double;DECLARE $bad AS NoSuchType; undeclared $x AS Int8;";
        let d = declared_types(text);
        assert_eq!(declared_type(&d, "$id"), Some(&YdbType::Primitive(P::Uint64)));
        assert_eq!(declared_type(&d, "$amount"), Some(&YdbType::Primitive(P::Double)));
        assert_eq!(
            declared_type(&d, "$rows").map(|t| t.to_string()),
            Some("List<Struct<a:Int32,b:Optional<Utf8>>>".into())
        );
        for absent in ["$c", "$d", "$s", "$bad", "$x"] {
            assert!(declared_type(&d, absent).is_none(), "{absent}");
        }
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn a_name_declared_twice_has_its_last_type() {
        let d = declared_types("DECLARE $a AS Int8; DECLARE $a AS Utf8; SELECT $a");
        assert_eq!(declared_type(&d, "$a"), Some(&YdbType::Primitive(P::Utf8)));
    }

    #[test]
    fn odd_text_never_panics() {
        for text in [
            "DECLARE",
            "DECLARE $",
            "DECLARE $a",
            "DECLARE $a AS",
            "'unterminated",
            "/* open",
            "DECLARE $a ASInt32;",
            "ÿDECLARE $é AS Int32",
        ] {
            let _ = declared_types(text);
        }
        assert!(declared_types("DECLARE $a ASInt32;").is_empty());
    }
}
