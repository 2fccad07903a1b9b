//! `--redis URL`: `redis://[[user]:password@]host[:port][/db]`.
//!
//! ```
//! use stateful::redis::url::RedisUrl;
//! let u = RedisUrl::parse("redis://app:s%40cret@cache.local:6380/2").unwrap();
//! assert_eq!((u.host.as_str(), u.port, u.db), ("cache.local", 6380, 2));
//! assert_eq!((u.user.as_deref(), u.password.as_deref()), (Some("app"), Some("s@cret")));
//! assert!(RedisUrl::parse("rediss://host").is_err());
//! ```
//!
//! The user and password are percent-decoded (RFC 3986 §2.1); an IPv6
//! host is written in brackets (`redis://[::1]:6379`). Refused, with a
//! message naming the part: another scheme (`rediss://`: TLS is not
//! supported), an empty host, a port that is not 1-65535, a database that
//! is not a decimal number, a user without a password, a malformed `%`
//! escape, a query or fragment.

use std::fmt;

/// The default Redis port.
pub const DEFAULT_PORT: u16 = 6379;
/// Highest database index accepted (Redis has 16 by default; a server
/// configured with more may use more).
pub const MAX_DB: u32 = 1 << 20;

/// Where and how to connect.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    /// A host name or an IP address (IPv6 without its brackets).
    pub host: String,
    pub port: u16,
    /// `AUTH user password` (Redis 6 ACL) when set; `AUTH password` when
    /// only the password is.
    pub user: Option<String>,
    pub password: Option<String>,
    /// `SELECT db` after connecting (0: not sent).
    pub db: u32,
}

/// Why a URL was refused; the message is for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(pub String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UrlError {}

/// Never prints the password.
impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// `redis://user:***@host:port/db`: the URL with the password masked, for
/// the log.
impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("redis://")?;
        match (&self.user, &self.password) {
            (Some(u), _) => write!(f, "{u}:***@")?,
            (None, Some(_)) => f.write_str(":***@")?,
            (None, None) => {}
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        write!(f, ":{}/{}", self.port, self.db)
    }
}

impl RedisUrl {
    pub fn parse(url: &str) -> Result<RedisUrl, UrlError> {
        let err = |m: &str| Err(UrlError(format!("--redis {m}")));
        let Some(rest) = strip_prefix_ignore_case(url, "redis://") else {
            return if strip_prefix_ignore_case(url, "rediss://").is_some() {
                err("rediss:// (TLS) is not supported; use redis://")
            } else {
                err("must start with redis://")
            };
        };
        if rest.contains(['?', '#']) {
            return err("must not have a query or fragment");
        }
        // The authority ends at the first `/`; userinfo ends at its last
        // `@` (a raw `@` in a password is then still understood).
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let Some((user, password)) = info.split_once(':') else {
                    return err("user needs a password (redis://user:password@host)");
                };
                let user =
                    percent_decode(user).map_err(|m| UrlError(format!("--redis user: {m}")))?;
                let password = percent_decode(password)
                    .map_err(|m| UrlError(format!("--redis password: {m}")))?;
                match (user.is_empty(), password.is_empty()) {
                    (true, true) => (None, None),
                    (false, true) => {
                        return err("user needs a password (redis://user:password@host)")
                    }
                    (true, false) => (None, Some(password)),
                    (false, false) => (Some(user), Some(password)),
                }
            }
        };
        let (host, port) =
            split_host_port(hostport).map_err(|m| UrlError(format!("--redis {m}")))?;
        let db = match path {
            "" => 0,
            digits if digits.len() <= 7 && digits.bytes().all(|b| b.is_ascii_digit()) => {
                match digits.parse::<u32>() {
                    Ok(n) if n <= MAX_DB => n,
                    _ => return err("database must be a number from 0"),
                }
            }
            _ => return err("database (after /) must be a number, e.g. redis://host:6379/0"),
        };
        Ok(RedisUrl {
            host,
            port,
            user,
            password,
            db,
        })
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(s: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(inner) = s.strip_prefix('[') {
        let Some((v6, after)) = inner.split_once(']') else {
            return Err("host: an IPv6 address needs its closing ]".into());
        };
        if v6.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("host: {v6:?} is not an IPv6 address"));
        }
        match after {
            "" => (v6, None),
            p if p.starts_with(':') => (v6, Some(&p[1..])),
            _ => return Err("host: unexpected text after ]".into()),
        }
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() {
        return Err("needs a host, e.g. redis://127.0.0.1:6379".into());
    }
    let name_ok = host.contains(':')
        || host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !name_ok {
        return Err(format!("host: {host:?} is not a host name or IP address"));
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(format!("port: {p:?} is not 1-65535")),
        },
    };
    Ok((host.to_string(), port))
}

