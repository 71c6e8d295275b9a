//! Built-in functions: binding a call to its YDB result type and evaluating it.
//!
//! Owns the catalogue of functions the dev server knows (`Length`, `If`, `Coalesce`, `AsList`, the
//! `String::`, `Unicode::`, `Math::` and `DateTime::` modules, unit conversions) in both directions, so
//! that a function's argument rules and its evaluation sit side by side. Aggregate functions are bound
//! here too (they are calls) but computed in `aggregate.rs`.

use super::aggregate::agg_func;
use super::eval::bytes_of;
use super::typing::{cast_value, check_bool, unify};
use super::{BExpr, Ctx, Env, Scope, R};
use crate::engine::ast::*;
use crate::engine::datetime::{self, Part, Period, MICROS_PER_DAY, MICROS_PER_SECOND};
use crate::engine::math::{self, MathFn};
use crate::engine::text::{self, TextFn};
use crate::engine::types::{Prim, Type};
use crate::engine::values::{self, Value};
use crate::engine::EngineError;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Func {
    Length,
    Substring,
    Unwrap,
    If,
    AsList,
    AsTuple,
    StartsWith,
    EndsWith,
    Contains,
    Upper,
    Lower,
    Abs,
    ListLength,
    /// `DateTime::Get…` of a moment counted in this many microseconds per unit (Date: a day's,
    /// Datetime: a second's, Timestamp: 1).
    DtGet(Part, i128),
    /// `DateTime::GetMonthName` / `GetDayOfWeekName` (a String).
    DtName(Part, i128),
    /// `DateTime::StartOf…`: a Timestamp; NULL before the epoch.
    DtStart(Period, i128),
    /// `DateTime::Format(pattern)(moment)`: arguments pattern, moment.
    DtFormat(i128),
    /// Unit conversions (`MakeDate`, `ToSeconds`, `IntervalFromDays`, …): `value * mul / div`, truncated;
    /// NULL outside the target type's range.
    Scale(i128, i128, Prim),
    /// A `Math::` function of Doubles (integers converted); `true`: it answers a Bool.
    Math(MathFn, bool),
    /// `Math::Mod` (false) / `Math::Rem` (true) of Int64s; NULL for a zero divisor.
    MathMod(bool),
    /// A `String::` (false: bytes) or `Unicode::` (true: code points) function.
    Text(TextFn, bool),
    /// `ListFromRange(start, end[, step])` of integers: start, start + step, … below `end`.
    ListFromRange,
    /// `Knn::ToBinaryStringFloat(list)`: the floats as little-endian 32-bit values and the format byte 1
    /// (YDB's `FloatVector` embedding).
    KnnFloatVector,
}

/// The list functions that take a lambda.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ListOp {
    /// `ListMap(list, ($x) -> (…))`: the lambda's value for each item.
    Map,
    /// `ListFilter(list, ($x) -> (…))`: the items for which the lambda is true.
    Filter,
}

/// The most items `ListFromRange` makes: the dev server builds lists whole, where YDB streams them.
pub(super) const MAX_RANGE_ITEMS: i128 = 10_000_000;

/// The tag of `Knn::ToBinaryStringFloat`'s result.
const FLOAT_VECTOR_TAG: &str = "FloatVector";

