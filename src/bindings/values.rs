//! YDB values <-> JS values, following the mapping table of the API contract.
//!
//! Results: each column's type is compiled once into a [`Conv`] plan, and every cell is converted by
//! walking the plan — no per-cell type dispatch on the protobuf type and no JSON in between. Column
//! names become JS strings once per result set, not once per row.
//! Parameters: a plain JS value gets its type inferred; a `TypedValue` states it. Every mismatch is
//! an argument error naming the parameter (a `TypeError` in JS).

use super::js_read;
use crate::error::{Error, Result};
use crate::proto::ydb::{self, value::Value as V, ResultSet, TypedValue};
use crate::value::scalars::{self, DATETIME_END_SECS, DATE_END_DAYS, TIMESTAMP_END_MICROS};
use crate::value::{Primitive as P, YdbType};
use js_sys::{Array, BigInt, Date, Map, Object, Reflect, Uint8Array};
use std::cell::Cell;
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
    /// A type this client does not know: the value as the wire has it (see [`raw`]).
    Raw,
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
                P::TzDate | P::TzDatetime | P::TzTimestamp => Conv::Text,
                P::String | P::Yson => Conv::Bytes,
                P::Date | P::Date32 => Conv::Date,
                P::Datetime | P::Datetime64 => Conv::Datetime,
                P::Timestamp | P::Timestamp64 => Conv::Timestamp,
                P::Interval | P::Interval64 => Conv::Interval,
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

/// How deep a parameter value may nest (lists, structs, tuples and dicts inside each other): below the
/// type bound, so that the type inferred for any accepted value is one the type parser and the server
/// accept too. YDB's own types nest a handful of levels; this keeps the encoder's recursion (a few
/// hundred bytes of wasm32's 1 MiB stack per level) far from the stack's end — on wasm32 running past
/// it overwrites the heap before anything traps. A cyclic value reaches the bound too, and is then
/// reported as a cycle.
pub const MAX_VALUE_DEPTH: usize = crate::value::types::MAX_TYPE_DEPTH - 1;

/// How many values one parameter may hold. A sparse array (`new Array(2 ** 32 - 1)`) or a proxy that
/// claims a huge length would otherwise have the encoder allocate until wasm memory runs out, which
/// traps. 4 Mi values is far above what fits YDB's request size limit anyway.
pub const MAX_VALUES_PER_PARAMETER: usize = 1 << 22;

/// Where a value sits inside a parameter: a list linked through the Rust stack, rendered as text
/// (`$p.items[3].name`) only when an error needs it, so that encoding allocates no path per value.
#[derive(Clone, Copy)]
struct At<'a> {
    parent: Option<&'a At<'a>>,
    step: Step<'a>,
    /// The value at this place (to find a cycle when the depth bound is hit).
    value: &'a JsValue,
    depth: usize,
    /// Values the parameter may still hold (see [`MAX_VALUES_PER_PARAMETER`]).
    budget: &'a Cell<usize>,
}

