//! Types: the YQL rules for the types of expressions and for converting values between them.
//!
//! Owns common types (integer promotion, arithmetic and comparison operands, CASE/COALESCE arms), which
//! casts exist and which cannot fail, what a column accepts on write, implicit conversion with range
//! checks, and explicit CAST. Pure functions of types and values, with no access to the query context.

use super::{BExpr, R};
use crate::engine::ast::*;
use crate::engine::catalog::ColumnMeta;
use crate::engine::datetime::{self};
use crate::engine::types::{Prim, Type};
use crate::engine::values::{self, pow10, Value};
use crate::engine::EngineError;

pub(super) fn check_bool(t: &Type) -> R<()> {
    match t.unopt() {
        Type::Prim(Prim::Bool) | Type::Null => Ok(()),
        other => Err(EngineError::generic(format!("Expected Bool, but got {other}"))),
    }
}

/// Common integer type of two integer types.
fn int_common(a: Prim, b: Prim) -> Prim {
    if a == b {
        return a;
    }
    let wider = |x: Prim, y: Prim| if x.bits() >= y.bits() { x } else { y };
    match (a.is_signed(), b.is_signed()) {
        (true, true) | (false, false) => wider(a, b),
        _ => {
            let (s, u) = if a.is_signed() { (a, b) } else { (b, a) };
            if s.bits() > u.bits() {
                s
            } else if u.bits() > s.bits() {
                u
            } else {
                match s.bits() {
                    8 => Prim::Int16,
                    16 => Prim::Int32,
                    32 => Prim::Int64,
                    _ => Prim::Uint64,
                }
            }
        }
    }
}

/// Result type of an arithmetic operation, and the types operands are coerced to.
pub(super) fn arith_type(op: BinOp, l: &Type, r: &Type) -> R<(Type, Type, Type)> {
    let err = || EngineError::generic(format!("Cannot apply arithmetic operation to {l} and {r}"));
    if matches!(l, Type::Null) || matches!(r, Type::Null) {
        let t = if matches!(l, Type::Null) { r.clone() } else { l.clone() };
        return Ok((t.clone(), t.clone(), t));
    }
    match (l, r) {
        (Type::Decimal(p, s), Type::Decimal(p2, s2)) => {
            if s != s2 {
                return Err(EngineError::generic(format!("Decimal scales differ: {l} and {r}")));
            }
            let t = Type::Decimal((*p).max(*p2), *s);
            Ok((t.clone(), t.clone(), t))
        }
        (Type::Decimal(..), Type::Prim(p)) if p.is_integer() => Ok((l.clone(), l.clone(), l.clone())),
        (Type::Prim(p), Type::Decimal(..)) if p.is_integer() => Ok((r.clone(), r.clone(), r.clone())),
        (Type::Prim(a), Type::Prim(b)) => {
            let (a, b) = (*a, *b);
            if a.is_integer() && b.is_integer() {
                let t = Type::Prim(int_common(a, b));
                return Ok((t.clone(), t.clone(), t));
            }
            if a.is_numeric() && b.is_numeric() {
                if matches!(op, BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor) {
                    return Err(err());
                }
                let t = Type::Prim(if a == Prim::Float && b == Prim::Float { Prim::Float } else { Prim::Double });
                return Ok((t.clone(), t.clone(), t));
            }
            // Date/time arithmetic.
            let iv = Type::Prim(Prim::Interval);
            match (op, a, b) {
                (BinOp::Sub, x, y) if x == y && matches!(x, Prim::Date | Prim::Datetime | Prim::Timestamp) => {
                    let ts = Type::Prim(Prim::Timestamp);
                    Ok((iv, ts.clone(), ts))
                }
                (BinOp::Add | BinOp::Sub, Prim::Date | Prim::Datetime | Prim::Timestamp, Prim::Interval) => {
                    let ts = Type::Prim(Prim::Timestamp);
                    Ok((ts.clone(), ts, iv))
                }
                (BinOp::Add, Prim::Interval, Prim::Date | Prim::Datetime | Prim::Timestamp) => {
                    let ts = Type::Prim(Prim::Timestamp);
                    Ok((ts.clone(), iv, ts))
                }
                (BinOp::Add | BinOp::Sub, Prim::Interval, Prim::Interval) => Ok((iv.clone(), iv.clone(), iv)),
                (BinOp::Mul | BinOp::Div, Prim::Interval, y) if y.is_integer() => {
                    Ok((iv.clone(), iv, Type::Prim(Prim::Int64)))
                }
                _ => Err(err()),
            }
        }
        _ => Err(err()),
    }
}

