//! Who is asking: the session cookie or a bearer token, resolved in one
//! place to a [`Principal`], so the routes need not care which it was.
//!
//! - `Authorization: Bearer <JWT>` wins when present (API.md: "when a
//!   request carries both, the token is used"). The token must pass
//!   [`jwt::verify`](crate::jwt::verify) (signature, times, form) and then
//!   the store's [`token_status`](super::store::Store::token_status) (not
//!   revoked, `sub` still a user). Anything else is
//!   `401 {"error": "invalid token"}` with
//!   `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1).
//! - Otherwise the first `sessionid` cookie that names a live session.
//!
//! `Authorization` with another scheme (Basic, ...) is ignored. Two or
//! more `Authorization` fields with a bearer token are refused as an
//! invalid token rather than guessed between.

use std::sync::Arc;

use super::routes::{session_cookies, store_error};
use super::store::{session_key, SessionInfo, StoreResult, TokenStatus};
use super::{error, App};
use crate::http::date::unix_now;
use crate::http::{Request, Response};
use crate::jwt::{verify, Claims};

/// The user a request acts for, and by which credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal<'r> {
    pub username: Arc<str>,
    pub credential: Credential<'r>,
}

/// How a [`Principal`] proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential<'r> {
    /// The session cookie: the session's id as the request carried it.
    Session { id: &'r str },
    /// A bearer token, verified and not revoked.
    Token { jti: String, iat: i64, exp: i64 },
}

impl Principal<'_> {
    /// The hash of this principal's session id (the store's name for it),
    /// or `None` for a token.
    pub fn session_key(&self) -> Option<String> {
        match &self.credential {
            Credential::Session { id } => Some(session_key(id)),
            Credential::Token { .. } => None,
        }
    }
}

/// What the request's `Authorization` fields say about a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bearer<'r> {
    /// No `Authorization` field with the `Bearer` scheme.
    Absent,
    /// Exactly one, with these token bytes (maybe empty).
    Token(&'r [u8]),
    /// More than one: refused, never guessed between.
    Ambiguous,
}

/// The bearer token of `req`, if any: `Bearer` (any case) then one or more
/// spaces, then the token (RFC 6750 §2.1).
///
/// ```
/// # use stateful::app::auth::{bearer_of, Bearer};
/// assert_eq!(bearer_of([&b"Bearer abc.def.ghi"[..]]), Bearer::Token(b"abc.def.ghi"));
/// assert_eq!(bearer_of([&b"bearer  x"[..]]), Bearer::Token(b"x"));
/// assert_eq!(bearer_of([&b"Basic YWRhOnB3"[..]]), Bearer::Absent);
/// assert_eq!(bearer_of([&b"Bearerx"[..]]), Bearer::Absent);
/// assert_eq!(bearer_of([&b"Bearer"[..]]), Bearer::Token(b""));
/// assert_eq!(bearer_of([&b"Bearer a"[..], b"Bearer b"]), Bearer::Ambiguous);
/// ```
pub fn bearer_of<'r>(authorization: impl IntoIterator<Item = &'r [u8]>) -> Bearer<'r> {
    let mut found = Bearer::Absent;
    for value in authorization {
        let Some(token) = strip_scheme(value) else {
            continue;
        };
        if found != Bearer::Absent {
            return Bearer::Ambiguous;
        }
        found = Bearer::Token(token);
    }
    found
}

/// The credentials after a `Bearer` scheme name, or `None` for another
/// scheme.
fn strip_scheme(value: &[u8]) -> Option<&[u8]> {
    const SCHEME: &[u8] = b"bearer";
    let head = value.get(..SCHEME.len())?;
    if !head.eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    let rest = &value[SCHEME.len()..];
    if rest.is_empty() {
        return Some(rest);
    }
    if rest[0] != b' ' {
        return None; // "Bearerx": another scheme
    }
    let start = rest.iter().position(|&b| b != b' ').unwrap_or(rest.len());
    Some(&rest[start..])
}

