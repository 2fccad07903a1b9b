//! Writing a `Set-Cookie` value: the strict server profile of RFC 6265bis
//! §4.1 (`sane-set-cookie`), refusing rather than sanitising.

use std::fmt;

use super::octets::{is_av_octet, is_cookie_octet, is_tchar};
use super::{SameSite, SetCookie, MAX_AGE_CAP};
use crate::http::date::{unix_seconds, write_imf_fixdate};
use crate::limits::{COOKIE_ATTRIBUTE_MAX, COOKIE_NAME_VALUE_MAX};

/// Earliest `Expires` written: 1601-01-01T00:00:00Z, the first instant a
/// user agent's cookie-date parser accepts.
const EXPIRES_MIN: i64 = -11_644_473_600;
/// Latest `Expires` written: 9999-12-31T23:59:59Z, the last instant with a
/// four-digit year.
const EXPIRES_MAX: i64 = 253_402_300_799;
/// Longest host name a Domain attribute may carry (RFC 1035 §2.3.4).
const DOMAIN_MAX: usize = 253;
/// Longest label of a Domain attribute (RFC 1035 §2.3.4).
const DOMAIN_LABEL_MAX: usize = 63;

/// Why [`SetCookie::encode`] (or [`SameSite`]'s `FromStr`) refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CookieError {
    /// The name is empty or not an RFC 9110 token (it has `=`, `;`,
    /// whitespace, a control or non-ASCII character, a separator...).
    InvalidName,
    /// The value has a byte outside `cookie-octet` (whitespace, `"` other
    /// than a wrapping pair, `,`, `;`, `\`, a control or non-ASCII byte).
    InvalidValue,
    /// Name plus value exceed [`COOKIE_NAME_VALUE_MAX`] bytes; browsers drop
    /// such a cookie.
    TooLarge,
    /// `Expires` is before 1601 or after 9999.
    InvalidExpires,
    /// `Max-Age` is negative or over [`MAX_AGE_CAP`].
    InvalidMaxAge,
    /// `Domain`, less one leading dot, is not a lower-case host name or IPv4
    /// address (a second leading dot, upper case, empty label, bad
    /// character, too long...).
    InvalidDomain,
    /// `Path` is empty, does not start with `/`, ends in whitespace, has a
    /// control, `;` or non-ASCII byte, or exceeds [`COOKIE_ATTRIBUTE_MAX`].
    InvalidPath,
    /// A `SameSite` value other than `Strict`, `Lax` or `None`.
    InvalidSameSite,
    /// `SameSite=None` without `Secure`: browsers reject the cookie.
    SameSiteNoneWithoutSecure,
    /// `Partitioned` without `Secure`: browsers reject the cookie.
    PartitionedWithoutSecure,
    /// A `__Secure-` name without `Secure`.
    SecurePrefixWithoutSecure,
    /// A `__Host-` name without `Secure`.
    HostPrefixWithoutSecure,
    /// A `__Host-` name with a `Domain` attribute.
    HostPrefixWithDomain,
    /// A `__Host-` name without `Path=/`.
    HostPrefixWithoutRootPath,
}

impl fmt::Display for CookieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CookieError::InvalidName => "cookie name is not a token",
            CookieError::InvalidValue => "cookie value has a byte outside cookie-octet",
            CookieError::TooLarge => "cookie name plus value exceed 4096 bytes",
            CookieError::InvalidExpires => "cookie Expires is outside the years 1601-9999",
            CookieError::InvalidMaxAge => "cookie Max-Age is negative or over 400 days",
            CookieError::InvalidDomain => "cookie Domain is not a lower-case host name",
            CookieError::InvalidPath => "cookie Path is not printable ASCII starting with '/'",
            CookieError::InvalidSameSite => "cookie SameSite is not Strict, Lax or None",
            CookieError::SameSiteNoneWithoutSecure => "cookie SameSite=None requires Secure",
            CookieError::PartitionedWithoutSecure => "cookie Partitioned requires Secure",
            CookieError::SecurePrefixWithoutSecure => "__Secure- cookie requires Secure",
            CookieError::HostPrefixWithoutSecure => "__Host- cookie requires Secure",
            CookieError::HostPrefixWithDomain => "__Host- cookie must not have Domain",
            CookieError::HostPrefixWithoutRootPath => "__Host- cookie requires Path=/",
        })
    }
}

impl std::error::Error for CookieError {}

