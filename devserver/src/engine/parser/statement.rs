//! Statements: the dispatch on a statement's leading keyword and one function per statement kind
//! (DECLARE, CREATE / ALTER / DROP TABLE, UPSERT / REPLACE / INSERT, UPDATE, DELETE, PRAGMA, `$name = ...`),
//! with the pieces only statements use (column and index definitions, the source of a write).

use super::{Parser, R};
use crate::engine::ast::*;
use crate::engine::lexer::Tok;
use crate::engine::types::Type;

impl Parser {
    /// One statement: a dispatch on its leading keyword, one function per statement kind.
    pub(super) fn statement(&mut self) -> R<Stmt> {
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
        let name = self.param_name()?;
        self.expect_kw("as")?;
        let ty = self.ty()?;
        Ok(Stmt::Declare { name, ty, line, col })
    }

    /// `CREATE TABLE [IF NOT EXISTS] name (columns [FAMILY f], PRIMARY KEY (...), INDEX ..., FAMILY f (...))
    /// [PARTITION BY HASH (...)] [WITH (...)]`.
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
            } else if p.eat_kw("family") {
                // `FAMILY name (DATA = "ssd", COMPRESSION = "lz4")`: storage settings, accepted and ignored.
                p.ident()?;
                p.skip_parens()?;
            } else {
                let (name, ty, not_null) = p.column_def()?;
                if p.eat_kw("primary") {
                    p.expect_kw("key")?;
                    primary_key.push(name.clone());
                }
                if p.eat_kw("family") {
                    p.ident()?;
                }
                columns.push(ColumnDef { name, ty, not_null });
            }
            Ok(())
        })?;
        self.expect_sym(")")?;
        if self.eat_kw("partition") {
            // `PARTITION BY HASH (cols)` (a column table's sharding): accepted and ignored; its columns
            // must be the table's.
            self.expect_kw("by")?;
            self.expect_kw("hash")?;
            for c in self.ident_list()? {
                if !columns.iter().any(|d: &ColumnDef| d.name == c) {
                    return Err(self.err(&format!("PARTITION BY HASH names an unknown column: {c}")));
                }
            }
        }
        if self.eat_kw("with") {
            // Table settings (partitioning, TTL, `STORE = COLUMN`, ...) are accepted and ignored: every
            // table is a row table here.
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
        let returning = self.returning()?;
        Ok(Stmt::Write { mode, table, columns, source, returning })
    }

    /// `RETURNING *` or `RETURNING items` after a write, if there.
    fn returning(&mut self) -> R<Option<Vec<SelectItem>>> {
        if !self.eat_kw("returning") {
            return Ok(None);
        }
        Ok(Some(self.comma_list(Self::select_item)?))
    }

    /// `UPDATE name ON ...` (a write by key) or `UPDATE name SET c = e, ... [WHERE ...]`.
    fn update(&mut self) -> R<Stmt> {
        self.expect_kw("update")?;
        let table = self.table_name()?;
        if self.eat_kw("on") {
            let (columns, source) = self.write_tail()?;
            let returning = self.returning()?;
            return Ok(Stmt::Write { mode: WriteMode::UpdateOn, table, columns, source, returning });
        }
        self.expect_kw("set")?;
        let set = self.comma_list(|p| {
            let c = p.ident()?;
            p.expect_sym("=")?;
            Ok((c, p.expr()?))
        })?;
        let where_ = if self.eat_kw("where") { Some(self.expr()?) } else { None };
        let returning = self.returning()?;
        Ok(Stmt::Update { table, set, where_, returning })
    }

    /// `DELETE FROM name ON ...` (a delete by key) or `DELETE FROM name [WHERE ...]`.
    fn delete(&mut self) -> R<Stmt> {
        self.expect_kw("delete")?;
        self.expect_kw("from")?;
        let table = self.table_name()?;
        if self.eat_kw("on") {
            let (columns, source) = self.write_tail()?;
            let returning = self.returning()?;
            return Ok(Stmt::Write { mode: WriteMode::DeleteOn, table, columns, source, returning });
        }
        let where_ = if self.eat_kw("where") { Some(self.expr()?) } else { None };
        let returning = self.returning()?;
        Ok(Stmt::Delete { table, where_, returning })
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
        let name = self.param_name()?;
        self.expect_sym("=")?;
        let expr = if self.is_kw("select") { Expr::Subquery(Box::new(self.select()?)) } else { self.expr()? };
        Ok(Stmt::Assign { name, expr })
    }

    /// A `$name` (without the `$`), as DECLARE and assignments start.
    fn param_name(&mut self) -> R<String> {
        match self.advance() {
            Tok::Param(name) => Ok(name),
            _ => {
                self.pos -= 1;
                Err(self.unexpected())
            }
        }
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
    /// What follows the table of a write: an optional column list, then VALUES rows or a SELECT.
    fn write_tail(&mut self) -> R<(Option<Vec<String>>, WriteSource)> {
        let mut columns = None;
        if self.is_sym("(") && !self.is_kw_at(1, "select") {
            columns = Some(self.ident_list()?);
        }
        let source = if self.eat_kw("values") {
            let rows = self.values_rows()?;
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
}
