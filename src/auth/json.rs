//! A small JSON reader and string quoting for the credentials' documents: the service-account key
//! file, the OAuth 2.0 token-exchange config, and the token endpoints' answers.
//!
//! The crate has no JSON dependency (serde would add tens of kilobytes of wasm for a handful of flat
//! documents). Nesting is bounded, so no input can exhaust the stack; errors name a byte offset, never
//! the text — the documents hold private keys and tokens.

/// A parsed JSON value. Objects keep their keys in order; a repeated key finds its first value.
#[derive(Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Only the kind: documents here hold keys and tokens.
impl std::fmt::Debug for Json {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Json({})", self.kind())
    }
}

/// How deep arrays and objects may nest: the documents here are two levels deep.
const MAX_DEPTH: usize = 32;

impl Json {
    /// The value of `key` when this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// What kind of value this is, for error messages (which never show the value itself).
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// Parses one JSON document (surrounding whitespace allowed). The error says where, not what.
pub fn parse(text: &str) -> Result<Json, String> {
    let mut p = Parser { bytes: text.as_bytes(), at: 0 };
    let value = p.value(0)?;
    p.skip_space();
    if p.at != p.bytes.len() {
        return Err(p.fail("text after the JSON value"));
    }
    Ok(value)
}

/// `s` as a JSON string literal, quotes included.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn fail(&self, what: &str) -> String {
        format!("invalid JSON at byte {}: {what}", self.at)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, literal: &str, value: Json) -> Result<Json, String> {
        if self.bytes.get(self.at..self.at + literal.len()) == Some(literal.as_bytes()) {
            self.at += literal.len();
            Ok(value)
        } else {
            Err(self.fail("an unknown literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > MAX_DEPTH {
            return Err(self.fail("nested too deep"));
        }
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.eat("true", Json::Bool(true)),
            Some(b'f') => self.eat("false", Json::Bool(false)),
            Some(b'n') => self.eat("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.fail("an unexpected character")),
            None => Err(self.fail("the text ends before a value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, String> {
        self.at += 1;
        let mut fields = Vec::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Json::Object(fields));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(self.fail("expected a key"));
            }
            let key = self.string()?;
            self.skip_space();
            if self.peek() != Some(b':') {
                return Err(self.fail("expected ':'"));
            }
            self.at += 1;
            let value = self.value(depth + 1)?;
            fields.push((key, value));
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Json::Object(fields));
                }
                _ => return Err(self.fail("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, String> {
        self.at += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.fail("expected ',' or ']'")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.bytes.get(self.at..self.at + 4).ok_or_else(|| self.fail("a short \\u escape"))?;
        let v = crate::digits::hex(digits).ok_or_else(|| self.fail("a bad \\u escape"))?;
        self.at += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, String> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            let Some(b) = self.peek() else { return Err(self.fail("an unterminated string")) };
            self.at += 1;
            match b {
                b'"' => return String::from_utf8(out).map_err(|_| self.fail("a string that is not UTF-8")),
                b'\\' => {
                    let e = self.peek().ok_or_else(|| self.fail("an unterminated escape"))?;
                    self.at += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
                                    return Err(self.fail("a lone surrogate"));
                                }
                                self.at += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.fail("a lone surrogate"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code).ok_or_else(|| self.fail("a lone surrogate"))?
                        }
                        _ => return Err(self.fail("an unknown escape")),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err(self.fail("a control character in a string")),
                _ => out.push(b),
            }
        }
    }

    fn number(&mut self) -> Result<Json, String> {
        let start = self.at;
        while matches!(self.peek(), Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')) {
            self.at += 1;
        }
        let text = std::str::from_utf8(self.bytes.get(start..self.at).unwrap_or_default()).unwrap_or_default();
        number(text).map(Json::Number).ok_or_else(|| self.fail("a malformed number"))
    }
}

/// A JSON number's value, without the standard library's float parser (kilobytes of wasm for the few
/// numbers these documents hold: lifetimes in seconds, error codes). Exact for integers below 2^53;
/// fractions and exponents are within a few ulps, which is all a lifetime needs.
pub fn number(text: &str) -> Option<f64> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa_text, exponent) = match rest.find(['e', 'E']) {
        Some(at) => {
            let e = rest.get(at + 1..)?;
            let e = e.strip_prefix('+').unwrap_or(e);
            (rest.get(..at)?, e.parse::<i32>().ok()?.clamp(-400, 400))
        }
        None => (rest, 0),
    };
    let (int, fraction) = mantissa_text.split_once('.').unwrap_or((mantissa_text, ""));
    let digits_only = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    if int.is_empty()
        || !digits_only(int)
        || !digits_only(fraction)
        || (mantissa_text.as_bytes().contains(&b'.') && fraction.is_empty())
    {
        return None;
    }
    let mut value = 0.0f64;
    for c in int.bytes().chain(fraction.bytes()) {
        value = value * 10.0 + f64::from(c - b'0');
    }
    let scale = exponent - i32::try_from(fraction.len()).ok()?;
    let value = if scale >= 0 { value * 10f64.powi(scale) } else { value / 10f64.powi(-scale) };
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_documents_with_escapes() {
        let doc =
            parse(r#" {"a": "x\n\"y\" \u00e9 \ud83d\ude00", "n": -1.5e2, "b": [true, false, null], "o": {"k": 1}} "#)
                .expect("valid");
        assert_eq!(doc.get("a").and_then(Json::as_str), Some("x\n\"y\" é 😀"));
        assert_eq!(doc.get("n").and_then(Json::as_f64), Some(-150.0));
        assert_eq!(number("43200"), Some(43_200.0));
        assert_eq!(number("0.25"), Some(0.25));
        assert_eq!(number("1E3"), Some(1000.0));
        assert_eq!(number("9007199254740991"), Some(9_007_199_254_740_991.0));
        for bad in ["", "-", "1.", ".5", "1e", "0x10", "1.2.3", "--1"] {
            assert_eq!(number(bad), None, "{bad}");
        }
        assert_eq!(doc.get("b").map(Json::kind), Some("an array"));
        assert_eq!(doc.get("o").and_then(|o| o.get("k")).and_then(Json::as_f64), Some(1.0));
        assert!(doc.get("missing").is_none());
    }

    #[test]
    fn bad_documents_are_errors_that_do_not_quote_the_text() {
        for text in ["", "{", "{\"a\" 1}", "[1,]", "\"abc", "{\"s3cret\": tru}", "\"\\ud800\"", "1 2", "\"\u{1}\""] {
            let e = parse(text).expect_err(text);
            assert!(e.starts_with("invalid JSON at byte"), "{text}: {e}");
            assert!(!e.contains("s3cret"));
        }
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).expect_err("deep").contains("nested too deep"));
    }

    #[test]
    fn quoting_round_trips() {
        for s in ["plain", "q\"uote\\", "line\nbreak\u{1}", "é😀"] {
            assert_eq!(parse(&quote(s)).ok().as_ref().and_then(Json::as_str), Some(s));
        }
    }
}
