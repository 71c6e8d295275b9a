//! YDB values <-> JS values, following the mapping table of the API contract.
//!
//! Results: each column's type is compiled once into a [`Conv`] plan, and every cell is converted by
//! walking the plan — no per-cell type dispatch on the protobuf type and no JSON in between. Column
//! names become JS strings once per result set, not once per row.
//! Parameters: a plain JS value gets its type inferred; a `TypedValue` states it. Every mismatch is
//! an argument error naming the parameter (a `TypeError` in JS).

use crate::error::{Error, Result};
use crate::proto::ydb::{self, value::Value as V, ResultSet, TypedValue};
use crate::value::scalars::{self, DATETIME_END_SECS, DATE_END_DAYS, TIMESTAMP_END_MICROS};
use crate::value::{Primitive as P, YdbType};
use js_sys::{Array, BigInt, Date, Map, Object, Reflect, Uint8Array};
use std::collections::HashMap;
use wasm_bindgen::{JsCast, JsValue};

const MS_PER_DAY: f64 = 86_400_000.0;

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
    Interval,
    Uuid,
    Decimal(u32),
    Optional(Box<Conv>, bool),
    List(Box<Conv>),
    Tuple(Vec<Conv>),
    Struct(Vec<(JsValue, Conv)>),
    Dict(Box<Conv>, Box<Conv>),
    Variant(Vec<(JsValue, Conv)>),
    Null,
}

impl Conv {
    fn of(t: &YdbType) -> Conv {
        match t {
            YdbType::Primitive(p) => match p {
                P::Bool => Conv::Bool,
                P::Int8 | P::Uint8 | P::Int16 | P::Uint16 | P::Int32 | P::Uint32 | P::Float | P::Double => Conv::Number,
                P::Int64 => Conv::Int64,
                P::Uint64 => Conv::Uint64,
                P::Utf8 | P::Json | P::JsonDocument | P::DyNumber => Conv::Text,
                P::String | P::Yson => Conv::Bytes,
                P::Date => Conv::Date,
                P::Datetime => Conv::Datetime,
                P::Timestamp => Conv::Timestamp,
                P::Interval => Conv::Interval,
                P::Uuid => Conv::Uuid,
            },
            YdbType::Decimal { scale, .. } => Conv::Decimal(*scale),
            YdbType::Optional(inner) => {
                Conv::Optional(Box::new(Conv::of(inner)), matches!(**inner, YdbType::Optional(_)))
            }
            YdbType::List(inner) => Conv::List(Box::new(Conv::of(inner))),
            YdbType::Tuple(items) => Conv::Tuple(items.iter().map(Conv::of).collect()),
            YdbType::Struct(fields) => {
                Conv::Struct(fields.iter().map(|(n, t)| (JsValue::from_str(n), Conv::of(t))).collect())
            }
            YdbType::Dict(k, v) => Conv::Dict(Box::new(Conv::of(k)), Box::new(Conv::of(v))),
            YdbType::Variant(inner) => match inner.as_ref() {
                YdbType::Struct(fields) => {
                    Conv::Variant(fields.iter().map(|(n, t)| (JsValue::from_str(n), Conv::of(t))).collect())
                }
                YdbType::Tuple(items) => Conv::Variant(
                    items.iter().enumerate().map(|(i, t)| (JsValue::from(i as u32), Conv::of(t))).collect(),
                ),
                _ => Conv::Null,
            },
            YdbType::Tagged(_, inner) => Conv::of(inner),
            YdbType::Void | YdbType::Null | YdbType::EmptyList | YdbType::EmptyDict => Conv::Null,
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
            Conv::Null => JsValue::NULL,
        })
    }
}

fn date(ms: f64) -> JsValue {
    Date::new(&JsValue::from_f64(ms)).into()
}

fn set(obj: &Object, key: &JsValue, value: &JsValue) {
    // Setting a data property on a plain object cannot throw.
    let _ = Reflect::set(obj, key, value);
}

