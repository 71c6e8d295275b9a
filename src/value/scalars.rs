//! Exact conversions of the YDB scalars whose wire form is not the JS form: Decimal (a scaled
//! 128-bit integer), Uuid (two little-endian 64-bit halves), and the date and time types (days,
//! seconds, microseconds since the epoch, with YDB's ranges).

use crate::error::{Error, Quoted, Result};

/// The first day YDB's Date cannot hold (2106-01-01), in days since 1970-01-01.
pub const DATE_END_DAYS: i64 = 49_673;
/// Datetime is an unsigned 32-bit count of seconds, and ends where Date ends.
pub const DATETIME_END_SECS: i64 = DATE_END_DAYS * 86_400;
/// Timestamp is an unsigned count of microseconds, and ends where Date ends.
pub const TIMESTAMP_END_MICROS: i64 = DATETIME_END_SECS * 1_000_000;

/// The ranges of the wide date and time types, (min, max) in their units: YDB's bounds, 144169 BC to 148107
/// AD, which ISO 8601 and a JS `Date` number as years -144168 to 148107.
pub const DATE32_DAYS: (i64, i64) = (-53_375_809, 53_375_807);
pub const DATETIME64_SECS: (i64, i64) = (-4_611_669_897_600, 4_611_669_811_199);
pub const TIMESTAMP64_MICROS: (i64, i64) = (-4_611_669_897_600_000_000, 4_611_669_811_199_999_999);
/// Why a wide value was refused.
pub const WIDE_RANGE: &str = "out of the type's range (-144168-01-01 to 148107-12-31)";

/// A wide date or time (a count of its units, from a JS number) checked against its type's range.
pub fn check_wide(units: f64, (min, max): (i64, i64)) -> Result<i64> {
    if !units.is_finite() || units < min as f64 || units > max as f64 {
        return Err(Error::argument(WIDE_RANGE));
    }
    Ok(units as i64)
}

/// `i128` from the two halves of `Ydb.Value` (`low_128`, `high_128`).
pub fn join_128(low: u64, high: u64) -> i128 {
    (((high as u128) << 64) | low as u128) as i128
}

/// The two halves of an `i128`, low first.
pub fn split_128(v: i128) -> (u64, u64) {
    let u = v as u128;
    (u as u64, (u >> 64) as u64)
}

/// `v` in decimal, as `v.to_string()` writes it.
pub fn text_128(v: i128) -> String {
    let digits = digits_128(v.unsigned_abs());
    if v < 0 {
        format!("-{digits}")
    } else {
        digits
    }
}

/// `u` in decimal, as `u.to_string()` writes it. Core's 128-bit formatting is 1.3 KB of wasm; this takes
/// nine digits at a time by 64-bit division of 32-bit limbs.
pub fn digits_128(u: u128) -> String {
    let mut limbs = [(u >> 96) as u32, (u >> 64) as u32, (u >> 32) as u32, u as u32];
    // Base-10^9 digits, the least significant first (at most five for 128 bits).
    let mut groups = Vec::with_capacity(5);
    loop {
        let mut rem = 0u64;
        for limb in limbs.iter_mut() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / 1_000_000_000) as u32;
            rem = cur % 1_000_000_000;
        }
        groups.push(rem as u32);
        if limbs.iter().all(|&l| l == 0) {
            break;
        }
    }
    let mut out = String::with_capacity(groups.len() * 9);
    for (i, &group) in groups.iter().rev().enumerate() {
        let mut digits = [b'0'; 9];
        let mut rest = group;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        // The leading group without its leading zeros (but one digit at least).
        let from = if i == 0 { digits.iter().position(|&d| d != b'0').unwrap_or(8) } else { 0 };
        out.extend(digits.iter().skip(from).map(|&d| char::from(d)));
    }
    out
}

