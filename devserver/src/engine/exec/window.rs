//! Window functions: `ROW_NUMBER`, `RANK`, `DENSE_RANK`, `LAG`, `LEAD`, `FIRST_VALUE`, `LAST_VALUE` and the
//! aggregates `OVER (PARTITION BY … ORDER BY … [ROWS BETWEEN … AND …])`.
//!
//! Exists so a SELECT can number, rank and run totals over its rows without grouping them. A SELECT with
//! window calls is rewritten before its projection: each call is computed over the rows FROM and WHERE
//! left (partitioned, ordered, framed as YQL does: ROWS frames; with ORDER BY the default frame runs from
//! the partition's start to the current row, without it over the whole partition), its values become a
//! hidden column, and the call is replaced by a reference to that column. Windows over grouped rows are
//! not supported.

use std::cmp::Ordering;

use super::aggregate::{agg_func, agg_type, contains_agg, finish_agg};
use super::eval::eval;
use super::{AggFunc, AggSpec, BExpr, Col, Ctx, Env, Scope, R};
use crate::engine::ast::*;
use crate::engine::types::{Prim, Type};
use crate::engine::values::{total_cmp, Value};
use crate::engine::EngineError;

/// The qualifier of the hidden columns that carry window values (`SELECT *` leaves them out).
pub(super) const WINDOW_QUAL: &str = "\u{1}window";