/// Checks two types can be compared; returns the types to coerce each side to.
pub(super) fn comparable(l: &Type, r: &Type) -> R<(Type, Type)> {
    let (lu, ru) = (l.unopt(), r.unopt());
    let same = || Ok((lu.clone(), ru.clone()));
    match (lu, ru) {
        (Type::Null, _) | (_, Type::Null) => same(),
        (Type::Decimal(_, s), Type::Decimal(_, s2)) if s == s2 => same(),
        (Type::Decimal(..), Type::Prim(p)) if p.is_integer() => Ok((lu.clone(), lu.clone())),
        (Type::Prim(p), Type::Decimal(..)) if p.is_integer() => Ok((ru.clone(), ru.clone())),
        (Type::Prim(a), Type::Prim(b)) => {
            if a == b || (a.is_numeric() && b.is_numeric()) || (a.is_stringlike() && b.is_stringlike()) {
                same()
            } else if matches!(a, Prim::Date | Prim::Datetime | Prim::Timestamp)
                && matches!(b, Prim::Date | Prim::Datetime | Prim::Timestamp)
            {
                let ts = Type::Prim(Prim::Timestamp);
                Ok((ts.clone(), ts))
            } else {
                Err(EngineError::generic(format!("Cannot compare {l} with {r}")))
            }
        }
        (Type::List(_) | Type::Tuple(_) | Type::Struct(_), Type::List(_) | Type::Tuple(_) | Type::Struct(_)) => same(),
        _ if lu == ru => same(),
        _ => Err(EngineError::generic(format!("Cannot compare {l} with {r}"))),
    }
}

/// Wraps a bound expression in a cast when its type differs from the target (numeric/decimal/time).
pub(super) fn coerce(b: BExpr, from: &Type, to: Type) -> BExpr {
    let fu = from.unopt();
    if *fu == to || matches!(fu, Type::Null) {
        return b;
    }
    let needs = matches!(to, Type::Decimal(..))
        || to.prim().is_some_and(|p| p.is_temporal())
        || (to.prim().is_some_and(Prim::is_integer) && fu.prim().is_some_and(Prim::is_integer));
    if !needs {
        return b;
    }
    if let BExpr::Const(v) = &b {
        if let Some(cv) = cast_value(v, from, &to) {
            return BExpr::Const(cv);
        }
    }
    BExpr::Cast(Box::new(b), from.clone(), to)
}

/// The type of `a` and `b` together (CASE arms, COALESCE, IF).
pub(super) fn unify(a: &Type, b: &Type) -> R<Type> {
    let opt = a.is_optional() || b.is_optional();
    let (au, bu) = (a.unopt(), b.unopt());
    let t = match (au, bu) {
        (Type::Null, x) | (x, Type::Null) => return Ok(x.clone().make_optional()),
        _ if au == bu => au.clone(),
        (Type::Prim(x), Type::Prim(y)) if x.is_integer() && y.is_integer() => Type::Prim(int_common(*x, *y)),
        (Type::Prim(x), Type::Prim(y)) if x.is_numeric() && y.is_numeric() => Type::Prim(Prim::Double),
        (Type::Prim(x), Type::Prim(y)) if x.is_stringlike() && y.is_stringlike() => Type::Prim(Prim::String),
        (Type::List(x), Type::List(y)) => Type::List(Box::new(unify(x, y)?)),
        // Rows of a literal table (`AsList(AsStruct(1 AS a), AsStruct(2.5 AS a))`): member by member.
        (Type::Struct(x), Type::Struct(y))
            if x.len() == y.len() && x.iter().zip(y.iter()).all(|((a, _), (b, _))| a == b) =>
        {
            let members = x.iter().zip(y.iter()).map(|((name, a), (_, b))| Ok((name.clone(), unify(a, b)?)));
            Type::Struct(members.collect::<R<Vec<_>>>()?)
        }
        (Type::EmptyList, Type::List(_)) => bu.clone(),
        (Type::List(_), Type::EmptyList) => au.clone(),
        _ => return Err(EngineError::generic(format!("Cannot unify types {a} and {b}"))),
    };
    Ok(if opt { t.make_optional() } else { t })
}

