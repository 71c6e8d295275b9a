//! Aggregation: GROUP BY and the aggregate functions (COUNT, SUM, MIN, MAX, AVG, SOME).
//!
//! Owns which calls are aggregates, their YDB result types, and the grouping of rows into
//! `[keys..., aggregates...]` rows that projection, HAVING and ORDER BY are then evaluated on.

use super::eval::eval;
use super::{AggFunc, AggSpec, AggState, R};
use crate::engine::ast::*;
use crate::engine::types::{Prim, Type};
use crate::engine::values::{total_cmp, Value};
use crate::engine::EngineError;
use std::cmp::Ordering;
use std::collections::HashMap;

pub(super) fn contains_agg(e: &Expr) -> bool {
    match e {
        Expr::Call { name, args, star, .. } => agg_func(name, *star).is_some() || args.iter().any(contains_agg),
        Expr::Unary(_, x) | Expr::Cast { expr: x, .. } => contains_agg(x),
        Expr::IsNull { expr, .. } => contains_agg(expr),
        Expr::Binary(_, l, r) => contains_agg(l) || contains_agg(r),
        Expr::Between { expr, lo, hi, .. } => contains_agg(expr) || contains_agg(lo) || contains_agg(hi),
        Expr::In { expr, list, .. } => contains_agg(expr) || list.iter().any(contains_agg),
        Expr::Like { expr, pattern, .. } => contains_agg(expr) || contains_agg(pattern),
        Expr::Case { operand, whens, else_ } => {
            operand.as_deref().is_some_and(contains_agg)
                || whens.iter().any(|(a, b)| contains_agg(a) || contains_agg(b))
                || else_.as_deref().is_some_and(contains_agg)
        }
        Expr::Tuple(xs) => xs.iter().any(contains_agg),
        Expr::Struct(members) => members.iter().any(|(_, x)| contains_agg(x)),
        _ => false,
    }
}

pub(super) fn agg_func(name: &str, star: bool) -> Option<AggFunc> {
    Some(match name.to_ascii_lowercase().as_str() {
        "count" if star => AggFunc::CountAll,
        "count" => AggFunc::Count,
        "sum" => AggFunc::Sum,
        "min" => AggFunc::Min,
        "max" => AggFunc::Max,
        "avg" => AggFunc::Avg,
        "some" => AggFunc::Some,
        _ => return None,
    })
}

pub(super) fn agg_type(f: AggFunc, arg: &Type) -> R<Type> {
    Ok(match f {
        AggFunc::Count | AggFunc::CountAll => Type::Prim(Prim::Uint64),
        AggFunc::Min | AggFunc::Max | AggFunc::Some => arg.clone().make_optional(),
        AggFunc::Avg => match arg.unopt() {
            Type::Decimal(..) => arg.clone().make_optional(),
            t if t.prim().is_some_and(|p| p.is_numeric() || p == Prim::Interval) => {
                Type::optional(if t.prim() == Some(Prim::Interval) { t.clone() } else { Type::Prim(Prim::Double) })
            }
            t => return Err(EngineError::generic(format!("AVG is not defined for {t}"))),
        },
        AggFunc::Sum => match arg.unopt() {
            Type::Decimal(_, s) => Type::optional(Type::Decimal(35, *s)),
            Type::Prim(p) if p.is_integer() && p.is_signed() => Type::optional(Type::Prim(Prim::Int64)),
            Type::Prim(p) if p.is_integer() => Type::optional(Type::Prim(Prim::Uint64)),
            Type::Prim(p) if p.is_float() => Type::optional(Type::Prim(Prim::Double)),
            Type::Prim(Prim::Interval) => Type::optional(Type::Prim(Prim::Interval)),
            Type::Null => Type::Null,
            t => return Err(EngineError::generic(format!("SUM is not defined for {t}"))),
        },
    })
}

