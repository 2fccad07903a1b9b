//! The board's HTTP over a real socket: the page's headers, `/static/`
//! with its `ETag`, `Cache-Control` and 304, the `ETag` and 304 of
//! `GET /comments`, and a browser's form post against curl's.

#[path = "support/server.rs"]
mod server;

use server::Server;

const CSP: &str = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn get_with(s: &Server, path: &str, fields: &str) -> server::Resp {
    s.send(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{fields}Connection: close\r\n\r\n")
            .as_bytes(),
    )
}

fn post(s: &Server, path: &str, fields: &str, body: &str) -> server::Resp {
    s.send(
        format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\n{fields}Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

#[test]
fn the_page_and_its_headers() {
    let s = Server::start(&[]);
    let r = s.get("/");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("content-security-policy"), Some(CSP));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("referrer-policy"), Some("same-origin"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let html = r.text();
    assert!(html.starts_with("<!doctype html>"));
    let head = s.send(b"HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("content-length"),
        Some(html.len().to_string().as_str())
    );
}

#[test]
fn static_files_are_cached_and_revalidated() {
    let s = Server::start(&[]);
    for (path, media) in [
        ("/static/board.css", "text/css; charset=utf-8"),
        ("/static/board.js", "text/javascript; charset=utf-8"),
        ("/static/icon.svg", "image/svg+xml"),
    ] {
        let r = s.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(media));
        assert_eq!(r.header("cache-control"), Some("public, max-age=3600"));
        let tag = r.header("etag").expect("an ETag").to_string();
        let again = get_with(&s, path, &format!("If-None-Match: {tag}\r\n"));
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());
        assert_eq!(again.header("content-length"), None);
        assert_eq!(again.header("etag"), Some(tag.as_str()));
        let weak = get_with(
            &s,
            &format!("{path}?v=old"),
            &format!("If-None-Match: \"x\", W/{tag}\r\n"),
        );
        assert_eq!(weak.status, 304);
        let stale = get_with(&s, path, "If-None-Match: \"0000000000000000\"\r\n");
        assert_eq!(stale.status, 200);
    }
    assert_eq!(s.get("/static/nope.css").status, 404);
    assert_eq!(s.get("/static/").status, 404);
    let r = post(&s, "/static/board.css", "", "");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
}

#[test]
fn comments_listing_has_an_etag_and_304_until_something_changes() {
    let s = Server::start(&[]);
    let creds = "username=etag&password=password1";
    assert_eq!(post(&s, "/signup", "", creds).status, 201);
    let login = post(&s, "/login", "", creds);
    let cookie = format!(
        "Cookie: {}\r\n",
        login
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
    );
    let first = s.get("/comments?after=0");
    let tag = first.header("etag").expect("an ETag").to_string();
    assert_eq!(first.text(), "{\"comments\":[]}");
    let same = get_with(
        &s,
        "/comments?after=0",
        &format!("If-None-Match: {tag}\r\n"),
    );
    assert_eq!(same.status, 304);
    assert!(same.body.is_empty());
    // Another query is another listing.
    let other = get_with(
        &s,
        "/comments?after=0&limit=5",
        &format!("If-None-Match: {tag}\r\n"),
    );
    assert_eq!(other.status, 200);
    assert_ne!(other.header("etag"), Some(tag.as_str()));
    // A new comment changes the tag.
    assert_eq!(post(&s, "/comments", &cookie, "text=hi").status, 201);
    let changed = get_with(
        &s,
        "/comments?after=0",
        &format!("If-None-Match: {tag}\r\n"),
    );
    assert_eq!(changed.status, 200);
    assert!(changed.text().contains("\"text\":\"hi\""));
    let tag2 = changed.header("etag").unwrap().to_string();
    assert_ne!(tag2, tag);
    // And so does a deletion.
    let del = s.send(
        format!(
            "DELETE /comments/1 HTTP/1.1\r\nHost: localhost\r\n{cookie}Connection: close\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(del.status, 204);
    let after_delete = get_with(
        &s,
        "/comments?after=0",
        &format!("If-None-Match: {tag2}\r\n"),
    );
    assert_eq!(after_delete.status, 200);
    assert_eq!(after_delete.text(), "{\"comments\":[]}");
}

#[test]
fn a_browser_form_post_and_curls_differ_only_in_presentation() {
    let s = Server::start(&[]);
    let creds = "username=both&password=password1";
    let browser = post(
        &s,
        "/signup",
        &format!("Accept: {BROWSER_ACCEPT}\r\n"),
        creds,
    );
    assert_eq!(browser.status, 303);
    assert_eq!(browser.header("location"), Some("/"));
    let curl = post(&s, "/signup", "Accept: */*\r\n", creds);
    assert_eq!(curl.status, 409);
    assert_eq!(curl.header("content-type"), Some("application/json"));
    assert_eq!(curl.text(), "{\"error\":\"username already taken\"}");
    let again = post(
        &s,
        "/signup",
        &format!("Accept: {BROWSER_ACCEPT}\r\n"),
        creds,
    );
    assert_eq!(again.status, 409);
    assert_eq!(
        again.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(again.header("content-security-policy"), Some(CSP));
    assert!(again.text().contains("Username already taken."));
    let login = post(
        &s,
        "/login",
        &format!("Accept: {BROWSER_ACCEPT}\r\n"),
        creds,
    );
    assert_eq!(login.status, 303);
    let set_cookie = login.header("set-cookie").unwrap();
    assert!(set_cookie.starts_with("sessionid="));
    assert!(set_cookie.contains("HttpOnly"));
    // Throttled: 429 as a page, Retry-After kept.
    let wrong = "username=both&password=wrongpass";
    for _ in 0..5 {
        assert_eq!(post(&s, "/login", "", wrong).status, 401);
    }
    let throttled = post(
        &s,
        "/login",
        &format!("Accept: {BROWSER_ACCEPT}\r\n"),
        wrong,
    );
    assert_eq!(throttled.status, 429);
    assert!(throttled.header("retry-after").is_some());
    assert!(throttled.text().contains("Too many failed logins"));
}
