//! The routes of the board: listing (with `ETag`), posting and deleting
//! comments.

use std::sync::{Arc, OnceLock};

use super::{body_error, defer, private, required, store_error};
use crate::app::auth;
use crate::app::body::{fields, fields_or_none};
use crate::app::store::DeleteOutcome;
use crate::app::{error, App};
use crate::form::{parse_query, single_field};
use crate::http::conditional::none_match;
use crate::http::date::unix_now;
use crate::http::{Request, Response};
use crate::limits::{COMMENTS_PAGE_DEFAULT, COMMENTS_PAGE_MAX, COMMENT_MAX};
use crate::server::Reply;

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
    // The version is read before the page: a store bumps it once a change
    // is visible, so a tag never names a listing older than its body.
    let etag = match app.store.comments_version() {
        Ok(version) => listing_etag(version, req.head.query().unwrap_or("")),
        Err(e) => return store_error(e),
    };
    if !none_match(req.head.headers("if-none-match"), &etag) {
        return Response::empty(304).with_header("ETag", etag);
    }
    let page = match app.store.comments_after(after, limit) {
        Ok(p) => p,
        Err(e) => return store_error(e),
    };
    let mut body =
        String::with_capacity(16 + page.iter().map(|c| c.text.len() + 96).sum::<usize>());
    body.push_str("{\"comments\":[");
    for (i, c) in page.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        c.write_json(&mut body);
    }
    body.push_str("]}");
    Response::json(200, body).with_header("ETag", etag)
}

/// The `ETag` of a `GET /comments` listing: this process's epoch (a
/// restarted memory or journal store counts its versions from the start
/// again), the store's version, and a hash of the query (`after`, `limit`).
/// The same three give byte-identical bodies, so the tag is strong.
fn listing_etag(version: u64, query: &str) -> String {
    static EPOCH: OnceLock<u32> = OnceLock::new();
    let epoch = EPOCH.get_or_init(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        (t.as_nanos() as u32) ^ std::process::id().rotate_left(16)
    });
    // FNV-1a: a stable 64-bit digest of the query, not a secret.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in query.as_bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{epoch:08x}-{version}-{h:016x}\"")
}

/// Stores a comment. A store that answers at once (memory) gives the
/// response now; one that waits for a disk (the journal's fsync, shared
/// with every other comment in flight) defers it, holding no thread.
pub fn post_comment(app: &App, req: &Request) -> Reply {
    let (author, text) = match accept_comment(app, req) {
        Ok(accepted) => accepted,
        Err(refusal) => return Reply::Now(refusal),
    };
    defer(|respond| {
        app.store.post_comment(
            &author,
            &text,
            unix_now(),
            Box::new(move |outcome| {
                respond(match outcome {
                    Ok(comment) => private(Response::json(201, comment.json())),
                    Err(e) => private(store_error(e)),
                })
            }),
        )
    })
}

/// Checks the session or token and the text: the author and the text to
/// store.
fn accept_comment(app: &App, req: &Request) -> Result<(Arc<str>, String), Response> {
    let who = auth::require(app, req).map_err(private)?;
    let f = fields(req).map_err(|e| private(body_error(e)))?;
    let text = required(&f, "text").map_err(private)?;
    if text.is_empty() || text.len() > COMMENT_MAX {
        return Err(private(error(400, "text must be 1 to 4096 bytes of UTF-8")));
    }
    if text.contains('\0') {
        return Err(private(error(400, "text must not contain NUL")));
    }
    Ok((who.username, text.to_string()))
}

/// `DELETE /comments/ID`: 204, or 401, 403 (not the author), 404.
pub fn delete_comment(app: &App, req: &Request) -> Response {
    delete_comment_inner(app, req).unwrap_or_else(private)
}

/// `POST /comments/ID/delete` with `_method=DELETE`: the same for HTML
/// forms, which cannot send DELETE.
pub fn delete_comment_form(app: &App, req: &Request) -> Response {
    let f = match fields_or_none(req) {
        Ok(f) => f,
        Err(e) => return private(body_error(e)),
    };
    match f.optional("_method") {
        Ok(None) | Ok(Some("DELETE")) => delete_comment(app, req),
        Ok(Some(_)) => private(error(400, "_method must be DELETE")),
        Err(e) => private(body_error(e)),
    }
}

fn delete_comment_inner(app: &App, req: &Request) -> Result<Response, Response> {
    let who = auth::require(app, req)?;
    let id = req
        .head
        .path()
        .split('/')
        .nth(2)
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| error(404, "no such comment"))?;
    match app
        .store
        .delete_comment(id, &who.username)
        .map_err(store_error)?
    {
        DeleteOutcome::Deleted => Ok(private(Response::empty(204))),
        DeleteOutcome::NotFound => Err(error(404, "no such comment")),
        DeleteOutcome::NotAuthor => Err(error(403, "only its author may delete a comment")),
    }
}
