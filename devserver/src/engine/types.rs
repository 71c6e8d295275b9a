//! The YDB type model used by the engine.
//!
//! Exists because YQL is statically typed: the engine infers a YDB type for every expression and result
//! column, checks DECLAREd parameter types and converts values to column types. This module holds the
//! type enum, its YQL spelling (also used to persist column types in the catalog) and the conversion
//! from/to `Ydb.Type`.

use std::fmt;

use crate::proto::ydb;
use ydb::r#type::PrimitiveTypeId as P;

/// A primitive (data) type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prim {
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
    /// The wide date and time types (144169 BC to 148107 AD): Int32 days, Int64 seconds/microseconds.
    Date32,
    Datetime64,
    Timestamp64,
    Interval64,
    /// A date or time with a time zone name, on the wire as text: `2024-05-06,Europe/Berlin`.
    TzDate,
    TzDatetime,
    TzTimestamp,
}

const PRIMS: &[(Prim, &str, P)] = &[
    (Prim::Bool, "Bool", P::Bool),
    (Prim::Int8, "Int8", P::Int8),
    (Prim::Uint8, "Uint8", P::Uint8),
    (Prim::Int16, "Int16", P::Int16),
    (Prim::Uint16, "Uint16", P::Uint16),
    (Prim::Int32, "Int32", P::Int32),
    (Prim::Uint32, "Uint32", P::Uint32),
    (Prim::Int64, "Int64", P::Int64),
    (Prim::Uint64, "Uint64", P::Uint64),
    (Prim::Float, "Float", P::Float),
    (Prim::Double, "Double", P::Double),
    (Prim::Date, "Date", P::Date),
    (Prim::Datetime, "Datetime", P::Datetime),
    (Prim::Timestamp, "Timestamp", P::Timestamp),
    (Prim::Interval, "Interval", P::Interval),
    (Prim::String, "String", P::String),
    (Prim::Utf8, "Utf8", P::Utf8),
    (Prim::Yson, "Yson", P::Yson),
    (Prim::Json, "Json", P::Json),
    (Prim::Uuid, "Uuid", P::Uuid),
    (Prim::JsonDocument, "JsonDocument", P::JsonDocument),
    (Prim::DyNumber, "DyNumber", P::Dynumber),
    (Prim::Date32, "Date32", P::Date32),
    (Prim::Datetime64, "Datetime64", P::Datetime64),
    (Prim::Timestamp64, "Timestamp64", P::Timestamp64),
    (Prim::Interval64, "Interval64", P::Interval64),
    (Prim::TzDate, "TzDate", P::TzDate),
    (Prim::TzDatetime, "TzDatetime", P::TzDatetime),
    (Prim::TzTimestamp, "TzTimestamp", P::TzTimestamp),
];

/// The bounds of the wide types, YDB's: 144169 BC-01-01 to 148107-12-31.
pub const DATE32_RANGE: (i128, i128) = (-53_375_809, 53_375_807);
pub const DATETIME64_RANGE: (i128, i128) = (-4_611_669_897_600, 4_611_669_811_199);
pub const TIMESTAMP64_RANGE: (i128, i128) = (-4_611_669_897_600_000_000, 4_611_669_811_199_999_999);
/// An Interval64 spans at most the whole Timestamp64 range.
pub const INTERVAL64_MAX: i128 = TIMESTAMP64_RANGE.1 - TIMESTAMP64_RANGE.0;