impl Ctx<'_> {
    pub(super) fn bind_call(&mut self, name: &str, args: &[Expr], star: bool, env: &mut Env<'_>) -> R<(BExpr, Type)> {
        if let Some(var) = name.strip_prefix('$') {
            // `$f(x)` where `$f = Module::Function(a)`: the call `Module::Function(a, x)`.
            return match self.named.get(var).cloned() {
                Some(Expr::Call { name: inner, args: first, .. }) => {
                    let all: Vec<Expr> = first.into_iter().chain(args.iter().cloned()).collect();
                    self.nested("Named expressions are nested too deeply", |ctx| {
                        ctx.bind_call(&inner, &all, false, env)
                    })
                }
                _ => Err(EngineError::generic(format!("${var} is not a function"))),
            };
        }
        let lower = name.to_ascii_lowercase();
        if agg_func(name, star).is_some() {
            return Err(EngineError::generic(format!("Aggregate function {name} is not allowed here")));
        }
        // Typed literal constructors: Uint64("1"), Date("2024-01-01"), Decimal("1.5", 22, 9), ...
        if let Some(p) = Prim::from_name(name) {
            let a = args.first().ok_or_else(|| EngineError::generic(format!("{name}() needs an argument")))?;
            let (t, v) = self.const_eval(a)?;
            let target = Type::Prim(p);
            let cv = cast_value(&v, &t, &target)
                .filter(|v| !v.is_null())
                .ok_or_else(|| EngineError::generic(format!("Invalid value for {name} literal")))?;
            return Ok((BExpr::Const(cv), target));
        }
        if lower == "decimal" {
            let (Some(a), Some(p), Some(s)) = (args.first(), args.get(1), args.get(2)) else {
                return Err(EngineError::generic("Decimal() needs 3 arguments"));
            };
            let p = u8::try_from(self.const_u64(p, "Decimal precision")?).unwrap_or(0);
            let s = u8::try_from(self.const_u64(s, "Decimal scale")?).unwrap_or(0);
            if p == 0 || p > 35 || s > p {
                return Err(EngineError::generic("Invalid Decimal parameters"));
            }
            let (t, v) = self.const_eval(a)?;
            let target = Type::Decimal(p, s);
            let cv = cast_value(&v, &t, &target)
                .filter(|v| !v.is_null())
                .ok_or_else(|| EngineError::generic("Invalid value for Decimal literal"))?;
            return Ok((BExpr::Const(cv), target));
        }
        match lower.as_str() {
            "currentutcdate" | "currentutcdatetime" | "currentutctimestamp" => {
                let micros = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_micros() as i128)
                    .unwrap_or(0);
                let (p, v) = match lower.as_str() {
                    "currentutcdate" => (Prim::Date, micros / 86_400_000_000),
                    "currentutcdatetime" => (Prim::Datetime, micros / 1_000_000),
                    _ => (Prim::Timestamp, micros),
                };
                return Ok((BExpr::Const(Value::Int(v)), Type::Prim(p)));
            }
            "randomuuid" => {
                let u = uuid::Uuid::new_v4();
                let v = values::parse_uuid(&u.to_string()).unwrap_or(0);
                return Ok((BExpr::Const(Value::Uuid(v)), Type::Prim(Prim::Uuid)));
            }
            _ => {}
        }
        match lower.as_str() {
            "listmap" => return self.bind_list_lambda(name, ListOp::Map, args, env),
            "listfilter" => return self.bind_list_lambda(name, ListOp::Filter, args, env),
            "untag" => {
                let (Some(value), Some(tag), 2) = (args.first(), args.get(1), args.len()) else {
                    return Err(EngineError::generic("Untag() expects 2 arguments: a tagged value and its tag"));
                };
                let (b, t) = self.bind(value, env)?;
                let tag = match self.const_eval(tag)?.1 {
                    Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                    Value::Text(t) => t,
                    _ => return Err(EngineError::generic("Untag() needs the tag as a string")),
                };
                return match t {
                    Type::Tagged(have, inner) if have == tag => Ok((b, *inner)),
                    Type::Tagged(have, _) => {
                        Err(EngineError::generic(format!("Untag(): the value is tagged {have}, not {tag}")))
                    }
                    other => Err(EngineError::generic(format!("Untag() expects a tagged value, got {other}"))),
                };
            }
            _ => {}
        }
        let (mut bs, ts) = self.bind_all(args, env)?;
        let t0 = ts.first().cloned().unwrap_or(Type::Null);
        let arity = |n: usize| -> R<()> {
            if bs.len() == n {
                Ok(())
            } else {
                Err(EngineError::generic(format!("{name}() expects {n} argument(s)")))
            }
        };
        match lower.as_str() {
            "coalesce" | "nvl" => {
                if bs.is_empty() {
                    return Err(EngineError::generic("COALESCE needs arguments"));
                }
                let mut t = t0.unopt().clone();
                for x in ts.iter().skip(1) {
                    t = unify(&t, x.unopt())?;
                }
                let last_opt = ts.last().is_some_and(Type::is_optional);
                Ok((BExpr::Coalesce(bs), if last_opt { t.make_optional() } else { t }))
            }
            "length" | "len" => {
                arity(1)?;
                if !t0.prim().is_some_and(Prim::is_stringlike) {
                    return Err(EngineError::generic(format!("LENGTH needs a string, got {t0}")));
                }
                let t = Type::Prim(Prim::Uint32);
                Ok((BExpr::Func(Func::Length, bs), if t0.is_optional() { t.make_optional() } else { t }))
            }
            "substring" => {
                if bs.len() < 2 || bs.len() > 3 {
                    return Err(EngineError::generic("SUBSTRING expects 2 or 3 arguments"));
                }
                Ok((
                    BExpr::Func(Func::Substring, bs),
                    if t0.is_optional() { Type::optional(Type::Prim(Prim::String)) } else { Type::Prim(Prim::String) },
                ))
            }
            "unwrap" => {
                if bs.is_empty() {
                    return Err(EngineError::generic("Unwrap needs an argument"));
                }
                bs.truncate(1);
                Ok((BExpr::Func(Func::Unwrap, bs), t0.unopt().clone()))
            }
            "if" => {
                if bs.len() != 3 && bs.len() != 2 {
                    return Err(EngineError::generic("IF expects 2 or 3 arguments"));
                }
                check_bool(&t0)?;
                let t = match (ts.get(1), ts.get(2)) {
                    (Some(a), Some(b)) => unify(a, b)?,
                    (Some(a), None) => a.clone().make_optional(),
                    _ => Type::Null,
                };
                Ok((BExpr::Func(Func::If, bs), t))
            }
            "aslist" => {
                let mut it: Option<Type> = None;
                for t in &ts {
                    it = Some(match it {
                        None => t.clone(),
                        Some(x) => unify(&x, t)?,
                    });
                }
                let Some(item) = it else {
                    return Ok((BExpr::Func(Func::AsList, bs), Type::EmptyList));
                };
                // Items take the list's item type (`AsList(1, 2.5)` is a List<Double> of Doubles).
                let target = item.unopt().clone();
                let bs = bs
                    .into_iter()
                    .zip(&ts)
                    .map(|(b, t)| match (t.unopt(), &target) {
                        (from, Type::Prim(_) | Type::Struct(_)) if *from != target && *from != Type::Null => {
                            BExpr::Cast(Box::new(b), from.clone(), target.clone())
                        }
                        _ => b,
                    })
                    .collect();
                Ok((BExpr::Func(Func::AsList, bs), Type::List(Box::new(item))))
            }
            "astuple" => Ok((BExpr::Func(Func::AsTuple, bs), Type::Tuple(ts))),
            "startswith" | "endswith" | "string::startswith" | "string::endswith" | "string::contains" | "find" => {
                arity(2)?;
                let f = match lower.trim_start_matches("string::") {
                    "startswith" => Func::StartsWith,
                    "endswith" => Func::EndsWith,
                    _ => Func::Contains,
                };
                let opt = ts.iter().any(Type::is_optional);
                let t = Type::Prim(Prim::Bool);
                Ok((BExpr::Func(f, bs), if opt { t.make_optional() } else { t }))
            }
            "unicode::toupper"
            | "unicode::tolower"
            | "string::asciitoupper"
            | "string::asciitolower"
            | "upper"
            | "lower" => {
                arity(1)?;
                let f = if lower.contains("upper") { Func::Upper } else { Func::Lower };
                Ok((BExpr::Func(f, bs), t0))
            }
            "abs" => {
                arity(1)?;
                Ok((BExpr::Func(Func::Abs, bs), t0))
            }
            _ if lower.starts_with("datetime::") => bind_datetime(name, &lower, bs, &ts),
            _ if lower.starts_with("math::") => bind_math(name, &lower, bs, &ts),
            _ if lower.starts_with("string::") || lower.starts_with("unicode::") => bind_text(name, &lower, bs, &ts),
            "listlength" => {
                arity(1)?;
                Ok((BExpr::Func(Func::ListLength, bs), Type::Prim(Prim::Uint64)))
            }
            "listfromrange" => {
                if bs.len() != 2 && bs.len() != 3 {
                    return Err(EngineError::generic("ListFromRange() expects 2 or 3 arguments"));
                }
                let mut item = t0.unopt().clone();
                for t in ts.iter().skip(1) {
                    item = unify(&item, t.unopt())?;
                }
                if !item.prim().is_some_and(Prim::is_integer) {
                    return Err(EngineError::generic(format!("ListFromRange() needs integers, got {item}")));
                }
                Ok((BExpr::Func(Func::ListFromRange, bs), Type::List(Box::new(item))))
            }
            "knn::tobinarystringfloat" => {
                arity(1)?;
                let numeric = match t0.unopt() {
                    Type::List(t) => t.prim().is_some_and(Prim::is_numeric) && !t.is_optional(),
                    _ => false,
                };
                if !numeric {
                    return Err(EngineError::generic(format!("{name}() expects a list of numbers, got {t0}")));
                }
                let t = Type::Tagged(FLOAT_VECTOR_TAG.to_string(), Box::new(Type::Prim(Prim::String)));
                Ok((BExpr::Func(Func::KnnFloatVector, bs), if t0.is_optional() { t.make_optional() } else { t }))
            }
            _ => Err(EngineError::generic(format!("Unknown function: {name}"))),
        }
    }
}

