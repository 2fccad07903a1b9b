//! The `SetCookie` value: one cookie with its attributes, as a server sends
//! it in a `Set-Cookie` header or a user agent reads it from one.

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use super::CookieError;
use crate::http::date::{system_time_from_unix, unix_seconds};

/// The `SameSite` attribute (RFC 6265bis §4.1.2.7).
///
/// ```
/// use stateful::cookie::SameSite;
/// assert_eq!("lax".parse::<SameSite>(), Ok(SameSite::Lax));
/// assert_eq!(SameSite::None.to_string(), "None");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// Sent only with same-site requests.
    Strict,
    /// Also sent with top-level cross-site navigations that use a safe method.
    Lax,
    /// Sent with cross-site requests too; requires `Secure`.
    None,
}

impl SameSite {
    /// The attribute value as written: `Strict`, `Lax` or `None`.
    ///
    /// ```
    /// assert_eq!(stateful::cookie::SameSite::Strict.as_str(), "Strict");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

impl fmt::Display for SameSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SameSite {
    type Err = CookieError;

    /// Reads `Strict`, `Lax` or `None`, ASCII case-insensitively; refuses
    /// anything else (quotes and whitespace included) with
    /// [`CookieError::InvalidSameSite`].
    ///
    /// ```
    /// use stateful::cookie::{CookieError, SameSite};
    /// assert_eq!("STRICT".parse::<SameSite>(), Ok(SameSite::Strict));
    /// assert_eq!("\"Lax\"".parse::<SameSite>(), Err(CookieError::InvalidSameSite));
    /// ```
    fn from_str(s: &str) -> Result<SameSite, CookieError> {
        [SameSite::Strict, SameSite::Lax, SameSite::None]
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or(CookieError::InvalidSameSite)
    }
}

/// One cookie and its attributes.
///
/// Built with [`SetCookie::new`] and the setters, written with
/// [`SetCookie::encode`] (which refuses what a browser would misread), read
/// back with [`SetCookie::parse`]. The setters store what they are given;
/// all checking happens in `encode`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use stateful::cookie::{SameSite, SetCookie};
/// let mut c = SetCookie::new("sessionid", "k2j4h5");
/// c.set_expires(Some(UNIX_EPOCH + Duration::from_secs(1_583_600_813)));
/// c.set_max_age(Some(1_209_600));
/// c.set_path(Some("/"));
/// c.set_http_only(true);
/// c.set_same_site(Some(SameSite::Lax));
/// assert_eq!(
///     c.encode().unwrap(),
///     "sessionid=k2j4h5; Expires=Sat, 07 Mar 2020 17:06:53 GMT; Max-Age=1209600; \
///      Path=/; HttpOnly; SameSite=Lax"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) expires: Option<SystemTime>,
    pub(crate) max_age: Option<i64>,
    pub(crate) domain: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) same_site: Option<SameSite>,
    pub(crate) partitioned: bool,
}

impl SetCookie {
    /// A cookie with this name and value and no attributes.
    ///
    /// ```
    /// let c = stateful::cookie::SetCookie::new("theme", "dark");
    /// assert_eq!((c.name(), c.value(), c.path()), ("theme", "dark", None));
    /// ```
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> SetCookie {
        SetCookie {
            name: name.into(),
            value: value.into(),
            expires: None,
            max_age: None,
            domain: None,
            path: None,
            secure: false,
            http_only: false,
            same_site: None,
            partitioned: false,
        }
    }

    /// The cookie name.
    ///
    /// ```
    /// assert_eq!(stateful::cookie::SetCookie::new("a", "b").name(), "a");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cookie value, DQUOTEs included if it has them.
    ///
    /// ```
    /// assert_eq!(stateful::cookie::SetCookie::new("a", "\"b\"").value(), "\"b\"");
    /// ```
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The `Expires` time, in whole seconds.
    ///
    /// ```
    /// let c = stateful::cookie::SetCookie::new("a", "b");
    /// assert_eq!(c.expires(), None);
    /// ```
    pub fn expires(&self) -> Option<SystemTime> {
        self.expires
    }

    /// Sets or removes `Expires`. The time is rounded down to a whole second,
    /// the precision the attribute carries, so an encoded cookie reads back
    /// equal.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// let mut c = stateful::cookie::SetCookie::new("a", "b");
    /// c.set_expires(Some(UNIX_EPOCH + Duration::from_millis(1_500)));
    /// assert_eq!(c.expires(), Some(UNIX_EPOCH + Duration::from_secs(1)));
    /// ```
    pub fn set_expires(&mut self, expires: Option<SystemTime>) {
        self.expires = expires.map(|t| system_time_from_unix(unix_seconds(t)));
    }

    /// The `Max-Age` in seconds.
    ///
    /// ```
    /// assert_eq!(stateful::cookie::SetCookie::new("a", "b").max_age(), None);
    /// ```
    pub fn max_age(&self) -> Option<i64> {
        self.max_age
    }

    /// Sets or removes `Max-Age` (seconds; `0` deletes the cookie).
    /// `encode` refuses negative values and values over
    /// [`MAX_AGE_CAP`](super::MAX_AGE_CAP).
    ///
    /// ```
    /// let mut c = stateful::cookie::SetCookie::new("a", "b");
    /// c.set_max_age(Some(0));
    /// assert_eq!(c.encode().unwrap(), "a=b; Max-Age=0");
    /// ```
    pub fn set_max_age(&mut self, max_age: Option<i64>) {
        self.max_age = max_age;
    }

