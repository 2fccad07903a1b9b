//! Reading a `Set-Cookie` value the way a user agent does (RFC 6265bis §5.6
//! and the field derivations of its storage model, §5.7).

use super::date::parse_cookie_date;
use super::octets::{is_forbidden_ctl, trim_wsp};
use super::{SameSite, SetCookie, MAX_AGE_CAP};
use crate::limits::{COOKIE_ATTRIBUTE_MAX, COOKIE_NAME_VALUE_MAX};

impl SetCookie {
    /// Parses a `Set-Cookie` header value with the user-agent algorithm of
    /// RFC 6265bis §5.6: lenient, like a browser.
    ///
    /// The name-value pair ends at the first `;` (quotes do not protect it)
    /// and splits at its first `=`; a pair without `=` is a nameless cookie
    /// whose value is the whole pair. Name, value and each attribute are
    /// trimmed of SP/HTAB; attribute names match case-insensitively.
    /// Unknown attributes, attributes whose value exceeds 1024 bytes, and
    /// invalid `Expires` / `Max-Age` values are ignored; of the rest, the last
    /// of each kind wins. Normalised as the storage model reads them:
    /// `Max-Age` <= 0 becomes 0 and is capped at [`MAX_AGE_CAP`]; `Domain`
    /// loses one leading `.` and is lower-cased (empty: host-only); a `Path`
    /// not starting with `/` means the default path; a `SameSite` value other
    /// than `Strict`/`Lax`/`None` means the default. `Expires` is kept as
    /// parsed (the 400-day cap depends on the current time).
    ///
    /// Ignores the whole line (`None`) when it has a control character other
    /// than HTAB, when name and value are both empty, when they exceed 4096
    /// bytes together, or when the last `Domain` is not US-ASCII.
    ///
    /// ```
    /// use stateful::cookie::{SameSite, SetCookie};
    /// let c = SetCookie::parse("id=a3f; Path=/; Max-Age=-5; SameSite=lax; Secure=no").unwrap();
    /// assert_eq!((c.name(), c.value(), c.path()), ("id", "a3f", Some("/")));
    /// assert_eq!((c.max_age(), c.same_site(), c.secure()), (Some(0), Some(SameSite::Lax), true));
    /// assert_eq!(SetCookie::parse("; Path=/"), None);
    /// assert_eq!(SetCookie::parse("a=b\r\nX: y"), None);
    /// ```
    pub fn parse(line: &str) -> Option<SetCookie> {
        if line.bytes().any(is_forbidden_ctl) {
            return None;
        }
        let (pair, attributes) = match line.split_once(';') {
            Some((pair, attributes)) => (pair, Some(attributes)),
            None => (line, None),
        };
        let (name, value) = match pair.split_once('=') {
            Some((name, value)) => (trim_wsp(name), trim_wsp(value)),
            None => ("", trim_wsp(pair)),
        };
        if name.is_empty() && value.is_empty() {
            return None;
        }
        if name.len().checked_add(value.len())? > COOKIE_NAME_VALUE_MAX {
            return None;
        }
        let mut cookie = SetCookie::new(name, value);
        for av in attributes.into_iter().flat_map(|a| a.split(';')) {
            cookie.apply_attribute(av);
        }
        if cookie.domain.as_deref().is_some_and(|d| !d.is_ascii()) {
            return None;
        }
        Some(cookie)
    }

    /// Applies one `cookie-av` (RFC 6265bis §5.6 steps 4-7, §5.6.1-§5.6.7).
    fn apply_attribute(&mut self, av: &str) {
        let (name, value) = match av.split_once('=') {
            Some((name, value)) => (trim_wsp(name), trim_wsp(value)),
            None => (trim_wsp(av), ""),
        };
        if value.len() > COOKIE_ATTRIBUTE_MAX {
            return;
        }
        let is = |known: &str| name.eq_ignore_ascii_case(known);
        if is("Expires") {
            if let Some(t) = parse_cookie_date(value) {
                self.expires = Some(t);
            }
        } else if is("Max-Age") {
            if let Some(secs) = parse_max_age(value) {
                self.max_age = Some(secs);
            }
        } else if is("Domain") {
            if !value.is_empty() {
                let domain = value.strip_prefix('.').unwrap_or(value);
                self.domain = (!domain.is_empty()).then(|| domain.to_ascii_lowercase());
            }
        } else if is("Path") {
            self.path = value.starts_with('/').then(|| value.to_owned());
        } else if is("Secure") {
            self.secure = true;
        } else if is("HttpOnly") {
            self.http_only = true;
        } else if is("SameSite") {
            self.same_site = value.parse::<SameSite>().ok();
        } else if is("Partitioned") {
            self.partitioned = true;
        }
    }
}

/// `Max-Age` as a user agent reads it: an optional `-` then 1*DIGIT, else
/// ignored; <= 0 becomes 0, larger values are capped at [`MAX_AGE_CAP`].
fn parse_max_age(value: &str) -> Option<i64> {
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if negative {
        return Some(0);
    }
    // Capping at every digit keeps the accumulator far from overflow.
    let secs = digits.bytes().fold(0i64, |acc, b| {
        acc.saturating_mul(10)
            .saturating_add(i64::from(b - b'0'))
            .min(MAX_AGE_CAP)
    });
    Some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age() {
        let cases: &[(&str, Option<i64>)] = &[
            ("0", Some(0)),
            ("60", Some(60)),
            ("0060", Some(60)),
            ("-1", Some(0)),
            ("-0", Some(0)),
            ("-99999999999999999999999", Some(0)),
            ("34560000", Some(34_560_000)),
            ("34560001", Some(34_560_000)),
            ("99999999999999999999999999999", Some(34_560_000)),
            ("", None),
            ("-", None),
            ("+1", None),
            ("1.5", None),
            ("50,399", None),
            ("1 ", None),
            ("--1", None),
            ("١", None),
        ];
        for &(s, expect) in cases {
            assert_eq!(parse_max_age(s), expect, "{s:?}");
        }
    }

    #[test]
    fn attributes() {
        // line, then (domain, path) after parsing
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            ("a=b; Domain=x.com; Domain=", Some("x.com"), None),
            ("a=b; Domain=x.com; Domain=.", None, None),
            ("a=b; Domain=..x.com", Some(".x.com"), None),
            ("a=b; domain=X.COM", Some("x.com"), None),
            ("a=b; Path=/x; Path=y", None, None),
            ("a=b; Path=/x; Path", None, None),
            ("a=b; PATH=/x;", None, Some("/x")),
            ("a=b; Path=/x=y", None, Some("/x=y")),
        ];
        for &(line, domain, path) in cases {
            let c = SetCookie::parse(line).expect(line);
            assert_eq!((c.domain(), c.path()), (domain, path), "{line:?}");
        }
    }

    #[test]
    fn ignored_lines() {
        let cases: &[&str] = &[
            "",
            " ",
            "=",
            " = ; Secure",
            "a=b\u{0}",
            "a=b; Path=/\n",
            "a=b; Domain=é.com",
            "a=b; Domain=x.com; Domain=é.com",
        ];
        for &line in cases {
            assert_eq!(SetCookie::parse(line), None, "{line:?}");
        }
        assert!(SetCookie::parse("a=b; Domain=é.com; Domain=x.com").is_some());
    }
}