/// The bearer token `req` carries, if any.
pub fn bearer(req: &Request) -> Bearer<'_> {
    bearer_of(req.head.headers("authorization"))
}

/// The principal of `req`: by its bearer token if it has one (refused with
/// 401 `invalid token` unless valid), else by its session cookie; `None`
/// when it carries neither. A store that cannot answer: 503.
pub fn principal<'r>(app: &App, req: &'r Request) -> Result<Option<Principal<'r>>, Response> {
    match bearer(req) {
        Bearer::Token(token) => token_principal(app, token).map(Some),
        Bearer::Ambiguous => Err(invalid_token()),
        Bearer::Absent => session_principal(app, req),
    }
}

/// Like [`principal`], with 401 `not logged in` when there is none.
pub fn require<'r>(app: &App, req: &'r Request) -> Result<Principal<'r>, Response> {
    principal(app, req)?.ok_or_else(not_logged_in)
}

/// The session of `req` with its details, for the routes that are about
/// sessions themselves (`GET /sessions`): a bearer token, valid or not,
/// gets 401, since it names no session.
pub fn require_session<'r>(
    app: &App,
    req: &'r Request,
) -> Result<(&'r str, SessionInfo), Response> {
    match bearer(req) {
        Bearer::Absent => {}
        Bearer::Ambiguous => return Err(invalid_token()),
        Bearer::Token(token) => {
            token_principal(app, token)?;
            return Err(
                error(401, "this route needs the session cookie, not a token")
                    .with_header("WWW-Authenticate", "Bearer"),
            );
        }
    }
    let now = unix_now();
    for id in session_cookies(req) {
        if let Some(s) = app.store.session(id, now).map_err(store_error)? {
            return Ok((id, s));
        }
    }
    Err(not_logged_in())
}

/// The claims of a token that verifies and that the store still honours.
pub fn verified_claims(app: &App, token: &[u8]) -> Result<Claims, Response> {
    let claims = signed_claims(app, token)?;
    honoured(app.store.token_status(&claims.sub, &claims.jti, claims.iat))?;
    Ok(claims)
}

/// The claims of a token whose form, signature and times hold; the store
/// is not asked yet (see [`honoured`]).
pub fn signed_claims(app: &App, token: &[u8]) -> Result<Claims, Response> {
    verify(token, &app.tokens, unix_now()).map_err(|_| invalid_token())
}

/// The store's verdict on a token: `Ok` if it still counts, else the
/// answer to give (401 `invalid token`, or 503 for a store that cannot
/// answer).
pub fn honoured(status: StoreResult<TokenStatus>) -> Result<(), Response> {
    match status.map_err(store_error)? {
        TokenStatus::Valid => Ok(()),
        TokenStatus::Revoked | TokenStatus::NoSuchUser => Err(invalid_token()),
    }
}

fn token_principal<'r>(app: &App, token: &[u8]) -> Result<Principal<'r>, Response> {
    let claims = verified_claims(app, token)?;
    Ok(Principal {
        username: Arc::from(claims.sub),
        credential: Credential::Token {
            jti: claims.jti,
            iat: claims.iat,
            exp: claims.exp,
        },
    })
}

fn session_principal<'r>(app: &App, req: &'r Request) -> Result<Option<Principal<'r>>, Response> {
    let now = unix_now();
    for id in session_cookies(req) {
        if let Some(username) = app.store.session_user(id, now).map_err(store_error)? {
            return Ok(Some(Principal {
                username,
                credential: Credential::Session { id },
            }));
        }
    }
    Ok(None)
}

/// 401 for a token refused for any reason: one answer, so it tells a
/// forger nothing about which check failed.
pub fn invalid_token() -> Response {
    error(401, "invalid token").with_header("WWW-Authenticate", "Bearer error=\"invalid_token\"")
}

/// 401 for a request with no credential at all.
pub fn not_logged_in() -> Response {
    error(401, "not logged in").with_header("WWW-Authenticate", "Bearer")
}
