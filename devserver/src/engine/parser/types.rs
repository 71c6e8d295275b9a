//! YQL type syntax: `Optional<T>` and `T?`, `List`, `Set`, `Dict`, `Tuple`, `Struct`, `Variant` (over a
//! struct, `Variant<a:Int32,b:Utf8>`, or a tuple, `Variant<Int32,Utf8>`), `Tagged<T,'tag'>`,
//! `Decimal(p, s)`, `Void`, `Null`, `EmptyList`, `EmptyDict` and the primitive names, nested at most
//! [`MAX_DEPTH`](crate::engine::MAX_DEPTH) deep.

use super::{Parser, R};
use crate::engine::lexer::Tok;
use crate::engine::types::{Prim, Type};

impl Parser {
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
                let ms = if self.is_sym(">") { Vec::new() } else { self.comma_list(Self::member)? };
                self.expect_sym(">")?;
                Type::Struct(ms)
            }
            "variant" => {
                self.expect_sym("<")?;
                // Members (`name:Type`) make a variant over a struct; bare types one over a tuple.
                let over_struct = matches!(self.peek_at(1), Tok::Sym(":"));
                let inner = if over_struct {
                    Type::Struct(self.comma_list(Self::member)?)
                } else {
                    Type::Tuple(self.comma_list(Self::ty)?)
                };
                self.expect_sym(">")?;
                Type::Variant(Box::new(inner))
            }
            "tagged" => {
                self.expect_sym("<")?;
                let t = self.ty()?;
                self.expect_sym(",")?;
                let tag = match self.advance() {
                    Tok::Str(b, _) => String::from_utf8_lossy(&b).into_owned(),
                    Tok::Ident(s) | Tok::Quoted(s) => s,
                    _ => {
                        self.pos -= 1;
                        return Err(self.unexpected());
                    }
                };
                self.expect_sym(">")?;
                Type::Tagged(tag, Box::new(t))
            }
            "emptylist" => Type::EmptyList,
            "emptydict" => Type::EmptyDict,
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

    /// A struct member: `name:Type` (the name bare, quoted or a string).
    fn member(&mut self) -> R<(String, Type)> {
        let n = match self.advance() {
            Tok::Ident(s) | Tok::Quoted(s) => s,
            Tok::Str(b, _) => String::from_utf8_lossy(&b).into_owned(),
            _ => {
                self.pos -= 1;
                return Err(self.unexpected());
            }
        };
        self.expect_sym(":")?;
        Ok((n, self.ty()?))
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
}