pub(super) fn castable(from: &Type, to: &Type) -> bool {
    match (from, to) {
        (Type::Null, _) => true,
        (Type::Prim(_) | Type::Decimal(..), Type::Prim(_) | Type::Decimal(..)) => true,
        (Type::List(a), Type::List(b)) => castable(a.unopt(), b.unopt()),
        (Type::EmptyList, Type::List(_)) => true,
        _ => from == to,
    }
}

pub(super) fn cast_never_fails(from: &Type, to: &Type) -> bool {
    match (from, to) {
        (Type::Prim(a), Type::Prim(b)) => {
            a == b
                || (a.is_integer()
                    && b.is_integer()
                    && (a.is_signed() == b.is_signed() || !a.is_signed())
                    && a.bits() <= b.bits()
                    && !(b.is_signed() && !a.is_signed() && a.bits() == b.bits()))
                || (a.is_numeric() && b.is_float())
                || (*b == Prim::String)
                || (*a == Prim::Utf8 && *b == Prim::Utf8)
        }
        _ => from == to,
    }
}

/// Checks a source type can be stored into a column.
pub(super) fn check_assignable(src: &Type, col: &ColumnMeta) -> R<()> {
    let s = src.unopt();
    let ok = match (s, &col.ty) {
        (Type::Null, _) => true,
        (a, b) if a == b => true,
        (Type::Prim(a), Type::Prim(b)) => {
            (a.is_integer() && (b.is_integer() || b.is_float()))
                || (a.is_float() && b.is_float())
                || (a.is_stringlike() && b.is_stringlike())
                || (*a == Prim::Timestamp && *b == Prim::Timestamp)
                || (a.is_integer() && b.is_temporal())
                || (a.is_temporal() && b.is_temporal())
        }
        (Type::Prim(a), Type::Decimal(..)) => a.is_integer(),
        (Type::Decimal(_, s1), Type::Decimal(_, s2)) => s1 == s2,
        _ => false,
    };
    if !ok {
        return Err(EngineError::generic(format!(
            "Failed to convert type: {src} to {} for column {}",
            col.result_type(),
            col.name
        )));
    }
    if col.not_null && matches!(s, Type::Null) {
        return Err(EngineError::bad_request(format!("Cannot write NULL into not null column {}", col.name)));
    }
    Ok(())
}

pub(super) fn convert_to_column(v: Value, from: &Type, col: &ColumnMeta) -> R<Value> {
    if v.is_null() {
        if col.not_null {
            return Err(EngineError::bad_request(format!("Cannot write NULL into not null column {}", col.name)));
        }
        return Ok(Value::Null);
    }
    convert_implicit(v, from, &col.ty).map_err(|e| EngineError::generic(format!("{e} (column {})", col.name)))
}

