//! YDB types as a Rust enum: read from and written to `Ydb.Type`, parsed from YQL type syntax.
//!
//! JS callers name types in YQL's own spelling (`"Uint64"`, `"Optional<Utf8>"`,
//! `"List<Struct<id:Uint64,name:Utf8>>"`, `"Decimal(22,9)"`), so the same string works in a `DECLARE`
//! and in a `TypedValue`; result columns report their type in that spelling too.

use crate::error::{Error, Result};
use crate::proto::ydb::{self, r#type::PrimitiveTypeId as P};
use std::fmt;

/// A YDB type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YdbType {
    Primitive(Primitive),
    Decimal {
        precision: u32,
        scale: u32,
    },
    Optional(Box<YdbType>),
    List(Box<YdbType>),
    Tuple(Vec<YdbType>),
    Struct(Vec<(String, YdbType)>),
    Dict(Box<YdbType>, Box<YdbType>),
    /// A variant over the members of a struct or the elements of a tuple.
    Variant(Box<YdbType>),
    Tagged(String, Box<YdbType>),
    Void,
    Null,
    EmptyList,
    EmptyDict,
}

/// The primitive types this client maps to JS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Primitive {
    Bool,
    Int8,
    Uint8,
    Int16,
    Uint16,
    Int32,
    Uint32,
    Int64,
    Uint64,
    Float,
    Double,
    Date,
    Datetime,
    Timestamp,
    Interval,
    String,
    Utf8,
    Yson,
    Json,
    Uuid,
    JsonDocument,
    DyNumber,
}

const PRIMITIVES: &[(Primitive, &str, P)] = &[
    (Primitive::Bool, "Bool", P::Bool),
    (Primitive::Int8, "Int8", P::Int8),
    (Primitive::Uint8, "Uint8", P::Uint8),
    (Primitive::Int16, "Int16", P::Int16),
    (Primitive::Uint16, "Uint16", P::Uint16),
    (Primitive::Int32, "Int32", P::Int32),
    (Primitive::Uint32, "Uint32", P::Uint32),
    (Primitive::Int64, "Int64", P::Int64),
    (Primitive::Uint64, "Uint64", P::Uint64),
    (Primitive::Float, "Float", P::Float),
    (Primitive::Double, "Double", P::Double),
    (Primitive::Date, "Date", P::Date),
    (Primitive::Datetime, "Datetime", P::Datetime),
    (Primitive::Timestamp, "Timestamp", P::Timestamp),
    (Primitive::Interval, "Interval", P::Interval),
    (Primitive::String, "String", P::String),
    (Primitive::Utf8, "Utf8", P::Utf8),
    (Primitive::Yson, "Yson", P::Yson),
    (Primitive::Json, "Json", P::Json),
    (Primitive::Uuid, "Uuid", P::Uuid),
    (Primitive::JsonDocument, "JsonDocument", P::JsonDocument),
    (Primitive::DyNumber, "DyNumber", P::Dynumber),
];

impl Primitive {
    pub fn name(self) -> &'static str {
        PRIMITIVES.iter().find(|(p, _, _)| *p == self).map(|(_, n, _)| *n).unwrap_or("?")
    }

    fn id(self) -> P {
        PRIMITIVES.iter().find(|(p, _, _)| *p == self).map(|(_, _, id)| *id).unwrap_or(P::Unspecified)
    }

    fn from_id(id: i32) -> Option<Primitive> {
        PRIMITIVES.iter().find(|(_, _, p)| *p as i32 == id).map(|(p, _, _)| *p)
    }

    /// Case-insensitive, as YQL type names are (`String` also answers to `Bytes`, `Utf8` to `Text`).
    fn from_name(name: &str) -> Option<Primitive> {
        let lower = name.to_ascii_lowercase();
        let alias = match lower.as_str() {
            "bytes" => "string",
            "text" => "utf8",
            other => other,
        };
        PRIMITIVES.iter().find(|(_, n, _)| n.eq_ignore_ascii_case(alias)).map(|(p, _, _)| *p)
    }
}

impl YdbType {
    pub fn optional(inner: YdbType) -> YdbType {
        YdbType::Optional(Box::new(inner))
    }

