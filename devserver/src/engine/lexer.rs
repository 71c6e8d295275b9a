//! Tokenizer for the YQL subset.
//!
//! Exists so that the parser works on tokens with source positions (for YDB-style issue positions)
//! instead of raw text. It knows YQL's lexical quirks: backtick-quoted identifiers, `$parameters`,
//! integer literal suffixes (`1u`, `1ul`, ...) and string literal suffixes (`"x"u`).

use super::{err_at, EngineError};

/// A token kind with its payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A bare identifier or keyword (original spelling).
    Ident(String),
    /// A backtick-quoted identifier.
    Quoted(String),
    /// `$name` (stored without the `$`).
    Param(String),
    /// An integer literal: value and lowercase suffix (`""`, `"u"`, `"ul"`, ...).
    Int(u128, String),
    /// A floating point literal: value and suffix (`""` or `"f"`).
    Float(f64, String),
    /// A string literal: bytes and lowercase suffix (`""`, `"u"`, `"s"`, `"j"`, `"y"`).
    Str(Vec<u8>, String),
    /// Punctuation or operator.
    Sym(&'static str),
    Eof,
}

/// A token with its 1-based position.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub line: u32,
    pub col: u32,
}

const SYMBOLS: &[&str] = &[
    "??", "<=", ">=", "<>", "!=", "==", "||", "->", "<|", "|>", "(", ")", ",", ";", ".", "*", "+", "-", "/", "%", "=",
    "<", ">", "?", ":", "[", "]", "{", "}", "&", "|", "^", "~",
];

/// Splits `src` into tokens; the last one is `Tok::Eof`.
pub fn tokenize(src: &str) -> Result<Vec<Token>, EngineError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0usize;
    let mut line = 1u32;
    let mut col = 1u32;
    let at = |i: usize| chars.get(i).copied();
    macro_rules! bump {
        () => {{
            if at(i) == Some('\n') {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
            i += 1;
        }};
    }
    // A string literal's type suffix (`u` for Utf8, `y` for Yson, `j` for Json …): up to two letters.
    macro_rules! string_suffix {
        () => {{
            let mut suffix = String::new();
            while let Some(c) = at(i) {
                if !(c.is_ascii_alphabetic() && suffix.len() < 2) {
                    break;
                }
                suffix.push(c.to_ascii_lowercase());
                bump!();
            }
            suffix
        }};
    }
    // Appends to `$s` the run of characters from here that `$pred` accepts (the lexer's one scanning loop).
    macro_rules! take_while {
        ($s:ident, $pred:expr) => {
            while let Some(c) = at(i) {
                if !$pred(&c) {
                    break;
                }
                $s.push(c);
                bump!();
            }
        };
    }
    // The run of word characters (ASCII letters, digits, `_`) from here: identifiers and parameter names.
    macro_rules! word {
        () => {{
            let mut s = String::new();
            take_while!(s, |c: &char| c.is_ascii_alphanumeric() || *c == '_');
            s
        }};
    }
    while let Some(c) = at(i) {
        if c.is_whitespace() {
            bump!();
            continue;
        }
        if c == '-' && at(i + 1) == Some('-') {
            while let Some(c) = at(i) {
                if c == '\n' {
                    break;
                }
                bump!();
            }
            continue;
        }
        if c == '/' && at(i + 1) == Some('*') {
            let (l, cl) = (line, col);
            bump!();
            bump!();
            loop {
                match at(i) {
                    None => return Err(err_at(l, cl, "Unterminated comment")),
                    Some('*') if at(i + 1) == Some('/') => {
                        bump!();
                        bump!();
                        break;
                    }
                    Some(_) => bump!(),
                }
            }
            continue;
        }
        let (tl, tc) = (line, col);
        let push = |out: &mut Vec<Token>, tok: Tok| out.push(Token { tok, line: tl, col: tc });
        if c.is_ascii_alphabetic() || c == '_' {
            let s = word!();
            push(&mut out, Tok::Ident(s));
            continue;
        }
        if c == '$' {
            bump!();
            let s = word!();
            if s.is_empty() {
                return Err(err_at(tl, tc, "Expected a name after '$'"));
            }
            push(&mut out, Tok::Param(s));
            continue;
        }
        if c == '`' {
            bump!();
            let mut s = String::new();
            loop {
                match at(i) {
                    None => return Err(err_at(tl, tc, "Unterminated quoted identifier")),
                    Some('`') if at(i + 1) == Some('`') => {
                        s.push('`');
                        bump!();
                        bump!();
                    }
                    Some('`') => {
                        bump!();
                        break;
                    }
                    Some('\\') if at(i + 1) == Some('`') => {
                        s.push('`');
                        bump!();
                        bump!();
                    }
                    Some(c) => {
                        s.push(c);
                        bump!();
                    }
                }
            }
            push(&mut out, Tok::Quoted(s));
            continue;
        }
        if c == '@' && at(i + 1) == Some('@') {
            // `@@text@@`: a multi-line string taken as written, no escapes (YQL's raw string).
            bump!();
            bump!();
            let mut bytes: Vec<u8> = Vec::new();
            loop {
                match at(i) {
                    None => return Err(err_at(tl, tc, "Unterminated @@ string literal")),
                    Some('@') if at(i + 1) == Some('@') => {
                        bump!();
                        bump!();
                        break;
                    }
                    Some(c) => {
                        push_utf8(&mut bytes, c);
                        bump!();
                    }
                }
            }
            let suffix = string_suffix!();
            push(&mut out, Tok::Str(bytes, suffix));
            continue;
        }
        if c == '\'' || c == '"' {
            let quote = c;
            bump!();
            let mut bytes: Vec<u8> = Vec::new();
            loop {
                match at(i) {
                    None => return Err(err_at(tl, tc, "Unterminated string literal")),
                    Some('\\') => {
                        bump!();
                        let e = at(i).ok_or_else(|| err_at(tl, tc, "Unterminated string literal"))?;
                        bump!();
                        match e {
                            'n' => bytes.push(b'\n'),
                            't' => bytes.push(b'\t'),
                            'r' => bytes.push(b'\r'),
                            '0' => bytes.push(0),
                            'x' => {
                                let h: String = [at(i), at(i + 1)].iter().flatten().collect();
                                let v = u8::from_str_radix(&h, 16)
                                    .map_err(|_| err_at(line, col, "Bad \\x escape in string literal"))?;
                                bump!();
                                bump!();
                                bytes.push(v);
                            }
                            other => push_utf8(&mut bytes, other),
                        }
                    }
                    Some(c) if c == quote => {
                        bump!();
                        break;
                    }
                    Some(c) => {
                        push_utf8(&mut bytes, c);
                        bump!();
                    }
                }
            }
            let suffix = string_suffix!();
            push(&mut out, Tok::Str(bytes, suffix));
            continue;
        }
        if c.is_ascii_digit() {
            let mut s = String::new();
            let hex = c == '0' && matches!(at(i + 1), Some('x') | Some('X'));
            if hex {
                bump!();
                bump!();
                take_while!(s, char::is_ascii_hexdigit);
            } else {
                take_while!(s, char::is_ascii_digit);
            }
            let mut is_float = false;
            if !hex && at(i) == Some('.') && at(i + 1).is_some_and(|c| c.is_ascii_digit()) {
                is_float = true;
                s.push('.');
                bump!();
                take_while!(s, char::is_ascii_digit);
            }
            if !hex && matches!(at(i), Some('e') | Some('E')) {
                let save = (i, line, col, s.len());
                let mut t = s.clone();
                t.push('e');
                let mut j = i + 1;
                if matches!(at(j), Some('+') | Some('-')) {
                    t.extend(at(j));
                    j += 1;
                }
                if at(j).is_some_and(|c| c.is_ascii_digit()) {
                    while i < j {
                        bump!();
                    }
                    take_while!(t, char::is_ascii_digit);
                    s = t;
                    is_float = true;
                } else {
                    let _ = save;
                }
            }
            let mut suffix = String::new();
            while let Some(c) = at(i) {
                if c.is_ascii_alphabetic() {
                    suffix.push(c.to_ascii_lowercase());
                    bump!();
                } else {
                    break;
                }
            }
            if is_float || suffix == "f" && !hex {
                let v: f64 = s.parse().map_err(|_| err_at(tl, tc, "Bad number literal"))?;
                if !matches!(suffix.as_str(), "" | "f") {
                    return Err(err_at(tl, tc, &format!("Bad number literal suffix '{suffix}'")));
                }
                push(&mut out, Tok::Float(v, suffix));
            } else {
                let v = if hex { u128::from_str_radix(&s, 16) } else { s.parse::<u128>() }
                    .map_err(|_| err_at(tl, tc, "Bad number literal"))?;
                if v > u128::from(u64::MAX) {
                    return Err(err_at(tl, tc, "Integer literal is out of range"));
                }
                if !matches!(
                    suffix.as_str(),
                    "" | "u" | "l" | "ul" | "lu" | "s" | "us" | "t" | "ut" | "p" | "pi" | "pn"
                ) {
                    return Err(err_at(tl, tc, &format!("Bad number literal suffix '{suffix}'")));
                }
                push(&mut out, Tok::Int(v, suffix));
            }
            continue;
        }
        let rest: String = chars.iter().skip(i).take(2).collect();
        let sym = SYMBOLS.iter().find(|s| rest.starts_with(**s));
        match sym {
            Some(s) => {
                for _ in 0..s.chars().count() {
                    bump!();
                }
                push(&mut out, Tok::Sym(s));
            }
            None => return Err(err_at(tl, tc, &format!("Unexpected character '{c}'"))),
        }
    }
    out.push(Token { tok: Tok::Eof, line, col });
    Ok(out)
}

