//! JS values into YDB parameters, following the mapping table of the API contract (results go the other
//! way in [`super::results`], re-exported here).
//!
//! A plain JS value gets its type inferred; a `TypedValue` states it. Every mismatch is an argument error
//! naming the parameter (a `TypeError` in JS).

use super::js_read;
pub use super::results::{result_set_to_js, result_sets_to_js, ResultShape};
use crate::error::{Error, Result};
use crate::proto::ydb::{self, value::Value as V, TypedValue};
use crate::value::params::{Param, Params};
use crate::value::scalars::{
    self, DATE32_DAYS, DATETIME64_SECS, DATETIME_END_SECS, DATE_END_DAYS, TIMESTAMP64_MICROS, TIMESTAMP_END_MICROS,
};
use crate::value::{Primitive as P, YdbType};
use js_sys::{BigInt, Date, Map, Object, Uint8Array};
use std::cell::Cell;
use wasm_bindgen::{JsCast, JsValue};

const MS_PER_DAY: f64 = 86_400_000.0;

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

thread_local! {
    /// `Symbol.for('ydb-wasm.TypedValue')`, looked up once: every parameter is checked for it.
    static TYPED_MARKER: JsValue = js_sys::Symbol::for_("ydb-wasm.TypedValue").into();
}

/// `{ $name: value, … }` (or a `Map`) into the request's parameter map. Names get a `$` if missing.
pub fn params_from_js(params: &JsValue) -> Result<Params> {
    params_from_js_declared(params, &[])
}

/// Like [`params_from_js`], but a plain value whose parameter has a declared type (a prepared query's
/// DECLARE) is encoded as that type instead of an inferred one.
pub fn params_from_js_declared(params: &JsValue, declared: &[(String, YdbType)]) -> Result<Params> {
    let mut out = Params::new();
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
        // A TypedValue keeps its own type; a plain value takes its declared type, else an inferred one.
        let typed = match (is_typed_value(&value, &name)?, crate::sql::declared_type(declared, &name)) {
            (true, _) => explicit(&value, &name)?,
            (false, Some(t)) => encode_as(&value, t, &name)?,
            (false, None) => inferred(&value, &name)?,
        };
        out.push(Param::new(name, typed));
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
    if is_typed_value(value, name)? {
        explicit(value, name)
    } else {
        inferred(value, name)
    }
}