/// Formats a scaled decimal: `12345` at scale 2 is `"123.45"`; trailing zeros of the fraction are
/// dropped (`"1.5"`, not `"1.500000000"`). YDB's special values are `inf`, `-inf` and `nan`.
pub fn format_decimal(v: i128, scale: u32) -> String {
    const INF: i128 = 100_000_000_000_000_000_000_000_000_000_000_000; // 10^35
    if v == INF {
        return "inf".into();
    }
    if v == -INF {
        return "-inf".into();
    }
    if v == INF + 1 || v == -(INF + 1) {
        return "nan".into();
    }
    let negative = v < 0;
    let digits = digits_128(v.unsigned_abs());
    let scale = scale as usize;
    let (int_part, frac_part) = if digits.len() > scale {
        // ASCII digits: every index is a character boundary.
        let (i, f) = digits.split_at_checked(digits.len() - scale).unwrap_or((&digits, ""));
        (i.to_string(), f.to_string())
    } else {
        ("0".to_string(), format!("{digits:0>scale$}"))
    };
    let frac = frac_part.trim_end_matches('0');
    let sign = if negative { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac}")
    }
}

/// Parses a decimal string exactly into its scaled integer, checking the precision.
pub fn parse_decimal(text: &str, precision: u32, scale: u32) -> Result<i128> {
    let bad = |why: &str| Error::argument(format!("{} is not a Decimal({precision},{scale}): {why}", Quoted(text)));
    let t = text.trim();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(bad("no digits"));
    }
    if !int_part.bytes().chain(frac_part.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad("only digits, one '.' and a sign are allowed"));
    }
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() > scale as usize {
        return Err(bad("too many fractional digits"));
    }
    let int_digits = int_part.trim_start_matches('0');
    if int_digits.len() > (precision - scale) as usize {
        return Err(bad("too many integer digits"));
    }
    let mut v: i128 = 0;
    for b in int_digits.bytes().chain(frac_trimmed.bytes()) {
        v = v * 10 + i128::from(b - b'0');
    }
    for _ in frac_trimmed.len()..scale as usize {
        v *= 10;
    }
    Ok(if negative { -v } else { v })
}

/// Formats a Uuid from its wire halves (YDB sends the RFC 4122 bytes in "little-endian GUID" order).
pub fn format_uuid(low: u64, high: u64) -> String {
    let (l, h) = (low.to_le_bytes(), high.to_le_bytes());
    // Undo the GUID byte order of the first three groups.
    let b = [l[3], l[2], l[1], l[0], l[5], l[4], l[7], l[6], h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]];
    let mut text = String::with_capacity(36);
    for (i, byte) in b.into_iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        for digit in [byte >> 4, byte & 0xf] {
            text.push(char::from_digit(u32::from(digit), 16).unwrap_or('0'));
        }
    }
    text
}

/// Parses a Uuid in its text form into the wire halves.
pub fn parse_uuid(text: &str) -> Result<(u64, u64)> {
    let hex: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    let groups_ok = text.len() == 36 && [8, 13, 18, 23].iter().all(|&i| text.as_bytes().get(i) == Some(&b'-'));
    if hex.len() != 32 || !groups_ok {
        return Err(Error::argument(format!("{} is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", Quoted(text))));
    }
    let mut b = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        let v = crate::digits::hex(pair)
            .and_then(|v| u8::try_from(v).ok())
            .ok_or_else(|| Error::argument(format!("{} is not a UUID: bad hex digit", Quoted(text))))?;
        if let Some(slot) = b.get_mut(i) {
            *slot = v;
        }
    }
    let le = [b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]];
    let low = u64::from_le_bytes([le[0], le[1], le[2], le[3], le[4], le[5], le[6], le[7]]);
    let high = u64::from_le_bytes([le[8], le[9], le[10], le[11], le[12], le[13], le[14], le[15]]);
    Ok((low, high))
}