impl SetCookie {
    /// The `Set-Cookie` header value for this cookie, attributes in a fixed
    /// order: `Expires`, `Max-Age`, `Domain`, `Path`, `Secure`, `HttpOnly`,
    /// `SameSite`, `Partitioned`.
    ///
    /// Refuses, with the [`CookieError`] naming the reason, anything a
    /// browser would misread or drop, or that could break out of the header:
    /// a non-token name, a value outside `cookie-octet` (one pair of wrapping
    /// DQUOTEs allowed), name plus value over 4096 bytes, an `Expires` outside
    /// 1601-9999, a `Max-Age` outside 0..=400 days, a bad `Domain` or `Path`,
    /// `SameSite=None` or `Partitioned` without `Secure`, and `__Secure-` /
    /// `__Host-` names (any case) without their requirements. A leading dot
    /// of `Domain` is dropped, as user agents ignore it (RFC 6265 §5.2.3).
    /// Whatever it accepts, [`SetCookie::parse`] reads back equal, but for
    /// that dot.
    ///
    /// ```
    /// use stateful::cookie::{CookieError, SetCookie};
    /// let mut c = SetCookie::new("sessionid", "");
    /// c.set_expires(Some(std::time::UNIX_EPOCH));
    /// c.set_max_age(Some(0));
    /// c.set_path(Some("/"));
    /// assert_eq!(
    ///     c.encode().unwrap(),
    ///     "sessionid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"
    /// );
    /// assert_eq!(SetCookie::new("a", "x\r\nSet-Cookie: admin=1").encode(), Err(CookieError::InvalidValue));
    /// assert_eq!(SetCookie::new("__Host-id", "1").encode(), Err(CookieError::HostPrefixWithoutSecure));
    /// ```
    pub fn encode(&self) -> Result<String, CookieError> {
        self.check()?;
        let mut out = String::with_capacity(self.name.len() + self.value.len() + 128);
        out.push_str(&self.name);
        out.push('=');
        out.push_str(&self.value);
        if let Some(t) = self.expires {
            out.push_str("; Expires=");
            write_imf_fixdate(unix_seconds(t), &mut out);
        }
        if let Some(secs) = self.max_age {
            out.push_str("; Max-Age=");
            out.push_str(&secs.to_string());
        }
        if let Some(domain) = self.domain_to_write() {
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        if let Some(path) = &self.path {
            out.push_str("; Path=");
            out.push_str(path);
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if let Some(same_site) = self.same_site {
            out.push_str("; SameSite=");
            out.push_str(same_site.as_str());
        }
        if self.partitioned {
            out.push_str("; Partitioned");
        }
        Ok(out)
    }

    /// The `Domain` value as written: without one leading dot, which a user
    /// agent ignores (RFC 6265 §5.2.3) and cookie-rs drops too.
    fn domain_to_write(&self) -> Option<&str> {
        self.domain
            .as_deref()
            .map(|d| d.strip_prefix('.').unwrap_or(d))
    }

    /// Every rule of [`SetCookie::encode`], first failure wins.
    fn check(&self) -> Result<(), CookieError> {
        if !is_token(&self.name) {
            return Err(CookieError::InvalidName);
        }
        if !is_cookie_value(&self.value) {
            return Err(CookieError::InvalidValue);
        }
        match self.name.len().checked_add(self.value.len()) {
            Some(n) if n <= COOKIE_NAME_VALUE_MAX => {}
            _ => return Err(CookieError::TooLarge),
        }
        if let Some(t) = self.expires {
            if !(EXPIRES_MIN..=EXPIRES_MAX).contains(&unix_seconds(t)) {
                return Err(CookieError::InvalidExpires);
            }
        }
        if let Some(secs) = self.max_age {
            if !(0..=MAX_AGE_CAP).contains(&secs) {
                return Err(CookieError::InvalidMaxAge);
            }
        }
        if let Some(domain) = self.domain_to_write() {
            if !is_domain(domain) {
                return Err(CookieError::InvalidDomain);
            }
        }
        if let Some(path) = &self.path {
            if !is_path(path) {
                return Err(CookieError::InvalidPath);
            }
        }
        if self.same_site == Some(SameSite::None) && !self.secure {
            return Err(CookieError::SameSiteNoneWithoutSecure);
        }
        if self.partitioned && !self.secure {
            return Err(CookieError::PartitionedWithoutSecure);
        }
        self.check_prefix()
    }

    /// The cookie-name prefix rules (RFC 6265bis §4.1.3), matched
    /// case-insensitively as current user agents do.
    fn check_prefix(&self) -> Result<(), CookieError> {
        let has_prefix = |prefix: &str| {
            self.name
                .as_bytes()
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
        };
        if has_prefix("__Secure-") && !self.secure {
            return Err(CookieError::SecurePrefixWithoutSecure);
        }
        if has_prefix("__Host-") {
            if !self.secure {
                return Err(CookieError::HostPrefixWithoutSecure);
            }
            if self.domain.is_some() {
                return Err(CookieError::HostPrefixWithDomain);
            }
            if self.path.as_deref() != Some("/") {
                return Err(CookieError::HostPrefixWithoutRootPath);
            }
        }
        Ok(())
    }
}

/// A non-empty RFC 9110 token.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// `cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )`.
fn is_cookie_value(s: &str) -> bool {
    let inner = match s.strip_prefix('"') {
        Some(rest) => match rest.strip_suffix('"') {
            Some(inner) => inner,
            None => return false,
        },
        None => s,
    };
    inner.bytes().all(is_cookie_octet)
}

/// A lower-case host name of LDH labels (RFC 1034 §3.5 as relaxed by RFC 1123
/// §2.1), or a dotted-quad IPv4 address when the last label is numeric.
fn is_domain(s: &str) -> bool {
    if s.is_empty() || s.len() > DOMAIN_MAX {
        return false;
    }
    let labels_ok = s.split('.').all(|label| {
        let bytes = label.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= DOMAIN_LABEL_MAX
            && bytes.first() != Some(&b'-')
            && bytes.last() != Some(&b'-')
            && bytes
                .iter()
                .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    let numeric_tld = s
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()));
    labels_ok && (!numeric_tld || is_ipv4(s))
}

/// Four decimal octets 0-255 without leading zeros.
fn is_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
                && p.parse::<u8>().is_ok()
        })
}

