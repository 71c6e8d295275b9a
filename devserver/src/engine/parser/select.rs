//! SELECT: projection items, FROM with joins, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT / OFFSET and
//! UNION [ALL | DISTINCT] (ORDER BY and LIMIT after the last operand apply to the union), and SELECTs in parentheses (guarded by the parser's one depth bound).

use super::{Parser, R, RESERVED};

/// How many SELECTs one UNION may combine (each `UNION [DISTINCT]` nests one level in the executor).
const MAX_UNION_OPERANDS: usize = 64;

/// Appends `next` to the `UNION ALL` chain of `head` (iteratively: chains are flat).
fn append_union_all(head: &mut Select, next: Select) {
    let mut slot = &mut head.union_all;
    while let Some(node) = slot {
        slot = &mut node.union_all;
    }
    *slot = Some(Box::new(next));
}

/// `SELECT [DISTINCT] * FROM (inner)`.
fn wrap(inner: Select, distinct: bool) -> Select {
    let from =
        From { first: FromItem { source: FromSource::Subquery(Box::new(inner)), alias: None }, joins: Vec::new() };
    Select { distinct, ..Select::plain(vec![SelectItem::Star], Some(from), None) }
}
use crate::engine::ast::*;
use crate::engine::lexer::Tok;

impl Parser {
    pub(super) fn select_or_paren(&mut self) -> R<Select> {
        if self.eat_sym("(") {
            let s = self.nested("Query is nested too deeply", Self::select_or_paren)?;
            self.expect_sym(")")?;
            return Ok(s);
        }
        self.select()
    }

    /// A SELECT, one level deeper: a subquery inside an expression nests a whole SELECT and a whole
    /// expression per level, so both count against the one bound.
    pub(super) fn select(&mut self) -> R<Select> {
        self.nested("Query is nested too deeply", Self::select_body)
    }

    /// A SELECT and the operands it is combined with by `UNION ALL` / `UNION [DISTINCT]` (left to right, as
    /// in SQL). The ORDER BY / LIMIT / OFFSET written after the last operand apply to the whole union, as in
    /// YQL; the result is then `SELECT * FROM (<union>) ORDER BY … LIMIT …`.
    fn select_body(&mut self) -> R<Select> {
        let first = self.select_core()?;
        if !self.is_kw("union") {
            return Ok(first);
        }
        let mut result = first;
        let mut operands = 1usize;
        // The ORDER BY / LIMIT / OFFSET a bare operand was parsed with: the union's, if it is the last.
        let mut trailing: (Vec<(Expr, bool)>, Option<Expr>, Option<Expr>) = (Vec::new(), None, None);
        while self.eat_kw("union") {
            if !trailing.0.is_empty() || trailing.1.is_some() || trailing.2.is_some() {
                return Err(self.err("ORDER BY and LIMIT go after the last SELECT of a UNION (or inside parentheses)"));
            }
            operands += 1;
            if operands > MAX_UNION_OPERANDS {
                return Err(self.err(&format!("A query may combine at most {MAX_UNION_OPERANDS} SELECTs with UNION")));
            }
            let all = self.eat_kw("all");
            if !all {
                self.eat_kw("distinct");
            }
            let next = if self.is_sym("(") {
                self.select_or_paren()?
            } else {
                let mut bare = self.select_core()?;
                trailing = (std::mem::take(&mut bare.order_by), bare.limit.take(), bare.offset.take());
                bare
            };
            append_union_all(&mut result, next);
            if !all {
                result = wrap(result, true);
            }
        }
        let (order_by, limit, offset) = trailing;
        if order_by.is_empty() && limit.is_none() && offset.is_none() {
            return Ok(result);
        }
        let mut outer = wrap(result, false);
        outer.order_by = order_by;
        outer.limit = limit;
        outer.offset = offset;
        Ok(outer)
    }

    fn select_core(&mut self) -> R<Select> {
        self.expect_kw("select")?;
        let distinct = self.eat_kw("distinct");
        self.eat_kw("all");
        let items = self.comma_list(Self::select_item)?;
        let from = if self.eat_kw("from") { Some(self.parse_from()?) } else { None };
        let where_ = if self.eat_kw("where") { Some(self.expr()?) } else { None };
        let mut group_by = Vec::new();
        if self.eat_kw("group") {
            self.expect_kw("by")?;
            group_by = self.comma_list(|p| {
                let key = p.expr()?;
                let alias = if p.eat_kw("as") { Some(p.ident()?) } else { None };
                Ok((key, alias))
            })?;
        }
        let having = if self.eat_kw("having") { Some(self.expr()?) } else { None };
        let order_by = self.order_by()?;
        let mut limit = None;
        let mut offset = None;
        if self.eat_kw("limit") {
            let first = self.expr()?;
            if self.eat_sym(",") {
                offset = Some(first);
                limit = Some(self.expr()?);
            } else {
                limit = Some(first);
            }
        }
        if self.eat_kw("offset") {
            offset = Some(self.expr()?);
        }
        Ok(Select { distinct, items, from, where_, group_by, having, order_by, limit, offset, union_all: None })
    }

