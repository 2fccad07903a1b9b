use super::*;
use crate::app::store::MemoryStore;
use crate::http::{parse_request_head, Parsed};
use crate::server::{Handler, Reply};

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn app() -> App {
    App::with_store(Box::new(MemoryStore::new(100)), 1000).unwrap()
}

/// A request as the decoder would give it: `head` lines without the
/// request line's `Host`, and a form body for POSTs.
fn request(method: &str, target: &str, fields: &[&str], body: &str) -> Request {
    let mut raw = format!("{method} {target} HTTP/1.1\r\nHost: board.test\r\n");
    for f in fields {
        raw.push_str(f);
        raw.push_str("\r\n");
    }
    if method == "POST" {
        raw.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        raw.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    raw.push_str("\r\n");
    let Ok(Parsed::Complete(head, _)) = parse_request_head(raw.as_bytes()) else {
        panic!("bad test request {raw:?}")
    };
    Request {
        head,
        body: body.as_bytes().to_vec(),
    }
}

fn answer(app: &App, req: &Request) -> Response {
    match app.reply(req) {
        Reply::Now(r) => r,
        Reply::Later(_) => panic!("the memory store answers at once"),
    }
}

fn text(r: &Response) -> String {
    String::from_utf8(r.body().to_vec()).unwrap()
}

fn accept_html() -> String {
    format!("Accept: {BROWSER}")
}

/// Signs `name` up and logs in (as a script); the session cookie.
fn logged_in(app: &App, name: &str) -> String {
    let body = format!("username={name}&password=password1");
    assert_eq!(
        answer(app, &request("POST", "/signup", &[], &body)).status(),
        201
    );
    let r = answer(app, &request("POST", "/login", &[], &body));
    let set = r.header("set-cookie").unwrap();
    format!("Cookie: {}", set.split(';').next().unwrap())
}

#[test]
fn the_board_is_html_with_the_security_headers() {
    let app = app();
    for method in ["GET", "HEAD"] {
        let r = answer(&app, &request(method, "/", &[], ""));
        assert_eq!(r.status(), 200);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(
            r.header("content-security-policy"),
            Some("default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
        );
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("referrer-policy"), Some("same-origin"));
        assert_eq!(r.header("vary"), Some("Cookie"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert!(text(&r).contains("action=\"/signup\""));
    }
    let r = answer(&app, &request("GET", "/?before=x", &[], ""));
    assert_eq!(r.status(), 400);
    assert!(text(&r).contains("Invalid query: before must be a positive integer."));
    let r = answer(&app, &request("POST", "/", &[], ""));
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
}

#[test]
fn a_browser_signup_is_a_303_and_the_next_page_offers_the_login() {
    let app = app();
    let signup = request(
        "POST",
        "/signup",
        &[&accept_html()],
        "username=ann&password=password1",
    );
    let r = answer(&app, &signup);
    assert_eq!(r.status(), 303);
    assert_eq!(r.header("location"), Some("/"));
    let flash = r.header("set-cookie").unwrap();
    assert_eq!(
        flash,
        "signed_up=YW5u; Max-Age=60; Path=/; HttpOnly; SameSite=Lax"
    );
    let cookie = format!("Cookie: {}", flash.split(';').next().unwrap());
    let page = answer(&app, &request("GET", "/", &[&cookie], ""));
    let html = text(&page);
    assert!(html.contains("The account <strong>ann</strong> exists."));
    assert!(html.contains("id=\"login-username\" name=\"username\" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" value=\"ann\">"));
    assert_eq!(
        page.header("set-cookie"),
        Some("signed_up=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
    );
    // A name the server would never have set is not shown.
    let forged = answer(&app, &request("GET", "/", &["Cookie: signed_up=PGI+"], ""));
    assert!(!text(&forged).contains("exists."));
}

#[test]
fn a_browser_login_is_a_303_keeping_the_cookie_and_a_failure_is_the_page() {
    let app = app();
    logged_in(&app, "bea");
    let ok = answer(
        &app,
        &request(
            "POST",
            "/login",
            &[&accept_html()],
            "username=bea&password=password1",
        ),
    );
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.header("location"), Some("/"));
    assert!(ok.header("set-cookie").unwrap().starts_with("sessionid="));
    let bad = answer(
        &app,
        &request(
            "POST",
            "/login",
            &[&accept_html()],
            "username=bea&password=secret%3Cpw",
        ),
    );
    assert_eq!(bad.status(), 401);
    assert_eq!(bad.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(bad.header("x-frame-options"), Some("DENY"));
    let html = text(&bad);
    assert!(html.contains("<strong>Could not log in:</strong> Invalid username or password."));
    assert!(html.contains("value=\"bea\""));
    assert!(!html.contains("secret"));
}

#[test]
fn scripts_get_exactly_the_json() {
    let app = app();
    logged_in(&app, "cy");
    for accept in [
        None,
        Some("Accept: */*"),
        Some("Accept: application/json"),
        Some("Accept: text/html, application/json"),
    ] {
        let fields: Vec<&str> = accept.into_iter().collect();
        let r = answer(
            &app,
            &request("POST", "/login", &fields, "username=cy&password=wrongpass"),
        );
        assert_eq!(r.status(), 401);
        assert_eq!(text(&r), "{\"error\":\"invalid username or password\"}");
        let r = answer(
            &app,
            &request(
                "POST",
                "/signup",
                &fields,
                "username=new&password=password1",
            ),
        );
        assert!(matches!(r.status(), 201 | 409), "{}", r.status());
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
}

#[test]
fn a_comment_posted_by_a_form_and_deleted_by_a_form() {
    let app = app();
    let cookie = logged_in(&app, "dee");
    let html = accept_html();
    let r = answer(
        &app,
        &request(
            "POST",
            "/comments",
            &[&html, &cookie],
            "text=%3Cscript%3Ehi%3C%2Fscript%3E",
        ),
    );
    assert_eq!(r.status(), 303);
    let page = text(&answer(&app, &request("GET", "/", &[&cookie], "")));
    assert!(page.contains("<p class=\"text\">&lt;script&gt;hi&lt;/script&gt;</p>"));
    assert!(page.contains("action=\"/comments/1/delete\""));
    // Too long: the page again, 400, the text kept.
    let long = "x".repeat(4097);
    let r = answer(
        &app,
        &request(
            "POST",
            "/comments",
            &[&html, &cookie],
            &format!("text={long}"),
        ),
    );
    assert_eq!(r.status(), 400);
    assert!(text(&r).contains(&format!("autofocus>\n{long}</textarea>")));
    // Someone else's comment: 403 in words.
    let other = logged_in(&app, "eve");
    let r = answer(
        &app,
        &request(
            "POST",
            "/comments/1/delete",
            &[&html, &other],
            "_method=DELETE",
        ),
    );
    assert_eq!(r.status(), 403);
    assert!(text(&r).contains("Could not delete the comment:"));
    let r = answer(
        &app,
        &request(
            "POST",
            "/comments/1/delete",
            &[&html, &cookie],
            "_method=DELETE",
        ),
    );
    assert_eq!(r.status(), 303);
    let page = text(&answer(&app, &request("GET", "/", &[&cookie], "")));
    assert!(!page.contains("hi&lt;"));
}

#[test]
fn a_cross_site_form_is_refused_in_words() {
    let app = app();
    let cookie = logged_in(&app, "fay");
    let r = answer(
        &app,
        &request(
            "POST",
            "/comments",
            &[&accept_html(), &cookie, "Origin: http://evil.test"],
            "text=hello",
        ),
    );
    assert_eq!(r.status(), 403);
    let html = text(&r);
    assert!(html.contains("Cross-site request refused (Origin does not match Host)."));
    assert!(html.contains("another site"));
    // The same without a browser's Accept stays JSON.
    let r = answer(
        &app,
        &request(
            "POST",
            "/comments",
            &[&cookie, "Origin: http://evil.test"],
            "text=hello",
        ),
    );
    assert_eq!(
        text(&r),
        "{\"error\":\"cross-site request refused (Origin does not match Host)\"}"
    );
}

#[test]
fn the_panel_shows_the_session_of_the_cookie() {
    let app = app();
    let cookie = logged_in(&app, "gus");
    let page = text(&answer(&app, &request("GET", "/", &[&cookie], "")));
    let id = cookie.trim_start_matches("Cookie: sessionid=");
    assert!(page.contains(&format!("<code>{}\u{2026}</code>", &id[..6])));
    assert!(!page.contains(&id[..7]));
    assert!(page.contains("<body data-user=\"gus\">"));
    // Logged out: the cookie is still sent, and the page says it counts
    // for nothing.
    answer(&app, &request("POST", "/logout", &[&cookie], ""));
    let page = text(&answer(&app, &request("GET", "/", &[&cookie], "")));
    assert!(page.contains("that the server does not know"));
    assert!(page.contains("action=\"/login\""));
}

#[test]
fn older_comments_are_a_page_away() {
    let app = app();
    let cookie = logged_in(&app, "hal");
    for i in 0..(BOARD_PAGE + 3) {
        let r = answer(
            &app,
            &request("POST", "/comments", &[&cookie], &format!("text=c{i}")),
        );
        assert_eq!(r.status(), 201);
    }
    let latest = text(&answer(&app, &request("GET", "/", &[], "")));
    assert_eq!(latest.matches("<li class=\"comment").count(), BOARD_PAGE);
    assert!(latest.contains("href=\"/?before=4\" rel=\"prev\""));
    assert!(latest.contains("id=\"c-53\""));
    let older = text(&answer(&app, &request("GET", "/?before=4", &[], "")));
    assert_eq!(older.matches("<li class=\"comment").count(), 3);
    assert!(!older.contains("rel=\"prev\""));
    assert!(older.contains("data-live=\"off\""));
}

#[test]
fn cut_keeps_six_characters() {
    assert_eq!(cut("abcdefghij"), "abcdef");
    assert_eq!(cut("abc"), "abc");
    assert_eq!(cut("안녕하세요요요"), "안녕하세요요");
}
