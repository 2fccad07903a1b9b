//! One function per route of `API.md`. Each reads the request, consults or
//! changes the state through the [`Store`](super::store::Store), and builds
//! the response. No route knows which store it was given.
//!
//! Here: health, accounts, sessions and `GET /me`; `comments` holds the
//! board's routes.

mod comments;

pub use comments::{delete_comment, delete_comment_form, list_comments, post_comment};

use std::sync::{Arc, Mutex};

use super::auth::{self, Bearer, Credential};
use super::body::{fields, fields_or_none, BodyError, Fields};
use super::store::{first_session_user, StoreError, UserRecord};
use super::users::{valid_password, valid_username};
use super::{error, App};
use crate::cookie::{parse_cookie_header, SameSite, SetCookie};
use crate::crypto::verify_password;
use crate::http::date::{rfc3339, system_time_from_unix, unix_now};
use crate::http::{Request, Response};
use crate::json::ObjectWriter;
use crate::jwt::accepted_until;
use crate::limits::SESSION_TTL;
use crate::metrics::METRICS;
use crate::server::{Reply, Respond};

/// The session cookie's name (Django's).
pub const SESSION_COOKIE: &str = "sessionid";

/// The 401 body of a failed login, the same for unknown users and wrong
/// passwords.
const BAD_CREDENTIALS: &str = "invalid username or password";

/// How many hex digits of a session's id hash `GET /sessions` shows.
const ID_HASH_SHOWN: usize = 12;

pub fn healthz(_: &App, _: &Request) -> Response {
    Response::text(200, "ok")
}

/// `GET /readyz`: 200 `ready` when the store answers (Redis: `PING`), else
/// 503 like any request that needs it.
pub fn readyz(app: &App, _: &Request) -> Response {
    match app.store.ping() {
        Ok(()) => Response::text(200, "ready"),
        Err(e) => store_error(e),
    }
}

pub fn signup(app: &App, req: &Request) -> Response {
    signup_inner(app, req).unwrap_or_else(|r| r)
}

fn signup_inner(app: &App, req: &Request) -> Result<Response, Response> {
    let f = fields(req).map_err(body_error)?;
    let (username, password) = (required(&f, "username")?, required(&f, "password")?);
    if !valid_username(username) {
        return Err(error(
            400,
            "username must be 1 to 150 characters: ASCII letters, digits and @.+-_",
        ));
    }
    if !valid_password(password) {
        return Err(error(400, "password must be 8 to 1024 bytes of UTF-8"));
    }
    // Checked before hashing so a taken name costs no CPU; checked again,
    // atomically, by the store.
    if app.store.user(username).map_err(store_error)?.is_some() {
        return Err(error(409, "username already taken"));
    }
    let password_hash = app
        .hash_new_password(password)
        .map_err(|_| error(503, "random source unavailable"))?;
    let user = UserRecord {
        password_hash,
        created_at: unix_now(),
    };
    if !app.store.create_user(username, user).map_err(store_error)? {
        return Err(error(409, "username already taken"));
    }
    let mut body = ObjectWriter::new();
    body.string("username", username);
    Ok(Response::json(201, body.finish()))
}

pub fn login(app: &App, req: &Request) -> Response {
    let answer = login_inner(app, req);
    count_login(&answer);
    answer.unwrap_or_else(private)
}

/// Counts a login's outcome for the metrics: a refusal for bad credentials
/// or by the throttle is a failed login; a malformed request is neither.
pub(super) fn count_login(answer: &Result<Response, Response>) {
    match answer {
        Ok(_) => METRICS.login(true),
        Err(r) if matches!(r.status(), 401 | 429) => METRICS.login(false),
        Err(_) => {}
    }
}

fn login_inner(app: &App, req: &Request) -> Result<Response, Response> {
    let f = fields(req).map_err(body_error)?;
    let (username, password) = (required(&f, "username")?, required(&f, "password")?);
    check_password(app, username, password)?;
    // No session fixation: whatever session the request carried is dropped,
    // and the new one has a fresh id.
    for id in session_cookies(req) {
        app.store.end_session(id).map_err(store_error)?;
    }
    let user_agent = req
        .head
        .header("user-agent")
        .and_then(|v| std::str::from_utf8(v).ok())
        .unwrap_or("");
    let new = app
        .store
        .create_session(username, user_agent, unix_now(), SESSION_TTL)
        .map_err(store_error)?;
    let set_cookie = session_cookie(&new.id, Some(new.info.expires_at))?;
    let mut body = ObjectWriter::new();
    body.string("username", username);
    Ok(private(Response::json(200, body.finish())).with_header("Set-Cookie", set_cookie))
}