#[derive(Clone, Copy)]
enum Step<'a> {
    Root(&'a str),
    Field(&'a str),
    Index(usize),
    DictKey,
    DictValue,
}

impl<'a> At<'a> {
    fn root(name: &'a str, value: &'a JsValue, budget: &'a Cell<usize>) -> At<'a> {
        At { parent: None, step: Step::Root(name), value, depth: 0, budget }
    }

    /// The place of a value one level down; an error past [`MAX_VALUE_DEPTH`] levels, on a cycle, or
    /// past [`MAX_VALUES_PER_PARAMETER`] values.
    fn child(&'a self, step: Step<'a>, value: &'a JsValue) -> Result<At<'a>> {
        let child = At { parent: Some(self), step, value, depth: self.depth + 1, budget: self.budget };
        if child.depth > MAX_VALUE_DEPTH {
            return Err(child.too_deep());
        }
        let left = self.budget.get();
        if left == 0 {
            let root = At::render(self.chain().get(..1).unwrap_or_default());
            return Err(Error::argument(format!(
                "parameter {root}: more than {MAX_VALUES_PER_PARAMETER} values in one parameter; send the data in parts"
            )));
        }
        self.budget.set(left - 1);
        Ok(child)
    }

    /// The error for a read of the caller's value that threw.
    fn threw(&self, e: js_read::Thrown) -> Error {
        e.at(&format!("parameter {}", self.path()))
    }

    fn chain(&self) -> Vec<&At<'a>> {
        let mut chain = vec![self];
        let mut at = self;
        while let Some(p) = at.parent {
            chain.push(p);
            at = p;
        }
        chain.reverse();
        chain
    }

    fn render(chain: &[&At<'_>]) -> String {
        let mut out = String::new();
        for at in chain {
            match at.step {
                Step::Root(name) => out.push_str(name),
                Step::Field(f) => {
                    out.push('.');
                    out.push_str(f);
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
                Step::DictKey => out.push_str("<key>"),
                Step::DictValue => out.push_str("<value>"),
            }
        }
        out
    }

    fn path(&self) -> String {
        At::render(&self.chain())
    }

    /// The error for a value nested past the bound: a cycle when an object contains itself on the way.
    fn too_deep(&self) -> Error {
        let chain = self.chain();
        let root = At::render(chain.get(..1).unwrap_or_default());
        for (j, later) in chain.iter().enumerate() {
            if !later.value.is_object() {
                continue;
            }
            let repeats =
                chain.get(..j).unwrap_or_default().iter().any(|earlier| Object::is(earlier.value, later.value));
            if repeats {
                let at = At::render(chain.get(..=j).unwrap_or_default());
                return Error::argument(format!(
                    "parameter {root}: the value contains itself at {at} (a cycle); YDB values cannot be cyclic"
                ));
            }
        }
        Error::argument(format!(
            "parameter {}: the value nests deeper than {MAX_VALUE_DEPTH} levels",
            At::render(chain.get(..chain.len().min(MAX_VALUE_DEPTH / 4)).unwrap_or_default()) + "…"
        ))
    }
}

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
    let threw = |e: js_read::Thrown| e.at("parameters");
    let entries: Vec<(JsValue, JsValue)> = if let Some(map) = params.dyn_ref::<Map>() {
        map_entries(map)
    } else if params.is_object() && !js_read::is_array(params).map_err(threw)? {
        js_read::entries(params).map_err(threw)?.into_iter().map(|(k, v)| (JsValue::from_str(&k), v)).collect()
    } else {
        return Err(Error::argument("parameters must be an object such as { $id: 1n } or a Map"));
    };
    for (key, value) in entries {
        let name = key.as_string().ok_or_else(|| Error::argument("parameter names must be strings"))?;
        let name = if name.starts_with('$') { name } else { format!("${name}") };
        let typed = match declared.get(&name) {
            Some(t) if !is_typed_value(&value, &name)? => encode_as(&value, t, &name)?,
            _ => typed_from_js(&value, &name)?,
        };
        out.insert(name, typed);
    }
    Ok(out)
}

/// A `Map`'s entries. `Map.prototype.forEach` on a real `Map` runs no caller code besides our callback.
fn map_entries(map: &Map) -> Vec<(JsValue, JsValue)> {
    let mut out = Vec::with_capacity(map.size() as usize);
    map.for_each(&mut |v, k| out.push((k, v)));
    out
}

/// One parameter value: a `TypedValue` or a plain value whose type is inferred.
pub fn typed_from_js(value: &JsValue, name: &str) -> Result<TypedValue> {
    let budget = Cell::new(MAX_VALUES_PER_PARAMETER);
    let at = At::root(name, value, &budget);
    let (t, v) = if is_typed_value(value, name)? {
        let type_text = js_read::get(value, "type")
            .map_err(|e| at.threw(e))?
            .as_string()
            .ok_or_else(|| Error::argument(format!("parameter {name}: TypedValue.type must be a type name string")))?;
        let t = YdbType::parse(&type_text).map_err(|e| Error::argument(format!("parameter {name}: {}", e.message)))?;
        let inner = js_read::get(value, "value").map_err(|e| at.threw(e))?;
        let v = encode(&inner, &t, &At::root(name, &inner, &budget))?;
        (t, v)
    } else {
        let t = infer(value, &at)?;
        let v = encode(value, &t, &at)?;
        (t, v)
    };
    Ok(TypedValue { r#type: Some(t.to_proto()), value: Some(v) })
}

/// A JS value encoded as the given type (bulk upsert rows, declared parameters).
pub fn encode_as(value: &JsValue, t: &YdbType, name: &str) -> Result<TypedValue> {
    let budget = Cell::new(MAX_VALUES_PER_PARAMETER);
    Ok(TypedValue { r#type: Some(t.to_proto()), value: Some(encode(value, t, &At::root(name, value, &budget))?) })
}

fn is_typed_value(value: &JsValue, name: &str) -> Result<bool> {
    if !value.is_object() {
        return Ok(false);
    }
    let marker = js_read::get_key(value, &typed_marker()).map_err(|e| e.at(&format!("parameter {name}")))?;
    Ok(marker.is_truthy())
}

/// The type a plain JS value stands for (see the API contract's table).
fn infer(value: &JsValue, at: &At<'_>) -> Result<YdbType> {
    if value.as_bool().is_some() {
        return Ok(YdbType::Primitive(P::Bool));
    }
    if let Some(n) = value.as_f64() {
        // A whole number is an integer — Int32 when it fits (as @ydbjs infers it), else Int64 up to 2^53 —
        // so that `id = ${5}` compares integers; anything else (fractions, -0, NaN, ±Infinity) is a Double.
        // A parameter the query DECLAREs is sent as its declared type instead (see `params_from_js_declared`).
        let whole = n.fract() == 0.0 && !(n == 0.0 && n.is_sign_negative());
        return Ok(YdbType::Primitive(if whole && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&n) {
            P::Int32
        } else if whole && n.abs() <= 9_007_199_254_740_991.0 {
            P::Int64
        } else {
            P::Double
        }));
    }
    if value.is_bigint() {
        return Ok(YdbType::Primitive(P::Int64));
    }
    if value.is_string() {
        return Ok(YdbType::Primitive(P::Utf8));
    }
    if value.is_null() || value.is_undefined() {
        return Err(Error::argument(format!(
            "parameter {} is null: its type cannot be inferred; pass new TypedValue(null, OptionalType(...))",
            at.path()
        )));
    }
    if !value.is_object() {
        return Err(Error::argument(format!("parameter {}: cannot infer a YDB type for this value", at.path())));
    }
    if value.is_instance_of::<Uint8Array>() {
        return Ok(YdbType::Primitive(P::String));
    }
    if value.is_instance_of::<Date>() {
        return Ok(YdbType::Primitive(P::Timestamp));
    }
    if let Some(map) = value.dyn_ref::<Map>() {
        let Some((k, v)) = map_entries(map).into_iter().next() else {
            return Err(Error::argument(format!(
                "parameter {} is an empty Map: give its type with TypedValue",
                at.path()
            )));
        };
        let key = infer(&k, &at.child(Step::DictKey, &k)?)?;
        let payload = infer(&v, &at.child(Step::DictValue, &v)?)?;
        return Ok(YdbType::Dict(Box::new(key), Box::new(payload)));
    }
    if js_read::is_array(value).map_err(|e| at.threw(e))? {
        if js_read::length(value).map_err(|e| at.threw(e))? == 0 {
            return Err(Error::argument(format!(
                "parameter {} is an empty list: give its type with TypedValue",
                at.path()
            )));
        }
        let first = js_read::element(value, 0).map_err(|e| at.threw(e))?;
        return Ok(YdbType::List(Box::new(infer(&first, &at.child(Step::Index(0), &first)?)?)));
    }
    let mut fields = Vec::new();
    for (key, v) in js_read::entries(value).map_err(|e| at.threw(e))? {
        let t = infer(&v, &at.child(Step::Field(&key), &v)?)?;
        fields.push((key, t));
    }
    Ok(YdbType::Struct(fields))
}

fn bad(at: &At<'_>, t: &YdbType, why: &str) -> Error {
    Error::argument(format!("parameter {}: {why} for type {t}", at.path()))
}

fn prim(v: V) -> ydb::Value {
    ydb::Value { value: Some(v), ..Default::default() }
}

/// An integer from a JS number (must be whole) or a BigInt, checked against [min, max].
fn integer(value: &JsValue, at: &At<'_>, t: &YdbType, min: i128, max: i128) -> Result<i128> {
    let n: i128 = if let Some(f) = value.as_f64() {
        if f.fract() != 0.0 || !f.is_finite() {
            return Err(bad(at, t, "expected a whole number"));
        }
        if f.abs() > 9_007_199_254_740_991.0 {
            return Err(bad(at, t, "number beyond 2^53 loses precision, pass a BigInt"));
        }
        f as i128
    } else if value.is_bigint() {
        let text = BigInt::unchecked_from_js_ref(value)
            .to_string(10)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| bad(at, t, "unreadable BigInt"))?;
        text.parse::<i128>().map_err(|_| bad(at, t, "BigInt out of range"))?
    } else {
        return Err(bad(at, t, "expected a number or a BigInt"));
    };
    if n < min || n > max {
        return Err(bad(at, t, &format!("{n} is out of range")));
    }
    Ok(n)
}

/// Milliseconds since the epoch from a Date or a number.
fn epoch_ms(value: &JsValue, at: &At<'_>, t: &YdbType) -> Result<f64> {
    let ms = if let Some(d) = value.dyn_ref::<Date>() {
        d.get_time()
    } else if let Some(f) = value.as_f64() {
        f
    } else {
        return Err(bad(at, t, "expected a Date"));
    };
    if ms.is_nan() {
        return Err(bad(at, t, "invalid Date"));
    }
    Ok(ms)
}

/// A JS string as UTF-8 text. A string with an unpaired surrogate has no UTF-8 form: it is refused
/// rather than sent with U+FFFD in its place. (The check runs only when the conversion produced a
/// U+FFFD, which a well-formed string rarely contains.)
fn text(value: &JsValue, at: &At<'_>, t: &YdbType) -> Result<String> {
    let s = value.as_string().ok_or_else(|| bad(at, t, "expected a string"))?;
    if s.contains('\u{FFFD}') && !value.unchecked_ref::<js_sys::JsString>().is_valid_utf16() {
        return Err(bad(at, t, "a string with an unpaired surrogate has no UTF-8 form"));
    }
    Ok(s)
}

/// The length of an array argument; an error for anything else.
fn array_length(value: &JsValue, at: &At<'_>, t: &YdbType) -> Result<u32> {
    if !value.is_object() || !js_read::is_array(value).map_err(|e| at.threw(e))? {
        return Err(bad(at, t, "expected an array"));
    }
    js_read::length(value).map_err(|e| at.threw(e))
}

/// The ranges of the wide date and time types (YDB's documented bounds: years -144169 to 148107), as
/// (min, max) in their units.
const DATE32_DAYS: (i64, i64) = (-53_375_809, 53_375_807);
const DATETIME64_SECS: (i64, i64) = (-4_611_669_897_600, 4_611_669_811_199);
const TIMESTAMP64_MICROS: (i64, i64) = (-4_611_669_897_600_000_000, 4_611_669_811_199_999_999);

/// A wide date or time in its units, checked against its type's range.
fn wide(units: f64, (min, max): (i64, i64), at: &At<'_>, t: &YdbType) -> Result<i64> {
    if !units.is_finite() || units < min as f64 || units > max as f64 {
        return Err(bad(at, t, "out of the type's range (years -144169 to 148107)"));
    }
    Ok(units as i64)
}

/// A JS value encoded as type `t`. Its recursion follows `t`, whose depth the type parser, the
/// inference above and `YdbType::from_proto` bound; the place is still counted as a second guard.
fn encode(value: &JsValue, t: &YdbType, at: &At<'_>) -> Result<ydb::Value> {
    Ok(match t {
        YdbType::Optional(inner) => {
            if value.is_null() || value.is_undefined() {
                prim(V::NullFlagValue(0))
            } else if matches!(**inner, YdbType::Optional(_)) {
                prim(V::NestedValue(Box::new(encode(value, inner, at)?)))
            } else {
                encode(value, inner, at)?
            }
        }
        _ if value.is_null() || value.is_undefined() => {
            return Err(bad(at, t, "null is only allowed for Optional types"));
        }
        YdbType::Primitive(p) => match p {
            P::Bool => prim(V::BoolValue(value.as_bool().ok_or_else(|| bad(at, t, "expected a boolean"))?)),
            P::Int8 => prim(V::Int32Value(integer(value, at, t, -128, 127)? as i32)),
            P::Int16 => prim(V::Int32Value(integer(value, at, t, -32768, 32767)? as i32)),
            P::Int32 => prim(V::Int32Value(integer(value, at, t, i32::MIN.into(), i32::MAX.into())? as i32)),
            P::Uint8 => prim(V::Uint32Value(integer(value, at, t, 0, 255)? as u32)),
            P::Uint16 => prim(V::Uint32Value(integer(value, at, t, 0, 65535)? as u32)),
            P::Uint32 => prim(V::Uint32Value(integer(value, at, t, 0, u32::MAX.into())? as u32)),
            P::Int64 => prim(V::Int64Value(integer(value, at, t, i64::MIN.into(), i64::MAX.into())? as i64)),
            P::Uint64 => prim(V::Uint64Value(integer(value, at, t, 0, u64::MAX.into())? as u64)),
            P::Interval => prim(V::Int64Value(integer(value, at, t, i64::MIN.into(), i64::MAX.into())? as i64)),
            P::Float => prim(V::FloatValue(value.as_f64().ok_or_else(|| bad(at, t, "expected a number"))? as f32)),
            P::Double => prim(V::DoubleValue(value.as_f64().ok_or_else(|| bad(at, t, "expected a number"))?)),
            P::Utf8 | P::Json | P::JsonDocument | P::DyNumber => prim(V::TextValue(text(value, at, t)?)),
            P::String | P::Yson => {
                if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
                    prim(V::BytesValue(bytes.to_vec()))
                } else if value.is_string() {
                    prim(V::BytesValue(text(value, at, t)?.into_bytes()))
                } else {
                    return Err(bad(at, t, "expected a Uint8Array or a string"));
                }
            }
            P::Date => {
                let days = (epoch_ms(value, at, t)? / MS_PER_DAY).floor() as i64;
                scalars::check_epoch_range(days, DATE_END_DAYS, "Date").map_err(|e| bad(at, t, &e.message))?;
                prim(V::Uint32Value(days as u32))
            }
            P::Datetime => {
                let secs = (epoch_ms(value, at, t)? / 1000.0).floor() as i64;
                scalars::check_epoch_range(secs, DATETIME_END_SECS, "Datetime").map_err(|e| bad(at, t, &e.message))?;
                prim(V::Uint32Value(secs as u32))
            }
            P::Timestamp => {
                let micros = if value.is_bigint() {
                    integer(value, at, t, 0, i128::from(TIMESTAMP_END_MICROS - 1))? as i64
                } else {
                    (epoch_ms(value, at, t)? * 1000.0).round() as i64
                };
                scalars::check_epoch_range(micros, TIMESTAMP_END_MICROS, "Timestamp")
                    .map_err(|e| bad(at, t, &e.message))?;
                prim(V::Uint64Value(micros as u64))
            }
            P::Date32 => {
                let days = (epoch_ms(value, at, t)? / MS_PER_DAY).floor();
                prim(V::Int32Value(wide(days, DATE32_DAYS, at, t)? as i32))
            }
            P::Datetime64 => {
                let secs = (epoch_ms(value, at, t)? / 1000.0).floor();
                prim(V::Int64Value(wide(secs, DATETIME64_SECS, at, t)?))
            }
            P::Timestamp64 => {
                let micros = if value.is_bigint() {
                    integer(value, at, t, i128::from(-TIMESTAMP64_MICROS.1), i128::from(TIMESTAMP64_MICROS.1))? as f64
                } else {
                    (epoch_ms(value, at, t)? * 1000.0).round()
                };
                prim(V::Int64Value(wide(micros, TIMESTAMP64_MICROS, at, t)?))
            }
            P::Interval64 => prim(V::Int64Value(integer(value, at, t, i64::MIN.into(), i64::MAX.into())? as i64)),
            P::TzDate | P::TzDatetime | P::TzTimestamp => prim(V::TextValue(text(value, at, t)?)),
            P::Uuid => {
                let s = value.as_string().ok_or_else(|| bad(at, t, "expected a UUID string"))?;
                let (lo, hi) = scalars::parse_uuid(&s).map_err(|e| bad(at, t, &e.message))?;
                ydb::Value { value: Some(V::Low128(lo)), high_128: hi, ..Default::default() }
            }
        },
        YdbType::Decimal { precision, scale } => {
            let text = if let Some(s) = value.as_string() {
                s
            } else if value.as_f64().is_some() || value.is_bigint() {
                js_sys::JsString::from(value.clone()).as_string().unwrap_or_default()
            } else {
                return Err(bad(at, t, "expected a decimal string"));
            };
            let v = scalars::parse_decimal(&text, *precision, *scale).map_err(|e| bad(at, t, &e.message))?;
            let (lo, hi) = scalars::split_128(v);
            ydb::Value { value: Some(V::Low128(lo)), high_128: hi, ..Default::default() }
        }
        YdbType::List(item) => {
            let n = array_length(value, at, t)?;
            // Capacity from the claimed length only up to a point: the budget, not the claim, bounds it.
            let mut items = Vec::with_capacity(n.min(4096) as usize);
            for i in 0..n {
                let x = js_read::element(value, i).map_err(|e| at.threw(e))?;
                items.push(encode(&x, item, &at.child(Step::Index(i as usize), &x)?)?);
            }
            ydb::Value { items, ..Default::default() }
        }
        YdbType::Tuple(types) => {
            if array_length(value, at, t)? as usize != types.len() {
                return Err(bad(at, t, "wrong number of tuple elements"));
            }
            let mut items = Vec::with_capacity(types.len());
            for (i, it) in types.iter().enumerate() {
                let x = js_read::element(value, i as u32).map_err(|e| at.threw(e))?;
                items.push(encode(&x, it, &at.child(Step::Index(i), &x)?)?);
            }
            ydb::Value { items, ..Default::default() }
        }
        YdbType::Struct(fields) => {
            if !value.is_object() {
                return Err(bad(at, t, "expected an object"));
            }
            let mut items = Vec::with_capacity(fields.len());
            for (field, ft) in fields {
                let v = js_read::get(value, field).map_err(|e| at.threw(e))?;
                items.push(encode(&v, ft, &at.child(Step::Field(field), &v)?)?);
            }
            ydb::Value { items, ..Default::default() }
        }
        YdbType::Dict(kt, vt) => {
            let map = value.dyn_ref::<Map>().ok_or_else(|| bad(at, t, "expected a Map"))?;
            let mut pairs = Vec::with_capacity(map.size() as usize);
            for (k, v) in map_entries(map) {
                let key = encode(&k, kt, &at.child(Step::DictKey, &k)?)?;
                let payload = encode(&v, vt, &at.child(Step::DictValue, &v)?)?;
                pairs.push(ydb::ValuePair { key: Some(key), payload: Some(payload) });
            }
            ydb::Value { pairs, ..Default::default() }
        }
        YdbType::Void | YdbType::Null => prim(V::NullFlagValue(0)),
        YdbType::EmptyList | YdbType::EmptyDict => ydb::Value::default(),
        YdbType::Tagged(_, inner) => encode(value, inner, at)?,
        YdbType::Unknown(_) => return Err(bad(at, t, "a type this client does not know cannot be sent")),
        YdbType::Variant(_) => return Err(bad(at, t, "Variant parameters are not supported")),
    })
}
