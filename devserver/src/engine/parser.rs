//! Recursive-descent parser for the YQL subset.
//!
//! Exists to turn query text into [`ast`](super::ast) statements with YQL's syntax rules (typed
//! literals, `DECLARE`, YQL type syntax, backtick paths) and to report syntax errors with positions,
//! as YDB does, as `GENERIC_ERROR` issues.

use super::ast::*;
use super::lexer::{tokenize, Tok, Token};
use super::types::{Prim, Type};
use super::values::Value;
use super::{err_at, EngineError, MAX_DEPTH};

/// The error of an expression nested past [`MAX_DEPTH`].
const EXPRESSION_TOO_DEEP: &str = "Expression is nested too deeply";

/// Words that end an expression or a FROM item and therefore cannot be bare aliases.
const RESERVED: &[&str] = &[
    "select",
    "from",
    "where",
    "group",
    "order",
    "by",
    "limit",
    "offset",
    "having",
    "union",
    "join",
    "left",
    "right",
    "inner",
    "full",
    "cross",
    "exclusion",
    "on",
    "using",
    "as",
    "and",
    "or",
    "not",
    "is",
    "in",
    "between",
    "like",
    "values",
    "set",
    "asc",
    "desc",
    "when",
    "then",
    "else",
    "end",
    "case",
    "distinct",
    "all",
    "xor",
    "null",
    "true",
    "false",
    "into",
    "window",
    "flatten",
    "only",
    "semi",
    "outer",
];

/// Parses a whole query (statements separated by `;`).
pub fn parse(src: &str) -> Result<Vec<Stmt>, EngineError> {
    let toks = tokenize(src)?;
    let mut p = Parser { toks, pos: 0, depth: 0 };
    let mut out = Vec::new();
    loop {
        while p.eat_sym(";") {}
        if p.at_eof() {
            break;
        }
        out.push(p.statement()?);
        if !p.at_eof() && !p.eat_sym(";") {
            return Err(p.unexpected());
        }
    }
    Ok(out)
}

/// Parses a YQL type expression on its own (used for catalog persistence).
pub fn parse_type(src: &str) -> Result<Type, EngineError> {
    let toks = tokenize(src)?;
    let mut p = Parser { toks, pos: 0, depth: 0 };
    let t = p.ty()?;
    if !p.at_eof() {
        return Err(p.unexpected());
    }
    Ok(t)
}

struct Parser {
    /// Expression nesting depth, bounded so hostile input cannot overflow the stack.
    depth: u32,
    toks: Vec<Token>,
    pos: usize,
}

type R<T> = Result<T, EngineError>;

