//! What a browser gets: the board at `GET /`, and the one step that turns
//! the JSON answer of a form post into what a person without JavaScript
//! needs. Routes never know whether a browser asked.
//!
//! A POST to a form route ([`FORM_ROUTES`]) whose `Accept` prefers
//! `text/html` ([`crate::http::media::preferred_format`]) is *presented*:
//! - a 2xx answer becomes `303 See Other`, `Location: /`, keeping its
//!   `Set-Cookie`; after a signup it also sets a one-minute `signed_up`
//!   cookie, so the next page says the account exists and offers the
//!   login form with the name filled in (no server-side state: the name
//!   comes back from the browser, and the page clears the cookie);
//! - any other answer becomes the board again, with the JSON answer's
//!   message in words, the same status, the headers that matter
//!   (`Retry-After`, `Allow`, `Set-Cookie`), and the fields typed so far
//!   (`username`, `text`; never a password).
//!
//! Everything else, and every request that does not prefer HTML (curl,
//! scripts, the page's own `fetch` calls), gets the JSON answer untouched.

use std::sync::Arc;

use super::html::{self, Assets, Board, CookieSeen, Form, Notice, Page, Typed, Visitor};
use super::routes::{private, session_cookies};
use super::store::{SessionInfo, Store};
use super::users::valid_username;
use super::{assets, body::fields, App};
use crate::cookie::{parse_cookie_header, SameSite, SetCookie};
use crate::crypto::base64;
use crate::form::{parse_query, single_field};
use crate::http::date::unix_now;
use crate::http::media::{preferred_format, Format};
use crate::http::{Method, Request, Response};
use crate::json::parse_string_object;
use crate::limits::{BOARD_PAGE, SIGNED_UP_COOKIE_MAX_AGE};

/// The routes that the page's forms post to, with what a failure of each
/// is called on the page. `*` is one path segment.
const FORM_ROUTES: &[(&str, &str, Option<Form>)] = &[
    ("/signup", "Could not sign up:", Some(Form::Signup)),
    ("/login", "Could not log in:", Some(Form::Login)),
    ("/logout", "Could not log out:", None),
    (
        "/comments",
        "Could not post the comment:",
        Some(Form::Comment),
    ),
    ("/comments/*/delete", "Could not delete the comment:", None),
    ("/password", "Could not change the password:", None),
];

/// The cookie that carries a new account's name from the signup's 303 to
/// the page that offers the login form.
const SIGNED_UP_COOKIE: &str = "signed_up";

/// The form route a request posts to, if it is a browser's form post.
fn form_route(req: &Request) -> Option<&'static (&'static str, &'static str, Option<Form>)> {
    if req.head.method() != Method::Post
        || preferred_format(req.head.headers("accept")) != Format::Html
    {
        return None;
    }
    let path = req.head.path();
    FORM_ROUTES.iter().find(|(pattern, ..)| {
        let (mut want, mut got) = (pattern.split('/'), path.split('/'));
        loop {
            match (want.next(), got.next()) {
                (None, None) => return true,
                (Some("*"), Some(seg)) if !seg.is_empty() => {}
                (Some(w), Some(g)) if w == g => {}
                _ => return false,
            }
        }
    })
}

/// What the page needs from the request, owned, so a deferred answer (a
/// comment waiting for its fsync) can still be presented.
pub struct Context {
    route: Option<&'static (&'static str, &'static str, Option<Form>)>,
    session_ids: Vec<String>,
    signed_up: Option<String>,
    before: Result<Option<u64>, String>,
    username: String,
    text: String,
}

impl Context {
    /// The context of a browser's form post, or `None` for a request whose
    /// answer stays as the route gave it.
    pub fn of_form_post(req: &Request) -> Option<Context> {
        let route = form_route(req)?;
        let mut ctx = Context::of(req);
        ctx.route = Some(route);
        // The latest page: a failed post shows the board as it is now.
        ctx.before = Ok(None);
        if let Ok(f) = fields(req) {
            let field = |name| f.optional(name).ok().flatten().unwrap_or("").to_string();
            ctx.username = field("username");
            ctx.text = field("text");
        }
        Some(ctx)
    }

