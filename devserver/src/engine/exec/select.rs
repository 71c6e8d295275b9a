//! SELECT: sources (tables, subqueries, AS_TABLE, named expressions), table scans with key pushdown,
//! joins, WHERE, projection, ORDER BY, DISTINCT, LIMIT/OFFSET and UNION ALL, and the result set.
//!
//! Owns the order in which a SELECT's phases run (`select_inner`, numbered in its comments). Binding an
//! expression is `bind.rs`'s job, grouping `aggregate.rs`'s, evaluating a row `eval.rs`'s.

use super::aggregate::{aggregate, contains_agg};
use super::eval::eval;
use super::typing::{check_bool, convert_implicit};
use super::{AggState, BExpr, Col, Ctx, Env, Scope, R};
use crate::engine::ast::*;
use crate::engine::catalog::{quote_ident, TableMeta};
use crate::engine::locks::key_part;
use crate::engine::sql_err;
use crate::engine::types::{Prim, Type};
use crate::engine::values::{self, total_cmp, Value};
use crate::engine::EngineError;
use crate::proto::ydb;
use std::cmp::Ordering;

impl Ctx<'_> {
    /// Reads a table's rows in key order, filtered. `where_` (the unbound filter) is used to push
    /// equality conditions on a key prefix down to SQLite.
    pub(super) fn scan(
        &mut self,
        meta: &TableMeta,
        filter: Option<&BExpr>,
        scope: &Scope,
        where_: Option<&Expr>,
    ) -> R<Vec<Vec<Value>>> {
        let cols: Vec<String> = meta.columns.iter().map(|c| quote_ident(&c.name)).collect();
        let keys: Vec<String> =
            meta.key.iter().filter_map(|k| meta.columns.get(*k)).map(|c| quote_ident(&c.name)).collect();
        let mut conds = Vec::new();
        let mut bind = Vec::new();
        if let Some(w) = where_ {
            let mut eqs = Vec::new();
            collect_key_eqs(w, &mut eqs);
            for k in &meta.key {
                let c = match meta.columns.get(*k) {
                    Some(c) => c,
                    None => break,
                };
                let found =
                    eqs.iter().find(|(q, n, _)| *n == c.name && scope.resolve(q.as_deref(), n).ok() == Some(*k));
                let Some((_, _, e)) = found else { break };
                let (t, v) = match self.const_eval(e) {
                    Ok(x) => x,
                    Err(_) => break,
                };
                if v.is_null() {
                    break;
                }
                match convert_implicit(v, &t, &c.ty) {
                    Ok(v) => {
                        conds.push(format!("{} = ?{}", quote_ident(&c.name), bind.len() + 1));
                        bind.push(values::to_sql(&c.ty, &v));
                    }
                    Err(_) => break,
                }
            }
        }
        if conds.is_empty() {
            // No key prefix pushed down: lock the first key column's alternatives when the filter
            // names them (`k = $a OR k = $b`, `k IN (…)`), else the whole table.
            let prefixes = self.key_alternatives(meta, scope, where_).unwrap_or_else(|| vec![Vec::new()]);
            for prefix in prefixes {
                self.footprint.reads.push((meta.path.clone(), prefix));
            }
        } else {
            self.footprint.reads.push((meta.path.clone(), bind.iter().map(key_part).collect()));
        }
        let where_sql = if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) };
        let sql =
            format!("SELECT {} FROM {}{} ORDER BY {}", cols.join(", "), meta.sql_name(), where_sql, keys.join(", "));
        let mut stmt = self.conn.prepare_cached(&sql).map_err(sql_err)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(bind)).map_err(sql_err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(sql_err)? {
            let mut vals = Vec::with_capacity(meta.columns.len());
            for (i, c) in meta.columns.iter().enumerate() {
                let v = r.get_ref(i).map_err(sql_err)?;
                vals.push(values::from_sql(&c.ty, v));
            }
            if let Some(f) = filter {
                if eval(f, &vals)? != Value::Bool(true) {
                    continue;
                }
            }
            out.push(vals);
        }
        Ok(out)
    }

    /// The values a filter restricts the first key column to, encoded as one-column lock prefixes, or
    /// `None` when it does not restrict it to constants.
    fn key_alternatives(
        &mut self,
        meta: &TableMeta,
        scope: &Scope,
        where_: Option<&Expr>,
    ) -> Option<Vec<Vec<Vec<u8>>>> {
        let first = *meta.key.first()?;
        let col = meta.columns.get(first)?;
        let is_key = |qual: &Option<String>, name: &str| scope.resolve(qual.as_deref(), name).ok() == Some(first);
        let alternatives = first_key_alternatives(where_?, &is_key)?;
        let mut prefixes = Vec::with_capacity(alternatives.len());
        for e in alternatives {
            let (t, v) = self.const_eval(e).ok()?;
            if v.is_null() {
                continue; // `k = NULL` matches nothing
            }
            let v = convert_implicit(v, &t, &col.ty).ok()?;
            prefixes.push(vec![key_part(&values::to_sql(&col.ty, &v))]);
        }
        Some(prefixes)
    }

    fn source(&mut self, item: &FromItem) -> R<(Scope, Vec<Vec<Value>>, Option<TableMeta>)> {
        match &item.source {
            FromSource::Table(name) => {
                let meta = self.table(name)?;
                let qual = item.alias.clone().or_else(|| name.rsplit('/').next().map(str::to_string));
                let scope = table_scope(&meta, qual);
                Ok((scope, Vec::new(), Some(meta)))
            }
            FromSource::AsTable(e) => {
                let (t, v) = self.const_eval(e)?;
                let members = match t.unopt() {
                    Type::List(inner) => match inner.unopt() {
                        Type::Struct(ms) => ms.clone(),
                        other => {
                            return Err(EngineError::generic(format!(
                                "AS_TABLE expects a list of structs, got List<{other}>"
                            )))
                        }
                    },
                    Type::EmptyList => Vec::new(),
                    other => {
                        return Err(EngineError::generic(format!("AS_TABLE expects a list of structs, got {other}")))
                    }
                };
                let scope = Scope {
                    cols: members.into_iter().map(|(n, ty)| Col { qual: item.alias.clone(), name: n, ty }).collect(),
                };
                let rows = match v {
                    Value::List(items) => items
                        .into_iter()
                        .map(|r| match r {
                            Value::List(fields) => fields,
                            _ => Vec::new(),
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                Ok((scope, rows, None))
            }
            FromSource::Subquery(sel) => {
                let (cols, rows) = self.select(sel)?;
                Ok((subquery_scope(cols, item.alias.clone()), rows, None))
            }
            FromSource::Named(name) => {
                let e = self
                    .named
                    .get(name)
                    .cloned()
                    .ok_or_else(|| EngineError::generic(format!("Unknown named expression ${name}")))?;
                match e {
                    Expr::Subquery(sel) => {
                        let (cols, rows) = self.select(&sel)?;
                        Ok((subquery_scope(cols, item.alias.clone().or(Some(name.clone()))), rows, None))
                    }
                    other => {
                        let it = FromItem { source: FromSource::AsTable(other), alias: item.alias.clone() };
                        self.source(&it)
                    }
                }
            }
        }
    }

    /// Runs a SELECT: output columns and rows.
    pub(super) fn select(&mut self, sel: &Select) -> R<(Vec<Col>, Vec<Vec<Value>>)> {
        let (cols, rows) = self.nested("Query is nested too deeply", |ctx| ctx.select_inner(sel))?;
        if let Some(next) = &sel.union_all {
            let (cols2, rows2) = self.select(next)?;
            if cols2.len() != cols.len() {
                return Err(EngineError::generic("UNION ALL inputs have different numbers of columns"));
            }
            let merged: Vec<Col> = cols
                .into_iter()
                .zip(cols2)
                .map(|(a, b)| {
                    let ty = if a.ty == b.ty { a.ty } else { a.ty.make_optional() };
                    Col { qual: None, name: a.name, ty }
                })
                .collect();
            let mut all = rows;
            all.extend(rows2);
            return Ok((merged, all));
        }
        Ok((cols, rows))
    }

    /// The phases of one SELECT (without UNION ALL), each a function below, as GlueSQL splits its query
    /// executor: FROM and WHERE, projection items, binding, evaluation with ordering, DISTINCT, LIMIT.
    fn select_inner(&mut self, sel: &Select) -> R<(Vec<Col>, Vec<Vec<Value>>)> {
        let (scope, rows) = self.input_rows(sel)?;
        let (rewritten, scope, rows) = self.windows(sel, scope, rows)?;
        let sel = rewritten.as_ref().unwrap_or(sel);
        let items = projection_items(sel, &scope)?;
        let (out_cols, output) = self.bind_output(sel, scope, &items, rows)?;
        let rows = evaluate(output)?;
        let rows = if sel.distinct { distinct(rows) } else { rows };
        let rows = self.offset_limit(sel, rows)?;
        Ok((out_cols, rows))
    }

    /// RETURNING: `items` over rows of `table` (all its columns, in order), as a result set.
    pub(super) fn returning(&mut self, table: &str, items: &[SelectItem], rows: Vec<Vec<Value>>) -> R<ydb::ResultSet> {
        let meta = self.table(table)?;
        let qual = table.rsplit('/').next().unwrap_or(table).to_string();
        let scope = table_scope(&meta, Some(qual));
        let sel = Select::plain(items.to_vec(), None, None);
        let projected = projection_items(&sel, &scope)?;
        if projected.iter().any(|(e, _)| contains_agg(e)) {
            return Err(EngineError::generic("RETURNING cannot aggregate"));
        }
        let (cols, output) = self.bind_output(&sel, scope, &projected, rows)?;
        let rows = evaluate(output)?;
        Ok(to_result_set(&cols, &rows))
    }

    /// 1. FROM (with joins) and WHERE: the rows a SELECT starts from, and the scope that names them.
    fn input_rows(&mut self, sel: &Select) -> R<(Scope, Vec<Vec<Value>>)> {
        let (scope, mut rows) = match &sel.from {
            None => (Scope::default(), vec![Vec::new()]),
            Some(from) => {
                let (mut scope, rows, meta) = self.source(&from.first)?;
                let mut rows = match meta {
                    Some(m) if from.joins.is_empty() => {
                        let filter = match &sel.where_ {
                            Some(w) => Some(self.bind_bool(w, &scope)?),
                            None => None,
                        };
                        self.scan(&m, filter.as_ref(), &scope, sel.where_.as_ref())?
                    }
                    Some(m) => self.scan(&m, None, &scope, None)?,
                    None => rows,
                };
                for (kind, item, cond) in &from.joins {
                    let (s2, r2, m2) = self.source(item)?;
                    let r2 = match m2 {
                        Some(m) => self.scan(&m, None, &s2, None)?,
                        None => r2,
                    };
                    let (ns, nr) = self.join(*kind, scope, rows, s2, r2, cond.as_ref())?;
                    scope = ns;
                    rows = nr;
                }
                // WHERE for non-table sources (a single table is filtered during the scan).
                let filtered_in_scan = from.joins.is_empty() && matches!(from.first.source, FromSource::Table(_));
                if let (Some(w), false) = (&sel.where_, filtered_in_scan) {
                    let f = self.bind_bool(w, &scope)?;
                    let mut kept = Vec::new();
                    for r in rows {
                        if eval(&f, &r)? == Value::Bool(true) {
                            kept.push(r);
                        }
                    }
                    rows = kept;
                }
                (scope, rows)
            }
        };
        if sel.from.is_none() {
            if let Some(w) = &sel.where_ {
                let f = self.bind_bool(w, &scope)?;
                if eval(&f, &[])? != Value::Bool(true) {
                    rows.clear();
                }
            }
        }
        Ok((scope, rows))
    }

    /// 3. Projections, HAVING and ORDER BY bound, over the groups when the SELECT aggregates.
    fn bind_output(
        &mut self,
        sel: &Select,
        scope: Scope,
        items: &[(Expr, String)],
        rows: Vec<Vec<Value>>,
    ) -> R<(Vec<Col>, Output)> {
        let is_agg = !sel.group_by.is_empty()
            || sel.having.is_some()
            || items.iter().any(|(e, _)| contains_agg(e))
            || sel.order_by.iter().any(|(e, _)| contains_agg(e));

        let mut out_cols = Vec::new();
        let mut proj = Vec::new();
        let mut sort_keys: Vec<(SortKey, bool)> = Vec::new();
        let mut having = None;
        let pre_rows: Vec<Vec<Value>>;
        if is_agg {
            let mut st = AggState {
                src: scope.clone(),
                keys: sel.group_by.iter().map(|(k, _)| k.clone()).collect(),
                aliases: sel.group_by.iter().map(|(_, a)| a.clone()).collect(),
                key_src: Vec::new(),
                key_exprs: Vec::new(),
                key_types: Vec::new(),
                aggs: Vec::new(),
            };
            for (k, _) in &sel.group_by {
                let (b, t) = self.bind(k, &mut Env::Plain(&scope))?;
                st.key_src.push(match &b {
                    BExpr::Col(i) => Some(*i),
                    _ => None,
                });
                st.key_exprs.push(b);
                st.key_types.push(t);
            }
            for (e, name) in items {
                let (b, t) = self.bind(e, &mut Env::Agg(&mut st))?;
                out_cols.push(Col { qual: None, name: name.clone(), ty: t });
                proj.push(b);
            }
            if let Some(h) = &sel.having {
                let (b, t) = self.bind(h, &mut Env::Agg(&mut st))?;
                check_bool(&t)?;
                having = Some(b);
            }
            for (e, desc) in &sel.order_by {
                let key = match output_ref(e, items, &out_cols) {
                    Some(i) => SortKey::Out(i),
                    None => SortKey::Pre(self.bind(e, &mut Env::Agg(&mut st))?.0),
                };
                sort_keys.push((key, *desc));
            }
            pre_rows = aggregate(&st, &rows)?;
        } else {
            for (e, name) in items {
                let (b, t) = self.bind(e, &mut Env::Plain(&scope))?;
                out_cols.push(Col { qual: None, name: name.clone(), ty: t });
                proj.push(b);
            }
            for (e, desc) in &sel.order_by {
                let key = match output_ref(e, items, &out_cols) {
                    Some(i) => SortKey::Out(i),
                    None => SortKey::Pre(self.bind(e, &mut Env::Plain(&scope))?.0),
                };
                sort_keys.push((key, *desc));
            }
            pre_rows = rows;
        }
        Ok((out_cols, Output { proj, sort_keys, having, rows: pre_rows }))
    }

    /// LIMIT and OFFSET (constants).
    fn offset_limit(&mut self, sel: &Select, rows: Vec<Vec<Value>>) -> R<Vec<Vec<Value>>> {
        let offset = match &sel.offset {
            Some(e) => self.const_u64(e, "OFFSET")?,
            None => 0,
        };
        let limit = match &sel.limit {
            Some(e) => Some(self.const_u64(e, "LIMIT")?),
            None => None,
        };
        Ok(rows
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX)).unwrap_or(usize::MAX))
            .collect())
    }

    pub(super) fn const_u64(&mut self, e: &Expr, what: &str) -> R<u64> {
        let (_, v) = self.const_eval(e)?;
        match v {
            Value::Int(i) if i >= 0 => Ok(u64::try_from(i).unwrap_or(u64::MAX)),
            _ => Err(EngineError::generic(format!("{what} must be a non-negative integer"))),
        }
    }

    pub(super) fn join(
        &mut self,
        kind: JoinKind,
        left: Scope,
        lrows: Vec<Vec<Value>>,
        right: Scope,
        rrows: Vec<Vec<Value>>,
        cond: Option<&JoinCond>,
    ) -> R<(Scope, Vec<Vec<Value>>)> {
        let lw = left.cols.len();
        let rw = right.cols.len();
        let mut scope = left.clone();
        scope.cols.extend(right.cols.iter().cloned());
        let pred = match cond {
            None => None,
            Some(JoinCond::On(e)) => Some(self.bind_bool(e, &scope)?),
            Some(JoinCond::Using(cols)) => {
                let mut parts = Vec::new();
                for c in cols {
                    let li = left.resolve(None, c)?;
                    let ri = right.resolve(None, c)?;
                    parts.push(BExpr::Cmp(BinOp::Eq, Box::new(BExpr::Col(li)), Box::new(BExpr::Col(lw + ri))));
                }
                parts.into_iter().reduce(|a, b| BExpr::Logic(BinOp::And, Box::new(a), Box::new(b)))
            }
        };
        if kind != JoinKind::Cross && pred.is_none() {
            return Err(EngineError::generic("JOIN needs an ON or USING condition"));
        }
        let opt = |s: &Scope| Scope {
            cols: s
                .cols
                .iter()
                .map(|c| Col { qual: c.qual.clone(), name: c.name.clone(), ty: c.ty.clone().make_optional() })
                .collect(),
        };
        let mut out = Vec::new();
        let mut rmatched = vec![false; rrows.len()];
        for l in &lrows {
            let mut matched = false;
            for (ri, r) in rrows.iter().enumerate() {
                let mut row = l.clone();
                row.extend(r.iter().cloned());
                let ok = match &pred {
                    None => true,
                    Some(p) => eval(p, &row)? == Value::Bool(true),
                };
                if ok {
                    matched = true;
                    if let Some(m) = rmatched.get_mut(ri) {
                        *m = true;
                    }
                    if matches!(
                        kind,
                        JoinKind::Inner | JoinKind::Cross | JoinKind::Left | JoinKind::Right | JoinKind::Full
                    ) {
                        out.push(row);
                    }
                }
            }
            match kind {
                JoinKind::Left | JoinKind::Full if !matched => {
                    let mut row = l.clone();
                    row.extend(std::iter::repeat_n(Value::Null, rw));
                    out.push(row);
                }
                JoinKind::LeftSemi if matched => out.push(l.clone()),
                JoinKind::LeftOnly if !matched => out.push(l.clone()),
                _ => {}
            }
        }
        if matches!(kind, JoinKind::Right | JoinKind::Full) {
            for (r, m) in rrows.iter().zip(&rmatched) {
                if !m {
                    let mut row: Vec<Value> = std::iter::repeat_n(Value::Null, lw).collect();
                    row.extend(r.iter().cloned());
                    out.push(row);
                }
            }
        }
        let scope = match kind {
            JoinKind::LeftSemi | JoinKind::LeftOnly => left,
            JoinKind::Left => {
                let mut s = left;
                s.cols.extend(opt(&right).cols);
                s
            }
            JoinKind::Right => {
                let mut s = opt(&left);
                s.cols.extend(right.cols);
                s
            }
            JoinKind::Full => {
                let mut s = opt(&left);
                s.cols.extend(opt(&right).cols);
                s
            }
            _ => scope,
        };
        Ok((scope, out))
    }
}

