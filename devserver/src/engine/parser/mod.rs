//! Recursive-descent parser for the YQL subset.
//!
//! Exists to turn query text into [`ast`](super::ast) statements with YQL's syntax rules (typed
//! literals, `DECLARE`, YQL type syntax, backtick paths) and to report syntax errors with positions,
//! as YDB does, as `GENERIC_ERROR` issues.
//!
//! This module owns the token cursor ([`Parser`]'s `peek` / `eat` / `expect` helpers), the one comma-list
//! loop (`comma_list`) and the one depth guard (`nested`); the grammar is split by what it parses, as
//! sqlparser-rs splits its parser: `statement` (the dispatch on the leading keyword and one function per
//! statement kind), `select`, `types` and `expr`.

use super::ast::*;
use super::lexer::{tokenize, Tok, Token};
use super::types::Type;
use super::{err_at, EngineError, MAX_DEPTH};

mod expr;
mod select;
mod statement;
mod types;

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
    "returning",
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

    /// A parenthesized, comma-separated list of column names.
    fn ident_list(&mut self) -> R<Vec<String>> {
        self.expect_sym("(")?;
        let names = self.comma_list(Self::ident)?;
        self.expect_sym(")")?;
        Ok(names)
    }

    /// `ORDER BY e [ASC|DESC], …` if it comes next (in SELECT and in a window's `OVER (…)`): each
    /// expression with whether it sorts descending; empty when there is no ORDER BY.
    fn order_by(&mut self) -> R<Vec<(Expr, bool)>> {
        if !self.eat_kw("order") {
            return Ok(Vec::new());
        }
        self.expect_kw("by")?;
        self.comma_list(|p| {
            let e = p.expr()?;
            let desc = if p.eat_kw("desc") {
                true
            } else {
                p.eat_kw("asc");
                false
            };
            Ok((e, desc))
        })
    }

    /// The rows of a `VALUES (…), (…)` list, each a parenthesised list of expressions.
    fn values_rows(&mut self) -> R<Vec<Vec<Expr>>> {
        self.comma_list(|p| {
            p.expect_sym("(")?;
            let row = p.call_args()?;
            p.expect_sym(")")?;
            Ok(row)
        })
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
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::engine::types::Prim;

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
        assert!(message(parse(&deep("SELECT (", "1", ")")).unwrap_err()).contains("nested too deeply"));
        // The deepest nesting of subqueries the bound lets through parses on a test thread's small stack.
        let accepted = (1..=64).take_while(|n| parse(&format!("{}1{}", "SELECT (".repeat(*n), ")".repeat(*n))).is_ok());
        assert!(accepted.count() >= 16);
        assert!(message(parse_type(&deep("List<", "Int32", ">")).unwrap_err()).contains("Type is nested too deeply"));
        // Nesting below the bound still parses.
        assert!(parse_type(&format!("{}Int32{}", "List<".repeat(60), ">".repeat(60))).is_ok());
        assert!(parse(&format!("{}SELECT 1{}", "(".repeat(60), ")".repeat(60))).is_ok());
    }
}
