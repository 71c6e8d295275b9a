//! Result sets from YDB into JS, following the mapping table of the API contract.
//!
//! A column of a scalar type (or an optional one) is read straight from the rows' bytes into one flat
//! vector by [`columns`]; all of a result set's flat columns are packed into one byte buffer that crosses
//! into JS as one `Uint8Array`, and `js/rows.js` (installed with `__setRowBuilder`) reads each through a
//! typed-array view and makes its cells, the rows and the result set's object with its column descriptors
//! in JS loops: one call into JS per result set instead of a few per column, cell or property. A column of
//! another type (containers, nested optionals, unknown types) compiles its type once into a [`Conv`] plan
//! and converts each cell by walking it. Column names and type names cross as one JS string per result
//! set. The caller's [`ResultShape`] (`rowMode`, `timestamps`) is decided once per result
//! set: objects or arrays is one flag to `js/rows.js`, timestamps as `Date` or microsecond `BigInt` a
//! different column kind (and plan step).

use crate::error::{Error, Quoted, Result, Status};
use crate::proto::ydb::{self, value::Value as V};
use crate::value::columns::{self, Cells, Column, FlatColumn};
use crate::value::rows::ResultSet;
use crate::value::scalars;
use crate::value::{Primitive as P, YdbType};
use js_sys::{Array, BigInt, Date, Function, Map, Object, Reflect, Set, Uint8Array};
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
                Some(v) => {
                    Err(Error::argument(format!("option {key} must be '{default}' or '{other}', not {}", Quoted(&v))))
                }
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
///
/// Everything `js/rows.js` needs crosses in one call of three arguments: the column names and type names
/// as one string, one `Uint8Array` holding a layout and the flat columns packed after it, and the columns
/// of other types as JS arrays (see [`pack_flat`]). Each typed array, name or number passed on its own was a
/// crossing (about 30 for a point read of six columns, more than its rows cost).
pub fn result_set_to_js(rs: &ResultSet, index: Option<usize>, shape: ResultShape) -> Result<JsValue> {
    let width = rs.columns.len();
    let mut types = Vec::with_capacity(width);
    let mut text = String::new();
    let words = LAYOUT_HEAD + width * LAYOUT_COLUMN;
    let mut layout = Vec::with_capacity(words);
    let flags = u32::from(shape.rows_as_arrays) | u32::from(rs.truncated) << 1;
    layout.extend([words as u32, rs.rows.len() as u32, flags, index.map_or(NONE, |i| i as u32)]);
    // The names and types one after another; the layout keeps where each ends, in UTF-16 units as JS counts.
    let mut utf16_end = 0;
    let mut end_of = |text: &str, from: usize| {
        utf16_end += text.get(from..).unwrap_or_default().chars().map(char::len_utf16).sum::<usize>() as u32;
        utf16_end
    };
    let mut name_ends = Vec::with_capacity(width);
    for c in &rs.columns {
        let t = c.r#type.as_ref().ok_or_else(|| Error::protocol("a result column without a type"))?;
        let t = YdbType::from_proto(t)?;
        let from = text.len();
        text.push_str(&c.name);
        let name_end = end_of(&text, from);
        let from = text.len();
        t.push_name(&mut text);
        name_ends.push([name_end, end_of(&text, from)]);
        types.push(t);
    }
    // The layout goes first in the buffer, in a place kept for it (a multiple of 8 bytes).
    let mut data = Vec::new();
    pad_to(&mut data, (words * 4).next_multiple_of(8));
    let mut others: Option<Array> = None;
    let columns = columns::columns(&types, &rs.rows, shape.timestamps_as_bigint)?;
    for ((column, t), ends) in columns.iter().zip(&types).zip(name_ends) {
        let place = match column {
            Column::Flat(flat) => pack_flat(flat, &mut data),
            Column::Values(values) => {
                let conv = Conv::of(t, shape);
                let arr = Array::new_with_length(values.len() as u32);
                for (i, v) in values.iter().enumerate() {
                    arr.set(i as u32, conv.to_js(v)?);
                }
                let others = others.get_or_insert_with(Array::new);
                [KIND_VALUES, others.push(&arr) - 1, NONE, NONE]
            }
        };
        layout.extend(ends);
        layout.extend(place);
    }
    // The object itself, its columns' `{ name, type }` and its rows are made in JS: setting properties one
    // call at a time from here cost more than the rows of a point read.
    ROW_BUILDER.with(|b| {
        let build = b.borrow();
        let failed = || Error::client(Status::ClientInternalError, "building the rows in JS failed (js/rows.js)");
        let build = build.as_ref().ok_or_else(failed)?;
        for (place, word) in data.chunks_exact_mut(4).zip(&layout) {
            place.copy_from_slice(&word.to_le_bytes());
        }
        let others = others.map_or(JsValue::UNDEFINED, JsValue::from);
        build
            .call3(&JsValue::NULL, &JsValue::from_str(&text), &Uint8Array::from(&data[..]), &others)
            .map_err(|_| failed())
    })
}