/// Checks that an epoch count fits its YDB type (`end` is exclusive).
pub fn check_epoch_range(value: i64, end: i64, type_name: &str) -> Result<()> {
    if (0..end).contains(&value) {
        Ok(())
    } else {
        Err(Error::argument(format!("{type_name} must lie between 1970-01-01 and 2105-12-31")))
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn a_128_bit_integer_reads_as_to_string_writes_it() {
        let mut values = vec![0, 1, 9, 10, 999_999_999, 1_000_000_000, i128::MAX, i128::MIN, i128::MIN + 1];
        for p in 0..39 {
            let ten = 10i128.pow(p);
            values.extend([ten, ten - 1, ten + 1, -ten, -(ten - 1), ten / 7 * 3]);
        }
        values.extend([u64::MAX as i128, (u64::MAX as i128) << 32, 123_456_789_012_345_678_901_234_567_890_123]);
        for v in values {
            assert_eq!(text_128(v), v.to_string());
            assert_eq!(digits_128(v.unsigned_abs()), v.unsigned_abs().to_string());
        }
        assert_eq!(digits_128(u128::MAX), u128::MAX.to_string());
    }

    #[test]
    fn decimals_format_and_parse_exactly() {
        for (text, scaled) in [
            ("123.45", 123_450_000_000i128),
            ("-0.000000001", -1),
            ("0", 0),
            ("9999999999999.999999999", 9_999_999_999_999_999_999_999),
        ] {
            assert_eq!(parse_decimal(text, 22, 9).expect(text), scaled);
            assert_eq!(format_decimal(scaled, 9), text);
        }
        assert_eq!(parse_decimal("1.50", 22, 9).expect("ok"), 1_500_000_000);
    }

    #[test]
    fn decimals_that_do_not_fit_are_rejected() {
        for bad in ["1.0000000001", "10000000000000", "1e5", "", "-", "1.2.3", "abc"] {
            assert!(parse_decimal(bad, 22, 9).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimal_halves_round_trip_negative_values() {
        for v in [0i128, 1, -1, i128::from(i64::MIN) * 1000, 10i128.pow(30)] {
            let (lo, hi) = split_128(v);
            assert_eq!(join_128(lo, hi), v);
        }
    }

    #[test]
    fn uuids_round_trip_in_ydb_byte_order() {
        let text = "01234567-89ab-cdef-0123-456789abcdef";
        let (lo, hi) = parse_uuid(text).expect("valid");
        assert_eq!(lo, u64::from_le_bytes([0x67, 0x45, 0x23, 0x01, 0xab, 0x89, 0xef, 0xcd]));
        assert_eq!(format_uuid(lo, hi), text);
        assert!(parse_uuid("0123").is_err());
        assert!(parse_uuid("01234567-89ab-cdef-0123-456789abcdeg").is_err());
    }

    #[test]
    fn wide_ranges_match_ydb_and_refuse_what_is_not_a_count() {
        assert_eq!(check_wide(-53_375_809.0, DATE32_DAYS).ok(), Some(-53_375_809));
        assert!(check_wide(-53_375_810.0, DATE32_DAYS).is_err());
        assert!(check_wide(f64::NAN, DATETIME64_SECS).is_err());
        assert!(check_wide(f64::INFINITY, TIMESTAMP64_MICROS).is_err());
        // The bounds are those of YDB's dates: the first and last day of the range.
        assert_eq!(DATETIME64_SECS.0, DATE32_DAYS.0 * 86_400);
        assert_eq!(DATETIME64_SECS.1, DATE32_DAYS.1 * 86_400 + 86_399);
        assert_eq!(TIMESTAMP64_MICROS.1, DATETIME64_SECS.1 * 1_000_000 + 999_999);
    }

    #[test]
    fn epoch_ranges_match_ydb() {
        assert!(check_epoch_range(DATE_END_DAYS - 1, DATE_END_DAYS, "Date").is_ok());
        assert!(check_epoch_range(DATE_END_DAYS, DATE_END_DAYS, "Date").is_err());
        assert!(check_epoch_range(-1, DATE_END_DAYS, "Date").is_err());
    }
}
