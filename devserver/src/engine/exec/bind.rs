//! Binding: an [`Expr`] checked against a [`Scope`] (or an aggregation's groups) into a [`BExpr`] with
//! its YDB type.
//!
//! Owns name resolution (columns, parameters, named expressions), the type rules of operators, CASE, IN,
//! LIKE and CAST as they apply to an expression tree. Function calls are bound in `functions.rs`; the type
//! rules themselves (common types, coercions) live in `typing.rs`.

use super::aggregate::{agg_func, agg_type};
use super::eval::eval;
use super::functions::Func;
use super::typing::{arith_type, cast_never_fails, cast_value, castable, check_bool, coerce, comparable, unify};
use super::{AggFunc, AggSpec, BExpr, Ctx, Env, Scope, R};
use crate::engine::ast::*;
use crate::engine::types::{Prim, Type};
use crate::engine::values::Value;
use crate::engine::EngineError;

impl Ctx<'_> {
    pub(super) fn const_eval(&mut self, e: &Expr) -> R<(Type, Value)> {
        let scope = Scope::default();
        let (b, t) = self.bind(e, &mut Env::Plain(&scope))?;
        Ok((t, eval(&b, &[])?))
    }

    pub(super) fn bind_bool(&mut self, e: &Expr, scope: &Scope) -> R<BExpr> {
        let (b, t) = self.bind(e, &mut Env::Plain(scope))?;
        check_bool(&t)?;
        Ok(b)
    }

    pub(super) fn bind(&mut self, e: &Expr, env: &mut Env<'_>) -> R<(BExpr, Type)> {
        // Aggregation mode: group keys and aggregate calls become group-row columns.
        if let Env::Agg(st) = env {
            if let Some(i) = st.keys.iter().position(|k| k == e) {
                return Ok((BExpr::Col(i), st.key_types.get(i).cloned().unwrap_or(Type::Null)));
            }
            if let Expr::Column { qual: None, name } = e {
                if let Some(i) = st.aliases.iter().position(|a| a.as_deref() == Some(name.as_str())) {
                    return Ok((BExpr::Col(i), st.key_types.get(i).cloned().unwrap_or(Type::Null)));
                }
            }
            if let Expr::Column { qual, name } = e {
                let si = st.src.resolve(qual.as_deref(), name)?;
                return match st.key_src.iter().position(|k| *k == Some(si)) {
                    Some(i) => Ok((BExpr::Col(i), st.key_types.get(i).cloned().unwrap_or(Type::Null))),
                    None => Err(EngineError::generic(format!(
                        "Column {name} must be used in an aggregate function or in GROUP BY"
                    ))),
                };
            }
            if let Expr::Call { name, args, distinct, star } = e {
                if let Some(func) = agg_func(name, *star) {
                    let src = st.src.clone();
                    let (arg, arg_ty) = match args.first() {
                        Some(a) if func != AggFunc::CountAll => {
                            let (b, t) = self.bind(a, &mut Env::Plain(&src))?;
                            (Some(b), t)
                        }
                        _ => (None, Type::Null),
                    };
                    let ty = agg_type(func, &arg_ty)?;
                    let idx = st.keys.len() + st.aggs.len();
                    st.aggs.push(AggSpec { func, arg, arg_ty, distinct: *distinct });
                    return Ok((BExpr::Col(idx), ty));
                }
            }
        }
        match e {
            Expr::Lit(t, v) => Ok((BExpr::Const(v.clone()), t.clone())),
            Expr::Param(name) => {
                if let Some((_, i, t)) = self.locals.iter().rev().find(|(n, _, _)| n == name) {
                    return Ok((BExpr::Col(*i), t.clone()));
                }
                if let Some(named) = self.named.get(name).cloned() {
                    return self.nested("Named expressions are nested too deeply", |ctx| ctx.bind(&named, env));
                }
                match self.params.get(name) {
                    Some((t, v)) => Ok((BExpr::Const(v.clone()), t.clone())),
                    None => Err(EngineError::generic(format!("Unknown name: ${name}"))),
                }
            }
            Expr::Column { qual, name } => match env {
                Env::Plain(scope) => {
                    let i = scope.resolve(qual.as_deref(), name)?;
                    let t = scope.cols.get(i).map(|c| c.ty.clone()).unwrap_or(Type::Null);
                    Ok((BExpr::Col(i), t))
                }
                Env::Agg(_) => Err(EngineError::generic(format!("Column not found: {name}"))),
            },
            Expr::Subquery(sel) => {
                let (cols, rows) = self.select(sel)?;
                let col = cols.first().ok_or_else(|| EngineError::generic("Subquery returns no columns"))?;
                if rows.len() > 1 {
                    return Err(EngineError::generic("Scalar subquery returned more than one row"));
                }
                let v = rows.first().and_then(|r| r.first()).cloned().unwrap_or(Value::Null);
                Ok((BExpr::Const(v), col.ty.clone().make_optional()))
            }
            Expr::Window(w) => Err(EngineError::generic(format!(
                "{}() OVER is allowed only in a SELECT's items and ORDER BY, outside other window functions",
                w.name
            ))),
            Expr::Lambda { .. } => Err(EngineError::generic(
                "A lambda is a value only as the argument of a list function (ListMap, ListFilter)",
            )),
            Expr::Tuple(items) => {
                let (bs, ts) = self.bind_all(items, env)?;
                Ok((BExpr::Func(Func::AsTuple, bs), Type::Tuple(ts)))
            }
            Expr::Struct(members) => {
                // A struct value is its members in order, as parameters and AS_TABLE rows are.
                let mut bs = Vec::new();
                let mut ts = Vec::new();
                for (name, e) in members {
                    if ts.iter().any(|(n, _): &(String, Type)| n == name) {
                        return Err(EngineError::generic(format!("Duplicate member {name} in AsStruct")));
                    }
                    let (b, t) = self.bind(e, env)?;
                    bs.push(b);
                    ts.push((name.clone(), t));
                }
                Ok((BExpr::Func(Func::AsTuple, bs), Type::Struct(ts)))
            }
            Expr::Unary(op, inner) => {
                let (b, t) = self.bind(inner, env)?;
                match op {
                    UnOp::Not => {
                        check_bool(&t)?;
                        Ok((BExpr::Not(Box::new(b)), t))
                    }
                    UnOp::Plus => Ok((b, t)),
                    UnOp::Neg => {
                        let p = t.prim();
                        let ok = matches!(t.unopt(), Type::Decimal(..))
                            || p.is_some_and(|p| p.is_numeric() || p == Prim::Interval);
                        if !ok {
                            return Err(EngineError::generic(format!("Cannot negate a value of type {t}")));
                        }
                        Ok((BExpr::Neg(Box::new(b), t.unopt().clone()), t))
                    }
                    UnOp::BitNot => {
                        if !t.prim().is_some_and(Prim::is_integer) {
                            return Err(EngineError::generic(format!("Bitwise NOT needs an integer, got {t}")));
                        }
                        Ok((BExpr::BitNot(Box::new(b), t.unopt().clone()), t))
                    }
                }
            }
            Expr::Binary(op, l, r) => self.bind_binary(*op, l, r, env),
            Expr::IsNull { expr, negated } => {
                let (b, _) = self.bind(expr, env)?;
                Ok((BExpr::IsNull(Box::new(b), *negated), Type::Prim(Prim::Bool)))
            }
            Expr::Between { expr, lo, hi, negated } => {
                let ge = Expr::Binary(BinOp::Ge, expr.clone(), lo.clone());
                let le = Expr::Binary(BinOp::Le, expr.clone(), hi.clone());
                let both = Expr::Binary(BinOp::And, Box::new(ge), Box::new(le));
                let e = if *negated { Expr::Unary(UnOp::Not, Box::new(both)) } else { both };
                self.bind(&e, env)
            }
            Expr::In { expr, list, negated } => {
                let (b, t) = self.bind(expr, env)?;
                let mut items = Vec::new();
                let mut opt = t.is_optional();
                for it in list {
                    let (ib, it_ty) = match it {
                        Expr::Subquery(sel) => {
                            let (cols, rows) = self.select(sel)?;
                            let ty = cols.first().map(|c| c.ty.clone()).unwrap_or(Type::Null);
                            let vals = rows.into_iter().filter_map(|r| r.into_iter().next()).collect();
                            (BExpr::Const(Value::List(vals)), Type::List(Box::new(ty)))
                        }
                        other => self.bind(other, env)?,
                    };
                    // `x IN $list` with a list-typed parameter.
                    if list.len() == 1 {
                        if let Type::List(inner) | Type::Dict(inner, _) = it_ty.unopt() {
                            opt |= inner.is_optional() || it_ty.is_optional();
                            let (_, coerced) = comparable(&t, inner)?;
                            let _ = coerced;
                            let bt = if opt { Type::optional(Type::Prim(Prim::Bool)) } else { Type::Prim(Prim::Bool) };
                            return Ok((
                                BExpr::In(Box::new(b), vec![BExpr::Func(Func::ListLength, vec![ib])], *negated),
                                bt,
                            ));
                        }
                        if matches!(it_ty.unopt(), Type::EmptyList) {
                            return Ok((BExpr::Const(Value::Bool(*negated)), Type::Prim(Prim::Bool)));
                        }
                    }
                    comparable(&t, &it_ty)?;
                    opt |= it_ty.is_optional();
                    items.push(ib);
                }
                let bt = if opt { Type::optional(Type::Prim(Prim::Bool)) } else { Type::Prim(Prim::Bool) };
                Ok((BExpr::In(Box::new(b), items, *negated), bt))
            }
            Expr::Like { expr, pattern, negated } => {
                let (b, t) = self.bind(expr, env)?;
                let (p, pt) = self.bind(pattern, env)?;
                if !t.prim().is_some_and(Prim::is_stringlike) || !pt.prim().is_some_and(Prim::is_stringlike) {
                    return Err(EngineError::generic("LIKE needs string arguments"));
                }
                let bt = if t.is_optional() || pt.is_optional() {
                    Type::optional(Type::Prim(Prim::Bool))
                } else {
                    Type::Prim(Prim::Bool)
                };
                Ok((BExpr::Like(Box::new(b), Box::new(p), *negated), bt))
            }
            Expr::Cast { expr, ty } => {
                let (b, t) = self.bind(expr, env)?;
                if !castable(t.unopt(), ty.unopt()) {
                    return Err(EngineError::generic(format!("Cannot cast type {t} into {ty}")));
                }
                // A literal that converts is folded and keeps the plain type.
                if let BExpr::Const(v) = &b {
                    if let Some(cv) = cast_value(v, &t, ty) {
                        if !cv.is_null() || ty.is_optional() {
                            return Ok((BExpr::Const(cv), ty.clone()));
                        }
                    }
                }
                let always_ok = !t.is_optional() && cast_never_fails(t.unopt(), ty.unopt());
                let rt = if always_ok { ty.clone() } else { ty.clone().make_optional() };
                Ok((BExpr::Cast(Box::new(b), t, ty.clone()), rt))
            }
            Expr::Case { operand, whens, else_ } => {
                let mut arms = Vec::new();
                let mut rtype: Option<Type> = None;
                let op = match operand {
                    Some(o) => Some(self.bind(o, env)?),
                    None => None,
                };
                for (c, v) in whens {
                    let (cb, ct) = match &op {
                        Some((ob, ot)) => {
                            let (cb, ct) = self.bind(c, env)?;
                            comparable(ot, &ct)?;
                            (BExpr::Cmp(BinOp::Eq, Box::new(ob.clone()), Box::new(cb)), Type::Prim(Prim::Bool))
                        }
                        None => self.bind(c, env)?,
                    };
                    check_bool(&ct)?;
                    let (vb, vt) = self.bind(v, env)?;
                    rtype = Some(match rtype {
                        None => vt,
                        Some(rt) => unify(&rt, &vt)?,
                    });
                    arms.push((cb, vb));
                }
                let else_b = match else_ {
                    Some(e) => {
                        let (b, t) = self.bind(e, env)?;
                        rtype = Some(match rtype {
                            None => t,
                            Some(rt) => unify(&rt, &t)?,
                        });
                        Some(Box::new(b))
                    }
                    None => {
                        rtype = rtype.map(Type::make_optional);
                        None
                    }
                };
                Ok((BExpr::Case(arms, else_b), rtype.unwrap_or(Type::Null)))
            }
            Expr::Call { name, args, distinct: _, star } => self.bind_call(name, args, *star, env),
        }
    }

    /// Binds each expression of a list (tuple items, call arguments): the bound expressions and their types.
    pub(super) fn bind_all(&mut self, es: &[Expr], env: &mut Env<'_>) -> R<(Vec<BExpr>, Vec<Type>)> {
        let mut bs = Vec::with_capacity(es.len());
        let mut ts = Vec::with_capacity(es.len());
        for e in es {
            let (b, t) = self.bind(e, env)?;
            bs.push(b);
            ts.push(t);
        }
        Ok((bs, ts))
    }

    fn bind_binary(&mut self, op: BinOp, l: &Expr, r: &Expr, env: &mut Env<'_>) -> R<(BExpr, Type)> {
        let (lb, lt) = self.bind(l, env)?;
        let (rb, rt) = self.bind(r, env)?;
        let opt = lt.is_optional() || rt.is_optional();
        let wrap = |t: Type| if opt { t.make_optional() } else { t };
        match op {
            BinOp::And | BinOp::Or | BinOp::Xor => {
                check_bool(&lt)?;
                check_bool(&rt)?;
                Ok((BExpr::Logic(op, Box::new(lb), Box::new(rb)), wrap(Type::Prim(Prim::Bool))))
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let (lc, rc) = comparable(&lt, &rt)?;
                let lb = coerce(lb, &lt, lc);
                let rb = coerce(rb, &rt, rc);
                Ok((BExpr::Cmp(op, Box::new(lb), Box::new(rb)), wrap(Type::Prim(Prim::Bool))))
            }
            BinOp::Coalesce => {
                let t = unify(lt.unopt(), &rt)?;
                Ok((BExpr::Coalesce(vec![lb, rb]), if rt.is_optional() { t.make_optional() } else { t }))
            }
            BinOp::Concat => {
                let (lp, rp) = (lt.prim(), rt.prim());
                match (lp, rp) {
                    (Some(a), Some(b)) if a.is_stringlike() && b.is_stringlike() => {
                        let text = a == Prim::Utf8 && b == Prim::Utf8;
                        let t = Type::Prim(if text { Prim::Utf8 } else { Prim::String });
                        Ok((BExpr::Concat(Box::new(lb), Box::new(rb), text), wrap(t)))
                    }
                    _ => Err(EngineError::generic(format!("Cannot concatenate {lt} and {rt}"))),
                }
            }
            _ => {
                let (t, lc, rc) = arith_type(op, lt.unopt(), rt.unopt())?;
                let lb = coerce(lb, &lt, lc);
                let rb = coerce(rb, &rt, rc);
                let int_div = matches!(op, BinOp::Div | BinOp::Mod)
                    && (t.prim().is_some_and(|p| p.is_integer()) || matches!(t, Type::Decimal(..)));
                let rtype = if int_div || opt { t.clone().make_optional() } else { t.clone() };
                Ok((BExpr::Arith(op, Box::new(lb), Box::new(rb), t), rtype))
            }
        }
    }
}