    fn of(req: &Request) -> Context {
        let signed_up = req
            .head
            .headers("cookie")
            .filter_map(|v| std::str::from_utf8(v).ok())
            .flat_map(parse_cookie_header)
            .find(|(name, _)| *name == SIGNED_UP_COOKIE)
            .and_then(|(_, v)| base64::decode(v).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok());
        Context {
            route: None,
            session_ids: session_cookies(req).map(str::to_string).collect(),
            signed_up,
            before: before_param(req.head.query().unwrap_or("")),
            username: String::new(),
            text: String::new(),
        }
    }

    /// The browser's answer for the route's `response`.
    pub fn present(&self, store: &dyn Store, response: Response) -> Response {
        let Some((path, action, form)) = self.route else {
            return response;
        };
        let status = response.status();
        if (200..300).contains(&status) {
            return self.see_other(&response, path);
        }
        let message = response_message(&response, status);
        let notice = Notice::Failed {
            action,
            status,
            message,
        };
        let mut page = board_page(store, self, status, Some(notice), *form);
        for name in ["Retry-After", "Allow", "Set-Cookie", "WWW-Authenticate"] {
            if let Some(v) = response.header(name) {
                page = page.with_header(name, v.to_string());
            }
        }
        page
    }

    /// `303 See Other` to the board, keeping the answer's `Set-Cookie`.
    fn see_other(&self, response: &Response, path: &str) -> Response {
        let mut r = private(Response::empty(303)).with_header("Location", "/");
        if let Some(set_cookie) = response.header("Set-Cookie") {
            r = r.with_header("Set-Cookie", set_cookie.to_string());
        }
        if path == "/signup" {
            // The name as the server's own answer gives it (a valid
            // username: ASCII letters, digits and @.+-_, all cookie-safe).
            let name = parse_string_object(response.body())
                .ok()
                .and_then(|f| {
                    single_field(&f, "username")
                        .ok()
                        .flatten()
                        .map(str::to_string)
                })
                .filter(|n| valid_username(n));
            if let Some(cookie) = name.and_then(|n| signed_up_cookie(&n, true)) {
                r = r.with_header("Set-Cookie", cookie);
            }
        }
        r
    }
}

/// The message of a JSON error answer, in words.
fn response_message(response: &Response, status: u16) -> String {
    let message = parse_string_object(response.body())
        .ok()
        .and_then(|f| single_field(&f, "error").ok().flatten().map(str::to_string))
        .unwrap_or_else(|| format!("the server answered {status}"));
    if status == 403 && message.starts_with("cross-site") {
        return format!(
            "{message}. The form was sent from a page on another site, \
             and this server only takes forms from its own pages"
        );
    }
    message
}

/// `signed_up=BASE64(NAME); Max-Age=60; Path=/; HttpOnly; SameSite=Lax`,
/// or the cookie that deletes it. The name is encoded, so that even this
/// validated copy of request data never stands as it came in a response
/// header.
fn signed_up_cookie(name: &str, set: bool) -> Option<String> {
    let value = if set {
        base64::encode(name.as_bytes())
    } else {
        String::new()
    };
    let mut c = SetCookie::new(SIGNED_UP_COOKIE, value);
    c.set_max_age(Some(if set { SIGNED_UP_COOKIE_MAX_AGE } else { 0 }));
    c.set_path(Some("/"));
    c.set_http_only(true);
    c.set_same_site(Some(SameSite::Lax));
    c.encode().ok()
}

/// `before=ID` of `GET /`: a positive integer, or absent.
fn before_param(query: &str) -> Result<Option<u64>, String> {
    let fields = parse_query(query).map_err(|e| format!("invalid query: {e}"))?;
    match single_field(&fields, "before") {
        Ok(None) => Ok(None),
        Ok(Some(v)) => match v.parse::<u64>() {
            Ok(n) if n > 0 && v.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
            _ => Err("invalid query: before must be a positive integer".to_string()),
        },
        Err(dup) => Err(format!("invalid query: {dup}")),
    }
}