/// `/` then `av-octet`s, no trailing SP, at most [`COOKIE_ATTRIBUTE_MAX`].
fn is_path(s: &str) -> bool {
    s.starts_with('/')
        && s.len() <= COOKIE_ATTRIBUTE_MAX
        && !s.ends_with(' ')
        && s.bytes().all(is_av_octet)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cookie named `name` with value `v`, changed by `edit`.
    fn cookie(name: &str, edit: fn(&mut SetCookie)) -> SetCookie {
        let mut c = SetCookie::new(name, "v");
        edit(&mut c);
        c
    }

    #[test]
    fn encode_refusals() {
        use std::time::{Duration, UNIX_EPOCH};
        use CookieError::*;
        #[rustfmt::skip]
        let cases: &[(SetCookie, CookieError)] = &[
            (cookie("", |_| {}), InvalidName),
            (cookie("a b", |_| {}), InvalidName),
            (cookie("a", |c| c.value = "v;w".into()), InvalidValue),
            (cookie("a", |c| c.value = "v\r\n".into()), InvalidValue),
            (cookie("a", |c| c.set_expires(Some(UNIX_EPOCH - Duration::from_secs(11_644_473_601)))), InvalidExpires),
            (cookie("a", |c| c.set_expires(Some(UNIX_EPOCH + Duration::from_secs(253_402_300_800)))), InvalidExpires),
            (cookie("a", |c| c.set_max_age(Some(-1))), InvalidMaxAge),
            (cookie("a", |c| c.set_max_age(Some(MAX_AGE_CAP + 1))), InvalidMaxAge),
            (cookie("a", |c| c.set_domain(Some("..example.com"))), InvalidDomain),
            (cookie("a", |c| c.set_domain(Some("."))), InvalidDomain),
            (cookie("a", |c| c.set_domain(Some(".Example.com"))), InvalidDomain),
            (cookie("a", |c| c.set_path(Some(""))), InvalidPath),
            (cookie("a", |c| c.set_same_site(Some(SameSite::None))), SameSiteNoneWithoutSecure),
            (cookie("a", |c| c.set_partitioned(true)), PartitionedWithoutSecure),
            (cookie("__Secure-a", |_| {}), SecurePrefixWithoutSecure),
            (cookie("__secure-a", |_| {}), SecurePrefixWithoutSecure),
            (cookie("__Host-a", |c| c.set_path(Some("/"))), HostPrefixWithoutSecure),
            (cookie("__HOST-a", |c| { c.set_secure(true); c.set_path(Some("/")); c.set_domain(Some("x.com")) }), HostPrefixWithDomain),
            (cookie("__Host-a", |c| c.set_secure(true)), HostPrefixWithoutRootPath),
            (cookie("__Host-a", |c| { c.set_secure(true); c.set_path(Some("/x")) }), HostPrefixWithoutRootPath),
        ];
        for (c, expect) in cases {
            assert_eq!(c.encode(), Err(*expect), "{c:?}");
        }
    }

    #[test]
    fn encode_accepts() {
        #[rustfmt::skip]
        let cases: &[(SetCookie, &str)] = &[
            (cookie("a", |c| c.value.clear()), "a="),
            (cookie("a", |c| c.value = "\"\"".into()), "a=\"\""),
            (cookie("a", |c| c.set_max_age(Some(MAX_AGE_CAP))), "a=v; Max-Age=34560000"),
            (cookie("a", |c| { c.set_same_site(Some(SameSite::None)); c.set_secure(true) }), "a=v; Secure; SameSite=None"),
            (cookie("__Secure-a", |c| c.set_secure(true)), "__Secure-a=v; Secure"),
            (cookie("__Host-a", |c| { c.set_secure(true); c.set_path(Some("/")) }), "__Host-a=v; Path=/; Secure"),
            (cookie("__Hostile", |_| {}), "__Hostile=v"),
            (cookie("a", |c| c.set_domain(Some(".example.com"))), "a=v; Domain=example.com"),
            (cookie("a", |c| c.set_domain(Some("example.com"))), "a=v; Domain=example.com"),
            (cookie("a", |c| c.set_domain(Some(".127.0.0.1"))), "a=v; Domain=127.0.0.1"),
        ];
        for (c, expect) in cases {
            assert_eq!(c.encode().as_deref(), Ok(*expect), "{c:?}");
        }
    }

    #[test]
    fn values() {
        let cases: &[(&str, bool)] = &[
            ("", true),
            ("abc", true),
            ("a=b/c:d", true),
            ("\"\"", true),
            ("\"abc\"", true),
            ("\"", false),
            ("\"abc", false),
            ("abc\"", false),
            ("a\"b", false),
            ("\"a\"b\"", false),
            ("a b", false),
            ("a,b", false),
            ("a;b", false),
            ("a\\b", false),
            ("a\tb", false),
            ("é", false),
        ];
        for &(s, ok) in cases {
            assert_eq!(is_cookie_value(s), ok, "{s:?}");
        }
    }

    #[test]
    fn domains() {
        let cases: &[(&str, bool)] = &[
            ("example.com", true),
            ("a-b.example.com", true),
            ("localhost", true),
            ("3com.net", true),
            ("127.0.0.1", true),
            ("255.255.255.255", true),
            ("", false),
            (".example.com", false),
            ("example.com.", false),
            ("Example.com", false),
            ("a..b", false),
            ("-a.com", false),
            ("a-.com", false),
            ("a_b.com", false),
            ("exämple.com", false),
            ("256.0.0.1", false),
            ("1.2.3", false),
            ("01.2.3.4", false),
            ("1.2.3.4.5", false),
            ("example.com; Secure", false),
            ("[::1]", false),
        ];
        for &(s, ok) in cases {
            assert_eq!(is_domain(s), ok, "{s:?}");
        }
        assert!(is_domain(&format!("{}.com", "a".repeat(63))));
        assert!(!is_domain(&format!("{}.com", "a".repeat(64))));
        let label = "a".repeat(63);
        let longest = format!("{label}.{label}.{label}.{}", "a".repeat(61));
        assert_eq!(longest.len(), 253);
        assert!(is_domain(&longest));
        assert!(!is_domain(&format!("a.{longest}")));
    }

    #[test]
    fn paths() {
        let cases: &[(&str, bool)] = &[
            ("/", true),
            ("/a b", true),
            ("/a=b?c", true),
            ("", false),
            ("a", false),
            ("/a ", false),
            ("/a;b", false),
            ("/a\tb", false),
            ("/a\r\n", false),
            ("/café", false),
        ];
        for &(s, ok) in cases {
            assert_eq!(is_path(s), ok, "{s:?}");
        }
        assert!(is_path(&format!("/{}", "p".repeat(1023))));
        assert!(!is_path(&format!("/{}", "p".repeat(1024))));
    }

    #[test]
    fn names() {
        let cases: &[(&str, bool)] = &[
            ("a", true),
            ("__Host-id", true),
            ("!#$%&'*+-.^_`|~", true),
            ("", false),
            ("a=b", false),
            ("a b", false),
            ("a;b", false),
            ("a\"", false),
            ("(a)", false),
            ("ключ", false),
        ];
        for &(s, ok) in cases {
            assert_eq!(is_token(s), ok, "{s:?}");
        }
    }
}
