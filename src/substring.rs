//! Finding text in text: what `str::find`, `contains`, `split_once` and `replace` do with a `&str`
//! pattern, by a plain scan.
//!
//! The standard library searches for a `&str` with its two-way searcher, about 4 KB of wasm. The client
//! only ever searches short texts for short needles — a URL for `://`, a PEM for its armour, an error
//! message for a word — where a plain scan is as fast, so every such search goes through here instead.
//! (Searches for a `char` or a closure are cheap in the standard library and stay there.)
//!
//! [`utf8_lossy`] is here for the same reason: `String::from_utf8_lossy` brings its own UTF-8 chunker.

/// The byte offset of the first `needle` in `text`.
pub fn find(text: &str, needle: &str) -> Option<usize> {
    let (text, needle) = (text.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    // Each place the first byte is, then the rest compared. A match of a whole UTF-8 needle starts and
    // ends on character boundaries.
    let mut from = 0;
    while let Some(skipped) = text.get(from..)?.iter().position(|&b| b == first) {
        let at = from + skipped;
        if text.get(at + 1..at + needle.len())? == rest {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The byte offset of the last `needle` in `text`.
pub fn rfind(text: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(text.len());
    }
    text.as_bytes().windows(needle.len()).rposition(|w| w == needle.as_bytes())
}

/// Whether `text` has `needle` in it. (For a `char` needle `str::contains` is cheap only when the char is
/// ASCII and known at compile time; its other branch is the two-way searcher: test an ASCII byte with
/// `text.as_bytes().contains(&b'.')`, anything else with this.)
pub fn contains(text: &str, needle: &str) -> bool {
    find(text, needle).is_some()
}

/// The text before and after the first `separator`.
pub fn split_once<'a>(text: &'a str, separator: &str) -> Option<(&'a str, &'a str)> {
    let at = find(text, separator)?;
    Some((text.get(..at)?, text.get(at + separator.len()..)?))
}

/// The text after the last `separator`, or all of it when there is none.
pub fn after_last<'a>(text: &'a str, separator: &str) -> &'a str {
    rfind(text, separator).and_then(|at| text.get(at + separator.len()..)).unwrap_or(text)
}

/// `text` with every `from` replaced by `to` (`from` non-empty).
pub fn replace(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = split_once(rest, from).filter(|_| !from.is_empty()) {
        out.push_str(before);
        out.push_str(to);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `bytes` as text, each ill-formed part replaced by U+FFFD as `String::from_utf8_lossy` replaces it (the
/// maximal ill-formed subparts that `Utf8Error::error_len` measures), with `str::from_utf8` only.
pub fn utf8_lossy(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                out.push_str(text);
                return out;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at_checked(e.valid_up_to()).unwrap_or((&[], bytes));
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push(char::REPLACEMENT_CHARACTER);
                bytes = rest.get(e.error_len().unwrap_or(rest.len())..).unwrap_or_default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ill_formed_utf8_is_replaced_as_the_standard_library_replaces_it() {
        let cases: [&[u8]; 9] = [
            b"",
            b"plain",
            b"a\xffb",
            b"\xe2\x82",
            b"\xe2\x82a\xe2\x82\xac",
            b"\xf0\x90\x80",
            b"\xc0\xaf",
            b"\xed\xa0\x80x",
            b"\x80\x80\xff",
        ];
        for bytes in cases {
            assert_eq!(utf8_lossy(bytes), String::from_utf8_lossy(bytes), "{bytes:?}");
        }
    }

    #[test]
    fn searches_as_the_standard_library_does() {
        let texts = [
            "",
            "a",
            "grpcs://host:2135",
            "://",
            "é://ü",
            "aaa",
            "a: b: c",
            "xx-----END KEY-----yy",
            "a\u{FFFD}",
            ":/",
        ];
        let needles = ["", "a", "://", "aa", ": ", "-----END KEY-----", "ü", "zz", "\u{FFFD}", ":/:"];
        for text in texts {
            for needle in needles {
                assert_eq!(find(text, needle), text.find(needle), "find({text:?}, {needle:?})");
                assert_eq!(rfind(text, needle), text.rfind(needle), "rfind({text:?}, {needle:?})");
                assert_eq!(contains(text, needle), text.contains(needle));
                assert_eq!(split_once(text, needle), text.split_once(needle), "split_once({text:?}, {needle:?})");
                assert_eq!(after_last(text, needle), text.rsplit(needle).next().unwrap_or(text));
                if !needle.is_empty() {
                    assert_eq!(
                        replace(text, needle, "<>"),
                        text.replace(needle, "<>"),
                        "replace({text:?}, {needle:?})"
                    );
                }
            }
        }
    }
}