/// Appends `c` to a literal's bytes as UTF-8.
fn push_utf8(bytes: &mut Vec<u8>, c: char) {
    let mut b = [0u8; 4];
    bytes.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn lexes_basics() {
        let t = tokenize("SELECT `a b`, $p, 1ul, 2.5, 'x'u -- c\n/* d */ <= ").unwrap();
        let k: Vec<Tok> = t.into_iter().map(|t| t.tok).collect();
        assert_eq!(k[0], Tok::Ident("SELECT".into()));
        assert_eq!(k[1], Tok::Quoted("a b".into()));
        assert_eq!(k[3], Tok::Param("p".into()));
        assert_eq!(k[5], Tok::Int(1, "ul".into()));
        assert_eq!(k[7], Tok::Float(2.5, "".into()));
        assert_eq!(k[9], Tok::Str(b"x".to_vec(), "u".into()));
        assert_eq!(k[10], Tok::Sym("<="));
        // `@@…@@` strings are taken as written; `->`, `<|`, `|>` are one token each.
        let raw: Vec<Tok> =
            tokenize("@@a \"b\" 'c'\n@ d@@u ($x)->(<|a:$x|>)").unwrap().into_iter().map(|t| t.tok).collect();
        assert_eq!(raw[0], Tok::Str(b"a \"b\" 'c'\n@ d".to_vec(), "u".into()));
        assert_eq!((&raw[4], &raw[6], &raw[10]), (&Tok::Sym("->"), &Tok::Sym("<|"), &Tok::Sym("|>")));
        assert!(tokenize("@@x").is_err());
    }
}
