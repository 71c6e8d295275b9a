//! Result sets from YDB into JS, following the mapping table of the API contract.
//!
//! A column of a scalar type (or an optional one) is read straight from the rows' bytes into one flat
//! vector by [`columns`], crosses into JS as one typed array, and `js/rows.js` (installed with
//! `__setRowBuilder`) makes its cells, the rows and the result set's object with its column descriptors in
//! JS loops: one call into JS per result set instead of a few per cell or property. A column of another type (containers, nested optionals, unknown types) compiles its
//! type once into a [`Conv`] plan and converts each cell by walking it. Column names become JS strings
//! once per result set. The caller's [`ResultShape`] (`rowMode`, `timestamps`) is decided once per result
//! set: objects or arrays is one flag to `js/rows.js`, timestamps as `Date` or microsecond `BigInt` a
//! different column kind (and plan step).

use crate::error::{Error, Result, Status};
use crate::proto::ydb::{self, value::Value as V};
use crate::value::columns::{self, Cells, Column, FlatColumn};
use crate::value::rows::ResultSet;
use crate::value::scalars;
use crate::value::{Primitive as P, YdbType};
use js_sys::{
    Array, BigInt, BigInt64Array, BigUint64Array, Date, Float64Array, Function, Map, Object, Reflect, Set, Uint32Array,
    Uint8Array,
};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

const MS_PER_DAY: f64 = 86_400_000.0;

/// How the caller wants results: the call options `rowMode` and `timestamps`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResultShape {
    /// `rowMode: 'array'`: each row an array of cells in column order (default: an object by name).
    pub rows_as_arrays: bool,
    /// `timestamps: 'bigint'`: Timestamp and Timestamp64 as BigInt microseconds since the epoch, exact
    /// (default: a `Date`, which holds milliseconds only).
    pub timestamps_as_bigint: bool,
}

impl ResultShape {
    /// Reads `rowMode` (`'object'` | `'array'`) and `timestamps` (`'date'` | `'bigint'`) from an options
    /// object; anything else is a `TypeError` naming the option.
    pub fn from_options(o: &Option<JsValue>) -> Result<ResultShape> {
        let choice = |key: &str, default: &str, other: &str| -> Result<bool> {
            match super::options::string(o, key)? {
                None => Ok(false),
                Some(v) if v == default => Ok(false),
                Some(v) if v == other => Ok(true),
                Some(v) => Err(Error::argument(format!("option {key} must be '{default}' or '{other}', not {v:?}"))),
            }
        };
        Ok(ResultShape {
            rows_as_arrays: choice("rowMode", "object", "array")?,
            timestamps_as_bigint: choice("timestamps", "date", "bigint")?,
        })
    }
}

/// How one YDB type becomes a JS value.
enum Conv {
    Bool,
    Number,
    Int64,
    Uint64,
    Text,
    Bytes,
    Date,
    Datetime,
    Timestamp,
    /// Timestamp or Timestamp64 as BigInt microseconds (`timestamps: 'bigint'`).
    TimestampMicros,
    Interval,
    Uuid,
    Decimal(u32),
    Optional(Box<Conv>, bool),
    List(Box<Conv>),
    Tuple(Vec<Conv>),
    Struct(Vec<(JsValue, Conv)>),
    Dict(Box<Conv>, Box<Conv>),
    /// `Set<T>`, which YDB sends as `Dict<T,Void>`: a JS `Set` of the keys.
    Set(Box<Conv>),
    Variant(Vec<(JsValue, Conv)>),
    EmptyList,
    EmptyDict,
    Null,
    /// A type this client does not know: the value as the wire has it (see [`raw`]).
    Raw,
}