/// Groups rows and computes aggregates: each output row is `[keys..., aggregates...]`.
pub(super) fn aggregate(st: &AggState, rows: &[Vec<Value>]) -> R<Vec<Vec<Value>>> {
    let mut groups: Vec<(Vec<Value>, Vec<Vec<Value>>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for r in rows {
        let key = st.key_exprs.iter().map(|k| eval(k, r)).collect::<R<Vec<_>>>()?;
        let hk = format!("{key:?}");
        let gi = match index.get(&hk) {
            Some(i) => *i,
            None => {
                groups.push((key, vec![Vec::new(); st.aggs.len()]));
                index.insert(hk, groups.len() - 1);
                groups.len() - 1
            }
        };
        if let Some((_, accs)) = groups.get_mut(gi) {
            for (spec, acc) in st.aggs.iter().zip(accs.iter_mut()) {
                let v = match &spec.arg {
                    Some(a) => eval(a, r)?,
                    None => Value::Bool(true),
                };
                acc.push(v);
            }
        }
    }
    if groups.is_empty() && st.keys.is_empty() {
        groups.push((Vec::new(), vec![Vec::new(); st.aggs.len()]));
    }
    let mut out = Vec::new();
    for (key, accs) in groups {
        let mut row = key;
        for (spec, vals) in st.aggs.iter().zip(accs) {
            row.push(finish_agg(spec, vals)?);
        }
        out.push(row);
    }
    Ok(out)
}

pub(super) fn finish_agg(spec: &AggSpec, vals: Vec<Value>) -> R<Value> {
    let mut vals: Vec<Value> =
        if spec.func == AggFunc::CountAll { vals } else { vals.into_iter().filter(|v| !v.is_null()).collect() };
    if spec.distinct {
        let mut seen: Vec<Value> = Vec::new();
        vals.retain(|v| {
            if seen.iter().any(|s| total_cmp(s, v) == Ordering::Equal) {
                false
            } else {
                seen.push(v.clone());
                true
            }
        });
    }
    Ok(match spec.func {
        AggFunc::Count | AggFunc::CountAll => Value::Int(vals.len() as i128),
        AggFunc::Some => vals.into_iter().next().unwrap_or(Value::Null),
        AggFunc::Min => vals
            .into_iter()
            .reduce(|a, b| if total_cmp(&b, &a) == Ordering::Less { b } else { a })
            .unwrap_or(Value::Null),
        AggFunc::Max => vals
            .into_iter()
            .reduce(|a, b| if total_cmp(&b, &a) == Ordering::Greater { b } else { a })
            .unwrap_or(Value::Null),
        AggFunc::Sum | AggFunc::Avg => {
            if vals.is_empty() {
                return Ok(Value::Null);
            }
            let n = vals.len();
            let is_float = spec.arg_ty.prim().is_some_and(Prim::is_float);
            if is_float
                || spec.func == AggFunc::Avg
                    && !matches!(spec.arg_ty.unopt(), Type::Decimal(..))
                    && spec.arg_ty.prim() != Some(Prim::Interval)
            {
                let mut s = 0f64;
                for v in &vals {
                    s += match v {
                        Value::Int(i) => *i as f64,
                        Value::Float(f) => *f,
                        _ => 0.0,
                    };
                }
                if spec.func == AggFunc::Avg {
                    Value::Float(s / n as f64)
                } else {
                    Value::Float(s)
                }
            } else {
                let mut s: i128 = 0;
                for v in &vals {
                    if let Value::Int(i) | Value::Decimal(i) = v {
                        s = s.checked_add(*i).ok_or_else(|| EngineError::generic("SUM overflow"))?;
                    }
                }
                let dec = matches!(spec.arg_ty.unopt(), Type::Decimal(..));
                if spec.func == AggFunc::Avg {
                    s /= n as i128;
                }
                if dec {
                    Value::Decimal(s)
                } else {
                    let (lo, hi) = if spec.arg_ty.prim().is_some_and(Prim::is_signed)
                        || spec.arg_ty.prim() == Some(Prim::Interval)
                    {
                        (i128::from(i64::MIN), i128::from(i64::MAX))
                    } else {
                        (0, i128::from(u64::MAX))
                    };
                    if s < lo || s > hi {
                        return Err(EngineError::generic("SUM overflow"));
                    }
                    Value::Int(s)
                }
            }
        }
    })
}
