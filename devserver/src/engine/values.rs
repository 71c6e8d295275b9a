//! Runtime values and their conversions.
//!
//! Exists because the engine evaluates YQL in Rust with YDB semantics: values arrive as `Ydb.Value`
//! (parameters), are stored in SQLite columns with an order-preserving encoding and leave as `Ydb.Value`
//! again. Every conversion checks ranges: a value outside its type's range is an error, never a wrap.
//!
//! SQLite storage per YDB type (chosen so that SQLite's order is YDB's order for key columns):
//! - Bool, Int8..Int64, Uint8..Uint32, Date, Datetime, Timestamp, Interval and their wide forms (Date32,
//!   Datetime64, Timestamp64, Interval64): INTEGER as is.
//! - Uint64: INTEGER holding `value XOR 2^63` reinterpreted as i64, so values above 2^63 sort right.
//! - Float, Double: REAL.
//! - String, Yson: BLOB; Utf8, Json, JsonDocument: TEXT (byte order, SQLite's BINARY collation).
//! - TzDate, TzDatetime, TzTimestamp (`2024-05-06,Europe/Berlin`), DyNumber: TEXT as written, after a
//!   check of its form (see [`check_text`]).
//! - Decimal: 16-byte big-endian BLOB of the scaled i128 with the sign bit flipped (sorts numerically).
//! - Uuid: 16-byte BLOB of YDB's 128-bit value (big-endian).

use std::cmp::Ordering;

use prost::Message as _;

use super::types::{Prim, Type};
use crate::proto::ydb;
use ydb::value::Value as PV;