    /// The `Domain` attribute; `None` means host-only.
    ///
    /// ```
    /// assert_eq!(stateful::cookie::SetCookie::new("a", "b").domain(), None);
    /// ```
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// Sets or removes `Domain`. `encode` accepts only lower-case host
    /// names (LDH labels) and IPv4 addresses, and drops one leading dot
    /// (user agents ignore it, RFC 6265 §5.2.3).
    ///
    /// ```
    /// let mut c = stateful::cookie::SetCookie::new("a", "b");
    /// c.set_domain(Some("example.com"));
    /// assert_eq!(c.encode().unwrap(), "a=b; Domain=example.com");
    /// c.set_domain(Some(".example.com"));
    /// assert_eq!(c.encode().unwrap(), "a=b; Domain=example.com");
    /// ```
    pub fn set_domain(&mut self, domain: Option<&str>) {
        self.domain = domain.map(str::to_owned);
    }

    /// The `Path` attribute; `None` means the user agent's default path.
    ///
    /// ```
    /// assert_eq!(stateful::cookie::SetCookie::new("a", "b").path(), None);
    /// ```
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// Sets or removes `Path`. `encode` accepts only printable US-ASCII
    /// starting with `/`, without `;` or trailing whitespace.
    ///
    /// ```
    /// let mut c = stateful::cookie::SetCookie::new("a", "b");
    /// c.set_path(Some("/"));
    /// assert_eq!(c.encode().unwrap(), "a=b; Path=/");
    /// ```
    pub fn set_path(&mut self, path: Option<&str>) {
        self.path = path.map(str::to_owned);
    }

    /// Whether `Secure` is set.
    ///
    /// ```
    /// assert!(!stateful::cookie::SetCookie::new("a", "b").secure());
    /// ```
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Sets `Secure`: the cookie is sent over HTTPS only.
    ///
    /// ```
    /// let mut c = stateful::cookie::SetCookie::new("a", "b");
    /// c.set_secure(true);
    /// assert_eq!(c.encode().unwrap(), "a=b; Secure");
    /// ```
    pub fn set_secure(&mut self, secure: bool) {
        self.secure = secure;
    }

    /// Whether `HttpOnly` is set.
    ///
    /// ```
    /// assert!(!stateful::cookie::SetCookie::new("a", "b").http_only());
    /// ```
    pub fn http_only(&self) -> bool {
        self.http_only
    }

    /// Sets `HttpOnly`: scripts cannot read the cookie.
    ///
    /// ```
    /// let mut c = stateful::cookie::SetCookie::new("a", "b");
    /// c.set_http_only(true);
    /// assert_eq!(c.encode().unwrap(), "a=b; HttpOnly");
    /// ```
    pub fn set_http_only(&mut self, http_only: bool) {
        self.http_only = http_only;
    }

    /// The `SameSite` attribute; `None` means the user agent's default.
    ///
    /// ```
    /// assert_eq!(stateful::cookie::SetCookie::new("a", "b").same_site(), None);
    /// ```
    pub fn same_site(&self) -> Option<SameSite> {
        self.same_site
    }

    /// Sets or removes `SameSite`. `encode` refuses `SameSite=None` without
    /// `Secure`.
    ///
    /// ```
    /// use stateful::cookie::{SameSite, SetCookie};
    /// let mut c = SetCookie::new("a", "b");
    /// c.set_same_site(Some(SameSite::Strict));
    /// assert_eq!(c.encode().unwrap(), "a=b; SameSite=Strict");
    /// ```
    pub fn set_same_site(&mut self, same_site: Option<SameSite>) {
        self.same_site = same_site;
    }

    /// Whether `Partitioned` (CHIPS) is set.
    ///
    /// ```
    /// assert!(!stateful::cookie::SetCookie::new("a", "b").partitioned());
    /// ```
    pub fn partitioned(&self) -> bool {
        self.partitioned
    }

    /// Sets `Partitioned`: the cookie is keyed by the top-level site.
    /// `encode` refuses it without `Secure`.
    ///
    /// ```
    /// let mut c = stateful::cookie::SetCookie::new("a", "b");
    /// c.set_partitioned(true);
    /// c.set_secure(true);
    /// assert_eq!(c.encode().unwrap(), "a=b; Secure; Partitioned");
    /// ```
    pub fn set_partitioned(&mut self, partitioned: bool) {
        self.partitioned = partitioned;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn same_site_from_str() {
        let cases: &[(&str, Option<SameSite>)] = &[
            ("Strict", Some(SameSite::Strict)),
            ("lax", Some(SameSite::Lax)),
            ("NONE", Some(SameSite::None)),
            ("", None),
            (" Lax", None),
            ("Laxx", None),
            ("\"Lax\"", None),
        ];
        for &(s, expect) in cases {
            assert_eq!(s.parse::<SameSite>().ok(), expect, "{s:?}");
        }
    }

    #[test]
    fn expires_rounds_down_to_seconds() {
        let cases: &[(SystemTime, i64)] = &[
            (UNIX_EPOCH, 0),
            (UNIX_EPOCH + Duration::from_nanos(999_999_999), 0),
            (UNIX_EPOCH - Duration::from_millis(1), -1),
            (UNIX_EPOCH - Duration::from_secs(1), -1),
        ];
        for &(t, secs) in cases {
            let mut c = SetCookie::new("a", "b");
            c.set_expires(Some(t));
            assert_eq!(c.expires(), Some(system_time_from_unix(secs)), "{t:?}");
        }
    }
}