impl Ctx<'_> {
    /// `ListMap` / `ListFilter`: the list, and the lambda's body bound over the current row's columns with
    /// the lambda's argument as one more column after them.
    fn bind_list_lambda(&mut self, name: &str, op: ListOp, args: &[Expr], env: &mut Env<'_>) -> R<(BExpr, Type)> {
        let (Some(list), Some(f), 2) = (args.first(), args.get(1), args.len()) else {
            return Err(EngineError::generic(format!("{name}() expects 2 arguments: a list and a lambda")));
        };
        let lambda = match f {
            Expr::Param(var) if !self.locals.iter().any(|(n, _, _)| n == var) => self.named.get(var).cloned(),
            other => Some(other.clone()),
        };
        let Some(Expr::Lambda { params, body }) = lambda else {
            return Err(EngineError::generic(format!("{name}() needs a lambda as its second argument: ($x) -> (…)")));
        };
        let [param] = params.as_slice() else {
            return Err(EngineError::generic(format!("The lambda of {name}() takes one argument")));
        };
        let (list_b, list_t) = self.bind(list, env)?;
        let item = match list_t.unopt() {
            Type::List(t) => (**t).clone(),
            Type::EmptyList => Type::Null,
            other => return Err(EngineError::generic(format!("{name}() expects a list, got {other}"))),
        };
        let Env::Plain(scope) = env else {
            return Err(EngineError::generic(format!("{name}() with a lambda is not supported in an aggregation")));
        };
        let base = scope.cols.len();
        let mut inner = Scope::clone(scope);
        inner.cols.push(super::Col { qual: None, name: String::new(), ty: item.clone() });
        self.locals.push((param.clone(), base, item.clone()));
        let bound = self.nested("Lambdas are nested too deeply", |ctx| ctx.bind(&body, &mut Env::Plain(&inner)));
        self.locals.pop();
        let (body_b, body_t) = bound?;
        let out = match op {
            ListOp::Map => Type::List(Box::new(body_t)),
            ListOp::Filter => {
                check_bool(&body_t)?;
                Type::List(Box::new(item))
            }
        };
        let out = if list_t.is_optional() { out.make_optional() } else { out };
        Ok((BExpr::ListLambda(op, Box::new(list_b), Box::new(body_b), base), out))
    }
}