impl Prim {
    /// Looks a primitive type up by its YQL name (case-insensitive; `Text`/`Bytes` aliases accepted).
    pub fn from_name(name: &str) -> Option<Prim> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "text" => return Some(Prim::Utf8),
            "bytes" => return Some(Prim::String),
            _ => {}
        }
        PRIMS.iter().find(|(_, n, _)| n.eq_ignore_ascii_case(name)).map(|(p, _, _)| *p)
    }
    pub fn name(self) -> &'static str {
        PRIMS.iter().find(|(p, _, _)| *p == self).map(|(_, n, _)| *n).unwrap_or("?")
    }
    fn proto_id(self) -> P {
        PRIMS.iter().find(|(p, _, _)| *p == self).map(|(_, _, id)| *id).unwrap_or(P::Unspecified)
    }
    fn from_proto_id(id: i32) -> Option<Prim> {
        PRIMS.iter().find(|(_, _, p)| *p as i32 == id).map(|(p, _, _)| *p)
    }
    /// Integer range `(min, max)` for integer-like types (dates included).
    pub fn int_range(self) -> Option<(i128, i128)> {
        Some(match self {
            Prim::Int8 => (i8::MIN.into(), i8::MAX.into()),
            Prim::Uint8 => (0, u8::MAX.into()),
            Prim::Int16 => (i16::MIN.into(), i16::MAX.into()),
            Prim::Uint16 => (0, u16::MAX.into()),
            Prim::Int32 => (i32::MIN.into(), i32::MAX.into()),
            Prim::Uint32 => (0, u32::MAX.into()),
            Prim::Int64 => (i64::MIN.into(), i64::MAX.into()),
            Prim::Uint64 => (0, u64::MAX.into()),
            // Date: up to 2105-12-31; Datetime: up to 2106; Timestamp up to 2106 in microseconds.
            Prim::Date => (0, 49_672),
            Prim::Datetime => (0, 4_291_747_199),
            Prim::Timestamp => (0, 4_291_747_199_999_999),
            Prim::Interval => (-4_291_747_199_999_999, 4_291_747_199_999_999),
            Prim::Date32 => DATE32_RANGE,
            Prim::Datetime64 => DATETIME64_RANGE,
            Prim::Timestamp64 => TIMESTAMP64_RANGE,
            Prim::Interval64 => (-INTERVAL64_MAX, INTERVAL64_MAX),
            _ => return None,
        })
    }
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            Prim::Int8
                | Prim::Uint8
                | Prim::Int16
                | Prim::Uint16
                | Prim::Int32
                | Prim::Uint32
                | Prim::Int64
                | Prim::Uint64
        )
    }
    pub fn is_signed(self) -> bool {
        matches!(self, Prim::Int8 | Prim::Int16 | Prim::Int32 | Prim::Int64)
    }
    pub fn bits(self) -> u32 {
        match self {
            Prim::Int8 | Prim::Uint8 => 8,
            Prim::Int16 | Prim::Uint16 => 16,
            Prim::Int32 | Prim::Uint32 => 32,
            _ => 64,
        }
    }
    pub fn is_float(self) -> bool {
        matches!(self, Prim::Float | Prim::Double)
    }
    pub fn is_numeric(self) -> bool {
        self.is_integer() || self.is_float()
    }
    pub fn is_stringlike(self) -> bool {
        matches!(self, Prim::String | Prim::Utf8 | Prim::Json | Prim::Yson | Prim::JsonDocument)
    }
    pub fn is_temporal(self) -> bool {
        matches!(
            self,
            Prim::Date
                | Prim::Datetime
                | Prim::Timestamp
                | Prim::Interval
                | Prim::Date32
                | Prim::Datetime64
                | Prim::Timestamp64
                | Prim::Interval64
        )
    }
    pub fn is_interval(self) -> bool {
        matches!(self, Prim::Interval | Prim::Interval64)
    }
    /// The types held as text that is checked but kept as written: the Tz types and DyNumber.
    pub fn is_checked_text(self) -> bool {
        matches!(self, Prim::TzDate | Prim::TzDatetime | Prim::TzTimestamp | Prim::DyNumber)
    }
}

/// A YDB type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    Prim(Prim),
    Decimal(u8, u8),
    Optional(Box<Type>),
    List(Box<Type>),
    Tuple(Vec<Type>),
    Struct(Vec<(String, Type)>),
    Dict(Box<Type>, Box<Type>),
    /// A variant over the members of a `Struct` or the elements of a `Tuple` (the boxed type).
    Variant(Box<Type>),
    Tagged(String, Box<Type>),
    Void,
    Null,
    EmptyList,
    EmptyDict,
}