/// Implicit conversion with range checks (never wraps).
pub(super) fn convert_implicit(v: Value, from: &Type, to: &Type) -> Result<Value, String> {
    let from_u = from.unopt();
    if v.is_null() {
        return Ok(v);
    }
    match (v, to) {
        // Before the same-type shortcut: an integer must never be stored as a floating-point column's value.
        (Value::Int(i), Type::Prim(Prim::Float | Prim::Double)) => Ok(Value::Float(i as f64)),
        (v, _) if from_u == to => Ok(v),
        (Value::Int(i), Type::Prim(p)) if p.int_range().is_some() => values::check_range(*p, Value::Int(i)),
        (Value::Float(f), Type::Prim(Prim::Float | Prim::Double)) => Ok(Value::Float(f)),
        (Value::Int(i), Type::Decimal(p, s)) => {
            let scaled = i.checked_mul(pow10(u32::from(*s))).ok_or("Decimal overflow")?;
            if scaled.unsigned_abs() >= pow10(u32::from(*p)).unsigned_abs() {
                return Err(format!("Value {i} is out of range for Decimal({p},{s})"));
            }
            Ok(Value::Decimal(scaled))
        }
        (Value::Decimal(d), Type::Decimal(..)) => Ok(Value::Decimal(d)),
        (v, Type::Prim(Prim::JsonDocument)) if matches!(v, Value::Text(_) | Value::Bytes(_)) => {
            let text = match v {
                Value::Bytes(b) => String::from_utf8(b).map_err(|_| "Invalid UTF-8 in a Utf8 value".to_string())?,
                Value::Text(t) => t,
                _ => String::new(),
            };
            values::normalize_json_document(&text)
                .map(Value::Text)
                .ok_or_else(|| format!("Failed to convert value of type {from} to JsonDocument: not JSON"))
        }
        (Value::Bytes(b), Type::Prim(Prim::Utf8 | Prim::Json)) => {
            String::from_utf8(b).map(Value::Text).map_err(|_| "Invalid UTF-8 in a Utf8 value".to_string())
        }
        (Value::Text(t), Type::Prim(Prim::String | Prim::Yson)) => Ok(Value::Bytes(t.into_bytes())),
        (Value::Text(t), Type::Prim(Prim::Utf8 | Prim::Json)) => Ok(Value::Text(t)),
        (Value::Bytes(b), Type::Prim(Prim::String | Prim::Yson)) => Ok(Value::Bytes(b)),
        (v, to) => cast_value(&v, from, to)
            .filter(|x| !x.is_null())
            .ok_or_else(|| format!("Failed to convert value of type {from} to {to}")),
    }
}

fn to_micros(p: Prim, i: i128) -> i128 {
    match p {
        Prim::Date | Prim::Date32 => i * 86_400_000_000,
        Prim::Datetime | Prim::Datetime64 => i * 1_000_000,
        _ => i,
    }
}

fn from_micros(p: Prim, m: i128) -> i128 {
    match p {
        Prim::Date | Prim::Date32 => m.div_euclid(86_400_000_000),
        Prim::Datetime | Prim::Datetime64 => m.div_euclid(1_000_000),
        _ => m,
    }
}