    /// Reads a `Ydb.Type` received from the server.
    pub fn from_proto(t: &ydb::Type) -> Result<YdbType> {
        use ydb::r#type::Type as T;
        let bad = || Error::protocol("the server sent a type this client cannot read");
        Ok(match t.r#type.as_ref().ok_or_else(bad)? {
            T::TypeId(id) => YdbType::Primitive(
                Primitive::from_id(*id)
                    .ok_or_else(|| Error::protocol(format!("unsupported primitive type id {id}")))?,
            ),
            T::DecimalType(d) => YdbType::Decimal { precision: d.precision, scale: d.scale },
            T::OptionalType(o) => YdbType::optional(Self::from_boxed(o.item.as_deref())?),
            T::ListType(l) => YdbType::List(Box::new(Self::from_boxed(l.item.as_deref())?)),
            T::TupleType(t) => YdbType::Tuple(t.elements.iter().map(Self::from_proto).collect::<Result<_>>()?),
            T::StructType(s) => YdbType::Struct(
                s.members
                    .iter()
                    .map(|m| Ok((m.name.clone(), Self::from_boxed(m.r#type.as_ref())?)))
                    .collect::<Result<_>>()?,
            ),
            T::DictType(d) => YdbType::Dict(
                Box::new(Self::from_boxed(d.key.as_deref())?),
                Box::new(Self::from_boxed(d.payload.as_deref())?),
            ),
            T::VariantType(v) => {
                use ydb::variant_type::Type as V;
                let inner = match v.r#type.as_ref().ok_or_else(bad)? {
                    V::TupleItems(t) => YdbType::Tuple(t.elements.iter().map(Self::from_proto).collect::<Result<_>>()?),
                    V::StructItems(s) => YdbType::Struct(
                        s.members
                            .iter()
                            .map(|m| Ok((m.name.clone(), Self::from_boxed(m.r#type.as_ref())?)))
                            .collect::<Result<_>>()?,
                    ),
                };
                YdbType::Variant(Box::new(inner))
            }
            T::TaggedType(t) => YdbType::Tagged(t.tag.clone(), Box::new(Self::from_boxed(t.r#type.as_deref())?)),
            T::VoidType(_) => YdbType::Void,
            T::NullType(_) => YdbType::Null,
            T::EmptyListType(_) => YdbType::EmptyList,
            T::EmptyDictType(_) => YdbType::EmptyDict,
            T::PgType(_) => return Err(Error::protocol("PostgreSQL types are not supported")),
        })
    }

    fn from_boxed(t: Option<&ydb::Type>) -> Result<YdbType> {
        Self::from_proto(t.ok_or_else(|| Error::protocol("a container type without its item type"))?)
    }

    /// Writes the type for a request.
    pub fn to_proto(&self) -> ydb::Type {
        use ydb::r#type::Type as T;
        let wrap = |t: T| ydb::Type { r#type: Some(t) };
        let members = |fields: &[(String, YdbType)]| ydb::StructType {
            members: fields
                .iter()
                .map(|(n, t)| ydb::StructMember { name: n.clone(), r#type: Some(t.to_proto()) })
                .collect(),
        };
        match self {
            YdbType::Primitive(p) => wrap(T::TypeId(p.id() as i32)),
            YdbType::Decimal { precision, scale } => {
                wrap(T::DecimalType(ydb::DecimalType { precision: *precision, scale: *scale }))
            }
            YdbType::Optional(t) => {
                wrap(T::OptionalType(Box::new(ydb::OptionalType { item: Some(Box::new(t.to_proto())) })))
            }
            YdbType::List(t) => wrap(T::ListType(Box::new(ydb::ListType { item: Some(Box::new(t.to_proto())) }))),
            YdbType::Tuple(ts) => {
                wrap(T::TupleType(ydb::TupleType { elements: ts.iter().map(|t| t.to_proto()).collect() }))
            }
            YdbType::Struct(fields) => wrap(T::StructType(members(fields))),
            YdbType::Dict(k, v) => wrap(T::DictType(Box::new(ydb::DictType {
                key: Some(Box::new(k.to_proto())),
                payload: Some(Box::new(v.to_proto())),
            }))),
            YdbType::Variant(inner) => {
                use ydb::variant_type::Type as V;
                let v = match inner.as_ref() {
                    YdbType::Struct(fields) => Some(V::StructItems(members(fields))),
                    YdbType::Tuple(ts) => {
                        Some(V::TupleItems(ydb::TupleType { elements: ts.iter().map(|t| t.to_proto()).collect() }))
                    }
                    _ => None,
                };
                wrap(T::VariantType(ydb::VariantType { r#type: v }))
            }
            YdbType::Tagged(tag, t) => wrap(T::TaggedType(Box::new(ydb::TaggedType {
                tag: tag.clone(),
                r#type: Some(Box::new(t.to_proto())),
            }))),
            YdbType::Void => wrap(T::VoidType(0)),
            YdbType::Null => wrap(T::NullType(0)),
            YdbType::EmptyList => wrap(T::EmptyListType(0)),
            YdbType::EmptyDict => wrap(T::EmptyDictType(0)),
        }
    }

    /// Parses YQL type syntax: `Uint64`, `Optional<Utf8>`, `Utf8?`, `List<Int32>`,
    /// `Tuple<Int32,Utf8>`, `Struct<a:Int32,b:Utf8>`, `Dict<Utf8,Int64>`, `Decimal(22,9)`.
    pub fn parse(text: &str) -> Result<YdbType> {
        let mut p = TypeParser { s: text.as_bytes(), i: 0, text };
        let t = p.parse_type()?;
        p.skip_ws();
        if p.i != p.s.len() {
            return Err(p.error("unexpected text after the type"));
        }
        Ok(t)
    }
}

impl fmt::Display for YdbType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, ts: &[YdbType]| -> fmt::Result {
            for (i, t) in ts.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{t}")?;
            }
            Ok(())
        };
        let fields = |f: &mut fmt::Formatter<'_>, fs: &[(String, YdbType)]| -> fmt::Result {
            for (i, (n, t)) in fs.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{n}:{t}")?;
            }
            Ok(())
        };
        match self {
            YdbType::Primitive(p) => f.write_str(p.name()),
            YdbType::Decimal { precision, scale } => write!(f, "Decimal({precision},{scale})"),
            YdbType::Optional(t) => write!(f, "Optional<{t}>"),
            YdbType::List(t) => write!(f, "List<{t}>"),
            YdbType::Tuple(ts) => {
                f.write_str("Tuple<")?;
                list(f, ts)?;
                f.write_str(">")
            }
            YdbType::Struct(fs) => {
                f.write_str("Struct<")?;
                fields(f, fs)?;
                f.write_str(">")
            }
            YdbType::Dict(k, v) => write!(f, "Dict<{k},{v}>"),
            YdbType::Variant(inner) => match inner.as_ref() {
                YdbType::Struct(fs) => {
                    f.write_str("Variant<")?;
                    fields(f, fs)?;
                    f.write_str(">")
                }
                YdbType::Tuple(ts) => {
                    f.write_str("Variant<")?;
                    list(f, ts)?;
                    f.write_str(">")
                }
                other => write!(f, "Variant<{other}>"),
            },
            YdbType::Tagged(tag, t) => write!(f, "Tagged<{t},'{tag}'>"),
            YdbType::Void => f.write_str("Void"),
            YdbType::Null => f.write_str("Null"),
            YdbType::EmptyList => f.write_str("EmptyList"),
            YdbType::EmptyDict => f.write_str("EmptyDict"),
        }
    }
}

struct TypeParser<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
}

impl TypeParser<'_> {
    fn error(&self, what: &str) -> Error {
        Error::argument(format!("invalid type {:?}: {what} at offset {}", self.text, self.i))
    }

    fn skip_ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", c as char)))
        }
    }

    fn ident(&mut self) -> Result<String> {
        self.skip_ws();
        let start = self.i;
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') {
            self.i += 1;
        }
        if start == self.i {
            return Err(self.error("expected a name"));
        }
        Ok(String::from_utf8_lossy(self.s.get(start..self.i).unwrap_or_default()).into_owned())
    }

    fn number(&mut self) -> Result<u32> {
        self.ident()?.parse().map_err(|_| self.error("expected a number"))
    }

    fn type_list(&mut self) -> Result<Vec<YdbType>> {
        let mut items = vec![self.parse_type()?];
        while self.eat(b',') {
            items.push(self.parse_type()?);
        }
        Ok(items)
    }

    fn field_list(&mut self) -> Result<Vec<(String, YdbType)>> {
        let mut fields = Vec::new();
        loop {
            self.skip_ws();
            if self.s.get(self.i) == Some(&b'>') {
                break;
            }
            let name = self.ident()?;
            self.expect(b':')?;
            fields.push((name, self.parse_type()?));
            if !self.eat(b',') {
                break;
            }
        }
        Ok(fields)
    }

    fn parse_type(&mut self) -> Result<YdbType> {
        let name = self.ident()?;
        let lower = name.to_ascii_lowercase();
        let t = match lower.as_str() {
            "optional" => {
                self.expect(b'<')?;
                let t = self.parse_type()?;
                self.expect(b'>')?;
                YdbType::optional(t)
            }
            "list" => {
                self.expect(b'<')?;
                let t = self.parse_type()?;
                self.expect(b'>')?;
                YdbType::List(Box::new(t))
            }
            "tuple" => {
                self.expect(b'<')?;
                let ts = self.type_list()?;
                self.expect(b'>')?;
                YdbType::Tuple(ts)
            }
            "struct" => {
                self.expect(b'<')?;
                let fs = self.field_list()?;
                self.expect(b'>')?;
                YdbType::Struct(fs)
            }
            "dict" => {
                self.expect(b'<')?;
                let k = self.parse_type()?;
                self.expect(b',')?;
                let v = self.parse_type()?;
                self.expect(b'>')?;
                YdbType::Dict(Box::new(k), Box::new(v))
            }
            "decimal" => {
                self.expect(b'(')?;
                let precision = self.number()?;
                self.expect(b',')?;
                let scale = self.number()?;
                self.expect(b')')?;
                if precision == 0 || precision > 35 || scale > precision {
                    return Err(self.error("Decimal precision must be 1..35 and scale at most the precision"));
                }
                YdbType::Decimal { precision, scale }
            }
            "void" => YdbType::Void,
            "null" => YdbType::Null,
            "emptylist" => YdbType::EmptyList,
            "emptydict" => YdbType::EmptyDict,
            _ => YdbType::Primitive(
                Primitive::from_name(&name).ok_or_else(|| self.error(&format!("unknown type {name}")))?,
            ),
        };
        if self.eat(b'?') {
            return Ok(YdbType::optional(t));
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yql_type_syntax_round_trips_through_display() {
        for text in [
            "Uint64",
            "Optional<Utf8>",
            "List<Struct<id:Uint64,name:Optional<Utf8>>>",
            "Tuple<Int32,String>",
            "Dict<Utf8,Int64>",
            "Decimal(22,9)",
            "Optional<Optional<Bool>>",
        ] {
            let t = YdbType::parse(text).expect(text);
            assert_eq!(t.to_string(), text);
            assert_eq!(YdbType::from_proto(&t.to_proto()).expect("proto"), t);
        }
    }

    #[test]
    fn question_mark_and_case_are_accepted() {
        assert_eq!(YdbType::parse("utf8?").expect("ok").to_string(), "Optional<Utf8>");
        assert_eq!(YdbType::parse(" uint64 ").expect("ok").to_string(), "Uint64");
    }

    #[test]
    fn bad_type_text_is_an_argument_error() {
        for text in ["", "Foo", "List<", "Optional<Int32", "Decimal(40,2)", "Uint64 x", "Struct<a Int32>"] {
            let e = YdbType::parse(text).expect_err(text);
            assert_eq!(e.kind, crate::error::ErrorKind::Argument, "{text}");
        }
    }

    #[test]
    fn a_type_without_its_item_is_a_protocol_error_not_a_panic() {
        let t = ydb::Type { r#type: Some(ydb::r#type::Type::OptionalType(Box::new(ydb::OptionalType { item: None }))) };
        assert!(YdbType::from_proto(&t).is_err());
        assert!(YdbType::from_proto(&ydb::Type { r#type: None }).is_err());
    }
}
