//! `POST /token`: a bearer token for a username and password, checked
//! exactly as `/login` checks them (the same throttle, the same failure
//! counting, the same dummy hash for unknown users).

use super::body::fields;
use super::routes::{body_error, check_password, count_login, private};
use super::{error, App};
use crate::crypto::base64::encode_url;
use crate::crypto::fill_random;
use crate::http::date::unix_now;
use crate::http::{Request, Response};
use crate::json::ObjectWriter;
use crate::jwt::Claims;
use crate::limits::TOKEN_TTL;

/// Random bytes in a token's `jti` (128 bits, 22 base64url characters).
const JTI_BYTES: usize = 16;

/// `POST /token {username, password}`: 200
/// `{"access_token", "token_type": "Bearer", "expires_in": 900}`; 400,
/// 401, 415 and 429 as `/login` answers them.
pub fn issue(app: &App, req: &Request) -> Response {
    let answer = issue_inner(app, req);
    count_login(&answer);
    // RFC 6749 §5.1: a token response is never cached (`private` says
    // `Cache-Control: no-store`; `Pragma` for HTTP/1.0 caches).
    answer
        .unwrap_or_else(private)
        .with_header("Pragma", "no-cache")
}

fn issue_inner(app: &App, req: &Request) -> Result<Response, Response> {
    let f = fields(req).map_err(body_error)?;
    let username = f.required("username").map_err(body_error)?;
    let password = f.required("password").map_err(body_error)?;
    check_password(app, username, password)?;
    let mut jti = [0u8; JTI_BYTES];
    fill_random(&mut jti).map_err(|_| error(503, "random source unavailable"))?;
    let claims = Claims::issue(username, unix_now(), &encode_url(&jti));
    let mut body = ObjectWriter::new();
    body.string("access_token", &app.tokens.sign(&claims))
        .string("token_type", "Bearer")
        .number("expires_in", TOKEN_TTL.as_secs());
    Ok(private(Response::json(200, body.finish())))
}
