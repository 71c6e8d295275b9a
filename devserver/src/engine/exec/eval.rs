//! Evaluation: a bound expression ([`BExpr`]) computed on one row.
//!
//! Owns YQL's run-time semantics where they differ from SQLite's: three-valued logic, NULL propagation,
//! integer overflow wrapping to the result type, LIKE on bytes, and arithmetic per type (division by zero
//! gives NULL). Function calls are evaluated in `functions.rs`.

use super::functions::{call, list_lambda, Func};
use super::typing::cast_value;
use super::{BExpr, R};
use crate::engine::ast::*;
use crate::engine::types::{Prim, Type};
use crate::engine::values::{self, compare, pow10, Value};
use crate::engine::EngineError;
use std::cmp::Ordering;

fn wrap_int(t: &Type, i: i128) -> Value {
    match t.prim() {
        Some(p) if p.is_integer() => {
            let bits = p.bits();
            let m = 1i128 << bits;
            let mut x = i.rem_euclid(m);
            if p.is_signed() && x >= m / 2 {
                x -= m;
            }
            Value::Int(x)
        }
        _ => Value::Int(i),
    }
}

fn like_match(s: &[u8], p: &[u8]) -> bool {
    let (mut si, mut pi) = (0usize, 0usize);
    let (mut star, mut mark) = (None, 0usize);
    while si < s.len() {
        let pc = p.get(pi).copied();
        if pc == Some(b'\\') && p.get(pi + 1).copied() == s.get(si).copied() {
            si += 1;
            pi += 2;
        } else if pc == Some(b'_') || (pc.is_some() && pc != Some(b'%') && pc == s.get(si).copied()) {
            si += 1;
            pi += 1;
        } else if pc == Some(b'%') {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while p.get(pi) == Some(&b'%') {
        pi += 1;
    }
    pi == p.len()
}

pub(super) fn bytes_of(v: &Value) -> Option<&[u8]> {
    match v {
        Value::Bytes(b) => Some(b),
        Value::Text(t) => Some(t.as_bytes()),
        _ => None,
    }
}

pub(super) fn eval(e: &BExpr, row: &[Value]) -> R<Value> {
    Ok(match e {
        BExpr::Const(v) => v.clone(),
        BExpr::Col(i) => row.get(*i).cloned().unwrap_or(Value::Null),
        BExpr::Neg(x, t) => match eval(x, row)? {
            Value::Int(i) => wrap_int(t, -i),
            Value::Float(f) => Value::Float(-f),
            Value::Decimal(d) => Value::Decimal(-d),
            _ => Value::Null,
        },
        BExpr::BitNot(x, t) => match eval(x, row)? {
            Value::Int(i) => wrap_int(t, !i),
            _ => Value::Null,
        },
        BExpr::Not(x) => match eval(x, row)? {
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Null,
        },
        BExpr::Logic(op, l, r) => {
            let a = eval(l, row)?.as_bool();
            match op {
                BinOp::And if a == Some(false) => Value::Bool(false),
                BinOp::Or if a == Some(true) => Value::Bool(true),
                _ => {
                    let b = eval(r, row)?.as_bool();
                    match (op, a, b) {
                        (BinOp::And, _, Some(false)) => Value::Bool(false),
                        (BinOp::And, Some(true), Some(true)) => Value::Bool(true),
                        (BinOp::Or, _, Some(true)) => Value::Bool(true),
                        (BinOp::Or, Some(false), Some(false)) => Value::Bool(false),
                        (BinOp::Xor, Some(x), Some(y)) => Value::Bool(x != y),
                        _ => Value::Null,
                    }
                }
            }
        }
        BExpr::Cmp(op, l, r) => {
            let a = eval(l, row)?;
            let b = eval(r, row)?;
            if a.is_null() || b.is_null() {
                return Ok(Value::Null);
            }
            let o = match compare(&a, &b) {
                Some(o) => o,
                None => return Ok(Value::Null),
            };
            Value::Bool(match op {
                BinOp::Eq => o == Ordering::Equal,
                BinOp::Ne => o != Ordering::Equal,
                BinOp::Lt => o == Ordering::Less,
                BinOp::Le => o != Ordering::Greater,
                BinOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            })
        }
        BExpr::Arith(op, l, r, t) => {
            let a = eval(l, row)?;
            let b = eval(r, row)?;
            arith(*op, a, b, t)?
        }
        BExpr::Concat(l, r, text) => {
            let a = eval(l, row)?;
            let b = eval(r, row)?;
            match (bytes_of(&a), bytes_of(&b)) {
                (Some(x), Some(y)) => {
                    let mut v = x.to_vec();
                    v.extend_from_slice(y);
                    if *text {
                        Value::Text(String::from_utf8_lossy(&v).into_owned())
                    } else {
                        Value::Bytes(v)
                    }
                }
                _ => Value::Null,
            }
        }
        BExpr::Coalesce(xs) => {
            for x in xs {
                let v = eval(x, row)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Value::Null
        }
        BExpr::IsNull(x, neg) => Value::Bool(eval(x, row)?.is_null() != *neg),
        BExpr::In(x, list, neg) => {
            let v = eval(x, row)?;
            if v.is_null() {
                return Ok(Value::Null);
            }
            let mut candidates: Vec<Value> = Vec::new();
            for it in list {
                match it {
                    // `x IN $list`: the list is wrapped as ListLength(...) by the binder.
                    BExpr::Func(Func::ListLength, inner) => {
                        if let Some(l) = inner.first() {
                            match eval(l, row)? {
                                Value::List(items) => candidates.extend(items),
                                Value::Dict(pairs) => candidates.extend(pairs.into_iter().map(|(k, _)| k)),
                                _ => candidates.push(Value::Null),
                            }
                        }
                    }
                    other => candidates.push(eval(other, row)?),
                }
            }
            let saw_null = candidates.iter().any(Value::is_null);
            let found = candidates.iter().any(|c| !c.is_null() && compare(&v, c) == Some(Ordering::Equal));
            if found {
                Value::Bool(!neg)
            } else if saw_null {
                Value::Null
            } else {
                Value::Bool(*neg)
            }
        }
        BExpr::Like(x, p, neg) => {
            let a = eval(x, row)?;
            let b = eval(p, row)?;
            match (bytes_of(&a), bytes_of(&b)) {
                (Some(s), Some(pat)) => Value::Bool(like_match(s, pat) != *neg),
                _ => Value::Null,
            }
        }
        BExpr::Cast(x, from, to) => {
            let v = eval(x, row)?;
            cast_value(&v, from, to).unwrap_or(Value::Null)
        }
        BExpr::Case(arms, else_) => {
            for (c, v) in arms {
                if eval(c, row)? == Value::Bool(true) {
                    return eval(v, row);
                }
            }
            match else_ {
                Some(e) => eval(e, row)?,
                None => Value::Null,
            }
        }
        BExpr::Func(f, args) => {
            let vals = args.iter().map(|a| eval(a, row)).collect::<R<Vec<_>>>()?;
            call(*f, vals)?
        }
        BExpr::ListLambda(op, list, body, base) => {
            list_lambda(*op, eval(list, row)?, *base, row, |env| eval(body, env))?
        }
    })
}

fn arith(op: BinOp, a: Value, b: Value, t: &Type) -> R<Value> {
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) if t.prim() == Some(Prim::Timestamp) || t.prim() == Some(Prim::Interval) => {
            let r = match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => {
                    if y == 0 {
                        return Ok(Value::Null);
                    }
                    x / y
                }
                _ => return Ok(Value::Null),
            };
            values::check_range(t.prim().unwrap_or(Prim::Int64), Value::Int(r)).map_err(EngineError::generic)?
        }
        (Value::Int(x), Value::Int(y)) => {
            let r = match op {
                BinOp::Add => x.wrapping_add(y),
                BinOp::Sub => x.wrapping_sub(y),
                BinOp::Mul => x.wrapping_mul(y),
                BinOp::Div => {
                    if y == 0 {
                        return Ok(Value::Null);
                    }
                    x / y
                }
                BinOp::Mod => {
                    if y == 0 {
                        return Ok(Value::Null);
                    }
                    x % y
                }
                BinOp::BitAnd => x & y,
                BinOp::BitOr => x | y,
                BinOp::BitXor => x ^ y,
                _ => return Ok(Value::Null),
            };
            wrap_int(t, r)
        }
        (Value::Decimal(x), Value::Decimal(y)) => {
            let s = match t {
                Type::Decimal(_, s) => u32::from(*s),
                _ => 0,
            };
            let r = match op {
                BinOp::Add => x.checked_add(y),
                BinOp::Sub => x.checked_sub(y),
                BinOp::Mul => x.checked_mul(y).map(|v| v / pow10(s)),
                BinOp::Div => {
                    if y == 0 {
                        return Ok(Value::Null);
                    }
                    x.checked_mul(pow10(s)).map(|v| v / y)
                }
                BinOp::Mod => {
                    if y == 0 {
                        return Ok(Value::Null);
                    }
                    Some(x % y)
                }
                _ => None,
            };
            match (r, t) {
                (Some(v), Type::Decimal(p, _)) if v.unsigned_abs() < pow10(u32::from(*p)).unsigned_abs() => {
                    Value::Decimal(v)
                }
                _ => Value::Null,
            }
        }
        (a, b) => {
            let f = |v: &Value| match v {
                Value::Int(i) => Some(*i as f64),
                Value::Float(f) => Some(*f),
                _ => None,
            };
            let (Some(x), Some(y)) = (f(&a), f(&b)) else {
                return Ok(Value::Null);
            };
            let r = match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
                BinOp::Mod => x % y,
                _ => return Ok(Value::Null),
            };
            Value::Float(if t.prim() == Some(Prim::Float) { f64::from(r as f32) } else { r })
        }
    })
}
