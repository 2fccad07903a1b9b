//! Cookies (RFC 6265 and RFC 6265bis): the request `Cookie` header, the
//! `Set-Cookie` value in both directions, and the cookie-date format.
//!
//! - [`parse_cookie_header`]: the pairs of a `Cookie` header, leniently, in
//!   order; malformed pieces are skipped, the rest still count.
//! - [`SetCookie`]: one cookie with its attributes. [`SetCookie::encode`] is
//!   strict (it refuses anything a browser would misread or that could inject
//!   a header); [`SetCookie::parse`] is the lenient user-agent algorithm.
//!   Whatever `encode` writes, `parse` reads back equal.
//! - [`parse_cookie_date`]: the `Expires` date algorithm of user agents.
//!
//! Out of scope, deliberately: the cookie jar (storage, matching, eviction,
//! the 400-day cap on `Expires`, which needs the current time), public-suffix
//! checks and percent-encoding of values (a value outside `cookie-octet` is
//! refused, not escaped).
//!
//! ```
//! use stateful::cookie::{parse_cookie_header, SameSite, SetCookie};
//! let mut c = SetCookie::new("sessionid", "0123abcd");
//! c.set_path(Some("/"));
//! c.set_http_only(true);
//! c.set_same_site(Some(SameSite::Lax));
//! let line = c.encode().unwrap();
//! assert_eq!(line, "sessionid=0123abcd; Path=/; HttpOnly; SameSite=Lax");
//! assert_eq!(SetCookie::parse(&line), Some(c));
//! assert_eq!(parse_cookie_header("sessionid=0123abcd; theme=dark"),
//!            [("sessionid", "0123abcd"), ("theme", "dark")]);
//! ```

mod date;
mod encode;
mod header;
mod octets;
mod parse;
mod set_cookie;

pub use date::{parse_cookie_date, COOKIE_DATE_YEAR_MIN};
pub use encode::CookieError;
pub use header::parse_cookie_header;
pub use set_cookie::{SameSite, SetCookie};

/// Longest lifetime a user agent grants a cookie, 400 days in seconds
/// (RFC 6265bis §5.6.2). [`SetCookie::parse`] caps `Max-Age` here and
/// [`SetCookie::encode`] refuses a longer one with
/// [`CookieError::InvalidMaxAge`], since browsers would shorten it.
pub const MAX_AGE_CAP: i64 = 400 * 24 * 60 * 60;
