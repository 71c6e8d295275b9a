//! YQL's `String::` (bytes, ASCII rules) and `Unicode::` (UTF-8 code points) functions that ordinary
//! programs reach for: strip, replace, find, pad, split and join, reverse, length, substring, encodings.
//! Pure functions over byte strings and `str`; binding and result types live in
//! `exec/functions.rs`.

/// The largest string a function may build (padding, replacing): bigger is an error, never an
/// allocation that takes the server down.
pub const MAX_RESULT_BYTES: usize = 64 * 1024 * 1024;

/// A text function; which module it came from decides bytes or code points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFn {
    Strip,
    Collapse,
    Reverse,
    ReplaceAll,
    ReplaceFirst,
    ReplaceLast,
    RemoveAll,
    Find,
    ReverseFind,
    HasPrefix,
    HasSuffix,
    LeftPad,
    RightPad,
    SplitToList,
    JoinFromList,
    Base64Encode,
    HexEncode,
    Length,
    Substring,
}

/// The function a lowercased name (module prefix removed) names in `String::` (`unicode` false) or
/// `Unicode::`, with its argument count range.
pub fn lookup(name: &str, unicode: bool) -> Option<(TextFn, usize, usize)> {
    use TextFn::*;
    let both = match name {
        "strip" => Some((Strip, 1, 1)),
        "collapse" => Some((Collapse, 1, 1)),
        "reverse" => Some((Reverse, 1, 1)),
        "replaceall" => Some((ReplaceAll, 3, 3)),
        "replacefirst" => Some((ReplaceFirst, 3, 3)),
        "replacelast" => Some((ReplaceLast, 3, 3)),
        "removeall" => Some((RemoveAll, 2, 2)),
        "find" => Some((Find, 2, 3)),
        "rfind" | "reversefind" => Some((ReverseFind, 2, 3)),
        "splittolist" => Some((SplitToList, 2, 2)),
        "joinfromlist" => Some((JoinFromList, 2, 2)),
        "substring" => Some((Substring, 1, 3)),
        _ => None,
    };
    if both.is_some() {
        return both;
    }
    match (name, unicode) {
        ("getlength", true) => Some((Length, 1, 1)),
        ("hasprefix", false) => Some((HasPrefix, 2, 2)),
        ("hassuffix", false) => Some((HasSuffix, 2, 2)),
        ("leftpad", false) => Some((LeftPad, 2, 3)),
        ("rightpad", false) => Some((RightPad, 2, 2)),
        ("base64encode", false) => Some((Base64Encode, 1, 1)),
        ("hexencode", false) => Some((HexEncode, 1, 1)),
        _ => None,
    }
}

fn find_bytes(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return (from <= hay.len()).then_some(from);
    }
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

fn rfind_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(hay.len());
    }
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Replaces occurrences of `from` (all, or only the first / the last); `None` when the result would
/// exceed [`MAX_RESULT_BYTES`].
pub fn replace_bytes(hay: &[u8], from: &[u8], to: &[u8], which: TextFn) -> Option<Vec<u8>> {
    if from.is_empty() {
        return Some(hay.to_vec());
    }
    let at = match which {
        TextFn::ReplaceFirst => find_bytes(hay, from, 0),
        TextFn::ReplaceLast => rfind_bytes(hay, from),
        _ => {
            let mut out = Vec::with_capacity(hay.len());
            let mut rest = hay;
            while let Some(p) = find_bytes(rest, from, 0) {
                out.extend_from_slice(rest.get(..p).unwrap_or_default());
                out.extend_from_slice(to);
                if out.len() > MAX_RESULT_BYTES {
                    return None;
                }
                rest = rest.get(p + from.len()..).unwrap_or_default();
            }
            out.extend_from_slice(rest);
            return Some(out);
        }
    };
    Some(match at {
        Some(p) => {
            let mut out = hay.get(..p).unwrap_or_default().to_vec();
            out.extend_from_slice(to);
            out.extend_from_slice(hay.get(p + from.len()..).unwrap_or_default());
            out
        }
        None => hay.to_vec(),
    })
}

/// `String::Find` / `ReverseFind`: a byte position or -1; `Find` starts at `from`.
pub fn find(hay: &[u8], needle: &[u8], from: usize, reverse: bool) -> i64 {
    let found = if reverse { rfind_bytes(hay, needle).filter(|p| *p >= from) } else { find_bytes(hay, needle, from) };
    found.and_then(|p| i64::try_from(p).ok()).unwrap_or(-1)
}