/// Explicit CAST; `None` (NULL) when the value does not convert.
pub(super) fn cast_value(v: &Value, from: &Type, to: &Type) -> Option<Value> {
    if v.is_null() {
        return Some(Value::Null);
    }
    let from = from.unopt();
    let to = to.unopt();
    let text_of = |v: &Value| -> Option<String> {
        Some(match (v, from) {
            (Value::Bytes(b), _) => String::from_utf8(b.clone()).ok()?,
            (Value::Text(t), _) => t.clone(),
            (Value::Bool(b), _) => b.to_string(),
            (Value::Int(i), Type::Prim(Prim::Date | Prim::Date32)) => values::format_date(*i),
            (Value::Int(i), Type::Prim(Prim::Datetime | Prim::Datetime64)) => {
                values::format_timestamp(i * 1_000_000, false)
            }
            (Value::Int(i), Type::Prim(Prim::Timestamp | Prim::Timestamp64)) => values::format_timestamp(*i, true),
            (Value::Int(i), Type::Prim(Prim::Interval | Prim::Interval64)) => datetime::format_interval(*i),
            (Value::Int(i), _) => i.to_string(),
            (Value::Float(f), _) => format!("{f}"),
            (Value::Decimal(d), Type::Decimal(_, s)) => values::format_decimal(*d, *s),
            (Value::Uuid(u), _) => values::format_uuid(*u),
            _ => return None,
        })
    };
    match to {
        Type::Prim(p) => {
            let p = *p;
            let out = match p {
                Prim::String | Prim::Yson => Value::Bytes(text_of(v).map(String::into_bytes).or_else(|| match v {
                    Value::Bytes(b) => Some(b.clone()),
                    _ => None,
                })?),
                Prim::Utf8 | Prim::Json => Value::Text(text_of(v)?),
                Prim::JsonDocument => Value::Text(values::normalize_json_document(&text_of(v)?)?),
                Prim::Bool => match v {
                    Value::Bool(b) => Value::Bool(*b),
                    Value::Int(i) => Value::Bool(*i != 0),
                    Value::Bytes(_) | Value::Text(_) => match text_of(v)?.trim().to_ascii_lowercase().as_str() {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        _ => return None,
                    },
                    _ => return None,
                },
                Prim::Float | Prim::Double => match v {
                    Value::Int(i) => Value::Float(*i as f64),
                    Value::Float(f) => Value::Float(if p == Prim::Float { f64::from(*f as f32) } else { *f }),
                    Value::Bool(b) => Value::Float(if *b { 1.0 } else { 0.0 }),
                    Value::Decimal(d) => match from {
                        Type::Decimal(_, s) => Value::Float(*d as f64 / pow10(u32::from(*s)) as f64),
                        _ => return None,
                    },
                    Value::Bytes(_) | Value::Text(_) => Value::Float(text_of(v)?.trim().parse().ok()?),
                    _ => return None,
                },
                Prim::Uuid => match v {
                    Value::Uuid(u) => Value::Uuid(*u),
                    _ => Value::Uuid(values::parse_uuid(text_of(v)?.trim())?),
                },
                p if p.is_checked_text() => Value::Text(values::check_text(p, text_of(v)?.trim())?.to_owned()),
                p if p.is_temporal() => {
                    let i = match (v, from) {
                        (Value::Int(i), Type::Prim(fp))
                            if fp.is_temporal() && !p.is_interval() && !fp.is_interval() =>
                        {
                            from_micros(p, to_micros(*fp, *i))
                        }
                        (Value::Int(i), _) => *i,
                        (Value::Bytes(_) | Value::Text(_), _) => {
                            let s = text_of(v)?;
                            match p {
                                Prim::Date | Prim::Date32 => i128::from(values::parse_date(s.trim())?),
                                Prim::Interval | Prim::Interval64 => {
                                    datetime::parse_interval(s.trim()).or_else(|| s.trim().parse::<i128>().ok())?
                                }
                                _ => from_micros(p, i128::from(values::parse_timestamp(s.trim())?)),
                            }
                        }
                        _ => return None,
                    };
                    values::check_range(p, Value::Int(i)).ok()?
                }
                _ => {
                    // Integers.
                    let i = match v {
                        Value::Int(i) => *i,
                        Value::Bool(b) => i128::from(*b),
                        Value::Float(f) => {
                            if !f.is_finite() {
                                return None;
                            }
                            f.trunc() as i128
                        }
                        Value::Decimal(d) => match from {
                            Type::Decimal(_, s) => d / pow10(u32::from(*s)),
                            _ => return None,
                        },
                        Value::Bytes(_) | Value::Text(_) => text_of(v)?.trim().parse::<i128>().ok()?,
                        _ => return None,
                    };
                    values::check_range(p, Value::Int(i)).ok()?
                }
            };
            Some(out)
        }
        Type::Decimal(prec, s) => {
            let d = match v {
                Value::Int(i) => i.checked_mul(pow10(u32::from(*s)))?,
                Value::Decimal(d) => match from {
                    Type::Decimal(_, s0) => {
                        if s0 <= s {
                            d.checked_mul(pow10(u32::from(s - s0)))?
                        } else {
                            d / pow10(u32::from(s0 - s))
                        }
                    }
                    _ => return None,
                },
                Value::Float(f) => (f * pow10(u32::from(*s)) as f64).round() as i128,
                Value::Bytes(_) | Value::Text(_) => values::parse_decimal(&text_of(v)?, *prec, *s)?,
                _ => return None,
            };
            if d.unsigned_abs() >= pow10(u32::from(*prec)).unsigned_abs() {
                return None;
            }
            Some(Value::Decimal(d))
        }
        Type::List(inner) => match (v, from) {
            (Value::List(items), Type::List(fi)) => {
                Some(Value::List(items.iter().map(|x| cast_value(x, fi, inner)).collect::<Option<Vec<_>>>()?))
            }
            (Value::List(items), Type::EmptyList) if items.is_empty() => Some(Value::List(Vec::new())),
            _ => None,
        },
        Type::Struct(members) => match (v, from) {
            (Value::List(fields), Type::Struct(from_members)) if fields.len() == members.len() => Some(Value::List(
                fields
                    .iter()
                    .zip(from_members.iter().zip(members))
                    .map(|(x, ((_, ft), (_, tt)))| cast_value(x, ft, tt))
                    .collect::<Option<Vec<_>>>()?,
            )),
            _ => None,
        },
        _ if from == to => Some(v.clone()),
        _ => None,
    }
}