/// Runs a list function's lambda over the items of `list`; `row` is the row the body was bound over.
pub(super) fn list_lambda(
    op: ListOp,
    list: Value,
    base: usize,
    row: &[Value],
    body: impl Fn(&[Value]) -> R<Value>,
) -> R<Value> {
    let items = match list {
        Value::List(items) => items,
        Value::Null => return Ok(Value::Null),
        _ => return Err(EngineError::generic("A list function was given something other than a list")),
    };
    let mut env: Vec<Value> = row.iter().take(base).cloned().collect();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        env.push(item);
        let v = body(&env)?;
        let item = env.pop().unwrap_or(Value::Null);
        match op {
            ListOp::Map => out.push(v),
            ListOp::Filter => {
                if v == Value::Bool(true) {
                    out.push(item);
                }
            }
        }
    }
    Ok(Value::List(out))
}

pub(super) fn call(f: Func, vals: Vec<Value>) -> R<Value> {
    let first = vals.first().cloned().unwrap_or(Value::Null);
    Ok(match f {
        Func::AsList | Func::AsTuple => Value::List(vals),
        Func::ListFromRange => {
            let int = |v: Option<&Value>| match v {
                Some(Value::Int(i)) => Some(*i),
                _ => None,
            };
            let (Some(start), Some(end)) = (int(vals.first()), int(vals.get(1))) else { return Ok(Value::Null) };
            let step = match vals.get(2) {
                None => 1,
                Some(v) => match int(Some(v)) {
                    Some(s) => s,
                    None => return Ok(Value::Null),
                },
            };
            let count = match step {
                0 => 0,
                s if s > 0 && end > start => (end - start + s - 1) / s,
                s if s < 0 && end < start => (start - end - s - 1) / -s,
                _ => 0,
            };
            if count > MAX_RANGE_ITEMS {
                return Err(EngineError::generic(format!(
                    "ListFromRange() would make {count} items; the dev server builds lists whole, at most {MAX_RANGE_ITEMS}"
                )));
            }
            Value::List((0..count).map(|k| Value::Int(start + k * step)).collect())
        }
        Func::KnnFloatVector => match first {
            Value::List(items) => {
                let mut out = Vec::with_capacity(items.len() * 4 + 1);
                for item in items {
                    let f = match item {
                        Value::Int(i) => i as f32,
                        Value::Float(f) => f as f32,
                        _ => {
                            return Err(EngineError::generic("Knn::ToBinaryStringFloat(): a list item is not a number"))
                        }
                    };
                    out.extend_from_slice(&f.to_le_bytes());
                }
                out.push(1);
                Value::Bytes(out)
            }
            _ => Value::Null,
        },
        Func::Unwrap => {
            if first.is_null() {
                return Err(EngineError::generic("Failed to unwrap empty optional"));
            }
            first
        }
        Func::If => match first {
            Value::Bool(true) => vals.get(1).cloned().unwrap_or(Value::Null),
            _ => vals.get(2).cloned().unwrap_or(Value::Null),
        },
        Func::Length => match &first {
            Value::Bytes(b) => Value::Int(b.len() as i128),
            Value::Text(t) => Value::Int(t.len() as i128),
            _ => Value::Null,
        },
        Func::ListLength => match &first {
            Value::List(l) => Value::Int(l.len() as i128),
            Value::Dict(d) => Value::Int(d.len() as i128),
            _ => Value::Null,
        },
        Func::Substring => {
            let Some(b) = bytes_of(&first) else {
                return Ok(Value::Null);
            };
            let start = match vals.get(1) {
                Some(Value::Int(i)) => usize::try_from(*i).unwrap_or(0),
                _ => 0,
            };
            let len = match vals.get(2) {
                Some(Value::Int(i)) => usize::try_from(*i).unwrap_or(0),
                _ => usize::MAX,
            };
            Value::Bytes(b.iter().skip(start).take(len).copied().collect())
        }
        Func::StartsWith | Func::EndsWith | Func::Contains => {
            let (Some(a), Some(b)) = (bytes_of(&first), vals.get(1).and_then(bytes_of)) else {
                return Ok(Value::Null);
            };
            Value::Bool(match f {
                Func::StartsWith => a.starts_with(b),
                Func::EndsWith => a.ends_with(b),
                _ => b.is_empty() || a.windows(b.len()).any(|w| w == b),
            })
        }
        Func::Upper | Func::Lower => match first {
            Value::Text(t) => Value::Text(if f == Func::Upper { t.to_uppercase() } else { t.to_lowercase() }),
            Value::Bytes(b) => {
                Value::Bytes(if f == Func::Upper { b.to_ascii_uppercase() } else { b.to_ascii_lowercase() })
            }
            other => other,
        },
        Func::DtGet(part, unit) => match first {
            Value::Int(v) => Value::Int(i128::from(datetime::get(part, v.saturating_mul(unit)))),
            other => other,
        },
        Func::DtName(part, unit) => match first {
            Value::Int(v) => {
                let n = datetime::get(part, v.saturating_mul(unit));
                let name = if part == Part::Month { datetime::month_name(n) } else { datetime::day_of_week_name(n) };
                Value::Bytes(name.as_bytes().to_vec())
            }
            other => other,
        },
        Func::DtStart(period, unit) => match first {
            Value::Int(v) => match datetime::start_of(period, v.saturating_mul(unit)) {
                start if start < 0 => Value::Null,
                start => Value::Int(start),
            },
            other => other,
        },
        Func::DtFormat(unit) => match (bytes_of(&first), vals.get(1)) {
            (Some(pattern), Some(Value::Int(v))) => {
                let pattern = String::from_utf8_lossy(pattern);
                Value::Bytes(datetime::format(&pattern, v.saturating_mul(unit)).into_bytes())
            }
            _ => Value::Null,
        },
        Func::Math(f, answers_bool) => {
            let mut args = Vec::with_capacity(vals.len());
            for v in &vals {
                match v {
                    Value::Int(i) => args.push(*i as f64),
                    Value::Float(x) => args.push(*x),
                    _ => return Ok(Value::Null),
                }
            }
            let x = math::apply(f, &args);
            if answers_bool {
                Value::Bool(x != 0.0)
            } else {
                Value::Float(x)
            }
        }
        Func::Text(f, unicode) => text_call(f, unicode, &vals)?,
        Func::MathMod(rem) => match (first, vals.get(1)) {
            (Value::Int(a), Some(Value::Int(b))) => math::modulo(a, *b, rem).map_or(Value::Null, Value::Int),
            _ => Value::Null,
        },
        Func::Scale(mul, div, target) => match first {
            Value::Int(v) if div != 0 => {
                values::check_range(target, Value::Int(v.saturating_mul(mul) / div)).unwrap_or(Value::Null)
            }
            other => other,
        },
        Func::Abs => match first {
            Value::Int(i) => Value::Int(i.saturating_abs()),
            Value::Float(x) => Value::Float(x.abs()),
            Value::Decimal(d) => Value::Decimal(d.saturating_abs()),
            other => other,
        },
    })
}