/// `GET /` and `HEAD /`: the board.
pub fn board(app: &App, req: &Request) -> Response {
    let ctx = Context::of(req);
    let (status, notice) = match &ctx.before {
        Ok(_) => (200, None),
        Err(message) => (
            400,
            Some(Notice::Failed {
                action: "Could not show that page:",
                status: 400,
                message: message.clone(),
            }),
        ),
    };
    board_page(app.store(), &ctx, status, notice, None)
}

/// The board as `ctx`'s visitor sees it, with `notice`.
fn board_page(
    store: &dyn Store,
    ctx: &Context,
    mut status: u16,
    mut notice: Option<Notice>,
    form: Option<Form>,
) -> Response {
    let now = unix_now();
    let mut store_failed = false;
    let mut session: Option<(&str, SessionInfo)> = None;
    for id in &ctx.session_ids {
        match store.session(id, now) {
            Ok(Some(s)) => {
                session = Some((id, s));
                break;
            }
            Ok(None) => {}
            Err(_) => store_failed = true,
        }
    }
    let before = ctx.before.clone().unwrap_or(None);
    let mut comments = store
        .comments_before(before, BOARD_PAGE + 1)
        .unwrap_or_else(|_| {
            store_failed = true;
            Vec::new()
        });
    let older_than = (comments.len() > BOARD_PAGE).then(|| {
        comments.remove(0);
        comments[0].id
    });
    let sessions = session
        .as_ref()
        .and_then(|(_, s)| store.sessions_of(&s.username, now).ok())
        .map(|list| list.len());
    let flash = ctx.signed_up.as_deref().filter(|n| valid_username(n));
    if store_failed && notice.is_none() {
        status = 503;
        notice = Some(Notice::Failed {
            action: "Could not show the board:",
            status,
            message: "store unavailable".to_string(),
        });
    }
    if session.is_none() && notice.is_none() {
        notice = flash.map(|n| Notice::SignedUp(n.to_string()));
    }
    let visitor = match &session {
        Some((id, s)) => Visitor::Member {
            session: s,
            cookie_start: cut(id),
            sessions,
        },
        None => match ctx.session_ids.first() {
            Some(id) => Visitor::Anonymous(CookieSeen::Unknown(cut(id))),
            None => Visitor::Anonymous(CookieSeen::Absent),
        },
    };
    let (css, js, icon) = asset_urls();
    let page = Page {
        board: Board {
            comments: &comments,
            older_than,
            latest: before.is_none(),
        },
        visitor,
        notice,
        typed: Typed {
            form,
            username: &ctx.username,
            text: &ctx.text,
        },
        assets: Assets {
            css: &css,
            js: &js,
            icon: &icon,
        },
    };
    let mut r = html_response(status, html::render(&page));
    if ctx.signed_up.is_some() {
        if let Some(clear) = signed_up_cookie("", false) {
            r = r.with_header("Set-Cookie", clear);
        }
    }
    r
}

/// The first 6 characters of a cookie value: all the page ever shows.
fn cut(value: &str) -> &str {
    let end = value.char_indices().nth(6).map_or(value.len(), |(i, _)| i);
    &value[..end]
}

fn asset_urls() -> (Arc<str>, Arc<str>, Arc<str>) {
    static URLS: std::sync::OnceLock<(Arc<str>, Arc<str>, Arc<str>)> = std::sync::OnceLock::new();
    URLS.get_or_init(|| {
        (
            assets::url("board.css").into(),
            assets::url("board.js").into(),
            assets::url("icon.svg").into(),
        )
    })
    .clone()
}

/// An HTML answer: `text/html; charset=utf-8`, the security headers, and
/// (since it shows the visitor's session) `Vary: Cookie`, `no-store`.
pub fn html_response(status: u16, body: String) -> Response {
    private(
        Response::empty(status)
            .with_header("Content-Type", "text/html; charset=utf-8")
            .with_body(body.into_bytes()),
    )
    .with_header("Content-Security-Policy", html::CONTENT_SECURITY_POLICY)
    .with_header("X-Frame-Options", "DENY")
    .with_header("Referrer-Policy", "same-origin")
}

#[cfg(test)]
mod tests;