/// A result set (or one streamed part of it) as `{ columns, rows, truncated }` (+ `index`).
pub fn result_set_to_js(rs: &ResultSet, index: Option<usize>) -> Result<JsValue> {
    let columns = Array::new();
    let mut plan = Vec::with_capacity(rs.columns.len());
    let name_key = JsValue::from_str("name");
    let type_key = JsValue::from_str("type");
    for c in &rs.columns {
        let t = c.r#type.as_ref().ok_or_else(|| Error::protocol("a result column without a type"))?;
        let t = YdbType::from_proto(t)?;
        let col = Object::new();
        set(&col, &name_key, &JsValue::from_str(&c.name));
        set(&col, &type_key, &JsValue::from_str(&t.to_string()));
        columns.push(&col);
        plan.push((JsValue::from_str(&c.name), Conv::of(&t)));
    }
    let rows = Array::new_with_length(rs.rows.len() as u32);
    for (i, row) in rs.rows.iter().enumerate() {
        if row.items.len() != plan.len() {
            return Err(Error::protocol("a row with a different number of cells than columns"));
        }
        let obj = Object::new();
        for ((name, conv), cell) in plan.iter().zip(&row.items) {
            set(&obj, name, &conv.to_js(cell)?);
        }
        rows.set(i as u32, obj.into());
    }
    let out = Object::new();
    set(&out, &JsValue::from_str("columns"), &columns);
    set(&out, &JsValue::from_str("rows"), &rows);
    set(&out, &JsValue::from_str("truncated"), &JsValue::from_bool(rs.truncated));
    if let Some(i) = index {
        set(&out, &JsValue::from_str("index"), &JsValue::from(i as u32));
    }
    Ok(out.into())
}

/// Result sets as a JS array.
pub fn result_sets_to_js(sets: &[ResultSet]) -> Result<JsValue> {
    let arr = Array::new();
    for rs in sets {
        arr.push(&result_set_to_js(rs, None)?);
    }
    Ok(arr.into())
}

// ---------------------------------------------------------------------------------------------
// Parameters

fn typed_marker() -> JsValue {
    js_sys::Symbol::for_("ydb-wasm.TypedValue").into()
}

/// `{ $name: value, … }` (or a `Map`) into the request's parameter map. Names get a `$` if missing.
pub fn params_from_js(params: &JsValue) -> Result<HashMap<String, TypedValue>> {
    params_from_js_declared(params, &HashMap::new())
}

/// Like [`params_from_js`], but a plain value whose parameter has a declared type (a prepared query's
/// DECLARE) is encoded as that type instead of an inferred one.
pub fn params_from_js_declared(
    params: &JsValue,
    declared: &HashMap<String, YdbType>,
) -> Result<HashMap<String, TypedValue>> {
    let mut out = HashMap::new();
    if params.is_undefined() || params.is_null() {
        return Ok(out);
    }
    let entries: Array = if let Some(map) = params.dyn_ref::<Map>() {
        let arr = Array::new();
        map.for_each(&mut |v, k| {
            arr.push(&Array::of2(&k, &v));
        });
        arr
    } else if params.is_object() && !Array::is_array(params) {
        Object::entries(params.unchecked_ref())
    } else {
        return Err(Error::argument("parameters must be an object such as { $id: 1n } or a Map"));
    };
    for entry in entries.iter() {
        let pair: Array = entry.unchecked_into();
        let name = pair.get(0).as_string().ok_or_else(|| Error::argument("parameter names must be strings"))?;
        let name = if name.starts_with('$') { name } else { format!("${name}") };
        let value = pair.get(1);
        let typed = match declared.get(&name) {
            Some(t) if !is_typed_value(&value) => encode_as(&value, t, &name)?,
            _ => typed_from_js(&value, &name)?,
        };
        out.insert(name, typed);
    }
    Ok(out)
}