/// A runtime value; its meaning comes from the statically inferred [`Type`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// All integer types and Date/Datetime/Timestamp/Interval (days, seconds, microseconds).
    Int(i128),
    Float(f64),
    /// String, Yson.
    Bytes(Vec<u8>),
    /// Utf8, Json, JsonDocument.
    Text(String),
    /// Decimal scaled by 10^scale.
    Decimal(i128),
    Uuid(u128),
    /// List, Tuple and Struct items.
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    /// A present Optional whose inner value is itself an (Optional) NULL: `Just(NULL)`.
    Just(Box<Value>),
    /// A variant's alternative (by its index among the struct's members or the tuple's elements) and value.
    Variant(u32, Box<Value>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

fn pv(v: PV) -> ydb::Value {
    ydb::Value { value: Some(v), ..Default::default() }
}

/// Decimal digits limit for a precision.
pub fn pow10(n: u32) -> i128 {
    10i128.checked_pow(n).unwrap_or(i128::MAX)
}

/// Builds a runtime value from a `Ydb.Value` of type `ty`, checking ranges.
pub fn from_proto(ty: &Type, v: &ydb::Value) -> Result<Value, String> {
    let bad = || format!("Value does not match type {ty}");
    match ty {
        Type::Optional(inner) => match &v.value {
            Some(PV::NullFlagValue(_)) => Ok(Value::Null),
            // A present Optional<Variant> is the variant's own value, whose `nested_value` is its alternative's.
            Some(PV::NestedValue(_)) if matches!(inner.untagged(), Type::Variant(_)) => from_proto(inner, v),
            Some(PV::NestedValue(n)) => {
                let inner_v = from_proto(inner, n)?;
                Ok(if inner_v.is_null() { Value::Just(Box::new(Value::Null)) } else { inner_v })
            }
            None if v.items.is_empty()
                && v.pairs.is_empty()
                && !matches!(inner.as_ref(), Type::List(_) | Type::Tuple(_) | Type::Struct(_) | Type::Dict(..)) =>
            {
                Ok(Value::Null)
            }
            _ => from_proto(inner, v),
        },
        Type::Null | Type::Void => Ok(Value::Null),
        Type::Tagged(_, t) => from_proto(t, v),
        Type::Variant(inner) => {
            let alt = alternatives(inner).get(v.variant_index as usize).copied().ok_or_else(bad)?;
            match &v.value {
                Some(PV::NestedValue(n)) => Ok(Value::Variant(v.variant_index, Box::new(from_proto(alt, n)?))),
                _ => Err(bad()),
            }
        }
        Type::EmptyList => Ok(Value::List(Vec::new())),
        Type::EmptyDict => Ok(Value::Dict(Vec::new())),
        Type::List(t) => Ok(Value::List(v.items.iter().map(|i| from_proto(t, i)).collect::<Result<_, _>>()?)),
        Type::Tuple(ts) => {
            if ts.len() != v.items.len() {
                return Err(bad());
            }
            Ok(Value::List(ts.iter().zip(&v.items).map(|(t, i)| from_proto(t, i)).collect::<Result<_, _>>()?))
        }
        Type::Struct(ms) => {
            if ms.len() != v.items.len() {
                return Err(bad());
            }
            Ok(Value::List(ms.iter().zip(&v.items).map(|((_, t), i)| from_proto(t, i)).collect::<Result<_, _>>()?))
        }
        Type::Dict(k, p) => Ok(Value::Dict(
            v.pairs
                .iter()
                .map(|pair| {
                    let key = pair.key.as_ref().ok_or_else(bad)?;
                    // A Set's pairs may leave out their Void payload (the Python SDK does).
                    let pay = match &pair.payload {
                        Some(pay) => from_proto(p, pay)?,
                        None => from_proto(p, &ydb::Value::default())?,
                    };
                    Ok((from_proto(k, key)?, pay))
                })
                .collect::<Result<_, String>>()?,
        )),
        Type::Decimal(p, _) => match &v.value {
            Some(PV::Low128(lo)) => {
                let raw = (u128::from(v.high_128) << 64 | u128::from(*lo)) as i128;
                if raw.unsigned_abs() >= pow10(u32::from(*p)).unsigned_abs() {
                    return Err(format!("Decimal value is out of range for {ty}"));
                }
                Ok(Value::Decimal(raw))
            }
            _ => Err(bad()),
        },
        Type::Prim(p) => prim_from_proto(*p, v).ok_or_else(bad).and_then(|val| check_range(*p, val)),
    }
}

/// The types of a variant's alternatives: the struct's members or the tuple's elements.
pub fn alternatives(inner: &Type) -> Vec<&Type> {
    match inner {
        Type::Struct(ms) => ms.iter().map(|(_, t)| t).collect(),
        Type::Tuple(ts) => ts.iter().collect(),
        _ => Vec::new(),
    }
}

fn prim_from_proto(p: Prim, v: &ydb::Value) -> Option<Value> {
    let pv = v.value.as_ref()?;
    Some(match (p, pv) {
        (Prim::Bool, PV::BoolValue(b)) => Value::Bool(*b),
        (Prim::Int8 | Prim::Int16 | Prim::Int32 | Prim::Date32, PV::Int32Value(i)) => Value::Int((*i).into()),
        (Prim::Datetime64 | Prim::Timestamp64 | Prim::Interval64, PV::Int64Value(i)) => Value::Int((*i).into()),
        (p, PV::TextValue(t)) if p.is_checked_text() => Value::Text(check_text(p, t)?.to_owned()),
        (Prim::Uint8 | Prim::Uint16 | Prim::Uint32 | Prim::Date | Prim::Datetime, PV::Uint32Value(i)) => {
            Value::Int((*i).into())
        }
        (Prim::Int64 | Prim::Interval, PV::Int64Value(i)) => Value::Int((*i).into()),
        (Prim::Uint64 | Prim::Timestamp, PV::Uint64Value(i)) => Value::Int((*i).into()),
        (Prim::Float, PV::FloatValue(f)) => Value::Float((*f).into()),
        (Prim::Double, PV::DoubleValue(f)) => Value::Float(*f),
        (Prim::String | Prim::Yson, PV::BytesValue(b)) => Value::Bytes(b.clone()),
        (Prim::String | Prim::Yson, PV::TextValue(t)) => Value::Bytes(t.as_bytes().to_vec()),
        (Prim::Utf8 | Prim::Json, PV::TextValue(t)) => Value::Text(t.clone()),
        (Prim::JsonDocument, PV::TextValue(t)) => Value::Text(normalize_json_document(t)?),
        (Prim::Uuid, PV::Low128(lo)) => Value::Uuid(u128::from(v.high_128) << 64 | u128::from(*lo)),
        _ => return None,
    })
}

/// A JsonDocument as YDB hands it back: YDB keeps a JsonDocument in its binary form, so the text it
/// returns is the canonical one (no insignificant whitespace, object keys in sorted order, as the binary
/// form keeps them). `None` when the text is not JSON.
pub fn normalize_json_document(text: &str) -> Option<String> {
    let parsed: serde_json::Value = serde_json::from_str(text).ok()?;
    serde_json::to_string(&parsed).ok()
}

/// Checks the text of a Tz type (`<date or time>,<zone name>`) or a DyNumber (a decimal number in
/// plain or exponent form); `None` if it is not one. The text is kept as written.
pub fn check_text(p: Prim, text: &str) -> Option<&str> {
    if p == Prim::DyNumber {
        let digits = text.bytes().filter(u8::is_ascii_digit).count();
        let form = text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
        return (digits > 0 && form && text.parse::<f64>().is_ok()).then_some(text);
    }
    let (moment, zone) = text.rsplit_once(',')?;
    let zone_ok = !zone.is_empty()
        && zone.len() <= 64
        && zone.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'));
    let moment_ok = match p {
        Prim::TzDate => parse_date(moment).is_some(),
        Prim::TzDatetime => !moment.contains('.') && parse_timestamp(moment).is_some(),
        _ => parse_timestamp(moment).is_some(),
    };
    (zone_ok && moment_ok).then_some(text)
}

/// Checks that an integer-like value fits its primitive type.
pub fn check_range(p: Prim, v: Value) -> Result<Value, String> {
    if let (Some((lo, hi)), Value::Int(i)) = (p.int_range(), &v) {
        if *i < lo || *i > hi {
            return Err(format!("Value {i} is out of range for type {}", p.name()));
        }
    }
    Ok(v)
}

/// Converts a runtime value of type `ty` to `Ydb.Value`.
pub fn to_proto(ty: &Type, v: &Value) -> ydb::Value {
    match (ty, v) {
        (_, Value::Null) => pv(PV::NullFlagValue(0)),
        (Type::Optional(inner), Value::Just(x)) => pv(PV::NestedValue(Box::new(to_proto(inner, x)))),
        (Type::Optional(inner), v) => to_proto(inner, v),
        (Type::Tagged(_, t), v) => to_proto(t, v),
        (Type::Variant(inner), Value::Variant(i, x)) => {
            let alt = alternatives(inner).get(*i as usize).map(|t| (*t).clone()).unwrap_or(Type::Void);
            ydb::Value {
                value: Some(PV::NestedValue(Box::new(to_proto(&alt, x)))),
                variant_index: *i,
                ..Default::default()
            }
        }
        (Type::EmptyList | Type::EmptyDict, _) => ydb::Value::default(),
        (Type::List(t), Value::List(items)) => {
            ydb::Value { items: items.iter().map(|i| to_proto(t, i)).collect(), ..Default::default() }
        }
        (Type::Tuple(ts), Value::List(items)) => {
            ydb::Value { items: ts.iter().zip(items).map(|(t, i)| to_proto(t, i)).collect(), ..Default::default() }
        }
        (Type::Struct(ms), Value::List(items)) => {
            ydb::Value { items: ms.iter().zip(items).map(|((_, t), i)| to_proto(t, i)).collect(), ..Default::default() }
        }
        (Type::Dict(k, p), Value::Dict(pairs)) => ydb::Value {
            pairs: pairs
                .iter()
                .map(|(a, b)| ydb::ValuePair { key: Some(to_proto(k, a)), payload: Some(to_proto(p, b)) })
                .collect(),
            ..Default::default()
        },
        (Type::Decimal(..), Value::Decimal(d)) => {
            let u = *d as u128;
            ydb::Value { value: Some(PV::Low128(u as u64)), high_128: (u >> 64) as u64, ..Default::default() }
        }
        (Type::Prim(Prim::Uuid), Value::Uuid(u)) => {
            ydb::Value { value: Some(PV::Low128(*u as u64)), high_128: (*u >> 64) as u64, ..Default::default() }
        }
        (Type::Prim(p), v) => pv(match (p, v) {
            (_, Value::Bool(b)) => PV::BoolValue(*b),
            (Prim::Int8 | Prim::Int16 | Prim::Int32 | Prim::Date32, Value::Int(i)) => PV::Int32Value(*i as i32),
            (Prim::Uint8 | Prim::Uint16 | Prim::Uint32 | Prim::Date | Prim::Datetime, Value::Int(i)) => {
                PV::Uint32Value(*i as u32)
            }
            (Prim::Int64 | Prim::Interval, Value::Int(i)) => PV::Int64Value(*i as i64),
            (Prim::Uint64 | Prim::Timestamp, Value::Int(i)) => PV::Uint64Value(*i as u64),
            (Prim::Float, Value::Float(f)) => PV::FloatValue(*f as f32),
            (_, Value::Float(f)) => PV::DoubleValue(*f),
            (_, Value::Bytes(b)) => PV::BytesValue(b.clone()),
            (_, Value::Text(t)) => PV::TextValue(t.clone()),
            (_, Value::Int(i)) => PV::Int64Value(*i as i64),
            _ => PV::NullFlagValue(0),
        }),
        _ => pv(PV::NullFlagValue(0)),
    }
}

/// Encodes a value of primitive/decimal type for a SQLite column (see the module doc).
pub fn to_sql(ty: &Type, v: &Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as S;
    match (ty.unopt(), v) {
        (_, Value::Null) => S::Null,
        (_, Value::Bool(b)) => S::Integer(i64::from(*b)),
        (Type::Prim(Prim::Uint64), Value::Int(i)) => S::Integer(((*i as u64) ^ (1u64 << 63)) as i64),
        (_, Value::Int(i)) => S::Integer(*i as i64),
        (_, Value::Float(f)) => S::Real(*f),
        (_, Value::Bytes(b)) => S::Blob(b.clone()),
        (_, Value::Text(t)) => S::Text(t.clone()),
        (_, Value::Decimal(d)) => S::Blob(((*d as u128) ^ (1u128 << 127)).to_be_bytes().to_vec()),
        (_, Value::Uuid(u)) => S::Blob(u.to_be_bytes().to_vec()),
        (_, other) => S::Blob(to_proto(ty, other).encode_to_vec()),
    }
}

/// Decodes a SQLite column value stored by [`to_sql`].
pub fn from_sql(ty: &Type, v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef as S;
    let b16 = |b: &[u8]| -> u128 {
        let mut a = [0u8; 16];
        for (d, s) in a.iter_mut().zip(b.iter()) {
            *d = *s;
        }
        u128::from_be_bytes(a)
    };
    match (ty.unopt(), v) {
        (_, S::Null) => Value::Null,
        (Type::Prim(Prim::Bool), S::Integer(i)) => Value::Bool(i != 0),
        (Type::Prim(Prim::Uint64), S::Integer(i)) => Value::Int(((i as u64) ^ (1u64 << 63)).into()),
        (_, S::Integer(i)) => Value::Int(i.into()),
        (_, S::Real(f)) => Value::Float(f),
        (Type::Decimal(..), S::Blob(b)) => Value::Decimal((b16(b) ^ (1u128 << 127)) as i128),
        (Type::Prim(Prim::Uuid), S::Blob(b)) => Value::Uuid(b16(b)),
        (_, S::Blob(b)) => Value::Bytes(b.to_vec()),
        (_, S::Text(t)) => Value::Text(String::from_utf8_lossy(t).into_owned()),
    }
}

/// Total order used by ORDER BY and key comparisons: NULL first, then by value.
pub fn total_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => compare(a, b).unwrap_or(Ordering::Equal),
    }
}