/// The login check shared by every route that takes a password: the
/// throttle first (before any hashing), then the hash (a dummy one of the
/// same cost for unknown users, so both failures take the same time and
/// give the same answer). A success clears the user's failures and
/// upgrades a hash made at another cost.
pub(super) fn check_password(app: &App, username: &str, password: &str) -> Result<(), Response> {
    // No account can have a name outside the rules, so it is refused before
    // the throttle, which would otherwise keep every such string (up to the
    // body limit, 1 MiB) for 15 minutes. The rules are public: 400 tells an
    // attacker nothing about which accounts exist.
    if !valid_username(username) {
        return Err(error(400, "invalid username"));
    }
    throttle(app, username)?;
    let stored = app.store.user(username).map_err(store_error)?;
    let encoded = stored
        .as_ref()
        .map_or(app.dummy_hash.as_str(), |u| u.password_hash.as_str());
    let ok = verify_password(password, encoded) && stored.is_some();
    if !ok {
        app.store
            .throttle_failure(username, unix_now())
            .map_err(store_error)?;
        return Err(error(401, BAD_CREDENTIALS));
    }
    app.store.throttle_clear(username).map_err(store_error)?;
    app.upgrade_hash(username, encoded, password);
    Ok(())
}

/// 429 with `Retry-After` while `username` is locked out.
fn throttle(app: &App, username: &str) -> Result<(), Response> {
    if let Some(wait) = app
        .store
        .throttle_check(username, unix_now())
        .map_err(store_error)?
    {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return Err(error(429, "too many failed logins; try again later")
            .with_header("Retry-After", secs.max(1).to_string()));
    }
    Ok(())
}

/// `sessionid=<id>` with Django's attributes, or the deleting cookie when
/// `expires_at` is `None`.
fn session_cookie(id: &str, expires_at: Option<i64>) -> Result<String, Response> {
    let mut cookie = SetCookie::new(SESSION_COOKIE, id);
    match expires_at {
        Some(at) => {
            cookie.set_expires(Some(system_time_from_unix(at)));
            cookie.set_max_age(Some(SESSION_TTL.as_secs() as i64));
            cookie.set_http_only(true);
        }
        None => {
            cookie.set_expires(Some(system_time_from_unix(0)));
            cookie.set_max_age(Some(0));
        }
    }
    cookie.set_path(Some("/"));
    cookie.set_same_site(Some(SameSite::Lax));
    cookie
        .encode()
        .map_err(|_| error(500, "could not encode the session cookie"))
}

/// `POST /logout`: ends the request's session (200 even without one), or
/// with `all=true` every session of its user (401 without one). With a
/// bearer token: revokes that token until it would expire (401 when it is
/// not valid), or with `all=true` every session and every token of its
/// user issued up to now.
pub fn logout(app: &App, req: &Request) -> Response {
    logout_inner(app, req).unwrap_or_else(private)
}

fn logout_inner(app: &App, req: &Request) -> Result<Response, Response> {
    let f = fields_or_none(req).map_err(body_error)?;
    let all = match f.optional("all").map_err(body_error)? {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(error(400, "all must be \"true\" or \"false\"")),
    };
    if auth::bearer(req) != Bearer::Absent {
        // A token logout: the token is used, the cookie (if any) is left
        // alone, and no cookie is deleted.
        let who = auth::require(app, req)?;
        if all {
            app.store
                .end_all_sessions(&who.username, unix_now())
                .map_err(store_error)?;
        } else if let Credential::Token { jti, iat, exp } = &who.credential {
            app.store
                .revoke_token(jti, accepted_until(*iat, *exp))
                .map_err(store_error)?;
        }
        return Ok(private(Response::json(200, "{}".to_string())));
    }
    if all {
        let who = auth::require(app, req)?;
        app.store
            .end_all_sessions(&who.username, unix_now())
            .map_err(store_error)?;
    } else {
        for id in session_cookies(req) {
            app.store.end_session(id).map_err(store_error)?;
        }
    }
    let set_cookie = session_cookie("", None)?;
    Ok(private(Response::json(200, "{}".to_string())).with_header("Set-Cookie", set_cookie))
}

