//! Calendar arithmetic and the two date formats the server writes:
//! IMF-fixdate (RFC 9110 §5.6.7, for `Date` and cookie `Expires`) and
//! RFC 3339 UTC (for `created_at`).
//!
//! Pure functions over Unix seconds; no time zone other than UTC exists here.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use stateful::http::date::{imf_fixdate, rfc3339};
//! let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
//! assert_eq!(imf_fixdate(t), "Sun, 06 Nov 1994 08:49:37 GMT");
//! assert_eq!(rfc3339(t), "1994-11-06T08:49:37Z");
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DAY_NAMES: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
/// Month abbreviations of IMF-fixdate, January first.
pub const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Thursday (1 Jan 1970), then Friday, ...
    weekday_from_thursday: u32,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil` algorithm). `month` is 1..=12, `day` 1..=31; the caller
/// checks ranges.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: `(year, month, day)`.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days in `month` of `year` (proleptic Gregorian).
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Breaks signed Unix seconds into a UTC calendar time.
pub fn civil_from_unix(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: rem / 3600,
        minute: rem / 60 % 60,
        second: rem % 60,
        weekday_from_thursday: days.rem_euclid(7) as u32,
    }
}

/// Unix seconds of a UTC calendar time (fields are not range-checked).
pub fn unix_from_civil(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> i64 {
    days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second)
}

/// Signed whole seconds between the Unix epoch and `t` (rounded down).
/// Now, in Unix seconds.
pub fn unix_now() -> i64 {
    unix_seconds(SystemTime::now())
}

pub fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 {
                -whole.saturating_add(1)
            } else {
                -whole
            }
        }
    }
}

/// The `SystemTime` of signed Unix seconds.
pub fn system_time_from_unix(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`. Years outside 0..=9999 are clamped so the
/// output always has the fixed shape.
pub fn imf_fixdate(t: SystemTime) -> String {
    let mut out = String::with_capacity(29);
    write_imf_fixdate(unix_seconds(t), &mut out);
    out
}

/// Appends the IMF-fixdate of Unix seconds `secs` to `out`.
pub fn write_imf_fixdate(secs: i64, out: &mut String) {
    const MIN: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let c = civil_from_unix(secs.clamp(MIN, MAX));
    out.push_str(DAY_NAMES[c.weekday_from_thursday as usize]);
    out.push_str(", ");
    push_2(out, c.day);
    out.push(' ');
    out.push_str(MONTH_NAMES[(c.month - 1) as usize]);
    out.push(' ');
    push_4(out, c.year as u32);
    out.push(' ');
    push_2(out, c.hour);
    out.push(':');
    push_2(out, c.minute);
    out.push(':');
    push_2(out, c.second);
    out.push_str(" GMT");
}

/// `1994-11-06T08:49:37Z` (whole seconds, UTC).
pub fn rfc3339(t: SystemTime) -> String {
    let mut out = String::with_capacity(20);
    write_rfc3339(unix_seconds(t), &mut out);
    out
}

/// Appends [`rfc3339`] of Unix time `secs` to `out`, without allocating.
pub fn write_rfc3339(secs: i64, out: &mut String) {
    let c = civil_from_unix(secs.clamp(-62_167_219_200, 253_402_300_799));
    push_4(out, c.year as u32);
    out.push('-');
    push_2(out, c.month);
    out.push('-');
    push_2(out, c.day);
    out.push('T');
    push_2(out, c.hour);
    out.push(':');
    push_2(out, c.minute);
    out.push(':');
    push_2(out, c.second);
    out.push('Z');
}

fn push_2(out: &mut String, v: u32) {
    out.push(char::from(b'0' + (v / 10 % 10) as u8));
    out.push(char::from(b'0' + (v % 10) as u8));
}

fn push_4(out: &mut String, v: u32) {
    push_2(out, v / 100);
    push_2(out, v % 100);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch() {
        assert_eq!(imf_fixdate(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn known_dates() {
        let t = system_time_from_unix(1_893_456_000);
        assert_eq!(imf_fixdate(t), "Tue, 01 Jan 2030 00:00:00 GMT");
        let t = system_time_from_unix(951_782_400); // leap day 2000
        assert_eq!(rfc3339(t), "2000-02-29T00:00:00Z");
        let t = system_time_from_unix(-1);
        assert_eq!(imf_fixdate(t), "Wed, 31 Dec 1969 23:59:59 GMT");
    }

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..800_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert!(d >= 1 && d <= days_in_month(y, m));
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn unix_seconds_rounds_down() {
        let t = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(unix_seconds(t), -2);
        assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_millis(1500)), 1);
    }
}