// The layout `js/rows.js` reads from the buffer's first words: `[words, rows, flags, index]`, then per
// column `[name end, type end, kind, at, ends at, nulls at]`. Keep the two in step.
const LAYOUT_HEAD: usize = 4;
const LAYOUT_COLUMN: usize = 6;
/// No index (a whole result set), no ends (a fixed-size kind) or no nulls (a column that is not optional).
const NONE: u32 = u32::MAX;
// The kinds of column; for `KIND_VALUES`, `at` is the column's place in the array of other columns.
const KIND_VALUES: u32 = 0;
const KIND_BOOL: u32 = 1;
const KIND_NUMBER: u32 = 2;
const KIND_INT64: u32 = 3;
const KIND_DATE: u32 = 4;
const KIND_TEXT: u32 = 5;
const KIND_BYTES: u32 = 6;
const KIND_UINT64: u32 = 7;

thread_local! {
    static ROW_BUILDER: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Installs `js/rows.js`'s `buildResultSet(text, data, others)`, which makes a result set's object
/// and its rows from its columns in JS loops (see [`result_set_to_js`]).
#[wasm_bindgen(js_name = __setRowBuilder)]
pub fn set_row_builder(builder: Function) {
    ROW_BUILDER.with(|b| *b.borrow_mut() = Some(builder));
}

/// Pads `data` with zeros to a multiple of `to` bytes and says where it ends.
fn aligned(data: &mut Vec<u8>, to: usize) -> u32 {
    pad_to(data, data.len().next_multiple_of(to));
    data.len() as u32
}

fn pad_to(data: &mut Vec<u8>, len: usize) {
    data.resize(len, 0);
}

/// Appends a flat column to `data` and says where: `[kind, at, ends at, nulls at]`, byte offsets into
/// `data`. The 8-byte cells (`f64`, `i64`, `u64`) start at a multiple of 8 and the ends (`u32`) of 4, so
/// that JS reads them through typed-array views of its copy of `data` (little-endian, as wasm memory is).
fn pack_flat(c: &FlatColumn, data: &mut Vec<u8>) -> [u32; 4] {
    /// Appends `n` cells of `N` bytes each, read one by one through `cell` (one copy of this for all
    /// the kinds of a size: the wasm keeps no loop per kind).
    fn words<const N: usize>(data: &mut Vec<u8>, n: usize, cell: &dyn Fn(usize) -> Option<[u8; N]>) -> u32 {
        let at = aligned(data, N);
        data.reserve(n * N);
        (0..n).filter_map(cell).for_each(|b| data.extend_from_slice(&b));
        at
    }
    let (kind, at, ends) = match &c.cells {
        Cells::Bool(v) => (KIND_BOOL, words(data, v.len(), &|i| v.get(i).map(|b| [*b])), NONE),
        Cells::Number(v) => (KIND_NUMBER, words(data, v.len(), &|i| v.get(i).map(|x| x.to_le_bytes())), NONE),
        Cells::Millis(v) => (KIND_DATE, words(data, v.len(), &|i| v.get(i).map(|x| x.to_le_bytes())), NONE),
        Cells::Int64(v) => (KIND_INT64, words(data, v.len(), &|i| v.get(i).map(|x| x.to_le_bytes())), NONE),
        Cells::Uint64(v) => (KIND_UINT64, words(data, v.len(), &|i| v.get(i).map(|x| x.to_le_bytes())), NONE),
        Cells::Text { bytes, ends } | Cells::Bytes { bytes, ends } => {
            let kind = if matches!(c.cells, Cells::Text { .. }) { KIND_TEXT } else { KIND_BYTES };
            let at = data.len() as u32;
            data.extend_from_slice(bytes);
            (kind, at, words(data, ends.len(), &|i| ends.get(i).map(|e| e.to_le_bytes())))
        }
    };
    let nulls = c.nulls.as_ref().map_or(NONE, |n| {
        let at = data.len() as u32;
        data.extend_from_slice(n);
        at
    });
    [kind, at, ends, nulls]
}

/// Result sets as a JS array.
pub fn result_sets_to_js(sets: &[ResultSet], shape: ResultShape) -> Result<JsValue> {
    let arr = Array::new();
    for rs in sets {
        arr.push(&result_set_to_js(rs, None, shape)?);
    }
    Ok(arr.into())
}
