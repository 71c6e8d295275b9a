//! YDB types as a Rust enum: read from and written to `Ydb.Type`, parsed from YQL type syntax.
//!
//! JS callers name types in YQL's own spelling (`"Uint64"`, `"Optional<Utf8>"`,
//! `"List<Struct<id:Uint64,name:Utf8>>"`, `"Decimal(22,9)"`), so the same string works in a `DECLARE`
//! and in a `TypedValue`; result columns report their type in that spelling too.
//!
//! Both ways in — a `Ydb.Type` from the network or a program, and type text from JS — are recursive
//! descents whose depth the input decides, so both stop at [`MAX_TYPE_DEPTH`] levels with an error.
//! On wasm32 the stack lives in linear memory without a guard page: unbounded recursion there corrupts
//! the heap before it traps. Every other walk over a `YdbType` (display, `to_proto`, the result
//! conversion plan in `bindings`) is then bounded by the depth of what these two built.

use crate::error::{Error, Quoted, Result};
use crate::proto::ydb::{self, r#type::PrimitiveTypeId as P};
use std::fmt;

/// The deepest type accepted: a type of more nesting levels (`Optional<Int32>` has two) is refused.
///
/// Why 64: prost refuses a message nested deeper than 100 levels, and each level of a `Ydb.Type` takes
/// at least two protobuf messages (`Type` → `OptionalType` → `Type` …), so no type the network can
/// deliver comes near 64 — the bound never refuses a real answer — while 64 frames of these descents
/// stay far inside the 1 MiB wasm stack. YDB's own types nest only a few levels.
pub const MAX_TYPE_DEPTH: usize = 64;

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
    /// A type this client does not know (a newer server's, or PostgreSQL's): its values are handed over
    /// raw rather than failing the call.
    Unknown(UnknownType),
}