/// Binds a `String::` / `Unicode::` function (see `text.rs`) with YDB's result types: String functions
/// answer String (positions as Int64, -1 when absent), Unicode ones Utf8 (lengths and positions as Uint64,
/// NULL when absent). The result is optional when an argument is.
fn bind_text(name: &str, lower: &str, bs: Vec<BExpr>, ts: &[Type]) -> R<(BExpr, Type)> {
    let unicode = lower.starts_with("unicode::");
    let function = lower.split_once("::").map(|(_, f)| f).unwrap_or_default();
    let (f, min, max) =
        text::lookup(function, unicode).ok_or_else(|| EngineError::generic(format!("Unknown function: {name}")))?;
    if bs.len() < min || bs.len() > max {
        return Err(EngineError::generic(format!("{name}() expects {min} to {max} argument(s), got {}", bs.len())));
    }
    for (i, t) in ts.iter().enumerate() {
        let integer =
            matches!((f, i), (TextFn::Find | TextFn::ReverseFind, 2) | (TextFn::LeftPad | TextFn::RightPad, 1))
                || (f == TextFn::Substring && i > 0);
        let list = f == TextFn::JoinFromList && i == 0;
        let ok = match t.unopt() {
            Type::Null => true,
            Type::List(item) if list => item.prim().is_some_and(Prim::is_stringlike),
            Type::EmptyList => list,
            other if integer => other.prim().is_some_and(Prim::is_integer),
            other => !list && other.prim().is_some_and(Prim::is_stringlike),
        };
        if !ok {
            return Err(EngineError::generic(format!("{name}: argument {} has the wrong type {t}", i + 1)));
        }
    }
    let text_type = if unicode { Prim::Utf8 } else { Prim::String };
    let (t, always_optional) = match f {
        TextFn::Find | TextFn::ReverseFind if unicode => (Type::Prim(Prim::Uint64), true),
        TextFn::Find | TextFn::ReverseFind => (Type::Prim(Prim::Int64), false),
        TextFn::Length => (Type::Prim(Prim::Uint64), false),
        TextFn::HasPrefix | TextFn::HasSuffix => (Type::Prim(Prim::Bool), false),
        TextFn::SplitToList => (Type::List(Box::new(Type::Prim(text_type))), false),
        _ => (Type::Prim(text_type), false),
    };
    let nullable = always_optional || ts.iter().any(Type::is_optional);
    Ok((BExpr::Func(Func::Text(f, unicode), bs), if nullable { t.make_optional() } else { t }))
}