impl Ctx<'_> {
    /// When `sel` calls window functions: the SELECT with each call replaced by its hidden column, and the
    /// scope and rows with those columns added. `None` (and the input unchanged) otherwise.
    pub(super) fn windows(
        &mut self,
        sel: &Select,
        mut scope: Scope,
        mut rows: Vec<Vec<Value>>,
    ) -> R<(Option<Select>, Scope, Vec<Vec<Value>>)> {
        let in_items = sel.items.iter().any(|it| matches!(it, SelectItem::Expr { expr, .. } if contains_window(expr)));
        if !in_items && !sel.order_by.iter().any(|(e, _)| contains_window(e)) {
            return Ok((None, scope, rows));
        }
        let mut rewritten = sel.clone();
        let mut calls = Vec::new();
        for (i, item) in rewritten.items.iter_mut().enumerate() {
            if let SelectItem::Expr { expr, alias } = item {
                if alias.is_none() && matches!(expr, Expr::Window(_)) {
                    *alias = Some(format!("column{i}"));
                }
                take_windows(expr, &mut calls);
            }
        }
        for (e, _) in &mut rewritten.order_by {
            take_windows(e, &mut calls);
        }
        let aggregates =
            rewritten.items.iter().any(|it| matches!(it, SelectItem::Expr { expr, .. } if contains_agg(expr)));
        if !rewritten.group_by.is_empty() || rewritten.having.is_some() || aggregates {
            return Err(EngineError::generic(
                "Window functions together with GROUP BY or aggregates are not supported by the dev server",
            ));
        }
        for (i, call) in calls.iter().enumerate() {
            let (ty, values) = self.window_column(call, &scope, &rows)?;
            scope.cols.push(Col { qual: Some(WINDOW_QUAL.to_string()), name: format!("w{i}"), ty });
            for (row, v) in rows.iter_mut().zip(values) {
                row.push(v);
            }
        }
        Ok((Some(rewritten), scope, rows))
    }

    /// One window call's value for every row (in the rows' order) and its type.
    fn window_column(&mut self, w: &WindowCall, scope: &Scope, rows: &[Vec<Value>]) -> R<(Type, Vec<Value>)> {
        let bind = |ctx: &mut Self, e: &Expr| ctx.bind(e, &mut Env::Plain(scope));
        let partition: Vec<BExpr> = w.partition_by.iter().map(|e| bind(self, e).map(|(b, _)| b)).collect::<R<_>>()?;
        let order: Vec<(BExpr, bool)> =
            w.order_by.iter().map(|(e, desc)| bind(self, e).map(|(b, _)| (b, *desc))).collect::<R<_>>()?;
        let args: Vec<(BExpr, Type)> = w.args.iter().map(|e| bind(self, e)).collect::<R<_>>()?;
        let name = w.name.to_ascii_lowercase();
        let kind = Kind::of(&name, w, &args)?;
        let offset = match (&kind, w.args.get(1)) {
            (Kind::Lag | Kind::Lead, Some(e)) => i64::try_from(self.const_u64(e, "The offset of LAG / LEAD")?)
                .map_err(|_| EngineError::generic("The offset of LAG / LEAD is too large"))?,
            _ => 1,
        };
        let ty = match &kind {
            Kind::RowNumber | Kind::Rank | Kind::DenseRank => Type::Prim(Prim::Uint64),
            Kind::Lag | Kind::Lead | Kind::FirstValue | Kind::LastValue => {
                args.first().map(|(_, t)| t.clone().make_optional()).unwrap_or(Type::Null)
            }
            Kind::Aggregate(spec) => agg_type(spec.func, &spec.arg_ty)?,
        };

        // Rows sorted by partition, then by the window's order (stable: ties keep the input order).
        let mut keyed = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            let p = partition.iter().map(|b| eval(b, r)).collect::<R<Vec<_>>>()?;
            let o = order.iter().map(|(b, _)| eval(b, r)).collect::<R<Vec<_>>>()?;
            keyed.push((p, o, i));
        }
        let descending: Vec<bool> = order.iter().map(|(_, d)| *d).collect();
        keyed.sort_by(|a, b| compare(&a.0, &b.0, &[]).then_with(|| compare(&a.1, &b.1, &descending)));

        let frame = w.frame.unwrap_or(if w.order_by.is_empty() { (None, None) } else { (None, Some(0)) });
        let mut out = vec![Value::Null; rows.len()];
        let mut start = 0;
        while start < keyed.len() {
            let mut end = start + 1;
            while keyed.get(end).is_some_and(|k| keyed.get(start).is_some_and(|s| compare(&k.0, &s.0, &[]).is_eq())) {
                end += 1;
            }
            let part = keyed.get(start..end).unwrap_or_default();
            let arg = |pos: usize| -> R<Value> {
                match (args.first(), part.get(pos).and_then(|k| rows.get(k.2))) {
                    (Some((b, _)), Some(r)) => eval(b, r),
                    _ => Ok(Value::Null),
                }
            };
            let (mut rank, mut dense) = (0usize, 0usize);
            for pos in 0..part.len() {
                let tied = pos > 0 && part.get(pos - 1).zip(part.get(pos)).is_some_and(|(a, b)| a.1 == b.1);
                if !tied {
                    rank = pos + 1;
                    dense += 1;
                }
                let (lo, hi) = frame_rows(frame, pos, part.len());
                let v = match &kind {
                    Kind::RowNumber => Value::Int((pos + 1) as i128),
                    Kind::Rank => Value::Int(rank as i128),
                    Kind::DenseRank => Value::Int(dense as i128),
                    Kind::Lag | Kind::Lead => {
                        let shift = if matches!(kind, Kind::Lag) { -offset } else { offset };
                        match (pos as i64).checked_add(shift).map(usize::try_from) {
                            Some(Ok(p)) if p < part.len() => arg(p)?,
                            _ => Value::Null,
                        }
                    }
                    Kind::FirstValue => {
                        if lo <= hi {
                            arg(lo)?
                        } else {
                            Value::Null
                        }
                    }
                    Kind::LastValue => {
                        if lo <= hi {
                            arg(hi)?
                        } else {
                            Value::Null
                        }
                    }
                    Kind::Aggregate(spec) => {
                        let mut vals = Vec::new();
                        if lo <= hi {
                            for p in lo..=hi {
                                vals.push(match &spec.arg {
                                    Some(_) => arg(p)?,
                                    None => Value::Bool(true),
                                });
                            }
                        }
                        finish_agg(spec, vals)?
                    }
                };
                if let Some(slot) = part.get(pos).and_then(|k| out.get_mut(k.2)) {
                    *slot = v;
                }
            }
            start = end;
        }
        Ok((ty, out))
    }
}

/// What a window call computes.
enum Kind {
    RowNumber,
    Rank,
    DenseRank,
    Lag,
    Lead,
    FirstValue,
    LastValue,
    Aggregate(AggSpec),
}

impl Kind {
    fn of(name: &str, w: &WindowCall, args: &[(BExpr, Type)]) -> R<Kind> {
        let arity = |min: usize, max: usize| -> R<()> {
            if (min..=max).contains(&args.len()) {
                Ok(())
            } else {
                Err(EngineError::generic(format!("{}() OVER takes {min} to {max} arguments", w.name)))
            }
        };
        Ok(match name {
            "row_number" | "rank" | "dense_rank" => {
                arity(0, 0)?;
                match name {
                    "row_number" => Kind::RowNumber,
                    "rank" => Kind::Rank,
                    _ => Kind::DenseRank,
                }
            }
            "lag" | "lead" => {
                arity(1, 2)?;
                if name == "lag" {
                    Kind::Lag
                } else {
                    Kind::Lead
                }
            }
            "first_value" | "last_value" => {
                arity(1, 1)?;
                if name == "first_value" {
                    Kind::FirstValue
                } else {
                    Kind::LastValue
                }
            }
            _ => match agg_func(name, w.star) {
                Some(func) => {
                    let (arg, arg_ty) = match args.first() {
                        Some((b, t)) if func != AggFunc::CountAll => (Some(b.clone()), t.clone()),
                        _ => (None, Type::Null),
                    };
                    Kind::Aggregate(AggSpec { func, arg, arg_ty, distinct: false })
                }
                None => return Err(EngineError::generic(format!("Unknown window function: {}", w.name))),
            },
        })
    }
}