/// What a type this client does not know was, as far as the protobuf says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnknownType {
    /// A primitive type id added after this client.
    TypeId(i32),
    /// A PostgreSQL type.
    Pg,
    /// A kind of type added after this client (a `Ydb.Type` with no variant prost knows).
    Newer,
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
    /// The wide date and time types: before 1970 and after 2105.
    Date32,
    Datetime64,
    Timestamp64,
    Interval64,
    /// A date or time with a time zone name, carried as text (`2024-05-06,Europe/Berlin`).
    TzDate,
    TzDatetime,
    TzTimestamp,
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
    (Primitive::Date32, "Date32", P::Date32),
    (Primitive::Datetime64, "Datetime64", P::Datetime64),
    (Primitive::Timestamp64, "Timestamp64", P::Timestamp64),
    (Primitive::Interval64, "Interval64", P::Interval64),
    (Primitive::TzDate, "TzDate", P::TzDate),
    (Primitive::TzDatetime, "TzDatetime", P::TzDatetime),
    (Primitive::TzTimestamp, "TzTimestamp", P::TzTimestamp),
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

    /// Reads a `Ydb.Type` received from the server; one nested deeper than [`MAX_TYPE_DEPTH`] is an error.
    pub fn from_proto(t: &ydb::Type) -> Result<YdbType> {
        Self::from_proto_at(t, 1)
    }

    /// `from_proto` of a type found at nesting level `level` (the outermost type is level 1). A primitive
    /// or an optional one, what result columns mostly are, is read here; the rest by `from_proto_other`:
    /// V8 compiles a wasm function at its first call, and a first answer of such columns then compiles
    /// none of the rest.
    fn from_proto_at(t: &ydb::Type, level: usize) -> Result<YdbType> {
        use ydb::r#type::Type as T;
        match t.r#type.as_ref() {
            Some(T::TypeId(id)) if level <= MAX_TYPE_DEPTH => Ok(match Primitive::from_id(*id) {
                Some(p) => YdbType::Primitive(p),
                None => YdbType::Unknown(UnknownType::TypeId(*id)),
            }),
            Some(T::OptionalType(o)) if level < MAX_TYPE_DEPTH => match o.item.as_deref() {
                Some(item) => Ok(YdbType::optional(Self::from_proto_at(item, level + 1)?)),
                None => Self::from_proto_other(t, level),
            },
            _ => Self::from_proto_other(t, level),
        }
    }

    #[inline(never)]
    fn from_proto_other(t: &ydb::Type, level: usize) -> Result<YdbType> {
        use ydb::r#type::Type as T;
        let too_deep = || Error::protocol(format!("a type nested deeper than {MAX_TYPE_DEPTH} levels"));
        if level > MAX_TYPE_DEPTH {
            return Err(too_deep());
        }
        let bad = || Error::protocol("the server sent a type this client cannot read");
        // A nested type `below` levels under this one (a variant's alternatives are two levels down:
        // `YdbType::Variant` holds the tuple or struct that lists them).
        let nested = |t: Option<&ydb::Type>, below: usize| {
            let t = t.ok_or_else(|| Error::protocol("a container type without its item type"))?;
            Self::from_proto_at(t, level + below)
        };
        let members = |s: &ydb::StructType, below: usize| -> Result<Vec<(String, YdbType)>> {
            s.members.iter().map(|m| Ok((m.name.clone(), nested(m.r#type.as_ref(), below)?))).collect()
        };
        let elements = |t: &ydb::TupleType, below: usize| -> Result<Vec<YdbType>> {
            t.elements.iter().map(|e| nested(Some(e), below)).collect()
        };
        // A type added to YDB after this client: no oneof variant prost knows.
        let Some(t) = t.r#type.as_ref() else { return Ok(YdbType::Unknown(UnknownType::Newer)) };
        Ok(match t {
            T::TypeId(id) => match Primitive::from_id(*id) {
                Some(p) => YdbType::Primitive(p),
                None => YdbType::Unknown(UnknownType::TypeId(*id)),
            },
            T::DecimalType(d) => YdbType::Decimal { precision: d.precision, scale: d.scale },
            T::OptionalType(o) => YdbType::optional(nested(o.item.as_deref(), 1)?),
            T::ListType(l) => YdbType::List(Box::new(nested(l.item.as_deref(), 1)?)),
            T::TupleType(t) => YdbType::Tuple(elements(t, 1)?),
            T::StructType(s) => YdbType::Struct(members(s, 1)?),
            T::DictType(d) => {
                YdbType::Dict(Box::new(nested(d.key.as_deref(), 1)?), Box::new(nested(d.payload.as_deref(), 1)?))
            }
            T::VariantType(v) => {
                use ydb::variant_type::Type as V;
                if level >= MAX_TYPE_DEPTH {
                    return Err(too_deep());
                }
                YdbType::Variant(Box::new(match v.r#type.as_ref().ok_or_else(bad)? {
                    V::TupleItems(t) => YdbType::Tuple(elements(t, 2)?),
                    V::StructItems(s) => YdbType::Struct(members(s, 2)?),
                }))
            }
            T::TaggedType(t) => YdbType::Tagged(t.tag.clone(), Box::new(nested(t.r#type.as_deref(), 1)?)),
            T::VoidType(_) => YdbType::Void,
            T::NullType(_) => YdbType::Null,
            T::EmptyListType(_) => YdbType::EmptyList,
            T::EmptyDictType(_) => YdbType::EmptyDict,
            T::PgType(_) => YdbType::Unknown(UnknownType::Pg),
        })
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
            YdbType::Unknown(UnknownType::TypeId(id)) => wrap(T::TypeId(*id)),
            YdbType::Unknown(UnknownType::Pg) => wrap(T::PgType(ydb::PgType::default())),
            YdbType::Unknown(UnknownType::Newer) => ydb::Type { r#type: None },
        }
    }

    /// Parses YQL type syntax: `Uint64`, `Optional<Utf8>`, `Utf8?`, `List<Int32>`,
    /// `Tuple<Int32,Utf8>`, `Struct<a:Int32,b:Utf8>`, `Dict<Utf8,Int64>`, `Set<Utf8>` (a
    /// `Dict<Utf8,Void>`), `Variant<a:Int32,b:Utf8>` (over a struct) or `Variant<Int32,Utf8>` (over a
    /// tuple), `Tagged<Int32,'tag'>`, `Decimal(22,9)`. Text nested
    /// deeper than [`MAX_TYPE_DEPTH`] levels is an argument error.
    pub fn parse(text: &str) -> Result<YdbType> {
        // A primitive's name, the common case, is looked up without the parser: a program whose types
        // are all primitive then never runs (so V8, compiling wasm lazily, never compiles) its 5 KB.
        if let Some(p) = Primitive::from_name(text.trim_ascii()) {
            return Ok(YdbType::Primitive(p));
        }
        let mut p = TypeParser { s: text.as_bytes(), i: 0, text, deepest: 0 };
        let t = p.parse_type(1)?;
        p.skip_ws();
        if p.i != p.s.len() {
            return Err(p.error("unexpected text after the type"));
        }
        Ok(t)
    }
}

impl YdbType {
    /// Appends the type's name as `Display` writes it. Primitives, optionals and lists are spelled out
    /// without `core::fmt`, so that the usual result columns of a first answer run (and V8, compiling
    /// wasm lazily, compiles) none of it. The depth is bounded by the type's making (see the module docs).
    pub fn push_name(&self, out: &mut String) {
        let (open, t) = match self {
            YdbType::Primitive(p) => return out.push_str(p.name()),
            YdbType::Optional(t) => ("Optional<", t),
            YdbType::List(t) => ("List<", t),
            other => {
                use fmt::Write;
                let _ = write!(out, "{other}");
                return;
            }
        };
        out.push_str(open);
        t.push_name(out);
        out.push('>');
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
            YdbType::Unknown(UnknownType::TypeId(id)) => write!(f, "Unknown<type id {id}>"),
            YdbType::Unknown(UnknownType::Pg) => f.write_str("Unknown<PostgreSQL type>"),
            YdbType::Unknown(UnknownType::Newer) => f.write_str("Unknown<newer type>"),
        }
    }
}

struct TypeParser<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
    /// The deepest level of the type parsed so far. A `?` suffix wraps a type already parsed and so
    /// moves all of it one level down, which the recursion depth alone would not see.
    deepest: usize,
}

impl TypeParser<'_> {
    fn error(&self, what: &str) -> Error {
        Error::argument(format!("invalid type {}: {what} at offset {}", Quoted(self.text), self.i))
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
        // ASCII letters, digits and '_' only: UTF-8 as they are.
        Ok(std::str::from_utf8(self.s.get(start..self.i).unwrap_or_default()).unwrap_or_default().to_string())
    }

    fn number(&mut self) -> Result<u32> {
        let digits = self.ident()?;
        let n = crate::digits::decimal(digits.as_bytes()).and_then(|n| u32::try_from(n).ok());
        n.ok_or_else(|| self.error("expected a number"))
    }

    fn type_list(&mut self, level: usize) -> Result<Vec<YdbType>> {
        let mut items = vec![self.parse_type(level)?];
        while self.eat(b',') {
            items.push(self.parse_type(level)?);
        }
        Ok(items)
    }

    fn field_list(&mut self, level: usize) -> Result<Vec<(String, YdbType)>> {
        let mut fields = Vec::new();
        loop {
            self.skip_ws();
            if self.s.get(self.i) == Some(&b'>') {
                break;
            }
            let name = self.ident()?;
            self.expect(b':')?;
            fields.push((name, self.parse_type(level)?));
            if !self.eat(b',') {
                break;
            }
        }
        Ok(fields)
    }

    /// A type at nesting level `level` (the outermost is 1).
    fn parse_type(&mut self, level: usize) -> Result<YdbType> {
        let too_deep = |p: &Self| p.error(&format!("the type nests deeper than {MAX_TYPE_DEPTH} levels"));
        if level > MAX_TYPE_DEPTH {
            return Err(too_deep(self));
        }
        let outer_deepest = self.deepest;
        self.deepest = level;
        let name = self.ident()?;
        let lower = name.to_ascii_lowercase();
        let t = match lower.as_str() {
            "optional" => {
                self.expect(b'<')?;
                let t = self.parse_type(level + 1)?;
                self.expect(b'>')?;
                YdbType::optional(t)
            }
            "list" => {
                self.expect(b'<')?;
                let t = self.parse_type(level + 1)?;
                self.expect(b'>')?;
                YdbType::List(Box::new(t))
            }
            "tuple" => {
                self.expect(b'<')?;
                let ts = self.type_list(level + 1)?;
                self.expect(b'>')?;
                YdbType::Tuple(ts)
            }
            "struct" => {
                self.expect(b'<')?;
                let fs = self.field_list(level + 1)?;
                self.expect(b'>')?;
                YdbType::Struct(fs)
            }
            "set" => {
                self.expect(b'<')?;
                let t = self.parse_type(level + 1)?;
                self.expect(b'>')?;
                YdbType::Dict(Box::new(t), Box::new(YdbType::Void))
            }
            "variant" => {
                self.expect(b'<')?;
                // `name:Type` members make a variant over a struct; bare types one over a tuple. The
                // alternatives sit two levels down, as in `from_proto`.
                let start = self.i;
                let over_struct = self.ident().is_ok() && self.eat(b':');
                self.i = start;
                let inner = if over_struct {
                    YdbType::Struct(self.field_list(level + 2)?)
                } else {
                    YdbType::Tuple(self.type_list(level + 2)?)
                };
                self.expect(b'>')?;
                YdbType::Variant(Box::new(inner))
            }
            "tagged" => {
                self.expect(b'<')?;
                let t = self.parse_type(level + 1)?;
                self.expect(b',')?;
                let tag = if self.eat(b'\'') {
                    let start = self.i;
                    while self.s.get(self.i).is_some_and(|c| *c != b'\'') {
                        self.i += 1;
                    }
                    let tag = self.text.get(start..self.i).unwrap_or_default().to_string();
                    self.expect(b'\'')?;
                    tag
                } else {
                    self.ident()?
                };
                self.expect(b'>')?;
                YdbType::Tagged(tag, Box::new(t))
            }
            "dict" => {
                self.expect(b'<')?;
                let k = self.parse_type(level + 1)?;
                self.expect(b',')?;
                let v = self.parse_type(level + 1)?;
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
        let t = if self.eat(b'?') {
            self.deepest += 1;
            if self.deepest > MAX_TYPE_DEPTH {
                return Err(too_deep(self));
            }
            YdbType::optional(t)
        } else {
            t
        };
        self.deepest = self.deepest.max(outer_deepest);
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
            "Variant<a:Int32,b:Utf8>",
            "Variant<Int32,Utf8>",
            "Tagged<Timestamp64,'created'>",
            "Dict<Utf8,Void>",
            "List<TzDate>",
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
        assert_eq!(YdbType::parse("Set<Int32>").expect("ok").to_string(), "Dict<Int32,Void>");
        assert_eq!(YdbType::parse("Tagged<Int32, tag>").expect("ok").to_string(), "Tagged<Int32,'tag'>");
        // Primitive names take a lookup instead of the parser; both read the same text the same way.
        assert_eq!(YdbType::parse("\tbytes\n"), Ok(YdbType::Primitive(Primitive::String)));
        assert_eq!(YdbType::parse("TEXT"), Ok(YdbType::Primitive(Primitive::Utf8)));
        for refused in ["\u{a0}Uint64", "Uint64 x", "Uint 64", "", "Decimal"] {
            assert!(YdbType::parse(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn bad_type_text_is_an_argument_error() {
        for text in [
            "",
            "Foo",
            "List<",
            "Optional<Int32",
            "Decimal(40,2)",
            "Uint64 x",
            "Struct<a Int32>",
            "Variant<>",
            "Variant<a:Int32,Utf8>",
            "Tagged<Int32,'x>",
            "Set<>",
        ] {
            let e = YdbType::parse(text).expect_err(text);
            assert_eq!(e.kind, crate::error::ErrorKind::Argument, "{text}");
        }
    }

    #[test]
    fn a_type_without_its_item_is_a_protocol_error_not_a_panic() {
        let t = ydb::Type { r#type: Some(ydb::r#type::Type::OptionalType(Box::new(ydb::OptionalType { item: None }))) };
        assert!(YdbType::from_proto(&t).is_err());
        // A type with no variant prost knows is a newer server's: kept as unknown, not an error.
        assert_eq!(YdbType::from_proto(&ydb::Type { r#type: None }), Ok(YdbType::Unknown(UnknownType::Newer)));
    }

    #[test]
    fn ten_thousand_levels_of_type_text_are_an_error_not_a_stack_overflow() {
        for text in [
            format!("{}Int32{}", "List<".repeat(10_000), ">".repeat(10_000)),
            format!("{}Int32?{}", "Struct<a:".repeat(10_000), ">".repeat(10_000)),
            format!("{}Int32", "Optional<".repeat(10_000)),
        ] {
            let e = YdbType::parse(&text).expect_err("too deep");
            assert_eq!(e.kind, crate::error::ErrorKind::Argument);
        }
        let e = YdbType::parse(&format!("{}Int32{}", "List<".repeat(10_000), ">".repeat(10_000))).expect_err("deep");
        assert!(e.message.contains("deeper than 64 levels"), "{}", e.message);
    }

    #[test]
    fn a_proto_type_thousands_of_levels_deep_built_in_code_is_refused() {
        let mut t = ydb::Type { r#type: Some(ydb::r#type::Type::TypeId(P::Int32 as i32)) };
        for _ in 0..10_000 {
            t = ydb::Type {
                r#type: Some(ydb::r#type::Type::ListType(Box::new(ydb::ListType { item: Some(Box::new(t)) }))),
            };
        }
        let e = YdbType::from_proto(&t).expect_err("too deep");
        assert!(e.message.contains("deeper than 64 levels"), "{}", e.message);
        // Taken apart level by level: the derived Drop of 10,000 nested boxes would recurse as deep.
        let mut next = Some(t);
        while let Some(ydb::Type { r#type: Some(ydb::r#type::Type::ListType(mut l)) }) = next.take() {
            next = l.item.take().map(|b| *b);
        }
    }
}

/// Property tests of both ways in: `Ydb.Type` (as bytes and as built in code) and YQL type text. Any
/// input is a type or an error, never a panic; nesting is refused past [`MAX_TYPE_DEPTH`] and nowhere
/// below it; what is accepted round-trips. `PROPTEST_CASES` sets the number of cases.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod properties {
    use super::*;
    use crate::transport::fuzzing::{edits, mangle};
    use proptest::prelude::*;
    use prost::Message;

    fn primitive() -> impl Strategy<Value = YdbType> {
        prop_oneof![
            prop::sample::select(PRIMITIVES).prop_map(|(p, _, _)| YdbType::Primitive(p)),
            (1u32..=35)
                .prop_flat_map(|p| (Just(p), 0..=p))
                .prop_map(|(precision, scale)| YdbType::Decimal { precision, scale }),
            prop::sample::select(vec![YdbType::Void, YdbType::Null, YdbType::EmptyList, YdbType::EmptyDict]),
        ]
    }

    fn name() -> impl Strategy<Value = String> {
        "[a-z_][a-z0-9_]{0,6}"
    }

    /// Any type, a few levels deep. With `text_only`, only what YQL type text can spell (no empty Tuple
    /// or Variant).
    pub(crate) fn any_type(text_only: bool) -> impl Strategy<Value = YdbType> {
        primitive().prop_recursive(6, 48, 4, move |inner| {
            let mut options = vec![
                inner.clone().prop_map(YdbType::optional).boxed(),
                inner.clone().prop_map(|t| YdbType::List(Box::new(t))).boxed(),
                prop::collection::vec(inner.clone(), 1..4).prop_map(YdbType::Tuple).boxed(),
                prop::collection::vec((name(), inner.clone()), 0..4).prop_map(YdbType::Struct).boxed(),
                (inner.clone(), inner.clone()).prop_map(|(k, v)| YdbType::Dict(Box::new(k), Box::new(v))).boxed(),
            ];
            let least = usize::from(text_only);
            options.push(
                prop_oneof![
                    prop::collection::vec(inner.clone(), least..3).prop_map(YdbType::Tuple),
                    prop::collection::vec((name(), inner.clone()), least..3).prop_map(YdbType::Struct),
                ]
                .prop_map(|t| YdbType::Variant(Box::new(t)))
                .boxed(),
            );
            options.push((name(), inner).prop_map(|(tag, t)| YdbType::Tagged(tag, Box::new(t))).boxed());
            prop::strategy::Union::new(options)
        })
    }

    /// One level of nesting around a type, in both its forms; `Variant` takes two levels.
    #[derive(Debug, Clone, Copy)]
    enum Wrapper {
        Optional,
        Suffix,
        List,
        Tuple,
        Struct,
        Dict,
        Variant,
        Tagged,
    }

    impl Wrapper {
        fn levels(self) -> usize {
            if matches!(self, Wrapper::Variant) {
                2
            } else {
                1
            }
        }

        fn wrap(self, t: YdbType) -> YdbType {
            match self {
                Wrapper::Optional | Wrapper::Suffix => YdbType::optional(t),
                Wrapper::List => YdbType::List(Box::new(t)),
                Wrapper::Tuple => YdbType::Tuple(vec![YdbType::Primitive(Primitive::Int32), t]),
                Wrapper::Struct => YdbType::Struct(vec![("a".into(), t)]),
                Wrapper::Dict => YdbType::Dict(Box::new(YdbType::Primitive(Primitive::Utf8)), Box::new(t)),
                Wrapper::Variant => YdbType::Variant(Box::new(YdbType::Tuple(vec![t]))),
                Wrapper::Tagged => YdbType::Tagged("t".into(), Box::new(t)),
            }
        }

        /// The type text of this wrapper around `inner`; `None` when type text cannot spell it.
        fn text(self, inner: &str) -> Option<String> {
            Some(match self {
                Wrapper::Optional => format!("Optional<{inner}>"),
                // The parser reads one `?` after a type, not `??`.
                Wrapper::Suffix if inner.ends_with('?') => format!("Optional<{inner}>"),
                Wrapper::Suffix => format!("{inner}?"),
                Wrapper::List => format!("List<{inner}>"),
                Wrapper::Tuple => format!("Tuple<Int32,{inner}>"),
                Wrapper::Struct => format!("Struct<a:{inner}>"),
                Wrapper::Dict => format!("Dict<Utf8,{inner}>"),
                Wrapper::Variant => format!("Variant<{inner}>"),
                Wrapper::Tagged => format!("Tagged<{inner},'t'>"),
            })
        }
    }

    fn wrappers(text_only: bool) -> impl Strategy<Value = Vec<Wrapper>> {
        use Wrapper::*;
        let all = if text_only {
            vec![Optional, Suffix, List, Tuple, Struct, Dict, Variant, Tagged]
        } else {
            vec![Optional, List, Tuple, Struct, Dict, Variant, Tagged]
        };
        prop::collection::vec(prop::sample::select(all), 0..(MAX_TYPE_DEPTH + 16))
    }

    proptest! {
        #[test]
        fn every_type_round_trips_through_its_proto(t in any_type(false)) {
            prop_assert_eq!(YdbType::from_proto(&t.to_proto()), Ok(t));
        }

        #[test]
        fn every_spellable_type_round_trips_through_its_text(t in any_type(true)) {
            let mut name = String::new();
            t.push_name(&mut name);
            prop_assert_eq!(&name, &t.to_string());
            prop_assert_eq!(YdbType::parse(&t.to_string()), Ok(t));
        }

        #[test]
        fn nesting_is_refused_past_the_bound_and_nowhere_below_it(
            layers in wrappers(false),
            text_layers in wrappers(true),
        ) {
            let build = |layers: &[Wrapper]| layers.iter().fold(YdbType::Primitive(Primitive::Int64), |t, w| w.wrap(t));
            let depth = |layers: &[Wrapper]| 1 + layers.iter().map(|w| w.levels()).sum::<usize>();

            let t = build(&layers);
            let read = YdbType::from_proto(&t.to_proto());
            prop_assert_eq!(read.is_ok(), depth(&layers) <= MAX_TYPE_DEPTH, "depth {}", depth(&layers));

            let text = text_layers.iter().try_fold("Int64".to_string(), |s, w| w.text(&s)).expect("spellable");
            let parsed = YdbType::parse(&text);
            prop_assert_eq!(parsed.is_ok(), depth(&text_layers) <= MAX_TYPE_DEPTH, "{}", text);
            if let Ok(parsed) = parsed {
                prop_assert_eq!(parsed, build(&text_layers));
            }
        }

        #[test]
        fn any_type_text_is_a_type_or_an_argument_error(
            tokens in prop::collection::vec(prop_oneof![
                prop::sample::select(vec![
                    "Optional<", "List<", "Tuple<", "Struct<", "Dict<", "Decimal(", "a:", "b :", ">", ",", ")", "?",
                    "Int32", "utf8", "Bytes", "Void", "EmptyList", "22", "9", "0", "99999999999", " ", "<", "(",
                ]).prop_map(String::from),
                "[ -~]{1,3}",
            ], 0..40),
        ) {
            let text = tokens.concat();
            match YdbType::parse(&text) {
                // What was accepted is written back in a form that reads the same.
                Ok(t) => prop_assert_eq!(YdbType::parse(&t.to_string()), Ok(t)),
                Err(e) => prop_assert_eq!(e.kind, crate::error::ErrorKind::Argument),
            }
        }

        #[test]
        fn any_bytes_as_a_type_are_a_type_or_an_error(
            bytes in prop_oneof![
                prop::collection::vec(any::<u8>(), 0..256),
                (any_type(false), edits()).prop_map(|(t, edits)| mangle(t.to_proto().encode_to_vec(), &edits)),
            ],
        ) {
            if let Ok(proto) = ydb::Type::decode(bytes.as_slice()) {
                if let Ok(t) = YdbType::from_proto(&proto) {
                    let _ = t.to_string();
                    prop_assert_eq!(YdbType::from_proto(&t.to_proto()), Ok(t));
                }
            }
        }
    }
}
