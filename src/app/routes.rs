//! One function per route of `API.md`. Each reads the request, consults or
//! changes the state through its owner types, and builds the response.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::body::{fields, BodyError};
use super::comments::Comment;
use super::sessions::SessionError;
use super::users::{valid_password, valid_username, InsertError, User};
use super::{error, App};
use crate::cookie::{parse_cookie_header, SameSite, SetCookie};
use crate::crypto::verify_password;
use crate::form::{parse_query, single_field};
use crate::http::date::{system_time_from_unix, unix_seconds};
use crate::http::{Request, Response};
use crate::json::ObjectWriter;
use crate::limits::{COMMENTS_PAGE_DEFAULT, COMMENTS_PAGE_MAX, COMMENT_MAX, SESSION_TTL};
use crate::server::Reply;
use crate::storage::{Record, Ticket};

/// The session cookie's name (Django's).
pub const SESSION_COOKIE: &str = "sessionid";

/// The 401 body of a failed login, the same for unknown users and wrong
/// passwords.
const BAD_CREDENTIALS: &str = "invalid username or password";

pub fn healthz(_: &App, _: &Request) -> Response {
    Response::text(200, "ok")
}

pub fn signup(app: &App, req: &Request) -> Response {
    let f = match fields(req) {
        Ok(f) => f,
        Err(e) => return body_error(e),
    };
    let (username, password) = match (f.required("username"), f.required("password")) {
        (Ok(u), Ok(p)) => (u, p),
        (Err(e), _) | (_, Err(e)) => return body_error(e),
    };
    if !valid_username(username) {
        return error(
            400,
            "username must be 1 to 150 characters: ASCII letters, digits and @.+-_",
        );
    }
    if !valid_password(password) {
        return error(400, "password must be 8 to 1024 bytes of UTF-8");
    }
    // Checked before hashing so a taken name costs no CPU; checked again,
    // atomically, by the insert.
    if app.users.exists(username) {
        return error(409, "username already taken");
    }
    let Ok(password_hash) = app.hash_new_password(password) else {
        return error(503, "random source unavailable");
    };
    let created_at = unix_seconds(SystemTime::now());
    let user = User {
        password_hash,
        created_at,
    };
    let ticket = app
        .users
        .insert(username, user, |u| app.enqueue_user(username, u));
    let ticket = match ticket {
        Ok(t) => t,
        Err(InsertError::Taken) => return error(409, "username already taken"),
        Err(InsertError::Persist(_)) => return error(500, "could not store the user"),
    };
    if app.wait_durable(ticket).is_err() {
        return error(500, "could not store the user");
    }
    let mut body = ObjectWriter::new();
    body.string("username", username);
    Response::json(201, body.finish())
}

pub fn login(app: &App, req: &Request) -> Response {
    let f = match fields(req) {
        Ok(f) => f,
        Err(e) => return private(body_error(e)),
    };
    let (username, password) = match (f.required("username"), f.required("password")) {
        (Ok(u), Ok(p)) => (u, p),
        (Err(e), _) | (_, Err(e)) => return private(body_error(e)),
    };
    // No account can have a name outside the rules, so it is refused before
    // the throttle, which would otherwise keep every such string (up to the
    // body limit, 1 MiB) for 15 minutes. The rules are public: 400 tells an
    // attacker nothing about which accounts exist.
    if !valid_username(username) {
        return private(error(400, "invalid username"));
    }
    let now = Instant::now();
    if let Some(wait) = app.throttle.check(username, now) {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return private(error(429, "too many failed logins; try again later"))
            .with_header("Retry-After", secs.max(1).to_string());
    }
    // Unknown users are checked against a dummy hash of the same cost, so
    // both failures take the same time and give the same answer.
    let stored = app.users.password_hash(username);
    let encoded = stored.as_deref().unwrap_or(&app.dummy_hash);
    let ok = verify_password(password, encoded) && stored.is_some();
    if !ok {
        app.throttle.record_failure(username, Instant::now());
        return private(error(401, BAD_CREDENTIALS));
    }
    app.throttle.clear(username);
    app.upgrade_hash(username, encoded, password);
    // No session fixation: whatever session the request carried is dropped,
    // and the new one has a fresh id.
    for id in session_cookies(req) {
        app.sessions.remove(id);
    }
    let id = match app.sessions.create(username, Instant::now()) {
        Ok(id) => id,
        Err(SessionError::Full) => {
            return private(error(503, "too many sessions; try again later"))
                .with_header("Retry-After", "60")
        }
        Err(SessionError::RandomSource) => return private(error(503, "random source unavailable")),
    };
    let mut cookie = SetCookie::new(SESSION_COOKIE, id);
    cookie.set_expires(Some(SystemTime::now() + SESSION_TTL));
    cookie.set_max_age(Some(SESSION_TTL.as_secs() as i64));
    cookie.set_path(Some("/"));
    cookie.set_http_only(true);
    cookie.set_same_site(Some(SameSite::Lax));
    let Ok(set_cookie) = cookie.encode() else {
        return private(error(500, "could not encode the session cookie"));
    };
    let mut body = ObjectWriter::new();
    body.string("username", username);
    private(Response::json(200, body.finish())).with_header("Set-Cookie", set_cookie)
}