    /// One item of a projection: `*`, `t.*`, or an expression with an optional alias.
    pub(super) fn select_item(&mut self) -> R<SelectItem> {
        if self.eat_sym("*") {
            return Ok(SelectItem::Star);
        }
        if matches!(self.peek(), Tok::Ident(_) | Tok::Quoted(_))
            && matches!(self.peek_at(1), Tok::Sym("."))
            && matches!(self.peek_at(2), Tok::Sym("*"))
        {
            let q = self.ident()?;
            self.pos += 2;
            return Ok(SelectItem::QualifiedStar(q));
        }
        let expr = self.expr()?;
        let alias = if self.eat_kw("as") {
            Some(self.ident()?)
        } else if let Tok::Ident(s) = self.peek() {
            if RESERVED.iter().any(|r| s.eq_ignore_ascii_case(r)) {
                None
            } else {
                Some(self.ident()?)
            }
        } else if let Tok::Quoted(_) = self.peek() {
            Some(self.ident()?)
        } else {
            None
        };
        Ok(SelectItem::Expr { expr, alias })
    }

    fn parse_from_item(&mut self) -> R<FromItem> {
        let source = if self.is_kw("as_table") && matches!(self.peek_at(1), Tok::Sym("(")) {
            self.pos += 2;
            let e = self.expr()?;
            self.expect_sym(")")?;
            FromSource::AsTable(e)
        } else if self.is_sym("(") && self.is_kw_at(1, "values") {
            return self.values_source();
        } else if self.is_sym("(") {
            self.pos += 1;
            let s = self.select_or_paren()?;
            self.expect_sym(")")?;
            FromSource::Subquery(Box::new(s))
        } else if let Tok::Param(p) = self.peek().clone() {
            self.pos += 1;
            FromSource::Named(p)
        } else {
            FromSource::Table(self.table_name()?)
        };
        let alias = if self.eat_kw("as") {
            Some(self.ident()?)
        } else {
            match self.peek() {
                Tok::Ident(s) if !RESERVED.iter().any(|r| s.eq_ignore_ascii_case(r)) => Some(self.ident()?),
                Tok::Quoted(_) => Some(self.ident()?),
                _ => None,
            }
        };
        Ok(FromItem { source, alias })
    }

    /// `(VALUES (a, b), …) [AS] v [(x, y)]`: the rows as a table whose columns are named by the alias's
    /// list (`column0`, `column1`, … without one, as YQL names them); typed as `AS_TABLE` types its rows.
    fn values_source(&mut self) -> R<FromItem> {
        self.expect_sym("(")?;
        self.expect_kw("values")?;
        let rows = self.values_rows()?;
        self.expect_sym(")")?;
        self.eat_kw("as");
        let alias = match self.peek() {
            Tok::Ident(s) if !RESERVED.iter().any(|r| s.eq_ignore_ascii_case(r)) => Some(self.ident()?),
            Tok::Quoted(_) => Some(self.ident()?),
            _ => None,
        };
        let width = rows.first().map_or(0, Vec::len);
        let names = if alias.is_some() && self.is_sym("(") {
            self.ident_list()?
        } else {
            (0..width).map(|i| format!("column{i}")).collect()
        };
        if rows.iter().any(|r| r.len() != names.len()) {
            return Err(
                self.err(&format!("Each VALUES row must have {} values, as its column list names", names.len()))
            );
        }
        let structs = rows.into_iter().map(|row| Expr::Struct(names.iter().cloned().zip(row).collect())).collect();
        let list = Expr::Call { name: "AsList".to_string(), args: structs, distinct: false, star: false };
        Ok(FromItem { source: FromSource::AsTable(list), alias })
    }

    fn parse_from(&mut self) -> R<From> {
        let first = self.parse_from_item()?;
        let mut joins = Vec::new();
        loop {
            let kind = if self.eat_kw("join") {
                JoinKind::Inner
            } else if self.eat_kw("inner") {
                self.expect_kw("join")?;
                JoinKind::Inner
            } else if self.eat_kw("cross") {
                self.expect_kw("join")?;
                JoinKind::Cross
            } else if self.is_kw("left") || self.is_kw("right") || self.is_kw("full") {
                let k = self.ident()?.to_ascii_lowercase();
                let kind = if k == "left" && self.eat_kw("semi") {
                    JoinKind::LeftSemi
                } else if k == "left" && self.eat_kw("only") {
                    JoinKind::LeftOnly
                } else {
                    self.eat_kw("outer");
                    match k.as_str() {
                        "left" => JoinKind::Left,
                        "right" => JoinKind::Right,
                        _ => JoinKind::Full,
                    }
                };
                self.expect_kw("join")?;
                kind
            } else if self.eat_sym(",") {
                JoinKind::Cross
            } else {
                break;
            };
            let item = self.parse_from_item()?;
            let cond = if self.eat_kw("on") {
                Some(JoinCond::On(self.expr()?))
            } else if self.eat_kw("using") {
                Some(JoinCond::Using(self.ident_list()?))
            } else {
                None
            };
            joins.push((kind, item, cond));
        }
        Ok(From { first, joins })
    }
}