/// Decodes `%XX` escapes; the result must be UTF-8.
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            match (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => return Err("a % must be followed by two hex digits".into()),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "not UTF-8 once %-decoded".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parts = (String, u16, Option<String>, Option<String>, u32);

    fn ok(url: &str) -> Parts {
        let u = RedisUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        (u.host, u.port, u.user, u.password, u.db)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn valid() {
        type Case<'a> = (&'a str, (&'a str, u16, Option<String>, Option<String>, u32));
        let cases: &[Case] = &[
            ("redis://localhost", ("localhost", 6379, None, None, 0)),
            ("redis://127.0.0.1:7000", ("127.0.0.1", 7000, None, None, 0)),
            ("REDIS://h/", ("h", 6379, None, None, 0)),
            ("redis://h:1/15", ("h", 1, None, None, 15)),
            ("redis://:pw@h", ("h", 6379, None, s("pw"), 0)),
            ("redis://:@h", ("h", 6379, None, None, 0)),
            ("redis://u:pw@h:6380/3", ("h", 6380, s("u"), s("pw"), 3)),
            (
                "redis://u%3Ax:p%40ss%2F%25@h",
                ("h", 6379, s("u:x"), s("p@ss/%"), 0),
            ),
            ("redis://:p@ss@h", ("h", 6379, None, s("p@ss"), 0)),
            ("redis://:p:w@h", ("h", 6379, None, s("p:w"), 0)),
            ("redis://[::1]", ("::1", 6379, None, None, 0)),
            ("redis://[::1]:6390/1", ("::1", 6390, None, None, 1)),
            (
                "redis://my-cache_1.example.com:6379",
                ("my-cache_1.example.com", 6379, None, None, 0),
            ),
            ("redis://:%C3%A9@h", ("h", 6379, None, s("é"), 0)),
        ];
        for (url, (host, port, user, password, db)) in cases {
            assert_eq!(
                ok(url),
                (host.to_string(), *port, user.clone(), password.clone(), *db),
                "{url}"
            );
        }
    }

    #[test]
    fn refused_with_the_part_named() {
        let cases: &[(&str, &str)] = &[
            ("", "redis://"),
            ("http://h", "redis://"),
            ("rediss://h", "TLS"),
            ("redis://", "host"),
            ("redis://:6379", "host"),
            ("redis://h:0", "port"),
            ("redis://h:65536", "port"),
            ("redis://h:+1", "port"),
            ("redis://h:", "port"),
            ("redis://h:x", "port"),
            ("redis://h/x", "database"),
            ("redis://h/-1", "database"),
            ("redis://h/1/2", "database"),
            ("redis://h/99999999", "database"),
            ("redis://u@h", "password"),
            ("redis://u:@h", "password"),
            ("redis://:%zz@h", "%"),
            ("redis://:%4@h", "%"),
            ("redis://:%ff@h", "UTF-8"),
            ("redis://h?db=1", "query"),
            ("redis://h#x", "fragment"),
            ("redis://[::1", "]"),
            ("redis://[nope]", "IPv6"),
            ("redis://[::1]x", "after ]"),
            ("redis://ho st", "host"),
            ("redis://h/st:1", "database"),
        ];
        for (url, part) in cases {
            let e = RedisUrl::parse(url).expect_err(url);
            assert!(
                e.0.contains(part) && e.0.starts_with("--redis"),
                "{url}: {e}"
            );
        }
    }

    #[test]
    fn display_masks_the_password() {
        let u = RedisUrl::parse("redis://app:secret@h:1/2").unwrap();
        assert_eq!(u.to_string(), "redis://app:***@h:1/2");
        assert!(!format!("{u:?}").contains("secret"));
        let u = RedisUrl::parse("redis://:secret@[::1]").unwrap();
        assert_eq!(u.to_string(), "redis://:***@[::1]:6379/0");
    }
}
