//! The calendar behind YQL's `DateTime::` module: splitting a moment into its components, the starts of
//! periods, and `DateTime::Format`.
//!
//! YQL's module works on `Resource<TM>`, a moment split into components. Here that resource is the moment
//! itself as microseconds since the epoch (UTC): every function that takes a `Resource<TM>` takes a Date,
//! Datetime or Timestamp (as YQL's implicit `Split` allows), and the `StartOf…` functions hand back a
//! Timestamp, which `MakeDate` / `MakeDatetime` / `Get…` / `Format` accept in turn. Pure functions, no
//! engine types, so they are tested on their own.

use super::values::{civil_from_days, days_from_civil};

pub const MICROS_PER_SECOND: i128 = 1_000_000;
pub const MICROS_PER_DAY: i128 = 86_400 * MICROS_PER_SECOND;

/// A component `DateTime::Get…` extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Year,
    Month,
    DayOfMonth,
    DayOfYear,
    /// 1 = Monday … 7 = Sunday.
    DayOfWeek,
    Hour,
    Minute,
    Second,
    MillisecondOfSecond,
    MicrosecondOfSecond,
}

/// A period `DateTime::StartOf…` rounds down to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Year,
    Quarter,
    Month,
    /// Weeks start on Monday.
    Week,
    Day,
}

/// A moment's calendar components (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tm {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub micro: i64,
    /// Days since 1970-01-01.
    pub days: i64,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Splits microseconds since the epoch into components.
pub fn split(micros: i128) -> Tm {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let in_day = micros.rem_euclid(MICROS_PER_DAY);
    let days = i64::try_from(days).unwrap_or_default();
    let (year, month, day) = civil_from_days(days);
    let secs = i64::try_from(in_day / MICROS_PER_SECOND).unwrap_or_default();
    Tm {
        year,
        month,
        day,
        hour: secs / 3600,
        minute: secs / 60 % 60,
        second: secs % 60,
        micro: i64::try_from(in_day % MICROS_PER_SECOND).unwrap_or_default(),
        days,
    }
}

/// A component of a moment.
pub fn get(part: Part, micros: i128) -> i64 {
    let tm = split(micros);
    match part {
        Part::Year => tm.year,
        Part::Month => tm.month,
        Part::DayOfMonth => tm.day,
        Part::DayOfYear => tm.days - days_from_civil(tm.year, 1, 1) + 1,
        // 1970-01-01 was a Thursday (4).
        Part::DayOfWeek => (tm.days + 3).rem_euclid(7) + 1,
        Part::Hour => tm.hour,
        Part::Minute => tm.minute,
        Part::Second => tm.second,
        Part::MillisecondOfSecond => tm.micro / 1000,
        Part::MicrosecondOfSecond => tm.micro,
    }
}

/// The English name of a month (1-based), as `DateTime::GetMonthName` and `%B` give it.
pub fn month_name(month: i64) -> &'static str {
    usize::try_from(month - 1).ok().and_then(|i| MONTHS.get(i)).copied().unwrap_or("")
}

/// The English name of a weekday (1 = Monday), as `DateTime::GetDayOfWeekName` gives it.
pub fn day_of_week_name(day: i64) -> &'static str {
    const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    usize::try_from(day - 1).ok().and_then(|i| DAYS.get(i)).copied().unwrap_or("")
}

/// The first microsecond of the period holding a moment.
pub fn start_of(period: Period, micros: i128) -> i128 {
    let tm = split(micros);
    let days = match period {
        Period::Year => days_from_civil(tm.year, 1, 1),
        Period::Quarter => days_from_civil(tm.year, (tm.month - 1) / 3 * 3 + 1, 1),
        Period::Month => days_from_civil(tm.year, tm.month, 1),
        Period::Week => tm.days - (tm.days + 3).rem_euclid(7),
        Period::Day => tm.days,
    };
    i128::from(days) * MICROS_PER_DAY
}