/// Evaluates a `String::` / `Unicode::` function; a NULL argument gives NULL. A result that would
/// exceed [`text::MAX_RESULT_BYTES`] is an error, not an allocation that takes the server down.
fn text_call(f: TextFn, unicode: bool, vals: &[Value]) -> R<Value> {
    if vals.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    let arg = |i: usize| vals.get(i).and_then(bytes_of).unwrap_or_default();
    let int = |i: usize, default: usize| match vals.get(i) {
        Some(Value::Int(n)) => usize::try_from(*n).unwrap_or(if *n < 0 { 0 } else { usize::MAX }),
        _ => default,
    };
    let s = arg(0);
    let out = |bytes: Vec<u8>| {
        if unicode {
            Value::Text(String::from_utf8_lossy(&bytes).into_owned())
        } else {
            Value::Bytes(bytes)
        }
    };
    let chars = || String::from_utf8_lossy(s).into_owned();
    let too_big =
        |what: &str| EngineError::generic(format!("{what}: the result would exceed {} bytes", text::MAX_RESULT_BYTES));
    Ok(match f {
        TextFn::Strip if unicode => out(chars().trim().as_bytes().to_vec()),
        TextFn::Strip => out(s.trim_ascii().to_vec()),
        TextFn::Collapse => out(text::collapse(s)),
        TextFn::Reverse if unicode => out(chars().chars().rev().collect::<String>().into_bytes()),
        TextFn::Reverse => out(s.iter().rev().copied().collect()),
        TextFn::ReplaceAll | TextFn::ReplaceFirst | TextFn::ReplaceLast => {
            out(text::replace_bytes(s, arg(1), arg(2), f).ok_or_else(|| too_big("Replace"))?)
        }
        TextFn::RemoveAll if unicode => {
            let set = String::from_utf8_lossy(arg(1)).into_owned();
            out(chars().chars().filter(|c| !set.contains(*c)).collect::<String>().into_bytes())
        }
        TextFn::RemoveAll => out(s.iter().filter(|b| !arg(1).contains(b)).copied().collect()),
        TextFn::Find if unicode => {
            let needle = String::from_utf8_lossy(arg(1)).into_owned();
            text::find_chars(&chars(), &needle, int(2, 0)).map_or(Value::Null, |p| Value::Int(p as i128))
        }
        TextFn::ReverseFind if unicode => {
            let (hay, needle) = (chars(), String::from_utf8_lossy(arg(1)).into_owned());
            hay.rfind(&needle)
                .and_then(|b| hay.get(..b))
                .map(|before| before.chars().count())
                .filter(|p| *p >= int(2, 0))
                .map_or(Value::Null, |p| Value::Int(p as i128))
        }
        TextFn::Find | TextFn::ReverseFind => {
            Value::Int(i128::from(text::find(s, arg(1), int(2, 0), f == TextFn::ReverseFind)))
        }
        TextFn::HasPrefix => Value::Bool(s.starts_with(arg(1))),
        TextFn::HasSuffix => Value::Bool(s.ends_with(arg(1))),
        TextFn::LeftPad | TextFn::RightPad => {
            let filler = arg(2).first().copied().unwrap_or(b' ');
            let width = int(1, 0);
            if width > text::MAX_RESULT_BYTES {
                return Err(too_big("Pad"));
            }
            out(text::pad(s, width, filler, f == TextFn::LeftPad))
        }
        TextFn::SplitToList => Value::List(text::split_bytes(s, arg(1)).into_iter().map(out).collect()),
        TextFn::JoinFromList => {
            let items = match vals.first() {
                Some(Value::List(items)) => items.iter().filter_map(bytes_of).collect::<Vec<_>>(),
                _ => Vec::new(),
            };
            out(items.join(arg(1)))
        }
        TextFn::Base64Encode => out(text::base64(s)),
        TextFn::HexEncode => out(text::hex(s)),
        TextFn::Length => Value::Int(chars().chars().count() as i128),
        TextFn::Substring if unicode => {
            out(text::substring_chars(&chars(), int(1, 0), int(2, usize::MAX)).into_bytes())
        }
        TextFn::Substring => out(s.iter().skip(int(1, 0)).take(int(2, usize::MAX)).copied().collect()),
    })
}