/// A SELECT's outputs bound to the rows they are computed on (the groups when it aggregates).
struct Output {
    proj: Vec<BExpr>,
    sort_keys: Vec<(SortKey, bool)>,
    having: Option<BExpr>,
    rows: Vec<Vec<Value>>,
}

/// 2. The projection's items, stars expanded, each with its output name.
fn projection_items(sel: &Select, scope: &Scope) -> R<Vec<(Expr, String)>> {
    let mut items: Vec<(Expr, String)> = Vec::new();
    for (i, it) in sel.items.iter().enumerate() {
        match it {
            SelectItem::Star => {
                for c in scope.cols.iter().filter(|c| c.qual.as_deref() != Some(super::window::WINDOW_QUAL)) {
                    items.push((Expr::Column { qual: c.qual.clone(), name: c.name.clone() }, c.name.clone()));
                }
            }
            SelectItem::QualifiedStar(q) => {
                let mut any = false;
                for c in scope.cols.iter().filter(|c| c.qual.as_deref() == Some(q.as_str())) {
                    any = true;
                    items.push((Expr::Column { qual: c.qual.clone(), name: c.name.clone() }, c.name.clone()));
                }
                if !any {
                    return Err(EngineError::generic(format!("Unknown correlation name: {q}")));
                }
            }
            SelectItem::Expr { expr, alias } => {
                let name = match (alias, expr) {
                    (Some(a), _) => a.clone(),
                    (None, Expr::Column { name, .. }) => name.clone(),
                    _ => format!("column{i}"),
                };
                items.push((expr.clone(), name));
            }
        }
    }
    Ok(items)
}