/// `String::Collapse`: runs of ASCII whitespace become one space.
pub fn collapse(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut in_space = false;
    for b in s {
        if b.is_ascii_whitespace() {
            if !in_space {
                out.push(b' ');
            }
            in_space = true;
        } else {
            out.push(*b);
            in_space = false;
        }
    }
    out
}

/// `String::LeftPad` / `RightPad` to `width` bytes with `filler` (a space by default).
pub fn pad(s: &[u8], width: usize, filler: u8, left: bool) -> Vec<u8> {
    let fill = std::iter::repeat_n(filler, width.saturating_sub(s.len()));
    if left {
        fill.chain(s.iter().copied()).collect()
    } else {
        s.iter().copied().chain(fill).collect()
    }
}

/// Splits on a delimiter string (an empty delimiter gives the whole string).
pub fn split_bytes(s: &[u8], delimiter: &[u8]) -> Vec<Vec<u8>> {
    if delimiter.is_empty() {
        return vec![s.to_vec()];
    }
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(p) = find_bytes(rest, delimiter, 0) {
        parts.push(rest.get(..p).unwrap_or_default().to_vec());
        rest = rest.get(p + delimiter.len()..).unwrap_or_default();
    }
    parts.push(rest.to_vec());
    parts
}

pub fn base64(s: &[u8]) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(s.len().div_ceil(3) * 4);
    for chunk in s.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let idx = usize::try_from((n >> (18 - 6 * i)) & 63).unwrap_or(0);
                out.push(ALPHABET.get(idx).copied().unwrap_or(b'='));
            } else {
                out.push(b'=');
            }
        }
    }
    out
}

pub fn hex(s: &[u8]) -> Vec<u8> {
    s.iter().flat_map(|b| format!("{b:02X}").into_bytes()).collect()
}

/// `Unicode::Substring`: `len` code points from code point `from`.
pub fn substring_chars(s: &str, from: usize, len: usize) -> String {
    s.chars().skip(from).take(len).collect()
}

/// `Unicode::Find`: the code point position of `needle` at or after code point `from`.
pub fn find_chars(s: &str, needle: &str, from: usize) -> Option<usize> {
    let start = s.char_indices().nth(from).map(|(i, _)| i).or((from == s.chars().count()).then_some(s.len()))?;
    let at = s.get(start..)?.find(needle)? + start;
    Some(s.get(..at)?.chars().count())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn byte_functions() {
        assert_eq!(replace_bytes(b"a-b-c", b"-", b"+", TextFn::ReplaceAll).unwrap(), b"a+b+c");
        assert_eq!(replace_bytes(b"a-b-c", b"-", b"", TextFn::ReplaceFirst).unwrap(), b"ab-c");
        assert_eq!(replace_bytes(b"a-b-c", b"-", b"=", TextFn::ReplaceLast).unwrap(), b"a-b=c");
        let big = vec![b'x'; 1024 * 1024];
        assert_eq!(replace_bytes(&[b'a'; 100], b"a", &big, TextFn::ReplaceAll), None, "would be 100 MiB");
        assert_eq!(find(b"abcabc", b"c", 0, false), 2);
        assert_eq!(find(b"abcabc", b"c", 3, false), 5);
        assert_eq!(find(b"abcabc", b"c", 0, true), 5);
        assert_eq!(find(b"abc", b"x", 0, false), -1);
        assert_eq!(find(b"abc", b"a", 10, false), -1);
        assert_eq!(collapse(b"a  \t b "), b"a b ");
        assert_eq!(pad(b"7", 3, b'0', true), b"007");
        assert_eq!(pad(b"abcd", 3, b' ', false), b"abcd");
        assert_eq!(split_bytes(b"1,2,,3", b","), vec![b"1".to_vec(), b"2".to_vec(), Vec::new(), b"3".to_vec()]);
        assert_eq!(base64(b"YQL"), b"WVFM");
        assert_eq!(base64(b"ab"), b"YWI=");
        assert_eq!(hex(b"\x01\xff"), b"01FF");
    }

    #[test]
    fn code_point_functions() {
        assert_eq!(substring_chars("привет", 1, 3), "рив");
        assert_eq!(find_chars("привет", "ве", 0), Some(3));
        assert_eq!(find_chars("привет", "п", 1), None);
        assert_eq!(find_chars("abc", "", 3), Some(3));
        assert_eq!(find_chars("abc", "a", 9), None);
    }
}
