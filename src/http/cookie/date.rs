//! The cookie-date algorithm of RFC 6265 §5.1.1 (with errata 4148, as in
//! RFC 6265bis §5.1.1): how a user agent reads an `Expires` attribute.

use std::time::SystemTime;

use crate::http::date::{days_in_month, system_time_from_unix, unix_from_civil, MONTH_NAMES};

/// Earliest year a cookie-date may name (RFC 6265 §5.1.1 step 5).
pub const COOKIE_DATE_YEAR_MIN: u32 = 1601;

/// Reads a cookie-date the way a user agent does, as UTC.
///
/// The input is cut into tokens at the delimiter bytes (HTAB, SP and most
/// punctuation); the first token that looks like `hh:mm:ss` is the time, the
/// first 1-2 digit number the day, the first word starting with a month
/// abbreviation the month and the first 2-4 digit number the year, in that
/// priority, whatever their order. Two-digit years 70-99 mean 19xx, 00-69
/// 20xx. Weekday names and zones are never interpreted.
///
/// Refuses (`None`): a missing time, day, month or year; a day outside
/// 1-31 or past the month's end (29 Feb 2001); an hour over 23, a minute or
/// second over 59; a year before 1601.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use stateful::cookie::parse_cookie_date;
/// let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
/// assert_eq!(parse_cookie_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
/// assert_eq!(parse_cookie_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
/// assert_eq!(parse_cookie_date("Sun Nov  6 08:49:37 1994"), Some(t));
/// assert_eq!(parse_cookie_date("Thu, 29 Feb 2001 12:00:00 GMT"), None);
/// assert_eq!(parse_cookie_date("tomorrow"), None);
/// ```
pub fn parse_cookie_date(value: &str) -> Option<SystemTime> {
    let mut time = None;
    let mut day = None;
    let mut month = None;
    let mut year = None;
    for token in value.as_bytes().split(|&b| is_delimiter(b)) {
        if token.is_empty() {
            continue;
        }
        if time.is_none() {
            if let Some(t) = match_time(token) {
                time = Some(t);
                continue;
            }
        }
        if day.is_none() {
            if let Some(d) = match_number(token, 1, 2) {
                day = Some(d);
                continue;
            }
        }
        if month.is_none() {
            if let Some(m) = match_month(token) {
                month = Some(m);
                continue;
            }
        }
        if year.is_none() {
            if let Some(y) = match_number(token, 2, 4) {
                year = Some(y);
            }
        }
    }
    let (hour, minute, second) = time?;
    let (day, month, year) = (day?, month?, year?);
    let year = match year {
        0..=69 => year + 2000,
        70..=99 => year + 1900,
        _ => year,
    };
    let year = i64::from(year);
    if year < i64::from(COOKIE_DATE_YEAR_MIN)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let secs = unix_from_civil(year, month, day, hour, minute, second);
    Some(system_time_from_unix(secs))
}

/// `delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E`.
fn is_delimiter(b: u8) -> bool {
    matches!(b, 0x09 | 0x20..=0x2f | 0x3b..=0x40 | 0x5b..=0x60 | 0x7b..=0x7e)
}

/// Leading digits of `s`, if there are `min..=max` of them and no more:
/// their value and the rest of `s`.
fn digits(s: &[u8], min: usize, max: usize) -> Option<(u32, &[u8])> {
    let count = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if count < min || count > max {
        return None;
    }
    let (num, rest) = s.split_at(count);
    let value = num
        .iter()
        .fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0'));
    Some((value, rest))
}

/// `min*maxDIGIT [ non-digit *OCTET ]`: day-of-month (1, 2) and year (2, 4).
fn match_number(token: &[u8], min: usize, max: usize) -> Option<u32> {
    digits(token, min, max).map(|(value, _)| value)
}

/// `time-field ":" time-field ":" time-field [ non-digit *OCTET ]`, with
/// `time-field = 1*2DIGIT`.
fn match_time(token: &[u8]) -> Option<(u32, u32, u32)> {
    let (hour, rest) = digits(token, 1, 2)?;
    let rest = rest.strip_prefix(b":")?;
    let (minute, rest) = digits(rest, 1, 2)?;
    let rest = rest.strip_prefix(b":")?;
    let (second, _) = digits(rest, 1, 2)?;
    Some((hour, minute, second))
}

/// `month = ( "jan" / ... / "dec" ) *OCTET`, case-insensitive: 1..=12.
fn match_month(token: &[u8]) -> Option<u32> {
    let prefix = token.get(..3)?;
    let index = MONTH_NAMES
        .iter()
        .position(|name| name.as_bytes().eq_ignore_ascii_case(prefix))?;
    u32::try_from(index + 1).ok()
}

#[cfg(test)]
mod tests {
    use super::parse_cookie_date;
    use crate::http::date::unix_seconds;

    #[test]
    fn table() {
        let cases: &[(&str, Option<i64>)] = &[
            ("Sun, 06 Nov 1994 08:49:37 GMT", Some(784_111_777)),
            ("Sunday, 06-Nov-94 08:49:37 GMT", Some(784_111_777)),
            ("Sun Nov  6 08:49:37 1994", Some(784_111_777)),
            ("6 NOVEMBER 1994 8:49:37", Some(784_111_777)),
            ("Thu, 01 Jan 1970 00:00:00 GMT", Some(0)),
            ("01 Jan 69 00:00:00", Some(3_124_224_000)),
            ("01 Jan 0070 00:00:00", Some(0)),
            ("01 Jan 1601 00:00:00", Some(-11_644_473_600)),
            ("31 Dec 9999 23:59:59", Some(253_402_300_799)),
            ("31 Dec 1600 23:59:59", None),
            ("29 Feb 2000 00:00:00", Some(951_782_400)),
            ("29 Feb 1900 00:00:00", None),
            ("00 Jan 2000 00:00:00", None),
            ("01 Jan 2000 24:00:00", None),
            ("01 Jan 2000 23:60:00", None),
            ("01 Jan 2000 23:59:60", None),
            ("01 Jan 2000 1:2:3Z", Some(946_688_523)),
            ("01 Jan 2000 001:02:03", None),
            ("01 Jan 2000", None),
            ("01 2000 00:00:00", None),
            ("Jan 2000 00:00:00", None),
            ("01 Jan 00:00:00", None),
            ("01 Jan 12345 00:00:00", None),
            ("01 Ja 2000 00:00:00", None),
            ("", None),
            ("\u{0}\u{ff}", None),
        ];
        for &(input, expect) in cases {
            let got = parse_cookie_date(input).map(unix_seconds);
            assert_eq!(got, expect, "{input:?}");
        }
    }
}