impl Type {
    pub fn optional(t: Type) -> Type {
        Type::Optional(Box::new(t))
    }
    /// Wraps in Optional unless already Optional (or Null).
    pub fn make_optional(self) -> Type {
        match self {
            Type::Optional(_) | Type::Null => self,
            t => Type::optional(t),
        }
    }
    /// Strips one Optional level.
    pub fn unopt(&self) -> &Type {
        match self {
            Type::Optional(t) => t,
            t => t,
        }
    }
    /// The type under any `Tagged` wrappers.
    pub fn untagged(&self) -> &Type {
        match self {
            Type::Tagged(_, t) => t.untagged(),
            t => t,
        }
    }
    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Optional(_) | Type::Null)
    }
    pub fn prim(&self) -> Option<Prim> {
        match self.unopt() {
            Type::Prim(p) => Some(*p),
            _ => None,
        }
    }

    /// Converts to `Ydb.Type`.
    pub fn to_proto(&self) -> ydb::Type {
        use ydb::r#type::Type as T;
        let t = match self {
            Type::Prim(p) => T::TypeId(p.proto_id() as i32),
            Type::Decimal(p, s) => T::DecimalType(ydb::DecimalType { precision: (*p).into(), scale: (*s).into() }),
            Type::Optional(t) => T::OptionalType(Box::new(ydb::OptionalType { item: Some(Box::new(t.to_proto())) })),
            Type::List(t) => T::ListType(Box::new(ydb::ListType { item: Some(Box::new(t.to_proto())) })),
            Type::Tuple(ts) => T::TupleType(ydb::TupleType { elements: ts.iter().map(Type::to_proto).collect() }),
            Type::Struct(ms) => T::StructType(ydb::StructType {
                members: ms
                    .iter()
                    .map(|(n, t)| ydb::StructMember { name: n.clone(), r#type: Some(t.to_proto()) })
                    .collect(),
            }),
            Type::Dict(k, v) => T::DictType(Box::new(ydb::DictType {
                key: Some(Box::new(k.to_proto())),
                payload: Some(Box::new(v.to_proto())),
            })),
            Type::Variant(inner) => {
                use ydb::variant_type::Type as V;
                T::VariantType(ydb::VariantType {
                    r#type: match inner.to_proto().r#type {
                        Some(T::StructType(s)) => Some(V::StructItems(s)),
                        Some(T::TupleType(t)) => Some(V::TupleItems(t)),
                        _ => None,
                    },
                })
            }
            Type::Tagged(tag, t) => {
                T::TaggedType(Box::new(ydb::TaggedType { tag: tag.clone(), r#type: Some(Box::new(t.to_proto())) }))
            }
            Type::Void => T::VoidType(0),
            Type::Null => T::NullType(0),
            Type::EmptyList => T::EmptyListType(0),
            Type::EmptyDict => T::EmptyDictType(0),
        };
        ydb::Type { r#type: Some(t) }
    }

    /// Converts from `Ydb.Type`; `None` for types the engine does not model.
    pub fn from_proto(t: &ydb::Type) -> Option<Type> {
        use ydb::r#type::Type as T;
        Some(match t.r#type.as_ref()? {
            T::TypeId(id) => Type::Prim(Prim::from_proto_id(*id)?),
            T::DecimalType(d) => Type::Decimal(u8::try_from(d.precision).ok()?, u8::try_from(d.scale).ok()?),
            T::OptionalType(o) => Type::optional(Type::from_proto(o.item.as_deref()?)?),
            T::ListType(l) => Type::List(Box::new(Type::from_proto(l.item.as_deref()?)?)),
            T::TupleType(tt) => Type::Tuple(tt.elements.iter().map(Type::from_proto).collect::<Option<Vec<_>>>()?),
            T::StructType(s) => Type::Struct(
                s.members
                    .iter()
                    .map(|m| Some((m.name.clone(), Type::from_proto(m.r#type.as_ref()?)?)))
                    .collect::<Option<Vec<_>>>()?,
            ),
            T::DictType(d) => Type::Dict(
                Box::new(Type::from_proto(d.key.as_deref()?)?),
                Box::new(Type::from_proto(d.payload.as_deref()?)?),
            ),
            T::VariantType(v) => {
                use ydb::variant_type::Type as V;
                let wrap = |t: T| ydb::Type { r#type: Some(t) };
                Type::Variant(Box::new(match v.r#type.as_ref()? {
                    V::StructItems(s) => Type::from_proto(&wrap(T::StructType(s.clone())))?,
                    V::TupleItems(t) => Type::from_proto(&wrap(T::TupleType(t.clone())))?,
                }))
            }
            T::TaggedType(t) => Type::Tagged(t.tag.clone(), Box::new(Type::from_proto(t.r#type.as_deref()?)?)),
            T::VoidType(_) => Type::Void,
            T::NullType(_) => Type::Null,
            T::EmptyListType(_) => Type::EmptyList,
            T::EmptyDictType(_) => Type::EmptyDict,
            _ => return None,
        })
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Prim(p) => write!(f, "{}", p.name()),
            Type::Decimal(p, s) => write!(f, "Decimal({p},{s})"),
            Type::Optional(t) => write!(f, "Optional<{t}>"),
            Type::List(t) => write!(f, "List<{t}>"),
            Type::Tuple(ts) => {
                write!(f, "Tuple<")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        write!(f, ",")?;
                    }
                    write!(f, "{t}")?;
                }
                write!(f, ">")
            }
            Type::Struct(ms) => {
                write!(f, "Struct<")?;
                for (i, (n, t)) in ms.iter().enumerate() {
                    if i > 0 {
                        write!(f, ",")?;
                    }
                    write!(f, "'{n}':{t}")?;
                }
                write!(f, ">")
            }
            Type::Dict(k, v) => write!(f, "Dict<{k},{v}>"),
            Type::Variant(inner) => {
                // `Variant<Int32,Utf8>` over a tuple, `Variant<'a':Int32>` over a struct.
                let text = inner.to_string();
                let items = text.split_once('<').map(|(_, rest)| rest).unwrap_or(">");
                write!(f, "Variant<{items}")
            }
            Type::Tagged(tag, t) => write!(f, "Tagged<{t},'{tag}'>"),
            Type::Void => write!(f, "Void"),
            Type::Null => write!(f, "Null"),
            Type::EmptyList => write!(f, "EmptyList"),
            Type::EmptyDict => write!(f, "EmptyDict"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn proto_round_trip() {
        let t = Type::List(Box::new(Type::Struct(vec![
            ("a".into(), Type::Prim(Prim::Int32)),
            ("b".into(), Type::optional(Type::Decimal(22, 9))),
        ])));
        assert_eq!(Type::from_proto(&t.to_proto()).unwrap(), t);
        assert_eq!(t.to_string(), "List<Struct<'a':Int32,'b':Optional<Decimal(22,9)>>>");
    }

    #[test]
    fn variants_and_tags_round_trip() {
        let s = Type::Variant(Box::new(Type::Struct(vec![("a".into(), Type::Prim(Prim::Int32))])));
        let t = Type::Variant(Box::new(Type::Tuple(vec![Type::Prim(Prim::Utf8), Type::Prim(Prim::Date32)])));
        let g = Type::Tagged("user".into(), Box::new(Type::Prim(Prim::TzTimestamp)));
        for ty in [&s, &t, &g] {
            assert_eq!(Type::from_proto(&ty.to_proto()).as_ref(), Some(ty));
        }
        assert_eq!(s.to_string(), "Variant<'a':Int32>");
        assert_eq!(t.to_string(), "Variant<Utf8,Date32>");
        assert_eq!(g.to_string(), "Tagged<TzTimestamp,'user'>");
    }
}