/// One parameter value: a `TypedValue` or a plain value whose type is inferred.
pub fn typed_from_js(value: &JsValue, name: &str) -> Result<TypedValue> {
    let (t, v) = if is_typed_value(value) {
        let type_text = Reflect::get(value, &JsValue::from_str("type"))
            .ok()
            .and_then(|t| t.as_string())
            .ok_or_else(|| Error::argument(format!("parameter {name}: TypedValue.type must be a type name string")))?;
        let t = YdbType::parse(&type_text).map_err(|e| Error::argument(format!("parameter {name}: {}", e.message)))?;
        let inner = Reflect::get(value, &JsValue::from_str("value")).unwrap_or(JsValue::UNDEFINED);
        let v = encode(&inner, &t, name)?;
        (t, v)
    } else {
        let t = infer(value, name)?;
        let v = encode(value, &t, name)?;
        (t, v)
    };
    Ok(TypedValue { r#type: Some(t.to_proto()), value: Some(v) })
}

/// A JS value encoded as the given type (bulk upsert rows, declared parameters).
pub fn encode_as(value: &JsValue, t: &YdbType, name: &str) -> Result<TypedValue> {
    Ok(TypedValue { r#type: Some(t.to_proto()), value: Some(encode(value, t, name)?) })
}

fn is_typed_value(value: &JsValue) -> bool {
    value.is_object() && Reflect::get(value, &typed_marker()).map(|m| m.is_truthy()).unwrap_or(false)
}

/// The type a plain JS value stands for (see the API contract's table).
fn infer(value: &JsValue, name: &str) -> Result<YdbType> {
    if value.as_bool().is_some() {
        return Ok(YdbType::Primitive(P::Bool));
    }
    if value.as_f64().is_some() {
        return Ok(YdbType::Primitive(P::Double));
    }
    if value.is_bigint() {
        return Ok(YdbType::Primitive(P::Int64));
    }
    if value.is_string() {
        return Ok(YdbType::Primitive(P::Utf8));
    }
    if value.is_instance_of::<Uint8Array>() {
        return Ok(YdbType::Primitive(P::String));
    }
    if value.is_instance_of::<Date>() {
        return Ok(YdbType::Primitive(P::Timestamp));
    }
    if value.is_null() || value.is_undefined() {
        return Err(Error::argument(format!(
            "parameter {name} is null: its type cannot be inferred; pass new TypedValue(null, OptionalType(...))"
        )));
    }
    if Array::is_array(value) {
        let arr: &Array = value.unchecked_ref();
        let first = arr.get(0);
        if arr.length() == 0 {
            return Err(Error::argument(format!("parameter {name} is an empty list: give its type with TypedValue")));
        }
        return Ok(YdbType::List(Box::new(infer(&first, name)?)));
    }
    if value.is_object() {
        let entries = Object::entries(value.unchecked_ref());
        let mut fields = Vec::new();
        for e in entries.iter() {
            let pair: Array = e.unchecked_into();
            let key = pair.get(0).as_string().unwrap_or_default();
            fields.push((key.clone(), infer(&pair.get(1), &format!("{name}.{key}"))?));
        }
        return Ok(YdbType::Struct(fields));
    }
    Err(Error::argument(format!("parameter {name}: cannot infer a YDB type for this value")))
}

fn bad(name: &str, t: &YdbType, why: &str) -> Error {
    Error::argument(format!("parameter {name}: {why} for type {t}"))
}

fn prim(v: V) -> ydb::Value {
    ydb::Value { value: Some(v), ..Default::default() }
}

/// An integer from a JS number (must be whole) or a BigInt, checked against [min, max].
fn integer(value: &JsValue, name: &str, t: &YdbType, min: i128, max: i128) -> Result<i128> {
    let n: i128 = if let Some(f) = value.as_f64() {
        if f.fract() != 0.0 || !f.is_finite() {
            return Err(bad(name, t, "expected a whole number"));
        }
        if f.abs() > 9_007_199_254_740_991.0 {
            return Err(bad(name, t, "number beyond 2^53 loses precision, pass a BigInt"));
        }
        f as i128
    } else if value.is_bigint() {
        let text = BigInt::unchecked_from_js_ref(value)
            .to_string(10)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| bad(name, t, "unreadable BigInt"))?;
        text.parse::<i128>().map_err(|_| bad(name, t, "BigInt out of range"))?
    } else {
        return Err(bad(name, t, "expected a number or a BigInt"));
    };
    if n < min || n > max {
        return Err(bad(name, t, &format!("{n} is out of range")));
    }
    Ok(n)
}

/// Milliseconds since the epoch from a Date or a number.
fn epoch_ms(value: &JsValue, name: &str, t: &YdbType) -> Result<f64> {
    let ms = if let Some(d) = value.dyn_ref::<Date>() {
        d.get_time()
    } else if let Some(f) = value.as_f64() {
        f
    } else {
        return Err(bad(name, t, "expected a Date"));
    };
    if ms.is_nan() {
        return Err(bad(name, t, "invalid Date"));
    }
    Ok(ms)
}

/// A JS value encoded as type `t`.
fn encode(value: &JsValue, t: &YdbType, name: &str) -> Result<ydb::Value> {
    Ok(match t {
        YdbType::Optional(inner) => {
            if value.is_null() || value.is_undefined() {
                prim(V::NullFlagValue(0))
            } else if matches!(**inner, YdbType::Optional(_)) {
                prim(V::NestedValue(Box::new(encode(value, inner, name)?)))
            } else {
                encode(value, inner, name)?
            }
        }
        _ if value.is_null() || value.is_undefined() => {
            return Err(bad(name, t, "null is only allowed for Optional types"));
        }
        YdbType::Primitive(p) => match p {
            P::Bool => prim(V::BoolValue(value.as_bool().ok_or_else(|| bad(name, t, "expected a boolean"))?)),
            P::Int8 => prim(V::Int32Value(integer(value, name, t, -128, 127)? as i32)),
            P::Int16 => prim(V::Int32Value(integer(value, name, t, -32768, 32767)? as i32)),
            P::Int32 => prim(V::Int32Value(integer(value, name, t, i32::MIN.into(), i32::MAX.into())? as i32)),
            P::Uint8 => prim(V::Uint32Value(integer(value, name, t, 0, 255)? as u32)),
            P::Uint16 => prim(V::Uint32Value(integer(value, name, t, 0, 65535)? as u32)),
            P::Uint32 => prim(V::Uint32Value(integer(value, name, t, 0, u32::MAX.into())? as u32)),
            P::Int64 => prim(V::Int64Value(integer(value, name, t, i64::MIN.into(), i64::MAX.into())? as i64)),
            P::Uint64 => prim(V::Uint64Value(integer(value, name, t, 0, u64::MAX.into())? as u64)),
            P::Interval => prim(V::Int64Value(integer(value, name, t, i64::MIN.into(), i64::MAX.into())? as i64)),
            P::Float => prim(V::FloatValue(value.as_f64().ok_or_else(|| bad(name, t, "expected a number"))? as f32)),
            P::Double => prim(V::DoubleValue(value.as_f64().ok_or_else(|| bad(name, t, "expected a number"))?)),
            P::Utf8 | P::Json | P::JsonDocument | P::DyNumber => {
                prim(V::TextValue(value.as_string().ok_or_else(|| bad(name, t, "expected a string"))?))
            }
            P::String | P::Yson => {
                if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
                    prim(V::BytesValue(bytes.to_vec()))
                } else if let Some(s) = value.as_string() {
                    prim(V::BytesValue(s.into_bytes()))
                } else {
                    return Err(bad(name, t, "expected a Uint8Array or a string"));
                }
            }
            P::Date => {
                let days = (epoch_ms(value, name, t)? / MS_PER_DAY).floor() as i64;
                scalars::check_epoch_range(days, DATE_END_DAYS, "Date").map_err(|e| bad(name, t, &e.message))?;
                prim(V::Uint32Value(days as u32))
            }
            P::Datetime => {
                let secs = (epoch_ms(value, name, t)? / 1000.0).floor() as i64;
                scalars::check_epoch_range(secs, DATETIME_END_SECS, "Datetime")
                    .map_err(|e| bad(name, t, &e.message))?;
                prim(V::Uint32Value(secs as u32))
            }
            P::Timestamp => {
                let micros = if value.is_bigint() {
                    integer(value, name, t, 0, i128::from(TIMESTAMP_END_MICROS - 1))? as i64
                } else {
                    (epoch_ms(value, name, t)? * 1000.0).round() as i64
                };
                scalars::check_epoch_range(micros, TIMESTAMP_END_MICROS, "Timestamp")
                    .map_err(|e| bad(name, t, &e.message))?;
                prim(V::Uint64Value(micros as u64))
            }
            P::Uuid => {
                let s = value.as_string().ok_or_else(|| bad(name, t, "expected a UUID string"))?;
                let (lo, hi) = scalars::parse_uuid(&s).map_err(|e| bad(name, t, &e.message))?;
                ydb::Value { value: Some(V::Low128(lo)), high_128: hi, ..Default::default() }
            }
        },
        YdbType::Decimal { precision, scale } => {
            let text = if let Some(s) = value.as_string() {
                s
            } else if value.as_f64().is_some() || value.is_bigint() {
                js_sys::JsString::from(value.clone()).as_string().unwrap_or_default()
            } else {
                return Err(bad(name, t, "expected a decimal string"));
            };
            let v = scalars::parse_decimal(&text, *precision, *scale).map_err(|e| bad(name, t, &e.message))?;
            let (lo, hi) = scalars::split_128(v);
            ydb::Value { value: Some(V::Low128(lo)), high_128: hi, ..Default::default() }
        }
        YdbType::List(item) => {
            if !Array::is_array(value) {
                return Err(bad(name, t, "expected an array"));
            }
            let arr: &Array = value.unchecked_ref();
            let mut items = Vec::with_capacity(arr.length() as usize);
            for (i, x) in arr.iter().enumerate() {
                items.push(encode(&x, item, &format!("{name}[{i}]"))?);
            }
            ydb::Value { items, ..Default::default() }
        }
        YdbType::Tuple(types) => {
            if !Array::is_array(value) {
                return Err(bad(name, t, "expected an array"));
            }
            let arr: &Array = value.unchecked_ref();
            if arr.length() as usize != types.len() {
                return Err(bad(name, t, "wrong number of tuple elements"));
            }
            let mut items = Vec::with_capacity(types.len());
            for (i, it) in types.iter().enumerate() {
                items.push(encode(&arr.get(i as u32), it, &format!("{name}[{i}]"))?);
            }
            ydb::Value { items, ..Default::default() }
        }
        YdbType::Struct(fields) => {
            if !value.is_object() {
                return Err(bad(name, t, "expected an object"));
            }
            let mut items = Vec::with_capacity(fields.len());
            for (field, ft) in fields {
                let v = Reflect::get(value, &JsValue::from_str(field)).unwrap_or(JsValue::UNDEFINED);
                items.push(encode(&v, ft, &format!("{name}.{field}"))?);
            }
            ydb::Value { items, ..Default::default() }
        }
        YdbType::Dict(kt, vt) => {
            let map = value.dyn_ref::<Map>().ok_or_else(|| bad(name, t, "expected a Map"))?;
            let mut pairs = Vec::with_capacity(map.size() as usize);
            let mut failure = None;
            map.for_each(&mut |v, k| {
                if failure.is_some() {
                    return;
                }
                match (encode(&k, kt, name), encode(&v, vt, name)) {
                    (Ok(key), Ok(payload)) => pairs.push(ydb::ValuePair { key: Some(key), payload: Some(payload) }),
                    (Err(e), _) | (_, Err(e)) => failure = Some(e),
                }
            });
            if let Some(e) = failure {
                return Err(e);
            }
            ydb::Value { pairs, ..Default::default() }
        }
        YdbType::Void | YdbType::Null => prim(V::NullFlagValue(0)),
        YdbType::EmptyList | YdbType::EmptyDict => ydb::Value::default(),
        YdbType::Tagged(_, inner) => encode(value, inner, name)?,
        YdbType::Variant(_) => return Err(bad(name, t, "Variant parameters are not supported")),
    })
}