/// Compares two non-null values of compatible types.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    Some(match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y)?,
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64))?,
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y)?,
        (Value::Decimal(x), Value::Decimal(y)) => x.cmp(y),
        (Value::Bytes(x), Value::Bytes(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Bytes(x), Value::Text(y)) => x.as_slice().cmp(y.as_bytes()),
        (Value::Text(x), Value::Bytes(y)) => x.as_bytes().cmp(y.as_slice()),
        (Value::Uuid(x), Value::Uuid(y)) => x.cmp(y),
        (Value::Just(x), Value::Just(y)) => total_cmp(x, y),
        (Value::Variant(i, x), Value::Variant(j, y)) => i.cmp(j).then_with(|| total_cmp(x, y)),
        (Value::List(x), Value::List(y)) => {
            for (p, q) in x.iter().zip(y) {
                match total_cmp(p, q) {
                    Ordering::Equal => {}
                    o => return Some(o),
                }
            }
            x.len().cmp(&y.len())
        }
        _ => return None,
    })
}

// ---- dates ----

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses `YYYY-MM-DD` into days.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.splitn(3, '-');
    let y = num(it.next()?)?;
    let m = num(it.next()?)?;
    let d = num(it.next()?)?;
    if !(1..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` into microseconds.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z').unwrap_or(s);
    let (date, time) = s.split_once(['T', ' ']).unwrap_or((s, "00:00:00"));
    let days = parse_date(date)?;
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut it = hms.splitn(3, ':');
    let h = num(it.next()?)?;
    let mi = num(it.next()?)?;
    let se = num(it.next().unwrap_or("0"))?;
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut micros = 0i64;
    if !frac.is_empty() {
        let f: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
        micros = num(&f)?;
    }
    Some(((days * 86_400 + h * 3600 + mi * 60 + se) * 1_000_000) + micros)
}

pub fn format_date(days: i128) -> String {
    let (y, m, d) = civil_from_days(days as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn format_timestamp(micros: i128, with_frac: bool) -> String {
    let secs = micros.div_euclid(1_000_000) as i64;
    let frac = micros.rem_euclid(1_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    let base = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", t / 3600, t % 3600 / 60, t % 60);
    if with_frac && frac != 0 {
        format!("{base}.{frac:06}Z")
    } else {
        format!("{base}Z")
    }
}

/// Parses a decimal literal text into a scaled integer, checking precision.
pub fn parse_decimal(s: &str, precision: u8, scale: u8) -> Option<i128> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: i128 = 0;
    for b in int.bytes() {
        v = v.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    let mut fr = frac.bytes();
    let mut round_up = false;
    for _ in 0..scale {
        let digit = fr.next().map(|b| b - b'0').unwrap_or(0);
        v = v.checked_mul(10)?.checked_add(i128::from(digit))?;
    }
    if let Some(next) = fr.next() {
        round_up = next >= b'5';
    }
    if round_up {
        v = v.checked_add(1)?;
    }
    if v >= pow10(u32::from(precision)) {
        return None;
    }
    Some(if neg { -v } else { v })
}

pub fn format_decimal(v: i128, scale: u8) -> String {
    let neg = v < 0;
    let a = v.unsigned_abs();
    let p = pow10(u32::from(scale)) as u128;
    let int = a / p.max(1);
    let frac = a % p.max(1);
    let mut s = if scale == 0 { int.to_string() } else { format!("{int}.{frac:0w$}", w = usize::from(scale)) };
    if scale > 0 {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if neg {
        format!("-{s}")
    } else {
        s
    }
}

pub fn parse_uuid(s: &str) -> Option<u128> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || s.len() != 36 {
        return None;
    }
    let b = u128::from_str_radix(&hex, 16).ok()?.to_be_bytes();
    // YDB stores the RFC 4122 text in its mixed-endian layout: the first three groups little-endian.
    let order = [3usize, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    let mut out = [0u8; 16];
    for (o, i) in out.iter_mut().zip(order) {
        *o = *b.get(i)?;
    }
    Some(u128::from_le_bytes(out))
}

pub fn format_uuid(u: u128) -> String {
    let b = u.to_le_bytes();
    let order = [3usize, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    let mut s = String::new();
    for (n, i) in order.iter().enumerate() {
        if matches!(n, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{:02x}", b.get(*i).copied().unwrap_or(0)));
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(format_date(parse_date("2024-02-29").unwrap().into()), "2024-02-29");
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_timestamp("1970-01-01T00:00:01.5Z"), Some(1_500_000));
    }

    #[test]
    fn decimals_and_uuid() {
        assert_eq!(parse_decimal("1.5", 22, 9), Some(1_500_000_000));
        assert_eq!(format_decimal(-1_500_000_000, 9), "-1.5");
        let u = "123e4567-e89b-12d3-a456-426614174000";
        assert_eq!(format_uuid(parse_uuid(u).unwrap()), u);
    }

    #[test]
    fn wide_and_text_checked_types_round_trip_through_proto() {
        let cases = [
            (Prim::Date32, PV::Int32Value(-800_000)),
            (Prim::Datetime64, PV::Int64Value(-62_000_000_000)),
            (Prim::Timestamp64, PV::Int64Value(5_000_000_000_000_000)),
            (Prim::Interval64, PV::Int64Value(-9_000_000_000_000_000_000)),
            (Prim::TzDate, PV::TextValue("2024-05-06,Europe/Berlin".into())),
            (Prim::TzDatetime, PV::TextValue("2024-05-06T07:08:09,America/New_York".into())),
            (Prim::TzTimestamp, PV::TextValue("2024-05-06T07:08:09.123456,Asia/Tokyo".into())),
            (Prim::DyNumber, PV::TextValue("-1.25e-40".into())),
        ];
        for (p, v) in cases {
            let t = Type::Prim(p);
            let value = from_proto(&t, &pv(v.clone())).unwrap();
            assert_eq!(to_proto(&t, &value).value, Some(v), "{t}");
        }
        for (p, text) in
            [(Prim::TzDate, "2024-05-06"), (Prim::TzDatetime, "2024-05-06T07:08:09.5,UTC"), (Prim::DyNumber, "1x")]
        {
            assert!(from_proto(&Type::Prim(p), &pv(PV::TextValue(text.into()))).is_err(), "{text}");
        }
        let wide = Type::Prim(Prim::Timestamp64);
        assert!(from_proto(&wide, &pv(PV::Int64Value(i64::MAX))).is_err());
    }

    #[test]
    fn variants_keep_their_alternative() {
        let t = Type::Variant(Box::new(Type::Tuple(vec![Type::Prim(Prim::Utf8), Type::Prim(Prim::Int32)])));
        let v = ydb::Value {
            value: Some(PV::NestedValue(Box::new(pv(PV::Int32Value(7))))),
            variant_index: 1,
            ..Default::default()
        };
        let value = from_proto(&t, &v).unwrap();
        assert_eq!(value, Value::Variant(1, Box::new(Value::Int(7))));
        assert_eq!(to_proto(&t, &value), v);
        let out_of_range = ydb::Value { variant_index: 2, ..v };
        assert!(from_proto(&t, &out_of_range).is_err());
    }

    #[test]
    fn uint64_order_preserved() {
        let t = Type::Prim(Prim::Uint64);
        let a = to_sql(&t, &Value::Int(1));
        let b = to_sql(&t, &Value::Int(u64::MAX.into()));
        match (a, b) {
            (rusqlite::types::Value::Integer(x), rusqlite::types::Value::Integer(y)) => {
                assert!(x < y)
            }
            _ => unreachable!(),
        }
    }
}