/// `DateTime::Format`: `%Y %m %d %H %M %S %z %Z %b %B %%`; anything else is copied. `%S` shows the
/// microseconds (`SS.ffffff`) when there are any.
pub fn format(pattern: &str, micros: i128) -> String {
    let tm = split(micros);
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&tm.year.to_string()),
            Some('m') => out.push_str(&format!("{:02}", tm.month)),
            Some('d') => out.push_str(&format!("{:02}", tm.day)),
            Some('H') => out.push_str(&format!("{:02}", tm.hour)),
            Some('M') => out.push_str(&format!("{:02}", tm.minute)),
            Some('S') if tm.micro != 0 => out.push_str(&format!("{:02}.{:06}", tm.second, tm.micro)),
            Some('S') => out.push_str(&format!("{:02}", tm.second)),
            Some('z') => out.push_str("+0000"),
            Some('Z') => out.push_str("GMT"),
            Some('b') => out.push_str(month_name(tm.month).get(..3).unwrap_or("")),
            Some('B') => out.push_str(month_name(tm.month)),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// Parses an ISO 8601 duration as YQL's `Interval("…")` takes it: `[-]P[nW][nD][T[nH][nM][n[.f]S]]`
/// (weeks and days are fixed lengths; months and years are not accepted, as in YQL). Microseconds.
pub fn parse_interval(s: &str) -> Option<i128> {
    let (negative, rest) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let rest = rest.strip_prefix('P')?;
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    let mut in_time = false;
    let mut number = String::new();
    let mut any = false;
    let mut any_time = false;
    for c in rest.chars() {
        match c {
            'T' if !in_time && number.is_empty() => in_time = true,
            '0'..='9' | '.' => number.push(c),
            unit => {
                let micros_per: i128 = match (unit, in_time) {
                    ('W', false) => 7 * MICROS_PER_DAY,
                    ('D', false) => MICROS_PER_DAY,
                    ('H', true) => 3600 * MICROS_PER_SECOND,
                    ('M', true) => 60 * MICROS_PER_SECOND,
                    ('S', true) => MICROS_PER_SECOND,
                    _ => return None,
                };
                let (whole, frac) = number.split_once('.').unwrap_or((&number, ""));
                if whole.is_empty() || whole.len() > 12 || frac.len() > 6 || (unit != 'S' && !frac.is_empty()) {
                    return None;
                }
                let whole: i128 = whole.parse().ok()?;
                let frac: i128 = if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse().ok()? };
                total = total.checked_add(whole.checked_mul(micros_per)?.checked_add(frac)?)?;
                number.clear();
                any = true;
                any_time |= in_time;
            }
        }
    }
    if !number.is_empty() || !any || (in_time && !any_time) {
        return None;
    }
    Some(if negative { -total } else { total })
}