/// 4. The output rows: HAVING applied, projections evaluated, sorted by ORDER BY.
fn evaluate(output: Output) -> R<Vec<Vec<Value>>> {
    let Output { proj, sort_keys, having, rows: pre_rows } = output;
    let mut out: Vec<(Vec<Value>, Vec<Value>)> = Vec::with_capacity(pre_rows.len());
    for r in &pre_rows {
        if let Some(h) = &having {
            if eval(h, r)? != Value::Bool(true) {
                continue;
            }
        }
        let vals = proj.iter().map(|b| eval(b, r)).collect::<R<Vec<_>>>()?;
        let mut keys = Vec::new();
        for (k, _) in &sort_keys {
            keys.push(match k {
                SortKey::Out(i) => vals.get(*i).cloned().unwrap_or(Value::Null),
                SortKey::Pre(b) => eval(b, r)?,
            });
        }
        out.push((vals, keys));
    }
    if !sort_keys.is_empty() {
        let desc: Vec<bool> = sort_keys.iter().map(|(_, d)| *d).collect();
        out.sort_by(|a, b| {
            for ((x, y), d) in a.1.iter().zip(&b.1).zip(&desc) {
                let o = total_cmp(x, y);
                if o != Ordering::Equal {
                    return if *d { o.reverse() } else { o };
                }
            }
            Ordering::Equal
        });
    }
    Ok(out.into_iter().map(|(v, _)| v).collect())
}