impl Conv {
    fn of(t: &YdbType, shape: ResultShape) -> Conv {
        let of = |t: &YdbType| Conv::of(t, shape);
        let named = |fields: &[(String, YdbType)]| -> Vec<(JsValue, Conv)> {
            fields.iter().map(|(n, t)| (JsValue::from_str(n), of(t))).collect()
        };
        match t {
            YdbType::Primitive(p) => match p {
                P::Bool => Conv::Bool,
                P::Int8 | P::Uint8 | P::Int16 | P::Uint16 | P::Int32 | P::Uint32 | P::Float | P::Double => Conv::Number,
                P::Int64 => Conv::Int64,
                P::Uint64 => Conv::Uint64,
                P::Utf8 | P::Json | P::JsonDocument | P::DyNumber => Conv::Text,
                P::TzDate | P::TzDatetime | P::TzTimestamp => Conv::Text,
                P::String | P::Yson => Conv::Bytes,
                P::Date | P::Date32 => Conv::Date,
                P::Datetime | P::Datetime64 => Conv::Datetime,
                P::Timestamp | P::Timestamp64 if shape.timestamps_as_bigint => Conv::TimestampMicros,
                P::Timestamp | P::Timestamp64 => Conv::Timestamp,
                P::Interval | P::Interval64 => Conv::Interval,
                P::Uuid => Conv::Uuid,
            },
            YdbType::Decimal { scale, .. } => Conv::Decimal(*scale),
            YdbType::Optional(inner) => Conv::Optional(Box::new(of(inner)), matches!(**inner, YdbType::Optional(_))),
            YdbType::List(inner) => Conv::List(Box::new(of(inner))),
            YdbType::Tuple(items) => Conv::Tuple(items.iter().map(of).collect()),
            YdbType::Struct(fields) => Conv::Struct(named(fields)),
            YdbType::Dict(k, v) if matches!(**v, YdbType::Void) => Conv::Set(Box::new(of(k))),
            YdbType::Dict(k, v) => Conv::Dict(Box::new(of(k)), Box::new(of(v))),
            YdbType::Variant(inner) => match inner.as_ref() {
                YdbType::Struct(fields) => Conv::Variant(named(fields)),
                YdbType::Tuple(items) => {
                    Conv::Variant(items.iter().enumerate().map(|(i, t)| (JsValue::from(i as u32), of(t))).collect())
                }
                _ => Conv::Raw,
            },
            YdbType::Tagged(_, inner) => of(inner),
            YdbType::Void | YdbType::Null => Conv::Null,
            YdbType::EmptyList => Conv::EmptyList,
            YdbType::EmptyDict => Conv::EmptyDict,
            YdbType::Unknown(_) => Conv::Raw,
        }
    }

    fn to_js(&self, v: &ydb::Value) -> Result<JsValue> {
        let mismatch = || Error::protocol("a value does not match its column type");
        Ok(match self {
            Conv::Bool => match v.value {
                Some(V::BoolValue(b)) => JsValue::from_bool(b),
                _ => return Err(mismatch()),
            },
            Conv::Number => match v.value {
                Some(V::Int32Value(x)) => JsValue::from_f64(f64::from(x)),
                Some(V::Uint32Value(x)) => JsValue::from_f64(f64::from(x)),
                Some(V::FloatValue(x)) => JsValue::from_f64(f64::from(x)),
                Some(V::DoubleValue(x)) => JsValue::from_f64(x),
                _ => return Err(mismatch()),
            },
            Conv::Int64 | Conv::Interval => match v.value {
                Some(V::Int64Value(x)) => BigInt::from(x).into(),
                _ => return Err(mismatch()),
            },
            Conv::Uint64 => match v.value {
                Some(V::Uint64Value(x)) => BigInt::from(x).into(),
                _ => return Err(mismatch()),
            },
            Conv::Text => match &v.value {
                Some(V::TextValue(s)) => JsValue::from_str(s),
                _ => return Err(mismatch()),
            },
            Conv::Bytes => match &v.value {
                Some(V::BytesValue(b)) => Uint8Array::from(b.as_slice()).into(),
                _ => return Err(mismatch()),
            },
            Conv::Date => match v.value {
                Some(V::Uint32Value(d)) => date(f64::from(d) * MS_PER_DAY),
                Some(V::Int32Value(d)) => date(f64::from(d) * MS_PER_DAY),
                _ => return Err(mismatch()),
            },
            Conv::Datetime => match v.value {
                Some(V::Uint32Value(s)) => date(f64::from(s) * 1000.0),
                Some(V::Int64Value(s)) => date(s as f64 * 1000.0),
                _ => return Err(mismatch()),
            },
            Conv::Timestamp => match v.value {
                Some(V::Uint64Value(us)) => date((us / 1000) as f64),
                Some(V::Int64Value(us)) => date(us.div_euclid(1000) as f64),
                _ => return Err(mismatch()),
            },
            Conv::TimestampMicros => match v.value {
                Some(V::Uint64Value(us)) => BigInt::from(us).into(),
                Some(V::Int64Value(us)) => BigInt::from(us).into(),
                _ => return Err(mismatch()),
            },
            Conv::Uuid => match v.value {
                Some(V::Low128(lo)) => JsValue::from_str(&scalars::format_uuid(lo, v.high_128)),
                _ => return Err(mismatch()),
            },
            Conv::Decimal(scale) => match v.value {
                Some(V::Low128(lo)) => {
                    JsValue::from_str(&scalars::format_decimal(scalars::join_128(lo, v.high_128), *scale))
                }
                _ => return Err(mismatch()),
            },
            Conv::Optional(inner, inner_is_optional) => match &v.value {
                Some(V::NullFlagValue(_)) => JsValue::NULL,
                Some(V::NestedValue(nested)) if *inner_is_optional => inner.to_js(nested)?,
                _ => inner.to_js(v)?,
            },
            Conv::List(item) => {
                let arr = Array::new_with_length(v.items.len() as u32);
                for (i, x) in v.items.iter().enumerate() {
                    arr.set(i as u32, item.to_js(x)?);
                }
                arr.into()
            }
            Conv::Tuple(items) => {
                let arr = Array::new_with_length(items.len() as u32);
                for (i, (c, x)) in items.iter().zip(&v.items).enumerate() {
                    arr.set(i as u32, c.to_js(x)?);
                }
                arr.into()
            }
            Conv::Struct(fields) => {
                let obj = Object::new();
                for ((name, c), x) in fields.iter().zip(&v.items) {
                    set(&obj, name, &c.to_js(x)?);
                }
                obj.into()
            }
            Conv::Dict(k, val) => {
                let map = Map::new();
                for pair in &v.pairs {
                    let key = pair.key.as_ref().ok_or_else(mismatch)?;
                    let payload = pair.payload.as_ref().ok_or_else(mismatch)?;
                    map.set(&k.to_js(key)?, &val.to_js(payload)?);
                }
                map.into()
            }
            Conv::Set(k) => {
                let out = Set::new(&JsValue::UNDEFINED);
                for pair in &v.pairs {
                    out.add(&k.to_js(pair.key.as_ref().ok_or_else(mismatch)?)?);
                }
                out.into()
            }
            Conv::Variant(alts) => {
                let nested = match &v.value {
                    Some(V::NestedValue(n)) => n,
                    _ => return Err(mismatch()),
                };
                let (name, c) = alts.get(v.variant_index as usize).ok_or_else(mismatch)?;
                let obj = Object::new();
                set(&obj, &JsValue::from_str("index"), &JsValue::from(v.variant_index));
                set(&obj, &JsValue::from_str("name"), name);
                set(&obj, &JsValue::from_str("value"), &c.to_js(nested)?);
                obj.into()
            }
            Conv::EmptyList => Array::new().into(),
            Conv::EmptyDict => Map::new().into(),
            Conv::Null => JsValue::NULL,
            Conv::Raw => raw(v, 0)?,
        })
    }
}

