//! Numbers read from text: hexadecimal and decimal digits, and nothing else (no sign, no spaces).
//!
//! The client reads a handful of short numbers — `\u` and `%` escapes, UUIDs, ports, the numbers in a
//! type's text, a time stamp's fields — and the standard library's integer parsing is generic over the
//! radix and accepts a leading `+`: about 1 KB of wasm for what these two functions do.

/// The value of hexadecimal digits (1 to 8 of them, either case).
pub fn hex(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 8 {
        return None;
    }
    text.iter().try_fold(0u32, |n, &b| Some(n << 4 | char::from(b).to_digit(16)?))
}

/// The value of decimal digits (at least one), if it fits in a `u64`.
pub fn decimal(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u64, |n, &b| n.checked_mul(10)?.checked_add(u64::from(char::from(b).to_digit(10)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_read_as_the_standard_library_reads_them_without_a_sign() {
        for t in ["0", "7", "09", "ff", "FF", "dEaD", "ffffffff", "100000000", "", "+1", "-1", "g", "1 ", "٣"] {
            assert_eq!(hex(t.as_bytes()), u32::from_str_radix(t, 16).ok().filter(|_| !t.starts_with('+')), "{t:?}");
        }
        for t in ["0", "42", "0042", "18446744073709551615", "18446744073709551616", "", "+1", "-1", "1a", " 1"] {
            assert_eq!(decimal(t.as_bytes()), t.parse::<u64>().ok().filter(|_| !t.starts_with('+')), "{t:?}");
        }
    }
}