/// DISTINCT: the first of each set of equal rows, in order.
fn distinct(mut rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    let mut seen: Vec<Vec<Value>> = Vec::new();
    rows.retain(|r| {
        if seen.iter().any(|s| s.len() == r.len() && s.iter().zip(r).all(|(a, b)| total_cmp(a, b) == Ordering::Equal)) {
            false
        } else {
            seen.push(r.clone());
            true
        }
    });
    rows
}

enum SortKey {
    Out(usize),
    Pre(BExpr),
}

/// An ORDER BY expression naming an output column (by alias or the same expression).
fn output_ref(e: &Expr, items: &[(Expr, String)], out: &[Col]) -> Option<usize> {
    if let Expr::Column { qual: None, name } = e {
        if let Some(i) = out.iter().position(|c| &c.name == name) {
            return Some(i);
        }
    }
    items.iter().position(|(ie, _)| ie == e)
}

pub(super) fn table_scope(meta: &TableMeta, qual: Option<String>) -> Scope {
    Scope {
        cols: meta
            .columns
            .iter()
            .map(|c| Col { qual: qual.clone(), name: c.name.clone(), ty: c.result_type() })
            .collect(),
    }
}

fn subquery_scope(cols: Vec<Col>, alias: Option<String>) -> Scope {
    Scope { cols: cols.into_iter().map(|c| Col { qual: alias.clone(), name: c.name, ty: c.ty }).collect() }
}