/// A value of a type this client does not know, as the wire has it: a scalar as the JS value of its kind
/// (number, BigInt for 64- and 128-bit, string, Uint8Array, null), items as an array, pairs as a Map.
/// Its nesting is bounded like a type's.
fn raw(v: &ydb::Value, depth: usize) -> Result<JsValue> {
    if depth > crate::value::types::MAX_TYPE_DEPTH {
        return Err(Error::protocol("a value of an unknown type nested too deep"));
    }
    Ok(match &v.value {
        Some(V::BoolValue(b)) => JsValue::from_bool(*b),
        Some(V::Int32Value(x)) => JsValue::from_f64(f64::from(*x)),
        Some(V::Uint32Value(x)) => JsValue::from_f64(f64::from(*x)),
        Some(V::FloatValue(x)) => JsValue::from_f64(f64::from(*x)),
        Some(V::DoubleValue(x)) => JsValue::from_f64(*x),
        Some(V::Int64Value(x)) => BigInt::from(*x).into(),
        Some(V::Uint64Value(x)) => BigInt::from(*x).into(),
        Some(V::TextValue(t)) => JsValue::from_str(t),
        Some(V::BytesValue(b)) => Uint8Array::from(b.as_slice()).into(),
        Some(V::Low128(lo)) => BigInt::from(scalars::join_128(*lo, v.high_128)).into(),
        Some(V::NullFlagValue(_)) => JsValue::NULL,
        Some(V::NestedValue(n)) => raw(n, depth + 1)?,
        None if !v.pairs.is_empty() => {
            let map = Map::new();
            for pair in &v.pairs {
                let item = |x: &Option<ydb::Value>| x.as_ref().map_or(Ok(JsValue::NULL), |x| raw(x, depth + 1));
                map.set(&item(&pair.key)?, &item(&pair.payload)?);
            }
            map.into()
        }
        None if !v.items.is_empty() => {
            let arr = Array::new_with_length(v.items.len() as u32);
            for (i, x) in v.items.iter().enumerate() {
                arr.set(i as u32, raw(x, depth + 1)?);
            }
            arr.into()
        }
        None => JsValue::NULL,
    })
}

fn date(ms: f64) -> JsValue {
    Date::new(&JsValue::from_f64(ms)).into()
}

fn set(obj: &Object, key: &JsValue, value: &JsValue) {
    // Setting a data property on a plain object cannot throw.
    let _ = Reflect::set(obj, key, value);
}