/// Binds a `Math::` function: Double arguments (integers are converted), YDB's argument counts; the
/// result is optional when an argument is.
fn bind_math(name: &str, lower: &str, bs: Vec<BExpr>, ts: &[Type]) -> R<(BExpr, Type)> {
    let function = lower.trim_start_matches("math::");
    let nullable = ts.iter().any(Type::is_optional);
    if function == "mod" || function == "rem" {
        if bs.len() != 2 || !ts.iter().all(|t| t.prim().is_some_and(Prim::is_integer)) {
            return Err(EngineError::generic(format!("{name} expects two integers")));
        }
        // Optional always: a zero divisor gives NULL.
        return Ok((BExpr::Func(Func::MathMod(function == "rem"), bs), Type::Prim(Prim::Int64).make_optional()));
    }
    let (f, arity, answers_bool) =
        math::lookup(function).ok_or_else(|| EngineError::generic(format!("Unknown function: {name}")))?;
    let count_ok = bs.len() == arity || (f == MathFn::Round && bs.len() == 2);
    if !count_ok {
        return Err(EngineError::generic(format!("{name}() expects {arity} argument(s), got {}", bs.len())));
    }
    for (i, t) in ts.iter().enumerate() {
        let ok = match t.prim() {
            Some(p) if f == MathFn::Round && i == 1 => p.is_integer(),
            Some(p) => p.is_integer() || p.is_float(),
            None => false,
        };
        if !ok {
            return Err(EngineError::generic(format!("{name}: argument {} must be a number, got {t}", i + 1)));
        }
    }
    let t = Type::Prim(if answers_bool { Prim::Bool } else { Prim::Double });
    Ok((BExpr::Func(Func::Math(f, answers_bool), bs), if nullable { t.make_optional() } else { t }))
}

/// Microseconds per unit of a moment type (Date, Datetime, Timestamp), `None` for anything else.
fn moment_unit(t: &Type) -> Option<i128> {
    match t.prim()? {
        Prim::Date => Some(MICROS_PER_DAY),
        Prim::Datetime => Some(MICROS_PER_SECOND),
        Prim::Timestamp => Some(1),
        _ => None,
    }
}