/// `col = const` conjuncts of a WHERE (for key pushdown).
fn collect_key_eqs<'e>(e: &'e Expr, out: &mut Vec<(Option<String>, String, &'e Expr)>) {
    match e {
        Expr::Binary(BinOp::And, l, r) => {
            collect_key_eqs(l, out);
            collect_key_eqs(r, out);
        }
        Expr::Binary(BinOp::Eq, l, r) => match (l.as_ref(), r.as_ref()) {
            (Expr::Column { qual, name }, c) | (c, Expr::Column { qual, name }) if is_const(c) => {
                out.push((qual.clone(), name.clone(), c));
            }
            _ => {}
        },
        _ => {}
    }
}

/// The constant expressions a filter restricts a key column to: `k = c`, `k IN (c, …)`, a disjunction of
/// such restrictions, or a conjunction with one of them. `None` when the filter does not restrict it.
fn first_key_alternatives<'e>(e: &'e Expr, is_key: &dyn Fn(&Option<String>, &str) -> bool) -> Option<Vec<&'e Expr>> {
    match e {
        Expr::Binary(BinOp::And, l, r) => {
            first_key_alternatives(l, is_key).or_else(|| first_key_alternatives(r, is_key))
        }
        Expr::Binary(BinOp::Or, l, r) => {
            let mut both = first_key_alternatives(l, is_key)?;
            both.extend(first_key_alternatives(r, is_key)?);
            Some(both)
        }
        Expr::Binary(BinOp::Eq, l, r) => match (l.as_ref(), r.as_ref()) {
            (Expr::Column { qual, name }, c) | (c, Expr::Column { qual, name })
                if is_const(c) && is_key(qual, name) =>
            {
                Some(vec![c])
            }
            _ => None,
        },
        Expr::In { expr, list, negated: false } => match expr.as_ref() {
            Expr::Column { qual, name } if is_key(qual, name) && list.iter().all(is_const) => {
                Some(list.iter().collect())
            }
            _ => None,
        },
        _ => None,
    }
}