/// `POST /password`: checks the old password (403 when wrong, counted by
/// the login throttle), sets the new one, and ends every other session of
/// the user, as Django's `update_session_auth_hash` keeps only this one.
/// With a bearer token there is no session to keep: every session ends,
/// and every token issued up to now (this one too) is revoked.
pub fn change_password(app: &App, req: &Request) -> Response {
    change_password_inner(app, req).unwrap_or_else(private)
}

fn change_password_inner(app: &App, req: &Request) -> Result<Response, Response> {
    let who = auth::require(app, req)?;
    let f = fields(req).map_err(body_error)?;
    let (old, new) = (required(&f, "old_password")?, required(&f, "new_password")?);
    if !valid_password(new) {
        return Err(error(400, "new_password must be 8 to 1024 bytes of UTF-8"));
    }
    let username = &*who.username;
    match check_password(app, username, old) {
        Ok(()) => {}
        Err(r) if r.status() == 401 => return Err(error(403, "old password is wrong")),
        Err(r) => return Err(r),
    }
    let new_hash = app
        .hash_new_password(new)
        .map_err(|_| error(503, "random source unavailable"))?;
    app.store
        .change_password(
            username,
            &new_hash,
            who.session_key().as_deref(),
            unix_now(),
        )
        .map_err(store_error)?;
    Ok(private(Response::json(200, "{}".to_string())))
}

/// `GET /me`: the user of the bearer token or of the session cookie.
/// With a remote store it is deferred: the store looks the session (or the
/// token's deny-list facts) up together with other requests' (one Redis
/// round trip for many), so no thread waits; a local store, or an entry in
/// Redis's local caches, answers at once.
pub fn me(app: &App, req: &Request) -> Reply {
    match auth::bearer(req) {
        Bearer::Absent => {}
        // The claims name the user: no principal (and no copy of the name)
        // is needed to answer.
        Bearer::Token(token) if !app.store.is_remote() => {
            return Reply::Now(private(match auth::verified_claims(app, token) {
                Ok(claims) => me_body(&claims.sub),
                Err(refusal) => refusal,
            }))
        }
        // Through Redis: the deny list may need a round trip, which the
        // store makes without holding this thread.
        Bearer::Token(token) => {
            let claims = match auth::signed_claims(app, token) {
                Ok(claims) => claims,
                Err(refusal) => return Reply::Now(private(refusal)),
            };
            return defer(|respond| {
                let (sub, jti, iat) = (claims.sub.clone(), claims.jti, claims.iat);
                app.store.find_token_status(
                    &sub,
                    &jti,
                    iat,
                    Box::new(move |status| {
                        respond(private(match auth::honoured(status) {
                            Ok(()) => me_body(&claims.sub),
                            Err(refusal) => refusal,
                        }))
                    }),
                )
            });
        }
        Bearer::Ambiguous => return Reply::Now(private(auth::invalid_token())),
    }
    if !app.store.is_remote() {
        // In this process: no callback, no allocation beyond the answer.
        let found = first_session_user(&*app.store, session_cookies(req), unix_now());
        return Reply::Now(me_response(found));
    }
    let ids: Vec<&str> = session_cookies(req).collect();
    defer(|respond| {
        app.store.find_session_user(
            &ids,
            unix_now(),
            Box::new(move |found| respond(me_response(found))),
        )
    })
}

/// `200 {"username": ...}`.
fn me_body(username: &str) -> Response {
    let mut body = ObjectWriter::new();
    body.string("username", username);
    Response::json(200, body.finish())
}

fn me_response(found: Result<Option<Arc<str>>, StoreError>) -> Response {
    match found {
        Ok(Some(username)) => private(me_body(&username)),
        Ok(None) => private(auth::not_logged_in()),
        Err(e) => private(store_error(e)),
    }
}