/// A `TypedValue`'s value encoded as its type.
fn explicit(value: &JsValue, name: &str) -> Result<TypedValue> {
    let budget = Cell::new(MAX_VALUES_PER_PARAMETER);
    let at = At::root(name, value, &budget);
    let type_text = js_read::get(value, "type")
        .map_err(|e| at.threw(e))?
        .as_string()
        .ok_or_else(|| Error::argument(format!("parameter {name}: TypedValue.type must be a type name string")))?;
    let t = YdbType::parse(&type_text).map_err(|e| Error::argument(format!("parameter {name}: {}", e.message)))?;
    let inner = js_read::get(value, "value").map_err(|e| at.threw(e))?;
    let v = encode(&inner, &t, &At::root(name, &inner, &budget))?;
    Ok(TypedValue { r#type: Some(t.to_proto()), value: Some(v) })
}

/// A plain value encoded as the type inferred from it.
fn inferred(value: &JsValue, name: &str) -> Result<TypedValue> {
    let budget = Cell::new(MAX_VALUES_PER_PARAMETER);
    let at = At::root(name, value, &budget);
    let t = infer(value, &at)?;
    let v = encode(value, &t, &at)?;
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
    let marker = TYPED_MARKER.with(|m| js_read::get_key(value, m)).map_err(|e| e.at(&format!("parameter {name}")))?;
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
    if let Some(set) = value.dyn_ref::<js_sys::Set>() {
        let Some(k) = set_keys(set).into_iter().next() else {
            return Err(Error::argument(format!(
                "parameter {} is an empty Set: give its type with TypedValue",
                at.path()
            )));
        };
        let key = infer(&k, &at.child(Step::DictKey, &k)?)?;
        return Ok(YdbType::Dict(Box::new(key), Box::new(YdbType::Void)));
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
        // Within ±2^53 (checked above): exact as an i64, and no float-to-i128 conversion in the wasm.
        i128::from(f as i64)
    } else if value.is_bigint() {
        // Read as a 64-bit integer without text where it is one (all but Decimal's and out-of-range ones).
        use wasm_bindgen::convert::TryFromJsValue;
        if let Some(n) = i64::try_from_js_value_ref(value) {
            i128::from(n)
        } else if let Some(n) = u64::try_from_js_value_ref(value) {
            i128::from(n)
        } else {
            let text = bigint_text(value).ok_or_else(|| bad(at, t, "unreadable BigInt"))?;
            text.parse::<i128>().map_err(|_| bad(at, t, "BigInt out of range"))?
        }
    } else {
        return Err(bad(at, t, "expected a number or a BigInt"));
    };
    if n < min || n > max {
        return Err(bad(at, t, &format!("{} is out of range", crate::value::scalars::text_128(n))));
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
    if crate::substring::contains(&s, "\u{FFFD}") && !value.unchecked_ref::<js_sys::JsString>().is_valid_utf16() {
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

/// A wide date or time in its units, checked against its type's range.
fn wide(units: f64, range: (i64, i64), at: &At<'_>, t: &YdbType) -> Result<i64> {
    scalars::check_wide(units, range).map_err(|e| bad(at, t, &e.message))
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
        YdbType::Void | YdbType::Null => {
            if !value.is_null() && !value.is_undefined() {
                return Err(bad(at, t, "expected null"));
            }
            prim(V::NullFlagValue(0))
        }
        _ if value.is_null() || value.is_undefined() => {
            return Err(bad(at, t, "null is only allowed for Optional types"));
        }
        YdbType::Primitive(p) => primitive(value, *p, at, t)?,
        YdbType::Decimal { precision, scale } => decimal(value, *precision, *scale, at, t)?,
        _ => container(value, t, at)?,
    })
}

// The encoder is split so that V8, which compiles a wasm function on its first call, compiles only the
// parts a query's parameters use: a first query with one number or string parameter compiles neither the
// dates nor the containers (see bench/README.md on the cold first answer). Never inlined for that reason.

/// An integer (the commonest parameter: a key); the other scalars in [`scalar`], the dates, times and
/// `Uuid` in [`temporal_or_uuid`].
#[inline(never)]
fn primitive(value: &JsValue, p: P, at: &At<'_>, t: &YdbType) -> Result<ydb::Value> {
    Ok(match p {
        P::Int8 => prim(V::Int32Value(integer(value, at, t, -128, 127)? as i32)),
        P::Int16 => prim(V::Int32Value(integer(value, at, t, -32768, 32767)? as i32)),
        P::Int32 => prim(V::Int32Value(integer(value, at, t, i32::MIN.into(), i32::MAX.into())? as i32)),
        P::Uint8 => prim(V::Uint32Value(integer(value, at, t, 0, 255)? as u32)),
        P::Uint16 => prim(V::Uint32Value(integer(value, at, t, 0, 65535)? as u32)),
        P::Uint32 => prim(V::Uint32Value(integer(value, at, t, 0, u32::MAX.into())? as u32)),
        P::Int64 => prim(V::Int64Value(integer(value, at, t, i64::MIN.into(), i64::MAX.into())? as i64)),
        P::Uint64 => prim(V::Uint64Value(integer(value, at, t, 0, u64::MAX.into())? as u64)),
        P::Interval => prim(V::Int64Value(integer(value, at, t, i64::MIN.into(), i64::MAX.into())? as i64)),
        _ => scalar(value, p, at, t)?,
    })
}

/// A boolean, a floating-point number, text or bytes.
#[inline(never)]
fn scalar(value: &JsValue, p: P, at: &At<'_>, t: &YdbType) -> Result<ydb::Value> {
    Ok(match p {
        P::Bool => prim(V::BoolValue(value.as_bool().ok_or_else(|| bad(at, t, "expected a boolean"))?)),
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
        _ => temporal_or_uuid(value, p, at, t)?,
    })
}

/// The dates, times and intervals, and `Uuid`.
#[inline(never)]
fn temporal_or_uuid(value: &JsValue, p: P, at: &At<'_>, t: &YdbType) -> Result<ydb::Value> {
    Ok(match p {
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
        P::Timestamp64 => prim(V::Int64Value(if value.is_bigint() {
            // Exact microseconds: an f64 holds only 53 bits of the 63 these can use.
            let (min, max) = TIMESTAMP64_MICROS;
            integer(value, at, t, min.into(), max.into()).map_err(|_| bad(at, t, scalars::WIDE_RANGE))? as i64
        } else {
            wide((epoch_ms(value, at, t)? * 1000.0).round(), TIMESTAMP64_MICROS, at, t)?
        })),
        P::Interval64 => {
            let max = i128::from(TIMESTAMP64_MICROS.1) - i128::from(TIMESTAMP64_MICROS.0);
            prim(V::Int64Value(integer(value, at, t, -max, max)? as i64))
        }
        P::TzDate | P::TzDatetime | P::TzTimestamp => prim(V::TextValue(text(value, at, t)?)),
        P::Uuid => {
            let s = value.as_string().ok_or_else(|| bad(at, t, "expected a UUID string"))?;
            let (lo, hi) = scalars::parse_uuid(&s).map_err(|e| bad(at, t, &e.message))?;
            ydb::Value { value: Some(V::Low128(lo)), high_128: hi, ..Default::default() }
        }
        _ => return Err(bad(at, t, "not a date, time or UUID type")),
    })
}

#[inline(never)]
fn decimal(value: &JsValue, precision: u32, scale: u32, at: &At<'_>, t: &YdbType) -> Result<ydb::Value> {
    // A string or a BigInt is exact; a number is taken by its shortest decimal form (`0.1` is "0.1").
    let text = if let Some(s) = value.as_string() {
        s
    } else if value.as_f64().is_some() {
        // JS's own shortest form (Rust's float formatting would add ~20 KB of wasm); exponent
        // forms (1e21, 1e-7) and NaN are refused by the parser below.
        js_sys::Number::unchecked_from_js_ref(value)
            .to_string_with_radix(10)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| bad(at, t, "unreadable number"))?
    } else if value.is_bigint() {
        bigint_text(value).ok_or_else(|| bad(at, t, "unreadable BigInt"))?
    } else {
        return Err(bad(at, t, "expected a decimal string, a BigInt or a number"));
    };
    let v = scalars::parse_decimal(&text, precision, scale).map_err(|e| bad(at, t, &e.message))?;
    let (lo, hi) = scalars::split_128(v);
    Ok(ydb::Value { value: Some(V::Low128(lo)), high_128: hi, ..Default::default() })
}

/// The containers (`List`, `Tuple`, `Struct`, `Dict`, `Set`, `Variant`, the empty ones) and `Tagged`.
#[inline(never)]
fn container(value: &JsValue, t: &YdbType, at: &At<'_>) -> Result<ydb::Value> {
    Ok(match t {
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
        YdbType::Dict(kt, vt) if matches!(**vt, YdbType::Void) && value.is_instance_of::<js_sys::Set>() => {
            // `Set<T>`: the keys, each with a Void payload.
            let keys = set_keys(value.unchecked_ref());
            let mut pairs = Vec::with_capacity(keys.len());
            for k in keys {
                let key = encode(&k, kt, &at.child(Step::DictKey, &k)?)?;
                pairs.push(ydb::ValuePair { key: Some(key), payload: Some(prim(V::NullFlagValue(0))) });
            }
            ydb::Value { pairs, ..Default::default() }
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
        YdbType::EmptyList => {
            if array_length(value, at, t)? != 0 {
                return Err(bad(at, t, "expected an empty array"));
            }
            ydb::Value::default()
        }
        YdbType::EmptyDict => {
            let size = if let Some(m) = value.dyn_ref::<Map>() {
                m.size()
            } else if let Some(s) = value.dyn_ref::<js_sys::Set>() {
                s.size()
            } else {
                return Err(bad(at, t, "expected an empty Map"));
            };
            if size != 0 {
                return Err(bad(at, t, "expected an empty Map"));
            }
            ydb::Value::default()
        }
        YdbType::Tagged(_, inner) => encode(value, inner, at)?,
        YdbType::Unknown(_) => return Err(bad(at, t, "a type this client does not know cannot be sent")),
        YdbType::Variant(inner) => {
            let (index, alt) = variant_alternative(value, inner, at, t)?;
            let x = js_read::get(value, "value").map_err(|e| at.threw(e))?;
            let nested = encode(&x, alt, &at.child(Step::Field("value"), &x)?)?;
            ydb::Value { value: Some(V::NestedValue(Box::new(nested))), variant_index: index, ..Default::default() }
        }
        _ => return Err(bad(at, t, "not a container type")),
    })
}

/// The alternative a Variant parameter `{ name, value }` or `{ index, value }` (the shape results have)
/// chooses (see [`crate::value::variant::alternative`]). A tuple variant's result names its alternative by
/// number, so a number in `name` is an index too.
fn variant_alternative<'t>(
    value: &JsValue,
    inner: &'t YdbType,
    at: &At<'_>,
    t: &YdbType,
) -> Result<(u32, &'t YdbType)> {
    if !value.is_object() {
        return Err(bad(at, t, "expected { name, value } or { index, value }"));
    }
    let name = js_read::get(value, "name").map_err(|e| at.threw(e))?;
    let index = js_read::get(value, "index").map_err(|e| at.threw(e))?;
    crate::value::variant::alternative(inner, name.as_string().as_deref(), index.as_f64().or_else(|| name.as_f64()))
        .map_err(|why| bad(at, t, &why))
}

/// The decimal digits of a BigInt.
fn bigint_text(value: &JsValue) -> Option<String> {
    BigInt::unchecked_from_js_ref(value).to_string(10).ok().and_then(|s| s.as_string())
}

/// A `Set`'s values. `Set.prototype.forEach` on a real `Set` runs no caller code besides our callback.
fn set_keys(set: &js_sys::Set) -> Vec<JsValue> {
    let mut out = Vec::with_capacity(set.size() as usize);
    set.for_each(&mut |v, _, _| out.push(v));
    out
}