impl Parser {
    fn peek(&self) -> &Tok {
        self.peek_at(0)
    }
    fn peek_at(&self, n: usize) -> &Tok {
        self.toks.get(self.pos + n).map(|t| &t.tok).unwrap_or(&Tok::Eof)
    }
    fn at_eof(&self) -> bool {
        matches!(self.peek(), Tok::Eof)
    }
    fn pos_of(&self) -> (u32, u32) {
        self.toks.get(self.pos).or(self.toks.last()).map(|t| (t.line, t.col)).unwrap_or((1, 1))
    }
    fn advance(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn err(&self, msg: &str) -> EngineError {
        let (l, c) = self.pos_of();
        err_at(l, c, msg)
    }
    fn unexpected(&self) -> EngineError {
        let what = match self.peek() {
            Tok::Eof => "end of input".to_string(),
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Quoted(s) => format!("'`{s}`'"),
            Tok::Param(s) => format!("'${s}'"),
            Tok::Int(v, s) => format!("'{v}{s}'"),
            Tok::Float(v, s) => format!("'{v}{s}'"),
            Tok::Str(..) => "string literal".to_string(),
            Tok::Sym(s) => format!("'{s}'"),
        };
        self.err(&format!("Unexpected token {what} : syntax error"))
    }
    fn is_kw(&self, kw: &str) -> bool {
        self.is_kw_at(0, kw)
    }
    fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_at(n), Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect_kw(&mut self, kw: &str) -> R<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }
    fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect_sym(&mut self, s: &str) -> R<()> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }
    /// An identifier (bare or quoted).
    fn ident(&mut self) -> R<String> {
        match self.peek().clone() {
            Tok::Ident(s) | Tok::Quoted(s) => {
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.unexpected()),
        }
    }
    /// A table path: identifier, quoted path, or a string literal.
    fn table_name(&mut self) -> R<String> {
        match self.peek().clone() {
            Tok::Ident(s) | Tok::Quoted(s) => {
                self.pos += 1;
                let mut name = s;
                // `dir/t` is not valid bare syntax; dotted names are not paths in YQL either.
                while self.is_sym("/") {
                    self.pos += 1;
                    name.push('/');
                    name.push_str(&self.ident()?);
                }
                Ok(name)
            }
            Tok::Str(b, _) => {
                self.pos += 1;
                String::from_utf8(b).map_err(|_| self.err("Table name is not valid UTF-8"))
            }
            _ => Err(self.unexpected()),
        }
    }

    /// One statement: a dispatch on its leading keyword, one function per statement kind.
    fn statement(&mut self) -> R<Stmt> {
        let keyword = match self.peek() {
            Tok::Ident(s) => s.to_ascii_lowercase(),
            _ => String::new(),
        };
        match keyword.as_str() {
            "declare" => self.declare(),
            "create" => self.create_table(),
            "alter" => self.alter_table(),
            "drop" => self.drop_table(),
            "upsert" | "replace" | "insert" => self.write(),
            "update" => self.update(),
            "delete" => self.delete(),
            "pragma" => self.pragma(),
            "commit" => {
                self.pos += 1;
                Ok(Stmt::Commit)
            }
            "select" => Ok(Stmt::Select(Box::new(self.select_or_paren()?))),
            _ => match self.peek() {
                Tok::Param(_) if matches!(self.peek_at(1), Tok::Sym("=")) => self.assign(),
                Tok::Sym("(") => Ok(Stmt::Select(Box::new(self.select_or_paren()?))),
                _ => Err(self.unexpected()),
            },
        }
    }

    /// `DECLARE $name AS Type`.
    fn declare(&mut self) -> R<Stmt> {
        let (line, col) = self.pos_of();
        self.expect_kw("declare")?;
        let name = match self.advance() {
            Tok::Param(p) => p,
            _ => {
                self.pos -= 1;
                return Err(self.unexpected());
            }
        };
        self.expect_kw("as")?;
        let ty = self.ty()?;
        Ok(Stmt::Declare { name, ty, line, col })
    }

    /// `CREATE TABLE [IF NOT EXISTS] name (columns, PRIMARY KEY (...), INDEX ...) [WITH (...)]`.
    fn create_table(&mut self) -> R<Stmt> {
        self.expect_kw("create")?;
        self.expect_kw("table")?;
        let mut if_not_exists = false;
        if self.eat_kw("if") {
            self.expect_kw("not")?;
            self.expect_kw("exists")?;
            if_not_exists = true;
        }
        let name = self.table_name()?;
        self.expect_sym("(")?;
        let mut columns = Vec::new();
        let mut primary_key = Vec::new();
        let mut indexes = Vec::new();
        self.comma_list(|p| {
            if p.eat_kw("primary") {
                p.expect_kw("key")?;
                primary_key.extend(p.ident_list()?);
            } else if p.eat_kw("index") {
                indexes.push(p.index_def()?);
            } else if p.is_kw("family") {
                return Err(p.err("Column families are not supported by the dev server"));
            } else {
                let (name, ty, not_null) = p.column_def()?;
                if p.eat_kw("primary") {
                    p.expect_kw("key")?;
                    primary_key.push(name.clone());
                }
                columns.push(ColumnDef { name, ty, not_null });
            }
            Ok(())
        })?;
        self.expect_sym(")")?;
        if self.eat_kw("with") {
            // Table settings (partitioning, TTL, ...) are accepted and ignored.
            self.skip_parens()?;
        }
        Ok(Stmt::CreateTable { name, columns, primary_key, indexes, if_not_exists })
    }

    /// `ALTER TABLE name` and a comma list of ADD / DROP [COLUMN] and ADD / DROP INDEX.
    fn alter_table(&mut self) -> R<Stmt> {
        self.expect_kw("alter")?;
        self.expect_kw("table")?;
        let name = self.table_name()?;
        let (mut add, mut drop, mut add_indexes, mut drop_indexes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        self.comma_list(|p| {
            if p.is_kw("add") && p.is_kw_at(1, "index") {
                p.pos += 2;
                add_indexes.push(p.index_def()?);
            } else if p.is_kw("drop") && p.is_kw_at(1, "index") {
                p.pos += 2;
                drop_indexes.push(p.ident()?);
            } else if p.eat_kw("add") {
                p.eat_kw("column");
                let (name, ty, not_null) = p.column_def()?;
                add.push(ColumnDef { name, ty, not_null });
            } else if p.eat_kw("drop") {
                p.eat_kw("column");
                drop.push(p.ident()?);
            } else {
                return Err(p.unexpected());
            }
            Ok(())
        })?;
        Ok(Stmt::AlterTable { name, add, drop, add_indexes, drop_indexes })
    }

    /// `DROP TABLE [IF EXISTS] name`.
    fn drop_table(&mut self) -> R<Stmt> {
        self.expect_kw("drop")?;
        self.expect_kw("table")?;
        let mut if_exists = false;
        if self.eat_kw("if") {
            self.expect_kw("exists")?;
            if_exists = true;
        }
        Ok(Stmt::DropTable { name: self.table_name()?, if_exists })
    }

    /// `UPSERT INTO`, `REPLACE INTO`, `INSERT [OR …] INTO`: a table, then what [`write_tail`](Self::write_tail) reads.
    fn write(&mut self) -> R<Stmt> {
        let mode = if self.eat_kw("upsert") {
            WriteMode::Upsert
        } else if self.eat_kw("replace") {
            WriteMode::Replace
        } else {
            self.expect_kw("insert")?;
            if self.eat_kw("or") {
                // INSERT OR REVERT / IGNORE / ABORT: treat like INSERT.
                self.ident()?;
            }
            WriteMode::Insert
        };
        self.expect_kw("into")?;
        let table = self.table_name()?;
        let (columns, source) = self.write_tail()?;
        Ok(Stmt::Write { mode, table, columns, source })
    }

    /// `UPDATE name ON ...` (a write by key) or `UPDATE name SET c = e, ... [WHERE ...]`.
    fn update(&mut self) -> R<Stmt> {
        self.expect_kw("update")?;
        let table = self.table_name()?;
        if self.eat_kw("on") {
            let (columns, source) = self.write_tail()?;
            return Ok(Stmt::Write { mode: WriteMode::UpdateOn, table, columns, source });
        }
        self.expect_kw("set")?;
        let set = self.comma_list(|p| {
            let c = p.ident()?;
            p.expect_sym("=")?;
            Ok((c, p.expr()?))
        })?;
        let where_ = if self.eat_kw("where") { Some(self.expr()?) } else { None };
        Ok(Stmt::Update { table, set, where_ })
    }

    /// `DELETE FROM name ON ...` (a delete by key) or `DELETE FROM name [WHERE ...]`.
    fn delete(&mut self) -> R<Stmt> {
        self.expect_kw("delete")?;
        self.expect_kw("from")?;
        let table = self.table_name()?;
        if self.eat_kw("on") {
            let (columns, source) = self.write_tail()?;
            return Ok(Stmt::Write { mode: WriteMode::DeleteOn, table, columns, source });
        }
        let where_ = if self.eat_kw("where") { Some(self.expr()?) } else { None };
        Ok(Stmt::Delete { table, where_ })
    }

    /// `PRAGMA a.b = value` or `PRAGMA a.b(args)`.
    fn pragma(&mut self) -> R<Stmt> {
        self.expect_kw("pragma")?;
        let mut name = self.ident()?;
        while self.eat_sym(".") {
            name.push('.');
            name.push_str(&self.ident()?);
        }
        let mut args = Vec::new();
        if self.eat_sym("=") {
            args.push(self.expr()?);
        } else if self.eat_sym("(") && !self.eat_sym(")") {
            args = self.call_args()?;
            self.expect_sym(")")?;
        }
        Ok(Stmt::Pragma { name, args })
    }

    /// `$name = expr` or `$name = SELECT ...`.
    fn assign(&mut self) -> R<Stmt> {
        let name = match self.advance() {
            Tok::Param(name) => name,
            _ => {
                self.pos -= 1;
                return Err(self.unexpected());
            }
        };
        self.expect_sym("=")?;
        let expr = if self.is_kw("select") { Expr::Subquery(Box::new(self.select()?)) } else { self.expr()? };
        Ok(Stmt::Assign { name, expr })
    }

    /// `name Type [NOT NULL | NULL]`.
    fn column_def(&mut self) -> R<(String, Type, bool)> {
        let name = self.ident()?;
        let ty = self.ty()?;
        let mut not_null = false;
        if self.eat_kw("not") {
            self.expect_kw("null")?;
            not_null = true;
        } else {
            self.eat_kw("null");
        }
        Ok((name, ty, not_null))
    }

    /// A parenthesized, comma-separated list of column names.
    fn ident_list(&mut self) -> R<Vec<String>> {
        self.expect_sym("(")?;
        let names = self.comma_list(Self::ident)?;
        self.expect_sym(")")?;
        Ok(names)
    }

    /// One or more `item`s separated by commas (sqlparser's `parse_comma_separated`): the one comma-list
    /// loop of the parser.
    fn comma_list<T>(&mut self, mut item: impl FnMut(&mut Self) -> R<T>) -> R<Vec<T>> {
        let mut out = Vec::new();
        loop {
            out.push(item(self)?);
            if !self.eat_sym(",") {
                return Ok(out);
            }
        }
    }

    /// After `INDEX`: `name GLOBAL [SYNC | ASYNC] [UNIQUE] ON (cols) [COVER (cols)] [WITH (...)]`.
    fn index_def(&mut self) -> R<IndexDef> {
        let name = self.ident()?;
        let mut kind = IndexKind::Global;
        self.eat_kw("global");
        if self.eat_kw("unique") {
            kind = IndexKind::GlobalUnique;
        }
        if self.eat_kw("async") {
            kind = IndexKind::GlobalAsync;
        } else {
            self.eat_kw("sync");
        }
        self.expect_kw("on")?;
        let columns = self.ident_list()?;
        let data_columns = if self.eat_kw("cover") { self.ident_list()? } else { Vec::new() };
        if self.eat_kw("with") {
            self.skip_parens()?;
        }
        Ok(IndexDef { name, kind, columns, data_columns })
    }

    fn skip_parens(&mut self) -> R<()> {
        self.expect_sym("(")?;
        let mut depth = 1;
        while depth > 0 {
            match self.advance() {
                Tok::Sym("(") => depth += 1,
                Tok::Sym(")") => depth -= 1,
                Tok::Eof => return Err(self.unexpected()),
                _ => {}
            }
        }
        Ok(())
    }

    fn select_or_paren(&mut self) -> R<Select> {
        if self.eat_sym("(") {
            let s = self.nested("Query is nested too deeply", Self::select_or_paren)?;
            self.expect_sym(")")?;
            return Ok(s);
        }
        self.select()
    }

    fn select(&mut self) -> R<Select> {
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
        let mut order_by = Vec::new();
        if self.eat_kw("order") {
            self.expect_kw("by")?;
            order_by = self.comma_list(|p| {
                let e = p.expr()?;
                let desc = if p.eat_kw("desc") {
                    true
                } else {
                    p.eat_kw("asc");
                    false
                };
                Ok((e, desc))
            })?;
        }
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
        let union_all = if self.eat_kw("union") {
            self.expect_kw("all")?;
            Some(Box::new(self.select_or_paren()?))
        } else {
            None
        };
        Ok(Select { distinct, items, from, where_, group_by, having, order_by, limit, offset, union_all })
    }

    /// One item of a projection: `*`, `t.*`, or an expression with an optional alias.
    fn select_item(&mut self) -> R<SelectItem> {
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

    // ---- types ----

    /// What follows the table of a write: an optional column list, then VALUES rows or a SELECT.
    fn write_tail(&mut self) -> R<(Option<Vec<String>>, WriteSource)> {
        let mut columns = None;
        if self.is_sym("(") && !self.is_kw_at(1, "select") {
            columns = Some(self.ident_list()?);
        }
        let source = if self.eat_kw("values") {
            let rows = self.comma_list(|p| {
                p.expect_sym("(")?;
                let row = p.call_args()?;
                p.expect_sym(")")?;
                Ok(row)
            })?;
            WriteSource::Values(rows)
        } else if self.is_sym("(") {
            self.pos += 1;
            let s = self.select()?;
            self.expect_sym(")")?;
            WriteSource::Select(Box::new(s))
        } else {
            WriteSource::Select(Box::new(self.select()?))
        };
        Ok((columns, source))
    }

    pub fn ty(&mut self) -> R<Type> {
        let mut t = self.nested("Type is nested too deeply", Self::base_ty)?;
        while self.eat_sym("?") {
            t = Type::optional(t);
        }
        Ok(t)
    }

    fn base_ty(&mut self) -> R<Type> {
        let name = self.ident()?;
        let lower = name.to_ascii_lowercase();
        let t = match lower.as_str() {
            "optional" | "list" | "set" => {
                self.expect_sym("<")?;
                let inner = self.ty()?;
                self.expect_sym(">")?;
                match lower.as_str() {
                    "optional" => Type::optional(inner),
                    "list" => Type::List(Box::new(inner)),
                    _ => Type::Dict(Box::new(inner), Box::new(Type::Void)),
                }
            }
            "dict" => {
                self.expect_sym("<")?;
                let k = self.ty()?;
                self.expect_sym(",")?;
                let v = self.ty()?;
                self.expect_sym(">")?;
                Type::Dict(Box::new(k), Box::new(v))
            }
            "tuple" => {
                self.expect_sym("<")?;
                let mut ts = Vec::new();
                if !self.is_sym(">") {
                    ts = self.comma_list(Self::ty)?;
                }
                self.expect_sym(">")?;
                Type::Tuple(ts)
            }
            "struct" => {
                self.expect_sym("<")?;
                let mut ms = Vec::new();
                if !self.is_sym(">") {
                    ms = self.comma_list(|p| {
                        let n = match p.advance() {
                            Tok::Ident(s) | Tok::Quoted(s) => s,
                            Tok::Str(b, _) => String::from_utf8_lossy(&b).into_owned(),
                            _ => {
                                p.pos -= 1;
                                return Err(p.unexpected());
                            }
                        };
                        p.expect_sym(":")?;
                        Ok((n, p.ty()?))
                    })?;
                }
                self.expect_sym(">")?;
                Type::Struct(ms)
            }
            "decimal" => {
                self.expect_sym("(")?;
                let p = self.small_int()?;
                self.expect_sym(",")?;
                let s = self.small_int()?;
                self.expect_sym(")")?;
                if p == 0 || p > 35 || s > p {
                    return Err(self.err(&format!("Invalid decimal parameters: Decimal({p},{s})")));
                }
                Type::Decimal(p, s)
            }
            "void" => Type::Void,
            "null" => Type::Null,
            _ => match Prim::from_name(&name) {
                Some(p) => Type::Prim(p),
                None => {
                    self.pos -= 1;
                    return Err(self.err(&format!("Unknown type: '{name}'")));
                }
            },
        };
        Ok(t)
    }

    fn small_int(&mut self) -> R<u8> {
        match self.advance() {
            Tok::Int(v, _) => u8::try_from(v).map_err(|_| self.err("Number too large")),
            _ => {
                self.pos -= 1;
                Err(self.unexpected())
            }
        }
    }

    // ---- expressions ----

    pub fn expr(&mut self) -> R<Expr> {
        self.nested(EXPRESSION_TOO_DEEP, Parser::or_expr)
    }

    /// Runs `f` one level deeper: the one guard of every recursive descent (expressions, types, SELECTs in
    /// parentheses), so that hostile input cannot overflow the stack. The executor bounds its own
    /// recursion with the same [`MAX_DEPTH`].
    fn nested<T>(&mut self, too_deep: &str, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(too_deep));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn or_expr(&mut self) -> R<Expr> {
        self.keyword_level("or", BinOp::Or, Self::xor_expr)
    }

    fn xor_expr(&mut self) -> R<Expr> {
        self.keyword_level("xor", BinOp::Xor, Self::and_expr)
    }

    fn and_expr(&mut self) -> R<Expr> {
        self.keyword_level("and", BinOp::And, Self::not_expr)
    }

    fn not_expr(&mut self) -> R<Expr> {
        if self.eat_kw("not") {
            let e = self.nested(EXPRESSION_TOO_DEEP, Parser::not_expr)?;
            return Ok(Expr::Unary(UnOp::Not, Box::new(e)));
        }
        self.cmp_expr()
    }

    fn cmp_expr(&mut self) -> R<Expr> {
        let l = self.coalesce_expr()?;
        let op = match self.peek() {
            Tok::Sym("=") | Tok::Sym("==") => Some(BinOp::Eq),
            Tok::Sym("!=") | Tok::Sym("<>") => Some(BinOp::Ne),
            Tok::Sym("<") => Some(BinOp::Lt),
            Tok::Sym("<=") => Some(BinOp::Le),
            Tok::Sym(">") => Some(BinOp::Gt),
            Tok::Sym(">=") => Some(BinOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            let r = self.coalesce_expr()?;
            return Ok(Expr::Binary(op, Box::new(l), Box::new(r)));
        }
        if self.eat_kw("is") {
            let negated = self.eat_kw("not");
            self.expect_kw("null")?;
            return Ok(Expr::IsNull { expr: Box::new(l), negated });
        }
        let negated = if self.is_kw("not")
            && (self.is_kw_at(1, "between")
                || self.is_kw_at(1, "in")
                || self.is_kw_at(1, "like")
                || self.is_kw_at(1, "ilike"))
        {
            self.pos += 1;
            true
        } else {
            false
        };
        if self.eat_kw("between") {
            let lo = self.coalesce_expr()?;
            self.expect_kw("and")?;
            let hi = self.coalesce_expr()?;
            return Ok(Expr::Between { expr: Box::new(l), lo: Box::new(lo), hi: Box::new(hi), negated });
        }
        if self.eat_kw("in") {
            self.eat_kw("compact");
            let list = if self.is_sym("(") && self.is_kw_at(1, "select") {
                self.pos += 1;
                let s = self.select()?;
                self.expect_sym(")")?;
                vec![Expr::Subquery(Box::new(s))]
            } else if self.eat_sym("(") {
                let mut list = Vec::new();
                if !self.is_sym(")") {
                    list = self.call_args()?;
                }
                self.expect_sym(")")?;
                list
            } else {
                vec![self.coalesce_expr()?]
            };
            return Ok(Expr::In { expr: Box::new(l), list, negated });
        }
        if self.eat_kw("like") || self.eat_kw("ilike") {
            let pattern = self.coalesce_expr()?;
            if self.eat_kw("escape") {
                self.coalesce_expr()?;
            }
            return Ok(Expr::Like { expr: Box::new(l), pattern: Box::new(pattern), negated });
        }
        if negated {
            return Err(self.unexpected());
        }
        Ok(l)
    }

    fn coalesce_expr(&mut self) -> R<Expr> {
        let mut l = self.bit_expr()?;
        while self.eat_sym("??") {
            let r = self.bit_expr()?;
            l = Expr::Binary(BinOp::Coalesce, Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn bit_expr(&mut self) -> R<Expr> {
        self.left_assoc(&[("&", BinOp::BitAnd), ("|", BinOp::BitOr), ("^", BinOp::BitXor)], Self::add_expr)
    }

    fn add_expr(&mut self) -> R<Expr> {
        self.left_assoc(&[("+", BinOp::Add), ("-", BinOp::Sub), ("||", BinOp::Concat)], Self::mul_expr)
    }

    fn mul_expr(&mut self) -> R<Expr> {
        self.left_assoc(&[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Mod)], Self::unary_expr)
    }

    /// The operator of `ops` at the current token, if any.
    fn peek_op(&self, ops: &[(&str, BinOp)]) -> Option<BinOp> {
        match self.peek() {
            Tok::Sym(sym) => ops.iter().find(|(s, _)| s == sym).map(|(_, op)| *op),
            _ => None,
        }
    }

    /// One precedence level of left-associative binary operators over the next, tighter level.
    /// One left-associative level of a keyword operator (`a OR b OR c`).
    fn keyword_level(&mut self, kw: &str, op: BinOp, next: fn(&mut Self) -> R<Expr>) -> R<Expr> {
        let mut l = next(self)?;
        while self.eat_kw(kw) {
            let r = next(self)?;
            l = Expr::Binary(op, Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn left_assoc(&mut self, ops: &[(&str, BinOp)], next: fn(&mut Self) -> R<Expr>) -> R<Expr> {
        let mut l = next(self)?;
        while let Some(op) = self.peek_op(ops) {
            self.pos += 1;
            let r = next(self)?;
            l = Expr::Binary(op, Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn unary_expr(&mut self) -> R<Expr> {
        if self.eat_sym("-") {
            if let Tok::Int(v, suffix) = self.peek().clone() {
                self.pos += 1;
                return self.int_literal(-(v as i128), &suffix);
            }
            let e = self.nested(EXPRESSION_TOO_DEEP, Parser::unary_expr)?;
            return Ok(Expr::Unary(UnOp::Neg, Box::new(e)));
        }
        if self.eat_sym("+") {
            let e = self.nested(EXPRESSION_TOO_DEEP, Parser::unary_expr)?;
            return Ok(Expr::Unary(UnOp::Plus, Box::new(e)));
        }
        if self.eat_sym("~") {
            let e = self.nested(EXPRESSION_TOO_DEEP, Parser::unary_expr)?;
            return Ok(Expr::Unary(UnOp::BitNot, Box::new(e)));
        }
        self.primary()
    }

    fn int_literal(&self, v: i128, suffix: &str) -> R<Expr> {
        let p = match suffix {
            "" => {
                if i32::try_from(v).is_ok() {
                    Prim::Int32
                } else if i64::try_from(v).is_ok() {
                    Prim::Int64
                } else {
                    Prim::Uint64
                }
            }
            "u" => Prim::Uint32,
            "ul" | "lu" => Prim::Uint64,
            "l" => Prim::Int64,
            "s" => Prim::Int16,
            "us" => Prim::Uint16,
            "t" => Prim::Int8,
            "ut" => Prim::Uint8,
            _ => return Err(self.err(&format!("Unsupported integer literal suffix '{suffix}'"))),
        };
        let val = super::values::check_range(p, Value::Int(v)).map_err(|e| self.err(&e))?;
        Ok(Expr::Lit(Type::Prim(p), val))
    }

    fn primary(&mut self) -> R<Expr> {
        let tok = self.peek().clone();
        match tok {
            Tok::Int(v, suffix) => {
                self.pos += 1;
                self.int_literal(v as i128, &suffix)
            }
            Tok::Float(v, suffix) => {
                self.pos += 1;
                let p = if suffix == "f" { Prim::Float } else { Prim::Double };
                Ok(Expr::Lit(Type::Prim(p), Value::Float(v)))
            }
            Tok::Str(b, suffix) => {
                self.pos += 1;
                match suffix.as_str() {
                    "" | "s" => Ok(Expr::Lit(Type::Prim(Prim::String), Value::Bytes(b))),
                    "y" => Ok(Expr::Lit(Type::Prim(Prim::Yson), Value::Bytes(b))),
                    "u" | "j" => {
                        let s = String::from_utf8(b).map_err(|_| self.err("Invalid UTF-8 in string literal"))?;
                        let p = if suffix == "u" { Prim::Utf8 } else { Prim::Json };
                        Ok(Expr::Lit(Type::Prim(p), Value::Text(s)))
                    }
                    _ => Err(self.err(&format!("Unsupported string literal suffix '{suffix}'"))),
                }
            }
            Tok::Param(p) => {
                self.pos += 1;
                // `$format(ts)`: a named function-making call (`$format = DateTime::Format("%Y")`) applied.
                if self.eat_sym("(") {
                    let args = if self.is_sym(")") { Vec::new() } else { self.call_args()? };
                    self.expect_sym(")")?;
                    return Ok(Expr::Call { name: format!("${p}"), args, distinct: false, star: false });
                }
                Ok(Expr::Param(p))
            }
            Tok::Sym("(") => {
                self.pos += 1;
                if self.is_kw("select") {
                    let s = self.select()?;
                    self.expect_sym(")")?;
                    return Ok(Expr::Subquery(Box::new(s)));
                }
                let e = self.expr()?;
                if self.eat_sym(",") {
                    let mut items = vec![e];
                    if !self.is_sym(")") {
                        items.extend(self.call_args()?);
                    }
                    self.expect_sym(")")?;
                    return Ok(Expr::Tuple(items));
                }
                self.expect_sym(")")?;
                Ok(e)
            }
            Tok::Quoted(_) => {
                let name = self.ident()?;
                self.column_rest(name)
            }
            Tok::Ident(word) => {
                let lower = word.to_ascii_lowercase();
                match lower.as_str() {
                    "null" => {
                        self.pos += 1;
                        return Ok(Expr::Lit(Type::Null, Value::Null));
                    }
                    "true" | "false" => {
                        self.pos += 1;
                        return Ok(Expr::Lit(Type::Prim(Prim::Bool), Value::Bool(lower == "true")));
                    }
                    "cast" if matches!(self.peek_at(1), Tok::Sym("(")) => {
                        self.pos += 2;
                        let e = self.expr()?;
                        self.expect_kw("as")?;
                        let ty = self.ty()?;
                        self.expect_sym(")")?;
                        return Ok(Expr::Cast { expr: Box::new(e), ty });
                    }
                    "case" => {
                        self.pos += 1;
                        let operand = if self.is_kw("when") { None } else { Some(Box::new(self.expr()?)) };
                        let mut whens = Vec::new();
                        while self.eat_kw("when") {
                            let c = self.expr()?;
                            self.expect_kw("then")?;
                            whens.push((c, self.expr()?));
                        }
                        if whens.is_empty() {
                            return Err(self.unexpected());
                        }
                        let else_ = if self.eat_kw("else") { Some(Box::new(self.expr()?)) } else { None };
                        self.expect_kw("end")?;
                        return Ok(Expr::Case { operand, whens, else_ });
                    }
                    _ => {}
                }
                if RESERVED.iter().any(|r| *r == lower) && !matches!(self.peek_at(1), Tok::Sym("(")) {
                    return Err(self.unexpected());
                }
                self.pos += 1;
                // Module::Function
                let mut name = word;
                if self.is_sym(":") && matches!(self.peek_at(1), Tok::Sym(":")) {
                    self.pos += 2;
                    name = format!("{name}::{}", self.ident()?);
                }
                if name.eq_ignore_ascii_case("asstruct") && self.eat_sym("(") {
                    let mut members = Vec::new();
                    while !self.is_sym(")") {
                        let value = self.expr()?;
                        self.expect_kw("as")?;
                        members.push((self.ident()?, value));
                        if !self.eat_sym(",") {
                            break;
                        }
                    }
                    self.expect_sym(")")?;
                    return Ok(Expr::Struct(members));
                }
                if self.eat_sym("(") {
                    let mut args = Vec::new();
                    let mut star = false;
                    let distinct = self.eat_kw("distinct");
                    if self.eat_sym("*") {
                        star = true;
                    } else if !self.is_sym(")") {
                        args = self.call_args()?;
                    }
                    self.expect_sym(")")?;
                    // A function that makes a function, applied at once: `DateTime::Format("%Y")(ts)`
                    // is the call with both argument lists.
                    while self.eat_sym("(") {
                        if !self.is_sym(")") {
                            args.extend(self.call_args()?);
                        }
                        self.expect_sym(")")?;
                    }
                    return Ok(Expr::Call { name, args, distinct, star });
                }
                self.column_rest(name)
            }
            _ => Err(self.unexpected()),
        }
    }

    /// Comma-separated call arguments (at least one).
    fn call_args(&mut self) -> R<Vec<Expr>> {
        self.comma_list(Self::expr)
    }

    fn column_rest(&mut self, first: String) -> R<Expr> {
        if self.is_sym(".") && matches!(self.peek_at(1), Tok::Ident(_) | Tok::Quoted(_)) {
            self.pos += 1;
            let name = self.ident()?;
            return Ok(Expr::Column { qual: Some(first), name });
        }
        Ok(Expr::Column { qual: None, name: first })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn parses_types() {
        assert_eq!(parse_type("Utf8?").unwrap(), Type::optional(Type::Prim(Prim::Utf8)));
        assert_eq!(parse_type("List<Struct<a:Int32,b:Utf8>>").unwrap().to_string(), "List<Struct<'a':Int32,'b':Utf8>>");
        assert_eq!(parse_type("Decimal(22,9)").unwrap(), Type::Decimal(22, 9));
        assert!(parse_type("Foo").is_err());
    }

    #[test]
    fn parses_statements() {
        let s = parse(
            "DECLARE $id AS Uint64; CREATE TABLE `/local/t` (id Uint64 NOT NULL, v Utf8, PRIMARY KEY (id));\
             UPSERT INTO t (id, v) VALUES (1, 'a'u), ($id, NULL); SELECT * FROM t WHERE id > 1 ORDER BY id DESC LIMIT 10;",
        )
        .unwrap();
        assert_eq!(s.len(), 4);
        assert!(parse("SELECT FROM").is_err());
    }

    #[test]
    fn hostile_nesting_is_a_syntax_error_not_a_stack_overflow() {
        let deep =
            |open: &str, middle: &str, close: &str| format!("{}{middle}{}", open.repeat(10_000), close.repeat(10_000));
        let message = |e: EngineError| e.issues.iter().map(|i| i.message.clone()).collect::<Vec<_>>().join("; ");
        let unary = format!("SELECT {}1", "~".repeat(10_000));
        assert!(message(parse(&unary).unwrap_err()).contains("Expression is nested too deeply"));
        assert!(message(parse(&deep("(", "SELECT 1", ")")).unwrap_err()).contains("Query is nested too deeply"));
        assert!(message(parse_type(&deep("List<", "Int32", ">")).unwrap_err()).contains("Type is nested too deeply"));
        // Nesting below the bound still parses.
        assert!(parse_type(&format!("{}Int32{}", "List<".repeat(60), ">".repeat(60))).is_ok());
        assert!(parse(&format!("{}SELECT 1{}", "(".repeat(60), ")".repeat(60))).is_ok());
    }
}