/// A result set (or one streamed part of it) as `{ columns, rows, truncated }` (+ `index`), its rows
/// shaped as `shape` asks.
pub fn result_set_to_js(rs: &ResultSet, index: Option<usize>, shape: ResultShape) -> Result<JsValue> {
    let names = Array::new();
    let type_names = Array::new();
    let mut types = Vec::with_capacity(rs.columns.len());
    for c in &rs.columns {
        let t = c.r#type.as_ref().ok_or_else(|| Error::protocol("a result column without a type"))?;
        let t = YdbType::from_proto(t)?;
        names.push(&JsValue::from_str(&c.name));
        type_names.push(&JsValue::from_str(&t.to_string()));
        types.push(t);
    }
    let cells = Array::new();
    for (column, t) in columns::columns(&types, &rs.rows, shape.timestamps_as_bigint)?.iter().zip(&types) {
        cells.push(&match column {
            Column::Flat(flat) => flat_to_js(flat),
            Column::Values(values) => {
                let conv = Conv::of(t, shape);
                let arr = Array::new_with_length(values.len() as u32);
                for (i, v) in values.iter().enumerate() {
                    arr.set(i as u32, conv.to_js(v)?);
                }
                Array::of2(&JsValue::from(KIND_VALUES), &arr).into()
            }
        });
    }
    // The object itself, its columns' `{ name, type }` and its rows are made in JS: setting properties one
    // call at a time from here cost more than the rows of a point read.
    ROW_BUILDER.with(|b| {
        let build = b.borrow();
        let failed = || Error::client(Status::ClientInternalError, "building the rows in JS failed (js/rows.js)");
        let build = build.as_ref().ok_or_else(failed)?;
        let count = JsValue::from(rs.rows.len() as u32);
        let flags = JsValue::from(u32::from(shape.rows_as_arrays) | u32::from(rs.truncated) << 1);
        let index = index.map_or(JsValue::UNDEFINED, |i| JsValue::from(i as u32));
        build.call6(&JsValue::NULL, &count, &names, &type_names, &cells, &flags, &index).map_err(|_| failed())
    })
}

// The kinds of column `js/rows.js` builds rows from; keep the two in step.
const KIND_VALUES: u32 = 0;
const KIND_BOOL: u32 = 1;
const KIND_NUMBER: u32 = 2;
const KIND_BIGINT: u32 = 3;
const KIND_DATE: u32 = 4;
const KIND_TEXT: u32 = 5;
const KIND_BYTES: u32 = 6;

thread_local! {
    static ROW_BUILDER: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Installs `js/rows.js`'s `buildResultSet(count, names, types, columns, flags, index)`, which makes a
/// result set's object and its rows from its columns in JS loops (see [`columns`]).
#[wasm_bindgen(js_name = __setRowBuilder)]
pub fn set_row_builder(builder: Function) {
    ROW_BUILDER.with(|b| *b.borrow_mut() = Some(builder));
}

/// A flat column as `[kind, cells, ends, nulls]`: typed arrays copied out of wasm memory in one go each.
fn flat_to_js(c: &FlatColumn) -> JsValue {
    let (kind, cells, ends): (u32, JsValue, JsValue) = match &c.cells {
        Cells::Bool(v) => (KIND_BOOL, Uint8Array::from(v.as_slice()).into(), JsValue::UNDEFINED),
        Cells::Number(v) => (KIND_NUMBER, Float64Array::from(v.as_slice()).into(), JsValue::UNDEFINED),
        Cells::Int64(v) => (KIND_BIGINT, BigInt64Array::from(v.as_slice()).into(), JsValue::UNDEFINED),
        Cells::Uint64(v) => (KIND_BIGINT, BigUint64Array::from(v.as_slice()).into(), JsValue::UNDEFINED),
        Cells::Millis(v) => (KIND_DATE, Float64Array::from(v.as_slice()).into(), JsValue::UNDEFINED),
        Cells::Text { bytes, ends } => {
            (KIND_TEXT, Uint8Array::from(bytes.as_slice()).into(), Uint32Array::from(ends.as_slice()).into())
        }
        Cells::Bytes { bytes, ends } => {
            (KIND_BYTES, Uint8Array::from(bytes.as_slice()).into(), Uint32Array::from(ends.as_slice()).into())
        }
    };
    let nulls = c.nulls.as_ref().map_or(JsValue::UNDEFINED, |n| Uint8Array::from(n.as_slice()).into());
    Array::of4(&JsValue::from(kind), &cells, &ends, &nulls).into()
}

/// Result sets as a JS array.
pub fn result_sets_to_js(sets: &[ResultSet], shape: ResultShape) -> Result<JsValue> {
    let arr = Array::new();
    for rs in sets {
        arr.push(&result_set_to_js(rs, None, shape)?);
    }
    Ok(arr.into())
}
