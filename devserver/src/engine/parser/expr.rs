//! Expressions, by precedence level from OR down to primaries (literals, parameters, columns, calls,
//! CASE, CAST, subqueries); every level that recurses goes through the parser's one depth guard.

use super::{Parser, EXPRESSION_TOO_DEEP, R, RESERVED};
use crate::engine::ast::*;
use crate::engine::lexer::Tok;
use crate::engine::types::{Prim, Type};
use crate::engine::values::Value;

impl Parser {
    pub fn expr(&mut self) -> R<Expr> {
        self.nested(EXPRESSION_TOO_DEEP, Parser::or_expr)
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
        let val = crate::engine::values::check_range(p, Value::Int(v)).map_err(|e| self.err(&e))?;
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
            Tok::Sym("(") if self.lambda_ahead() => self.lambda(),
            Tok::Sym("<|") => {
                // `<|name: value, ...|>`: a struct literal.
                self.pos += 1;
                let mut members = Vec::new();
                while !self.is_sym("|>") {
                    let name = match self.peek().clone() {
                        Tok::Str(b, _) => {
                            self.pos += 1;
                            String::from_utf8(b).map_err(|_| self.err("Invalid UTF-8 in a member name"))?
                        }
                        _ => self.ident()?,
                    };
                    self.expect_sym(":")?;
                    members.push((name, self.expr()?));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
                self.expect_sym("|>")?;
                Ok(Expr::Struct(members))
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
                    if self.is_kw("over") {
                        self.pos += 1;
                        return self.window(name, args, star);
                    }
                    return Ok(Expr::Call { name, args, distinct, star });
                }
                self.column_rest(name)
            }
            _ => Err(self.unexpected()),
        }
    }

    /// After `f(args) OVER`: `(PARTITION BY … ORDER BY … ROWS BETWEEN … AND …)`.
    fn window(&mut self, name: String, args: Vec<Expr>, star: bool) -> R<Expr> {
        if !self.eat_sym("(") {
            return Err(self.err("Named windows (OVER w with a WINDOW clause) are not supported; write OVER (…)"));
        }
        let mut partition_by = Vec::new();
        if self.eat_kw("partition") {
            self.expect_kw("by")?;
            partition_by = self.call_args()?;
        }
        let order_by = self.order_by()?;
        let frame = if self.eat_kw("rows") {
            self.expect_kw("between")?;
            let start = self.frame_bound()?;
            self.expect_kw("and")?;
            let end = self.frame_bound()?;
            Some((start, end))
        } else {
            None
        };
        self.expect_sym(")")?;
        Ok(Expr::Window(Box::new(WindowCall { name, args, star, partition_by, order_by, frame })))
    }

    /// `UNBOUNDED PRECEDING | n PRECEDING | CURRENT ROW | n FOLLOWING | UNBOUNDED FOLLOWING` as an offset.
    fn frame_bound(&mut self) -> R<Option<i64>> {
        if self.eat_kw("unbounded") {
            if !self.eat_kw("preceding") {
                self.expect_kw("following")?;
            }
            return Ok(None);
        }
        if self.eat_kw("current") {
            self.expect_kw("row")?;
            return Ok(Some(0));
        }
        let n = match self.peek().clone() {
            Tok::Int(n, _) => {
                self.pos += 1;
                i64::try_from(n).map_err(|_| self.err("The frame offset is too large"))?
            }
            _ => return Err(self.unexpected()),
        };
        if self.eat_kw("preceding") {
            Ok(Some(-n))
        } else {
            self.expect_kw("following")?;
            Ok(Some(n))
        }
    }

    /// Whether the tokens ahead are a lambda's parameter list: `(` `$a` (`,` `$b`)* `)` `->`.
    fn lambda_ahead(&self) -> bool {
        let mut i = 1;
        if !matches!(self.peek_at(i), Tok::Sym(")")) {
            loop {
                if !matches!(self.peek_at(i), Tok::Param(_)) {
                    return false;
                }
                i += 1;
                match self.peek_at(i) {
                    Tok::Sym(",") => i += 1,
                    Tok::Sym(")") => break,
                    _ => return false,
                }
            }
        }
        matches!(self.peek_at(i + 1), Tok::Sym("->"))
    }

    /// `($x, …) -> (body)` or `($x, …) -> { RETURN body }` (after [`Parser::lambda_ahead`] said so).
    fn lambda(&mut self) -> R<Expr> {
        self.expect_sym("(")?;
        let mut params = Vec::new();
        while let Tok::Param(p) = self.peek().clone() {
            self.pos += 1;
            if params.contains(&p) {
                return Err(self.err(&format!("Duplicate lambda argument: ${p}")));
            }
            params.push(p);
            if !self.eat_sym(",") {
                break;
            }
        }
        self.expect_sym(")")?;
        self.expect_sym("->")?;
        let body = if self.eat_sym("{") {
            self.expect_kw("return")?;
            let body = self.expr()?;
            self.eat_sym(";");
            self.expect_sym("}")?;
            body
        } else {
            self.expr()?
        };
        Ok(Expr::Lambda { params, body: Box::new(body) })
    }

    /// Comma-separated call arguments (at least one).
    pub(super) fn call_args(&mut self) -> R<Vec<Expr>> {
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