pub fn logout(app: &App, req: &Request) -> Response {
    for id in session_cookies(req) {
        app.sessions.remove(id);
    }
    let mut cookie = SetCookie::new(SESSION_COOKIE, "");
    cookie.set_expires(Some(system_time_from_unix(0)));
    cookie.set_max_age(Some(0));
    cookie.set_path(Some("/"));
    cookie.set_same_site(Some(SameSite::Lax));
    let Ok(set_cookie) = cookie.encode() else {
        return private(error(500, "could not encode the session cookie"));
    };
    private(Response::json(200, "{}".to_string())).with_header("Set-Cookie", set_cookie)
}

pub fn me(app: &App, req: &Request) -> Response {
    match session_user(app, req) {
        Some(username) => {
            let mut body = ObjectWriter::new();
            body.string("username", &username);
            private(Response::json(200, body.finish()))
        }
        None => private(error(401, "not logged in")),
    }
}

pub fn list_comments(app: &App, req: &Request) -> Response {
    let query = match parse_query(req.head.query().unwrap_or("")) {
        Ok(q) => q,
        Err(e) => return error(400, &format!("invalid query: {e}")),
    };
    let number = |name: &str| -> Result<Option<u64>, String> {
        match single_field(&query, name) {
            Ok(None) => Ok(None),
            Ok(Some(v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("{name} is too large")),
            Ok(Some(_)) => Err(format!("{name} must be a non-negative integer")),
            Err(dup) => Err(dup.to_string()),
        }
    };
    let after = match number("after") {
        Ok(a) => a.unwrap_or(0),
        Err(m) => return error(400, &format!("invalid query: {m}")),
    };
    let limit = match number("limit") {
        Ok(None) => COMMENTS_PAGE_DEFAULT,
        Ok(Some(n)) if (1..=COMMENTS_PAGE_MAX as u64).contains(&n) => n as usize,
        Ok(Some(_)) => {
            return error(
                400,
                &format!("invalid query: limit must be 1 to {COMMENTS_PAGE_MAX}"),
            )
        }
        Err(m) => return error(400, &format!("invalid query: {m}")),
    };
    let page = app.comments.page(after, limit);
    let mut body = String::with_capacity(16 + page.iter().map(|c| c.json.len() + 1).sum::<usize>());
    body.push_str("{\"comments\":[");
    for (i, c) in page.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&c.json);
    }
    body.push_str("]}");
    Response::json(200, body)
}

/// Stores a comment. Without a data directory it answers at once; with one
/// the response is deferred until the journal's fsync (shared with every
/// other comment in flight), and only then is the comment published.
pub fn post_comment(app: &App, req: &Request) -> Reply {
    let (comment, ticket) = match accept_comment(app, req) {
        Ok(accepted) => accepted,
        Err(refusal) => return Reply::Now(refusal),
    };
    let (Some(journal), Some(ticket)) = (&app.journal, ticket) else {
        app.comments.publish(comment.id);
        return Reply::Now(private(Response::json(201, comment.json.clone())));
    };
    let journal = Arc::clone(journal);
    let comments = Arc::clone(&app.comments);
    Reply::Later(Box::new(move |respond| {
        journal.on_durable(
            ticket,
            Box::new(move |durable| {
                respond(match durable {
                    Ok(()) => {
                        comments.publish(comment.id);
                        private(Response::json(201, comment.json.clone()))
                    }
                    Err(_) => private(error(500, "could not store the comment")),
                })
            }),
        )
    }))
}

/// Checks the session and the text, and adds the comment (unpublished)
/// with its journal record queued.
fn accept_comment(app: &App, req: &Request) -> Result<(Arc<Comment>, Option<Ticket>), Response> {
    let Some(author) = session_user(app, req) else {
        return Err(private(error(401, "not logged in")));
    };
    let f = fields(req).map_err(|e| private(body_error(e)))?;
    let text = f.required("text").map_err(|e| private(body_error(e)))?;
    if text.is_empty() || text.len() > COMMENT_MAX {
        return Err(private(error(400, "text must be 1 to 4096 bytes of UTF-8")));
    }
    if text.contains('\0') {
        return Err(private(error(400, "text must not contain NUL")));
    }
    let created_at = unix_seconds(SystemTime::now());
    app.comments
        .post(&author, text, created_at, |c: &Comment| {
            app.enqueue(&Record::Comment {
                id: c.id,
                author: c.author.clone(),
                text: c.text.clone(),
                created_at: c.created_at,
            })
        })
        .map_err(|_| private(error(500, "could not store the comment")))
}

/// Every `sessionid` value the request's `Cookie` fields carry, in order.
/// Malformed pairs are skipped by the lenient parser.
fn session_cookies(req: &Request) -> impl Iterator<Item = &str> {
    req.head
        .headers("cookie")
        .filter_map(|v| std::str::from_utf8(v).ok())
        .flat_map(parse_cookie_header)
        .filter(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// The user of the first `sessionid` that names a live session.
fn session_user(app: &App, req: &Request) -> Option<Arc<str>> {
    let now = Instant::now();
    session_cookies(req).find_map(|id| app.sessions.user(id, now))
}

/// Marks a response that depends on the session cookie.
fn private(r: Response) -> Response {
    r.with_header("Vary", "Cookie")
        .with_header("Cache-Control", "no-store")
}

fn body_error(e: BodyError) -> Response {
    match e {
        BodyError::UnsupportedMediaType => error(
            415,
            "Content-Type must be application/json or application/x-www-form-urlencoded",
        ),
        BodyError::Invalid(message) => error(400, &message),
    }
}