/// `GET /sessions`: the caller's sessions, newest first.
pub fn list_sessions(app: &App, req: &Request) -> Response {
    list_sessions_inner(app, req).unwrap_or_else(private)
}

fn list_sessions_inner(app: &App, req: &Request) -> Result<Response, Response> {
    let (_, current) = auth::require_session(app, req)?;
    let list = app
        .store
        .sessions_of(&current.username, unix_now())
        .map_err(store_error)?;
    let mut body = String::from("{\"sessions\":[");
    for (i, s) in list.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        let time = |t: i64| rfc3339(system_time_from_unix(t));
        let mut w = ObjectWriter::new();
        w.string("id_hash", &s.id_hash[..ID_HASH_SHOWN.min(s.id_hash.len())])
            .string("created_at", &time(s.created_at))
            .string("expires_at", &time(s.expires_at))
            .string("last_seen_at", &time(s.last_seen_at))
            .string("user_agent", &s.user_agent)
            .raw(
                "current",
                if s.id_hash == current.id_hash {
                    "true"
                } else {
                    "false"
                },
            );
        body.push_str(&w.finish());
    }
    body.push_str("]}");
    Ok(private(Response::json(200, body)))
}

/// Runs `start` with the callback that answers; the reply is `Now` when
/// the callback ran before `start` returned, else `Later` (the response
/// meets the connection in a [`Slot`], in whichever order they arrive).
fn defer(start: impl FnOnce(Respond)) -> Reply {
    let slot = Arc::new(Mutex::new(Slot::Empty));
    let filled = Arc::clone(&slot);
    start(Box::new(move |response| {
        let mut slot = filled.lock().unwrap_or_else(|p| p.into_inner());
        match std::mem::replace(&mut *slot, Slot::Empty) {
            Slot::Waiting(respond) => {
                drop(slot);
                respond(response)
            }
            _ => *slot = Slot::Done(response),
        }
    }));
    let mut now = slot.lock().unwrap_or_else(|p| p.into_inner());
    if let Slot::Done(response) = std::mem::replace(&mut *now, Slot::Empty) {
        return Reply::Now(response);
    }
    drop(now);
    Reply::Later(Box::new(move |respond| {
        let mut state = slot.lock().unwrap_or_else(|p| p.into_inner());
        match std::mem::replace(&mut *state, Slot::Empty) {
            Slot::Done(response) => {
                drop(state);
                respond(response)
            }
            _ => *state = Slot::Waiting(respond),
        }
    }))
}

/// Where a comment's outcome meets the connection waiting for it, in
/// whichever order they arrive.
enum Slot {
    Empty,
    Done(Response),
    Waiting(Respond),
}

/// Every `sessionid` value the request's `Cookie` fields carry, in order.
/// Malformed pairs are skipped by the lenient parser.
pub(super) fn session_cookies(req: &Request) -> impl Iterator<Item = &str> {
    req.head
        .headers("cookie")
        .filter_map(|v| std::str::from_utf8(v).ok())
        .flat_map(parse_cookie_header)
        .filter(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

fn required<'f>(f: &'f Fields, name: &str) -> Result<&'f str, Response> {
    f.required(name).map_err(body_error)
}

/// Marks a response that depends on the session cookie.
pub(super) fn private(r: Response) -> Response {
    r.with_header("Vary", "Cookie")
        .with_header("Cache-Control", "no-store")
}

/// The one mapping from a store's failure to a response.
pub(super) fn store_error(e: StoreError) -> Response {
    match e {
        StoreError::Unavailable(why) => {
            eprintln!("store unavailable: {why}");
            error(503, "store unavailable").with_header("Retry-After", "1")
        }
        StoreError::SessionsFull => {
            error(503, "too many sessions; try again later").with_header("Retry-After", "60")
        }
        StoreError::RandomSource => error(503, "random source unavailable"),
    }
}

pub(super) fn body_error(e: BodyError) -> Response {
    match e {
        BodyError::UnsupportedMediaType => error(
            415,
            "Content-Type must be application/json or application/x-www-form-urlencoded",
        ),
        BodyError::Invalid(message) => error(400, &message),
    }
}