/// The rows of the frame around `pos` in a partition of `len` rows, as an inclusive range (`lo > hi`:
/// empty).
fn frame_rows((start, end): (Option<i64>, Option<i64>), pos: usize, len: usize) -> (usize, usize) {
    let at = |offset: i64| (pos as i64).saturating_add(offset);
    let lo = start.map_or(0, |o| at(o).max(0));
    let hi = end.map_or(len as i64 - 1, |o| at(o).min(len as i64 - 1));
    if lo > hi || hi < 0 {
        return (1, 0);
    }
    (usize::try_from(lo).unwrap_or(0), usize::try_from(hi).unwrap_or(0))
}

/// Compares key tuples, each part descending where `descending` says so (NULLs first ascending).
fn compare(a: &[Value], b: &[Value], descending: &[bool]) -> Ordering {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let o = total_cmp(x, y);
        let o = if descending.get(i).copied().unwrap_or(false) { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Whether an expression calls a window function (outside subqueries, whose windows are their own).
pub(super) fn contains_window(e: &Expr) -> bool {
    match e {
        Expr::Window(_) => true,
        Expr::Unary(_, x) | Expr::Cast { expr: x, .. } | Expr::IsNull { expr: x, .. } => contains_window(x),
        Expr::Binary(_, l, r) | Expr::Like { expr: l, pattern: r, .. } => contains_window(l) || contains_window(r),
        Expr::Between { expr, lo, hi, .. } => contains_window(expr) || contains_window(lo) || contains_window(hi),
        Expr::In { expr, list, .. } => contains_window(expr) || list.iter().any(contains_window),
        Expr::Call { args, .. } | Expr::Tuple(args) => args.iter().any(contains_window),
        Expr::Struct(members) => members.iter().any(|(_, x)| contains_window(x)),
        Expr::Case { operand, whens, else_ } => {
            operand.as_deref().is_some_and(contains_window)
                || whens.iter().any(|(a, b)| contains_window(a) || contains_window(b))
                || else_.as_deref().is_some_and(contains_window)
        }
        Expr::Lambda { body, .. } => contains_window(body),
        Expr::Lit(..) | Expr::Param(_) | Expr::Column { .. } | Expr::Subquery(_) => false,
    }
}

/// Replaces each window call in `e` with its hidden column, collecting the calls.
fn take_windows(e: &mut Expr, calls: &mut Vec<WindowCall>) {
    if let Expr::Window(w) = e {
        let name = format!("w{}", calls.len());
        calls.push((**w).clone());
        *e = Expr::Column { qual: Some(WINDOW_QUAL.to_string()), name };
        return;
    }
    for child in children_mut(e) {
        take_windows(child, calls);
    }
}

/// The direct subexpressions of `e` (not a subquery's, whose windows are its own).
fn children_mut(e: &mut Expr) -> Vec<&mut Expr> {
    match e {
        Expr::Unary(_, x) | Expr::Cast { expr: x, .. } | Expr::IsNull { expr: x, .. } => vec![x.as_mut()],
        Expr::Binary(_, l, r) | Expr::Like { expr: l, pattern: r, .. } => vec![l.as_mut(), r.as_mut()],
        Expr::Between { expr, lo, hi, .. } => vec![expr.as_mut(), lo.as_mut(), hi.as_mut()],
        Expr::In { expr, list, .. } => std::iter::once(expr.as_mut()).chain(list.iter_mut()).collect(),
        Expr::Call { args, .. } | Expr::Tuple(args) => args.iter_mut().collect(),
        Expr::Struct(members) => members.iter_mut().map(|(_, x)| x).collect(),
        Expr::Case { operand, whens, else_ } => operand
            .iter_mut()
            .map(|x| x.as_mut())
            .chain(whens.iter_mut().flat_map(|(a, b)| [a, b]))
            .chain(else_.iter_mut().map(|x| x.as_mut()))
            .collect(),
        Expr::Lambda { body, .. } => vec![body.as_mut()],
        Expr::Window(_) | Expr::Lit(..) | Expr::Param(_) | Expr::Column { .. } | Expr::Subquery(_) => Vec::new(),
    }
}