fn is_const(e: &Expr) -> bool {
    match e {
        Expr::Lit(..) | Expr::Param(_) => true,
        Expr::Cast { expr, .. } => is_const(expr),
        Expr::Unary(_, x) => is_const(x),
        Expr::Call { name, args, .. } => Prim::from_name(name).is_some() && args.iter().all(is_const),
        _ => false,
    }
}

/// Builds a `Ydb.ResultSet`.
pub(super) fn to_result_set(cols: &[Col], rows: &[Vec<Value>]) -> ydb::ResultSet {
    let columns: Vec<ydb::Column> =
        cols.iter().map(|c| ydb::Column { name: c.name.clone(), r#type: Some(c.ty.to_proto()) }).collect();
    let rows = rows
        .iter()
        .map(|r| ydb::Value {
            items: cols.iter().zip(r).map(|(c, v)| values::to_proto(&c.ty, v)).collect(),
            ..Default::default()
        })
        .collect();
    ydb::ResultSet { columns, rows, ..Default::default() }
}

/// The columns a filter fixes with `col = constant` conjuncts (qualifier, name): what a read may push down
/// as a key prefix. For the plan of EXPLAIN.
pub fn key_equalities(where_: &Expr) -> Vec<(Option<String>, String)> {
    let mut eqs = Vec::new();
    collect_key_eqs(where_, &mut eqs);
    eqs.into_iter().map(|(q, n, _)| (q, n)).collect()
}

/// Whether a filter restricts the column `is_key` names to listed values (`k = $a OR k = $b`, `k IN (…)`).
pub fn restricts_key(where_: &Expr, is_key: &dyn Fn(&Option<String>, &str) -> bool) -> bool {
    first_key_alternatives(where_, is_key).is_some()
}
