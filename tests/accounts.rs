//! Accounts, sessions and comments end to end: every route and every
//! status of the contract, over TCP against the real binary.

#[path = "support/json_value.rs"]
mod json_value;
#[path = "support/server.rs"]
mod server;

use std::collections::HashSet;
use std::time::Duration;

use json_value::Json;
use server::{Resp, Server};

fn post(s: &Server, path: &str, content_type: &str, body: &str, extra: &str) -> Resp {
    s.send(
        format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\n{extra}\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

fn post_json(s: &Server, path: &str, body: &str, cookie: Option<&str>) -> Resp {
    let extra = cookie
        .map(|c| format!("Cookie: sessionid={c}\r\n"))
        .unwrap_or_default();
    post(s, path, "application/json", body, &extra)
}

fn get(s: &Server, path: &str, cookie: Option<&str>) -> Resp {
    let extra = cookie
        .map(|c| format!("Cookie: sessionid={c}\r\n"))
        .unwrap_or_default();
    s.send(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n")
            .as_bytes(),
    )
}

fn json(r: &Resp) -> Json {
    assert_eq!(r.header("content-type"), Some("application/json"), "{r:?}");
    Json::parse(&r.text())
}

fn error_of(r: &Resp) -> String {
    json(r).at("error").str().to_string()
}

fn signup(s: &Server, user: &str, password: &str) -> Resp {
    post_json(
        s,
        "/signup",
        &format!(r#"{{"username":"{user}","password":"{password}"}}"#),
        None,
    )
}

/// Logs in and returns the session id from Set-Cookie.
fn login(s: &Server, user: &str, password: &str) -> String {
    let r = post_json(
        s,
        "/login",
        &format!(r#"{{"username":"{user}","password":"{password}"}}"#),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    session_id(&r)
}

fn session_id(r: &Resp) -> String {
    let c = r.header("set-cookie").expect("Set-Cookie");
    c.strip_prefix("sessionid=")
        .and_then(|v| v.split(';').next())
        .expect("sessionid")
        .to_string()
}

fn assert_private(r: &Resp) {
    assert_eq!(r.header("vary"), Some("Cookie"), "{r:?}");
    assert_eq!(r.header("cache-control"), Some("no-store"), "{r:?}");
}

#[test]
fn the_whole_story() {
    let s = Server::start(&[]);
    let r = signup(&s, "alice", "correct horse");
    assert_eq!(r.status, 201);
    assert_eq!(json(&r).at("username").str(), "alice");

    // A cookie the client had before logging in is not the one it gets.
    let before = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let r = post_json(
        &s,
        "/login",
        r#"{"username":"alice","password":"correct horse"}"#,
        Some(before),
    );
    assert_eq!(r.status, 200);
    assert_private(&r);
    assert_eq!(json(&r).at("username").str(), "alice");
    let cookie = r.header("set-cookie").unwrap().to_string();
    let id = session_id(&r);
    assert_ne!(id, before);
    assert_eq!(id.len(), 32);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "{id}"
    );
    let attrs: Vec<&str> = cookie.split("; ").collect();
    assert_eq!(attrs[0], format!("sessionid={id}"));
    assert!(
        attrs[1].starts_with("Expires=") && attrs[1].ends_with(" GMT"),
        "{cookie}"
    );
    assert_eq!(
        &attrs[2..],
        ["Max-Age=1209600", "Path=/", "HttpOnly", "SameSite=Lax"],
        "{cookie}"
    );

    let r = get(&s, "/me", Some(&id));
    assert_eq!((r.status, json(&r).at("username").str()), (200, "alice"));
    assert_private(&r);

    let text = "Hello, \"world\" <script>alert(1)</script>\r\nX-Injected: yes\tünïcødé ✓";
    let mut body = String::from("{\"text\":");
    stateful::json::escape_into(&mut body, text);
    body.push('}');
    let r = post_json(&s, "/comments", &body, Some(&id));
    assert_eq!(r.status, 201, "{}", r.text());
    assert_private(&r);
    let c = json(&r);
    assert_eq!((c.at("author").str(), c.at("text").str()), ("alice", text));
    assert!(c.at("id").i64() >= 1);
    assert!(r.header("x-injected").is_none());
    let created = c.at("created_at").str();
    assert!(
        created.len() == 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );

    let r = get(&s, "/comments", None);
    assert_eq!(r.status, 200);
    let list = json(&r);
    let comments = list.at("comments").arr();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].at("text").str(), text);
    assert!(
        !r.text().contains("<script>"),
        "HTML-significant characters are escaped"
    );

    let r = post_json(&s, "/logout", "", Some(&id));
    assert_eq!(r.status, 200);
    assert_private(&r);
    assert_eq!(r.text(), "{}");
    assert_eq!(
        r.header("set-cookie"),
        Some("sessionid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax")
    );
    // Replaying the old cookie gets 401 everywhere.
    assert_eq!(get(&s, "/me", Some(&id)).status, 401);
    assert_eq!(
        post_json(&s, "/comments", r#"{"text":"again"}"#, Some(&id)).status,
        401
    );
}

#[test]
fn form_bodies_work_like_curl_d() {
    let s = Server::start(&[]);
    let form = "application/x-www-form-urlencoded";
    assert_eq!(
        post(&s, "/signup", form, "username=bob&password=p%40ss+word", "").status,
        201
    );
    let r = post(&s, "/login", form, "username=bob&password=p%40ss+word", "");
    assert_eq!(r.status, 200);
    let id = session_id(&r);
    let r = post(
        &s,
        "/comments",
        form,
        "text=a+b%26c%3D%E2%9C%93",
        &format!("Cookie: sessionid={id}\r\n"),
    );
    assert_eq!(
        (r.status, json(&r).at("text").str().to_string()),
        (201, "a b&c=✓".to_string())
    );
}

#[test]
fn signup_refusals() {
    let s = Server::start(&[]);
    assert_eq!(signup(&s, "carol", "12345678").status, 201);
    let r = signup(&s, "carol", "another password");
    assert_eq!(r.status, 409);
    assert!(error_of(&r).contains("taken"));
    let bad: &[(&str, &str)] = &[
        (r#"{"username":"","password":"12345678"}"#, "username"),
        (r#"{"username":"a b","password":"12345678"}"#, "username"),
        (
            r#"{"username":"<script>","password":"12345678"}"#,
            "username",
        ),
        (
            &format!(
                r#"{{"username":"{}","password":"12345678"}}"#,
                "x".repeat(151)
            ),
            "username",
        ),
        (r#"{"username":"dave","password":"1234567"}"#, "password"),
        (
            &format!(r#"{{"username":"dave","password":"{}"}}"#, "p".repeat(1025)),
            "password",
        ),
        (r#"{"username":"dave"}"#, "password"),
        (r#"{"password":"12345678"}"#, "username"),
        (r#"{"username":"dave","password":12345678}"#, "password"),
        (r#"{"username":"dave","password":"12345678""#, "JSON"),
        (
            r#"{"username":"dave","username":"eve","password":"12345678"}"#,
            "username",
        ),
        ("[]", "object"),
    ];
    for (body, word) in bad {
        let r = post_json(&s, "/signup", body, None);
        assert_eq!(r.status, 400, "{body}");
        assert!(
            error_of(&r).to_lowercase().contains(&word.to_lowercase()),
            "{body}: {}",
            error_of(&r)
        );
    }
    for ct in [
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin1",
    ] {
        let r = post(
            &s,
            "/signup",
            ct,
            r#"{"username":"dave","password":"12345678"}"#,
            "",
        );
        assert_eq!(r.status, 415, "{ct}");
    }
    let r = s.send(b"POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
    assert_eq!(r.status, 415, "no Content-Type");
    // Usernames of every allowed character class, and the longest.
    assert_eq!(signup(&s, "a.b+c-d_e@f9Z", "12345678").status, 201);
    assert_eq!(signup(&s, &"y".repeat(150), "12345678").status, 201);
}

#[test]
fn login_failures_look_the_same() {
    let s = Server::start(&[]);
    assert_eq!(signup(&s, "erin", "right password").status, 201);
    let unknown = post_json(
        &s,
        "/login",
        r#"{"username":"nobody","password":"right password"}"#,
        None,
    );
    let wrong = post_json(
        &s,
        "/login",
        r#"{"username":"erin","password":"wrong password"}"#,
        None,
    );
    assert_eq!((unknown.status, wrong.status), (401, 401));
    assert_eq!(unknown.body, wrong.body);
    assert!(unknown.header("set-cookie").is_none() && wrong.header("set-cookie").is_none());
    assert_private(&wrong);
    let r = post_json(&s, "/login", r#"{"username":"erin"}"#, None);
    assert_eq!(r.status, 400);
    let r = post(&s, "/login", "text/plain", "erin", "");
    assert_eq!(r.status, 415);
}

#[test]
fn throttle_engages_after_five_failures_and_holds_for_the_right_password() {
    let s = Server::start(&[]);
    assert_eq!(signup(&s, "frank", "right password").status, 201);
    for i in 0..5 {
        let r = post_json(
            &s,
            "/login",
            r#"{"username":"frank","password":"guess"}"#,
            None,
        );
        assert_eq!(r.status, 401, "attempt {i}");
    }
    for password in ["guess", "right password"] {
        let r = post_json(
            &s,
            "/login",
            &format!(r#"{{"username":"frank","password":"{password}"}}"#),
            None,
        );
        assert_eq!(r.status, 429, "{password}");
        let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!(wait > 800 && wait <= 900, "{wait}");
    }
    // Other users are not affected.
    assert_eq!(signup(&s, "grace", "right password").status, 201);
    login(&s, "grace", "right password");
}

#[test]
fn every_login_issues_a_new_id_and_the_cap_refuses_with_503() {
    let s = Server::start(&["--max-sessions", "3"]);
    assert_eq!(signup(&s, "heidi", "right password").status, 201);
    let ids: HashSet<String> = (0..3)
        .map(|_| login(&s, "heidi", "right password"))
        .collect();
    assert_eq!(ids.len(), 3);
    let r = post_json(
        &s,
        "/login",
        r#"{"username":"heidi","password":"right password"}"#,
        None,
    );
    assert_eq!(r.status, 503);
    assert!(r.header("retry-after").is_some());
    for id in &ids {
        assert_eq!(
            get(&s, "/me", Some(id)).status,
            200,
            "no existing session is lost"
        );
    }
    // Logging in with a session drops it, which makes room for the new one.
    let old = ids.iter().next().unwrap();
    let r = post_json(
        &s,
        "/login",
        r#"{"username":"heidi","password":"right password"}"#,
        Some(old),
    );
    assert_eq!(r.status, 200);
    assert_eq!(get(&s, "/me", Some(old)).status, 401);
}

#[test]
fn me_needs_a_valid_session() {
    let s = Server::start(&[]);
    assert_eq!(signup(&s, "ivan", "right password").status, 201);
    let id = login(&s, "ivan", "right password");
    for bad in [
        "",
        "x",
        &id[..31],
        &format!("{id}0"),
        &id.to_uppercase(),
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    ] {
        let r = get(&s, "/me", Some(bad));
        assert_eq!(r.status, 401, "{bad:?}");
        assert_private(&r);
    }
    let lenient = format!("GET /me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: junk; =x; a=b; sessionid=nope; sessionid={id}; sessionid=late\r\n\r\n");
    assert_eq!(
        s.send(lenient.as_bytes()).status,
        200,
        "malformed pairs skipped, first valid id wins"
    );
    let r = s.send(
        format!(
            "HEAD /me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: sessionid={id}\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
}

#[test]
fn comments_validation_and_pagination() {
    let s = Server::start(&[]);
    assert_eq!(signup(&s, "judy", "right password").status, 201);
    let id = login(&s, "judy", "right password");
    for i in 1..=12 {
        let r = post_json(&s, "/comments", &format!(r#"{{"text":"c{i}"}}"#), Some(&id));
        assert_eq!(json(&r).at("id").i64(), i);
    }
    let ids = |r: &Resp| -> Vec<i64> {
        json(r)
            .at("comments")
            .arr()
            .iter()
            .map(|c| c.at("id").i64())
            .collect()
    };
    assert_eq!(ids(&get(&s, "/comments?limit=3", None)), [1, 2, 3]);
    assert_eq!(ids(&get(&s, "/comments?after=10", None)), [11, 12]);
    assert_eq!(ids(&get(&s, "/comments?after=4&limit=2", None)), [5, 6]);
    assert_eq!(ids(&get(&s, "/comments?after=99", None)), Vec::<i64>::new());
    assert_eq!(ids(&get(&s, "/comments?limit=1000", None)).len(), 12);
    for q in [
        "limit=0",
        "limit=1001",
        "after=-1",
        "after=x",
        "limit=",
        "after=1&after=2",
        "limit=%zz",
        "after=99999999999999999999",
    ] {
        let r = get(&s, &format!("/comments?{q}"), None);
        assert_eq!(r.status, 400, "{q}");
        assert!(error_of(&r).contains("query"), "{q}");
    }
    let r = s.send(b"HEAD /comments HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(r.status, 200);

    let bad = [
        r#"{"text":""}"#.to_string(),
        format!(r#"{{"text":"{}"}}"#, "x".repeat(4097)),
        r#"{}"#.into(),
        r#"{"text":"a\u0000b"}"#.into(),
        r#"{"text":["x"]}"#.into(),
    ];
    for body in &bad {
        assert_eq!(
            post_json(&s, "/comments", body, Some(&id)).status,
            400,
            "{}",
            &body[..body.len().min(40)]
        );
    }
    let r = post_json(
        &s,
        "/comments",
        &format!(r#"{{"text":"{}"}}"#, "é".repeat(2048)),
        Some(&id),
    );
    assert_eq!(r.status, 201, "4096 bytes exactly");
    assert_eq!(
        post(
            &s,
            "/comments",
            "text/plain",
            "hi",
            &format!("Cookie: sessionid={id}\r\n")
        )
        .status,
        415
    );
    assert_eq!(
        post_json(&s, "/comments", r#"{"text":"x"}"#, None).status,
        401
    );
}

#[test]
fn cross_site_posts_are_refused() {
    let s = Server::start(&[]);
    let body = r#"{"username":"mallory","password":"12345678"}"#;
    for origin in [
        "http://evil.example",
        "null",
        "https://localhost",
        "http://localhost:1",
    ] {
        let r = post(
            &s,
            "/signup",
            "application/json",
            body,
            &format!("Origin: {origin}\r\n"),
        );
        assert_eq!(r.status, 403, "{origin}");
    }
    let r = post(
        &s,
        "/signup",
        "application/json",
        body,
        "Origin: http://localhost\r\n",
    );
    assert_eq!(r.status, 201, "same origin is fine");
    let r = post(&s, "/logout", "application/json", "", "Origin: null\r\n");
    assert_eq!(r.status, 403);
    // With an absolute-form target the origin is the target's authority,
    // and the Host field is ignored (RFC 9112 section 3.2.2).
    let absolute = |host: &str, origin: &str| {
        let body = r#"{"username":"absolute","password":"12345678"}"#;
        s.send(
            format!(
                "POST http://localhost/signup HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .status
    };
    assert_eq!(absolute("evil.example", "http://evil.example"), 403);
    assert_eq!(absolute("evil.example", "http://localhost"), 201);
}

#[test]
fn methods_and_paths() {
    let s = Server::start(&[]);
    let cases: &[(&str, &str, u16, Option<&str>)] = &[
        ("GET", "/signup", 405, Some("POST")),
        ("GET", "/login", 405, Some("POST")),
        ("GET", "/logout", 405, Some("POST")),
        ("POST", "/me", 405, Some("GET, HEAD")),
        ("POST", "/healthz", 405, Some("GET, HEAD")),
        ("GET", "/missing", 404, None),
        ("POST", "/missing", 404, None),
        ("PUT", "/comments", 501, None),
        ("PATCH", "/comments", 501, None),
        // DELETE is served (on /comments/ID), so elsewhere it is 405.
        ("DELETE", "/me", 405, Some("GET, HEAD")),
        ("DELETE", "/signup", 405, Some("POST")),
        ("DELETE", "/comments", 405, Some("GET, HEAD, POST")),
        ("GET", "/comments/1", 405, Some("DELETE")),
        ("GET", "/comments/1/delete", 405, Some("POST")),
        ("GET", "/sessions", 401, None),
        ("GET", "/password", 405, Some("POST")),
    ];
    for (method, path, status, allow) in cases {
        let r = s.send(format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes());
        assert_eq!(
            (r.status, r.header("allow")),
            (*status, *allow),
            "{method} {path}"
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
}

#[test]
fn concurrent_posts_from_many_sessions_are_stored_exactly_once() {
    let dir = temp_dir("concurrent");
    let s = Server::start(&["--data-dir", dir.to_str().unwrap()]);
    let users = 8;
    let per_user = 25;
    let ids: Vec<String> = (0..users)
        .map(|u| {
            assert_eq!(
                signup(&s, &format!("user{u}"), "right password").status,
                201
            );
            login(&s, &format!("user{u}"), "right password")
        })
        .collect();
    std::thread::scope(|scope| {
        for (u, id) in ids.iter().enumerate() {
            let s = &s;
            scope.spawn(move || {
                for i in 0..per_user {
                    let r = post_json(
                        s,
                        "/comments",
                        &format!(r#"{{"text":"u{u}-{i}"}}"#),
                        Some(id),
                    );
                    assert_eq!(r.status, 201);
                }
            });
        }
    });
    let r = get(&s, "/comments?limit=1000", None);
    let all = json(&r);
    let list = all.at("comments").arr();
    assert_eq!(list.len(), users * per_user);
    let texts: HashSet<&str> = list.iter().map(|c| c.at("text").str()).collect();
    assert_eq!(texts.len(), users * per_user, "each exactly once");
    let ids: Vec<i64> = list.iter().map(|c| c.at("id").i64()).collect();
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "ids increase without gaps"
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

/// RFC 9112 §9.3.2: responses go out in the order the requests came, also
/// when one waits for the worker pool (signup and login hash a password)
/// or for the journal's fsync (a comment with `--data-dir`) while the
/// requests after it are fast ones the loop answers inline.
#[test]
fn pipelined_requests_through_the_pool_and_the_journal_keep_their_order() {
    use server::{get_request, post_json_request, read_response};
    use std::io::Write;

    let dir = temp_dir("pipelined");
    let s = Server::start(&[
        "--data-dir",
        dir.to_str().unwrap(),
        "--pbkdf2-iterations",
        "1000",
    ]);
    let creds = r#"{"username":"piper","password":"right password"}"#;
    let mut stream = Vec::new();
    for raw in [
        post_json_request("/signup", creds, None),
        get_request("/healthz", None),
        post_json_request("/signup", creds, None),
        get_request("/nope", None),
        post_json_request("/login", creds, None),
        get_request("/healthz", None),
    ] {
        stream.extend_from_slice(&raw);
    }
    let mut c = s.connect();
    c.write_all(&stream).unwrap();
    let answers: Vec<Resp> = (0..6)
        .map(|_| read_response(&mut c, false).unwrap())
        .collect();
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [201, 200, 409, 404, 200, 200]);
    let id = session_id(&answers[4]);

    let mut stream = Vec::new();
    for raw in [
        post_json_request("/comments", r#"{"text":"first"}"#, Some(&id)),
        get_request("/healthz", None),
        post_json_request("/comments", r#"{"text":"second"}"#, Some(&id)),
        get_request("/comments?after=0", None),
    ] {
        stream.extend_from_slice(&raw);
    }
    c.write_all(&stream).unwrap();
    let answers: Vec<Resp> = (0..4)
        .map(|_| read_response(&mut c, false).unwrap())
        .collect();
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [201, 200, 201, 200]);
    let listed = json(&answers[3]);
    let texts: Vec<&str> = listed
        .at("comments")
        .arr()
        .iter()
        .map(|c| c.at("text").str())
        .collect();
    assert_eq!(
        texts,
        ["first", "second"],
        "the GET came after both comments"
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The stored hashes of the state journal in `dir` (its first snapshot,
/// then its first segment: too little is written here for a compaction),
/// in record order; the records hold them as plain text.
fn journaled_hashes(dir: &std::path::Path) -> Vec<String> {
    let mut bytes = std::fs::read(dir.join("state-1.snap")).unwrap();
    bytes.extend(std::fs::read(dir.join("state-1.log")).unwrap());
    let text = String::from_utf8_lossy(&bytes);
    text.match_indices("pbkdf2_sha256$")
        .map(|(at, _)| {
            text[at..]
                .split(|c: char| !(c.is_ascii_alphanumeric() || "$+/=_".contains(c)))
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn login_upgrades_a_hash_made_at_another_cost_and_the_journal_keeps_it() {
    let dir = temp_dir("rehash");
    let d = dir.to_str().unwrap();
    {
        let s = Server::start(&["--data-dir", d, "--pbkdf2-iterations", "1000"]);
        assert_eq!(signup(&s, "liam", "right password").status, 201);
        login(&s, "liam", "right password");
    }
    let hashes = journaled_hashes(&dir);
    assert_eq!(hashes.len(), 1, "same cost: no second record {hashes:?}");
    assert!(hashes[0].starts_with("pbkdf2_sha256$1000$"), "{hashes:?}");
    {
        let s = Server::start(&["--data-dir", d, "--pbkdf2-iterations", "2000"]);
        assert_eq!(
            post_json(
                &s,
                "/login",
                r#"{"username":"liam","password":"wrong password"}"#,
                None
            )
            .status,
            401,
            "a failed login changes nothing"
        );
        login(&s, "liam", "right password");
        login(&s, "liam", "right password");
    }
    let hashes = journaled_hashes(&dir);
    assert_eq!(
        hashes.len(),
        2,
        "one upgrade, then nothing to do {hashes:?}"
    );
    assert!(hashes[1].starts_with("pbkdf2_sha256$2000$"), "{hashes:?}");
    // Replayed, the later record wins: the old password still opens the
    // account, now with the new hash, so a third start at 2000 adds nothing.
    let s = Server::start(&["--data-dir", d, "--pbkdf2-iterations", "2000"]);
    assert!(
        s.wait_stderr("replayed 1 users, ", Duration::from_secs(5)),
        "{}",
        s.stderr()
    );
    login(&s, "liam", "right password");
    drop(s);
    assert_eq!(journaled_hashes(&dir).len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn restart_with_data_dir_keeps_users_comments_and_sessions() {
    let dir = temp_dir("restart");
    let d = dir.to_str().unwrap();
    let (old_id, text) = {
        let s = Server::start(&["--data-dir", d]);
        assert!(
            s.wait_stderr(
                "replayed 0 users, 0 sessions and 0 comments",
                Duration::from_secs(5)
            ),
            "{}",
            s.stderr()
        );
        assert_eq!(signup(&s, "kate", "right password").status, 201);
        let id = login(&s, "kate", "right password");
        let text = "durable ✓ \"quoted\"";
        let r = post_json(
            &s,
            "/comments",
            r#"{"text":"durable ✓ \"quoted\""}"#,
            Some(&id),
        );
        assert_eq!(r.status, 201);
        (id, text)
    };
    let s = Server::start(&["--data-dir", d]);
    assert!(
        s.wait_stderr(
            "replayed 1 users, 1 sessions and 1 comments",
            Duration::from_secs(5)
        ),
        "{}",
        s.stderr()
    );
    assert_eq!(
        get(&s, "/me", Some(&old_id)).status,
        200,
        "a restart logs nobody out"
    );
    let id = login(&s, "kate", "right password");
    assert_eq!(signup(&s, "kate", "another one").status, 409);
    let r = get(&s, "/comments", None);
    assert_eq!(json(&r).at("comments").arr()[0].at("text").str(), text);
    let r = post_json(&s, "/comments", r#"{"text":"second"}"#, Some(&id));
    assert_eq!(json(&r).at("id").i64(), 2, "ids continue after a restart");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_torn_last_record_is_dropped_and_the_rest_replayed() {
    let dir = temp_dir("torn");
    let d = dir.to_str().unwrap();
    {
        let s = Server::start(&["--data-dir", d]);
        assert_eq!(signup(&s, "leo", "right password").status, 201);
        let id = login(&s, "leo", "right password");
        assert_eq!(
            post_json(&s, "/comments", r#"{"text":"kept"}"#, Some(&id)).status,
            201
        );
        assert_eq!(
            post_json(&s, "/comments", r#"{"text":"torn away"}"#, Some(&id)).status,
            201
        );
    }
    let log = dir.join("comments-1.log");
    // where the records end: the file goes on with preallocated zeros
    let bytes = std::fs::read(&log).unwrap();
    let scan = stateful::storage::frame::scan_frames(&bytes, |_, _, _| Ok::<(), ()>(())).unwrap();
    let len = scan.valid_len as u64;
    let f = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
    f.set_len(len - 3).unwrap(); // a crash in the middle of the last record
    drop(f);
    let s = Server::start(&["--data-dir", d]);
    assert!(
        s.wait_stderr(
            "replayed 1 users, 1 sessions and 1 comments",
            Duration::from_secs(5)
        ),
        "{}",
        s.stderr()
    );
    let r = get(&s, "/comments", None);
    let all = json(&r);
    let list = all.at("comments").arr();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].at("text").str(), "kept");
    let id = login(&s, "leo", "right password");
    let r = post_json(&s, "/comments", r#"{"text":"after"}"#, Some(&id));
    assert_eq!(json(&r).at("id").i64(), 2);
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn memory_only_is_said_on_stderr() {
    let s = Server::start(&[]);
    assert!(
        s.wait_stderr("memory only", Duration::from_secs(5)),
        "{}",
        s.stderr()
    );
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("stateful-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