/// Formats microseconds as YQL prints an Interval: `P1DT2H3M4.5S`, `PT0S`, `-PT1.5S`.
pub fn format_interval(micros: i128) -> String {
    let mut out = String::from(if micros < 0 { "-P" } else { "P" });
    let m = micros.unsigned_abs();
    let (day, second) = (MICROS_PER_DAY.unsigned_abs(), MICROS_PER_SECOND.unsigned_abs());
    let days = m / day;
    let in_day = m % day;
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if in_day > 0 || days == 0 {
        out.push('T');
        let (hours, minutes) = (in_day / (3600 * second), in_day / (60 * second) % 60);
        let (seconds, micros) = (in_day / second % 60, in_day % second);
        if hours > 0 {
            out.push_str(&format!("{hours}H"));
        }
        if minutes > 0 {
            out.push_str(&format!("{minutes}M"));
        }
        if seconds > 0 || micros > 0 || (hours == 0 && minutes == 0) {
            out.push_str(&seconds.to_string());
            if micros > 0 {
                out.push('.');
                out.push_str(format!("{micros:06}").trim_end_matches('0'));
            }
            out.push('S');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, m: i64, d: i64, h: i64, min: i64, s: i64, micro: i64) -> i128 {
        i128::from(days_from_civil(y, m, d)) * MICROS_PER_DAY
            + i128::from(h * 3600 + min * 60 + s) * MICROS_PER_SECOND
            + i128::from(micro)
    }

    #[test]
    fn components_of_a_moment() {
        let t = at(2024, 2, 29, 13, 5, 9, 250_000);
        assert_eq!(
            [Part::Year, Part::Month, Part::DayOfMonth, Part::Hour, Part::Minute, Part::Second].map(|p| get(p, t)),
            [2024, 2, 29, 13, 5, 9]
        );
        assert_eq!(get(Part::DayOfYear, t), 60);
        assert_eq!(get(Part::DayOfWeek, t), 4, "2024-02-29 was a Thursday");
        assert_eq!(get(Part::DayOfWeek, at(2019, 1, 1, 0, 0, 0, 0)), 2, "2019-01-01 was a Tuesday");
        assert_eq!(get(Part::MillisecondOfSecond, t), 250);
        assert_eq!(day_of_week_name(get(Part::DayOfWeek, t)), "Thursday");
        assert_eq!(month_name(2), "February");
    }

    #[test]
    fn starts_of_periods_follow_the_calendar() {
        let t = at(2019, 6, 6, 1, 2, 3, 456_789);
        assert_eq!(start_of(Period::Year, t), at(2019, 1, 1, 0, 0, 0, 0));
        assert_eq!(start_of(Period::Quarter, t), at(2019, 4, 1, 0, 0, 0, 0));
        assert_eq!(start_of(Period::Month, t), at(2019, 6, 1, 0, 0, 0, 0));
        assert_eq!(start_of(Period::Day, t), at(2019, 6, 6, 0, 0, 0, 0));
        assert_eq!(start_of(Period::Week, at(2019, 1, 1, 5, 0, 0, 0)), at(2018, 12, 31, 0, 0, 0, 0));
        assert_eq!(start_of(Period::Week, at(2018, 12, 31, 0, 0, 0, 0)), at(2018, 12, 31, 0, 0, 0, 0));
        // Across a leap day and a year boundary.
        assert_eq!(start_of(Period::Month, at(2024, 3, 1, 0, 0, 0, 0) - 1), at(2024, 2, 1, 0, 0, 0, 0));
        assert_eq!(start_of(Period::Month, at(2000, 1, 1, 0, 0, 0, 0) - 1), at(1999, 12, 1, 0, 0, 0, 0));
        assert!(start_of(Period::Week, 0) < 0, "the week of 1970-01-01 starts before the epoch");
    }

    #[test]
    fn intervals_parse_and_print_as_iso_8601_durations() {
        let s = MICROS_PER_SECOND;
        assert_eq!(parse_interval("P1D"), Some(MICROS_PER_DAY));
        assert_eq!(parse_interval("PT36H"), Some(36 * 3600 * s));
        assert_eq!(parse_interval("P1W2DT3H4M5.25S"), Some(9 * MICROS_PER_DAY + (3 * 3600 + 4 * 60 + 5) * s + 250_000));
        assert_eq!(parse_interval("-PT1.5S"), Some(-1_500_000));
        for bad in ["", "P", "PT", "1D", "P1M", "P1Y", "PT1.5H", "P1DT", "PT1", "PTS", "P1.0000001S"] {
            assert_eq!(parse_interval(bad), None, "{bad}");
        }
        for (micros, text) in [
            (0, "PT0S"),
            (MICROS_PER_DAY, "P1D"),
            (MICROS_PER_DAY + 2 * 3600 * s + 3 * 60 * s + 4 * s + 500_000, "P1DT2H3M4.5S"),
            (-1_500_000, "-PT1.5S"),
            (90 * s, "PT1M30S"),
            (1, "PT0.000001S"),
        ] {
            assert_eq!(format_interval(micros), text);
            assert_eq!(parse_interval(text), Some(micros), "{text} round-trips");
        }
    }

    #[test]
    fn format_writes_the_specifiers_and_copies_the_rest() {
        let t = at(2019, 1, 9, 1, 2, 3, 0);
        assert_eq!(format("%Y-%m-%d %H:%M:%S %Z %z", t), "2019-01-09 01:02:03 GMT +0000");
        assert_eq!(format("%b %B 100%% %q", t), "Jan January 100% %q");
        assert_eq!(format("%S", t + 5), "03.000005");
        assert_eq!(format("trailing %", t), "trailing %");
    }
}