/// Binds a `DateTime::` function (see `datetime.rs` for how `Resource<TM>` is represented). Result types
/// are YDB's; the result is optional when the argument is, or when the function can give NULL.
fn bind_datetime(name: &str, lower: &str, bs: Vec<BExpr>, ts: &[Type]) -> R<(BExpr, Type)> {
    let function = lower.trim_start_matches("datetime::");
    let t0 = ts.first().cloned().unwrap_or(Type::Null);
    let typed = |prim: Prim, nullable: bool, arg: &Type| {
        let t = Type::Prim(prim);
        if nullable || arg.is_optional() {
            t.make_optional()
        } else {
            t
        }
    };
    if function == "format" {
        let (Some(pattern), Some(moment), 2) = (ts.first(), ts.get(1), bs.len()) else {
            return Err(EngineError::generic(format!(
                "{name}(pattern) makes a function: apply it to a moment, as in {name}(\"%Y-%m-%d\")(value)"
            )));
        };
        if !pattern.prim().is_some_and(Prim::is_stringlike) {
            return Err(EngineError::generic(format!("{name} expects a String pattern, got {pattern}")));
        }
        let unit = moment_unit(moment).ok_or_else(|| {
            EngineError::generic(format!("{name} formats a Date, Datetime or Timestamp, got {moment}"))
        })?;
        let nullable = pattern.is_optional();
        return Ok((BExpr::Func(Func::DtFormat(unit), bs), typed(Prim::String, nullable, moment)));
    }
    if bs.len() != 1 {
        return Err(EngineError::generic(format!("{name}() expects 1 argument")));
    }
    let moment = || {
        moment_unit(&t0)
            .ok_or_else(|| EngineError::generic(format!("{name} expects a Date, Datetime or Timestamp, got {t0}")))
    };
    let interval = || {
        if t0.prim() == Some(Prim::Interval) {
            Ok(())
        } else {
            Err(EngineError::generic(format!("{name} expects an Interval, got {t0}")))
        }
    };
    let integer = || {
        if t0.prim().is_some_and(Prim::is_integer) {
            Ok(())
        } else {
            Err(EngineError::generic(format!("{name} expects an integer, got {t0}")))
        }
    };
    let part = match function {
        "getyear" => Some((Part::Year, Prim::Uint16)),
        "getdayofyear" => Some((Part::DayOfYear, Prim::Uint16)),
        "getmonth" => Some((Part::Month, Prim::Uint8)),
        "getdayofmonth" => Some((Part::DayOfMonth, Prim::Uint8)),
        "getdayofweek" => Some((Part::DayOfWeek, Prim::Uint8)),
        "gethour" => Some((Part::Hour, Prim::Uint8)),
        "getminute" => Some((Part::Minute, Prim::Uint8)),
        "getsecond" => Some((Part::Second, Prim::Uint8)),
        "getmillisecondofsecond" => Some((Part::MillisecondOfSecond, Prim::Uint32)),
        "getmicrosecondofsecond" => Some((Part::MicrosecondOfSecond, Prim::Uint32)),
        _ => None,
    };
    if let Some((part, prim)) = part {
        return Ok((BExpr::Func(Func::DtGet(part, moment()?), bs), typed(prim, false, &t0)));
    }
    let period = match function {
        "startofyear" => Some(Period::Year),
        "startofquarter" => Some(Period::Quarter),
        "startofmonth" => Some(Period::Month),
        "startofweek" => Some(Period::Week),
        "startofday" => Some(Period::Day),
        _ => None,
    };
    if let Some(period) = period {
        // Only a week can start before the epoch (the week of 1970-01-01), which YDB answers with NULL.
        let t = typed(Prim::Timestamp, period == Period::Week, &t0);
        return Ok((BExpr::Func(Func::DtStart(period, moment()?), bs), t));
    }
    let scale = |mul: i128, div: i128, prim: Prim, nullable: bool| {
        (BExpr::Func(Func::Scale(mul, div, prim), bs.clone()), typed(prim, nullable, &t0))
    };
    let on_interval = t0.prim() == Some(Prim::Interval);
    Ok(match function {
        "getmonthname" => {
            (BExpr::Func(Func::DtName(Part::Month, moment()?), bs.clone()), typed(Prim::String, false, &t0))
        }
        "getdayofweekname" => {
            (BExpr::Func(Func::DtName(Part::DayOfWeek, moment()?), bs.clone()), typed(Prim::String, false, &t0))
        }
        "split" => scale(moment()?, 1, Prim::Timestamp, false),
        "makedate" => scale(moment()?, MICROS_PER_DAY, Prim::Date, false),
        "makedatetime" => scale(moment()?, MICROS_PER_SECOND, Prim::Datetime, false),
        "maketimestamp" => scale(moment()?, 1, Prim::Timestamp, false),
        "toseconds" if on_interval => scale(1, MICROS_PER_SECOND, Prim::Int64, false),
        "tomilliseconds" if on_interval => scale(1, 1000, Prim::Int64, false),
        "tomicroseconds" if on_interval => scale(1, 1, Prim::Int64, false),
        "toseconds" => scale(moment()?, MICROS_PER_SECOND, Prim::Uint32, false),
        "tomilliseconds" => scale(moment()?, 1000, Prim::Uint64, false),
        "tomicroseconds" => scale(moment()?, 1, Prim::Uint64, false),
        "todays" => interval().map(|()| scale(1, MICROS_PER_DAY, Prim::Int32, false))?,
        "tohours" => interval().map(|()| scale(1, 3600 * MICROS_PER_SECOND, Prim::Int32, false))?,
        "tominutes" => interval().map(|()| scale(1, 60 * MICROS_PER_SECOND, Prim::Int32, false))?,
        "fromseconds" => integer().map(|()| scale(MICROS_PER_SECOND, 1, Prim::Timestamp, true))?,
        "frommilliseconds" => integer().map(|()| scale(1000, 1, Prim::Timestamp, true))?,
        "frommicroseconds" => integer().map(|()| scale(1, 1, Prim::Timestamp, true))?,
        "intervalfromdays" => integer().map(|()| scale(MICROS_PER_DAY, 1, Prim::Interval, true))?,
        "intervalfromhours" => integer().map(|()| scale(3600 * MICROS_PER_SECOND, 1, Prim::Interval, true))?,
        "intervalfromminutes" => integer().map(|()| scale(60 * MICROS_PER_SECOND, 1, Prim::Interval, true))?,
        "intervalfromseconds" => integer().map(|()| scale(MICROS_PER_SECOND, 1, Prim::Interval, true))?,
        "intervalfrommilliseconds" => integer().map(|()| scale(1000, 1, Prim::Interval, true))?,
        "intervalfrommicroseconds" => integer().map(|()| scale(1, 1, Prim::Interval, true))?,
        _ => return Err(EngineError::generic(format!("Unknown function: {name}"))),
    })
}

#[cfg(test)]
mod calendar_tests {
    use super::{datetime, Period, MICROS_PER_DAY};

    #[test]
    fn start_of_month_finds_the_first_day_across_years_and_leap_days() {
        let day = |y: i32, m: u32, d: u32| -> i128 {
            // days from 1970-01-01, counted naively for the test
            let mut days = 0i128;
            for year in 1970..y {
                days += if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 { 366 } else { 365 };
            }
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let lens = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            for len in lens.iter().take((m - 1) as usize) {
                days += len;
            }
            days + i128::from(d - 1)
        };
        let start_of_month = |days: i128| datetime::start_of(Period::Month, days * MICROS_PER_DAY) / MICROS_PER_DAY;
        assert_eq!(start_of_month(day(1970, 1, 1)), day(1970, 1, 1));
        assert_eq!(start_of_month(day(2024, 2, 29)), day(2024, 2, 1));
        assert_eq!(start_of_month(day(2024, 3, 1)), day(2024, 3, 1));
        assert_eq!(start_of_month(day(2105, 12, 31)), day(2105, 12, 1));
        assert_eq!(start_of_month(day(2000, 12, 15)), day(2000, 12, 1));
    }
}
