//! Header injection: CR/LF, quotes and `<script>` in usernames (refused)
//! and in comment text (stored, returned JSON-escaped). The raw response
//! bytes are checked: the same header lines as an innocent request, a body
//! of exactly `Content-Length` bytes that parses as JSON and gives back the
//! exact text, and nothing after it.

use std::io::Write;
use std::time::Duration;

use crate::json_value::Json;
use crate::server::{
    comment_body, credentials, get_request, login, post_json_request, read_raw_response, signup,
    Client, Server,
};
use crate::{assert_alive, figure, read_until_close, Ledger};

/// Names that must be refused at signup, each an attempt to reach the
/// response head or the page.
const HOSTILE_NAMES: &[&str] = &[
    "eve\r\nSet-Cookie: sessionid=attacker",
    "eve\nX-Injected: yes",
    "eve\rX-Injected: yes",
    "eve\r\n\r\nHTTP/1.1 200 OK",
    "\"eve\"",
    "eve\"; path=/",
    "<script>alert(1)</script>",
    "eve\u{0}",
    "eve\u{2028}",
    "eve;sessionid=x",
    "eve,x",
    "eve x",
    "ève",
];

/// Comment texts that must be stored and returned exactly.
const HOSTILE_TEXTS: &[&str] = &[
    "line\r\nX-Injected: yes",
    "split\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "bare\nLF and bare\rCR",
    "\"quotes\" and 'apostrophes' and \\backslashes\\",
    "<script>alert(document.cookie)</script>",
    "</script><img src=x onerror=alert(1)>&amp;",
    "\u{1}\u{8}\t\u{b}\u{c}\u{1b}[31m\u{1f}\u{7f}",
    "\u{2028}line separators\u{2029}",
    "ünïcødé ✓ 😀",
    "{\"text\":\"nested\"}",
];

/// Header names of a raw head, in order, and the value of each.
fn header_lines(head: &[u8]) -> Vec<(String, String)> {
    let text = std::str::from_utf8(head).expect("the response head is ASCII");
    assert!(text.ends_with("\r\n\r\n"), "{text:?}");
    text.trim_end_matches("\r\n")
        .split("\r\n")
        .skip(1)
        .map(|l| {
            let (n, v) = l
                .split_once(": ")
                .unwrap_or_else(|| panic!("bad line {l:?}"));
            (n.to_string(), v.to_string())
        })
        .collect()
}

/// Checks one raw response against an innocent one of the same kind: the
/// same status line and header names in the same order, the same values
/// apart from Date, Content-Length and Set-Cookie's id; the body has
/// exactly Content-Length bytes, no raw control byte or `<`; returns it
/// parsed.
fn check_raw(c: &mut Client, raw: &[u8], like: &(Vec<u8>, Vec<u8>), what: &str) -> Json {
    c.stream.write_all(raw).unwrap();
    let (head, body) = read_raw_response(&mut c.stream).unwrap_or_else(|| panic!("{what}"));
    let status = |h: &[u8]| h.split(|b| *b == b'\r').next().unwrap_or_default().to_vec();
    assert_eq!(status(&head), status(&like.0), "{what}");
    let (got, want) = (header_lines(&head), header_lines(&like.0));
    let names = |v: &[(String, String)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(&want), "{what}: header lines");
    for ((n, v), (_, w)) in got.iter().zip(&want) {
        match n.as_str() {
            "Date" => assert_eq!(v.len(), 29, "{what}"),
            "Content-Length" => assert_eq!(v, &body.len().to_string(), "{what}"),
            // A listing's tag names its version (and a digest of the query):
            // it differs between two listings, and copies nothing sent.
            "ETag" => assert!(
                v.starts_with('"')
                    && v.ends_with('"')
                    && v.bytes()
                        .all(|b| b.is_ascii_hexdigit() || b"\"-".contains(&b)),
                "{what}: ETag {v}"
            ),
            _ => assert_eq!(v, w, "{what}: {n}"),
        }
    }
    assert!(
        body.iter().all(|b| *b >= 0x20 && *b != b'<' && *b != b'>'),
        "{what}: raw control or HTML byte in {:?}",
        String::from_utf8_lossy(&body)
    );
    Json::parse(std::str::from_utf8(&body).expect("UTF-8 body"))
}

#[test]
fn hostile_usernames_are_refused_and_never_reach_a_header() {
    let mut s = Server::start(&[]);
    let mut ledger = Ledger::default();
    assert_eq!(ledger.signup(&s, "eve", "right password").status, 201);
    let mut c = s.client();
    let refused_like = {
        c.stream
            .write_all(&post_json_request(
                "/signup",
                &credentials("", "12345678"),
                None,
            ))
            .unwrap();
        read_raw_response(&mut c.stream).unwrap()
    };
    for name in HOSTILE_NAMES {
        let raw = post_json_request("/signup", &credentials(name, "right password"), None);
        let body = check_raw(&mut c, &raw, &refused_like, &format!("signup {name:?}"));
        assert!(body.at("error").str().contains("username"), "{name:?}");
    }
    // The same through a form body, percent-encoded.
    for name in [
        "eve%0d%0aX-Injected:%20yes",
        "eve%0aSet-Cookie:%20x=1",
        "%3cscript%3e",
    ] {
        let form = format!("username={name}&password=right+password");
        let raw = format!(
            "POST /signup HTTP/1.1\r\nHost: localhost\r\nContent-Type: \
             application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        );
        check_raw(
            &mut c,
            raw.as_bytes(),
            &refused_like,
            &format!("form {name}"),
        );
    }
    // Logins with them carry no header of theirs either, and never succeed.
    for name in HOSTILE_NAMES {
        let raw = post_json_request("/login", &credentials(name, "right password"), None);
        c.stream.write_all(&raw).unwrap();
        let (head, _) = read_raw_response(&mut c.stream).expect("a login answer");
        let head = String::from_utf8_lossy(&head);
        assert!(
            head.starts_with("HTTP/1.1 400 ") || head.starts_with("HTTP/1.1 401 "),
            "{name:?}: {head}"
        );
        assert!(
            !head.contains("Set-Cookie") && !head.contains("X-Injected"),
            "{head}"
        );
    }
    // Request data never comes back in a header, wherever it is put.
    for raw in [
        "GET /nope%0d%0aX-Injected:%20yes HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /comments?after=1%0d%0aX-Injected:%20yes HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /me HTTP/1.1\r\nHost: localhost\r\nCookie: sessionid=%0d%0aX-Injected:%20yes\r\n\r\n",
        "GET /signup HTTP/1.1\r\nHost: X-Injected\r\n\r\n",
    ] {
        c.stream.write_all(raw.as_bytes()).unwrap();
        let (head, _) = read_raw_response(&mut c.stream).expect("an answer");
        let head = String::from_utf8_lossy(&head).to_lowercase();
        assert!(!head.contains("injected"), "{raw:?} -> {head}");
    }
    figure(
        "header-injection-names",
        format!(
            "{} hostile usernames (CR, LF, CRLF CRLF, quotes, <script>, NUL, U+2028, ;, space, \
             non-ASCII) and 3 percent-encoded form ones: all 400 at signup with the same header \
             lines as any refused signup; logins with them 400/401 with no added header; CRLF in \
             path, query, cookie and Host never reflected",
            HOSTILE_NAMES.len()
        ),
    );
    ledger.assert_readable(&s);
    assert_alive(&mut s);
}

#[test]
fn hostile_comment_text_comes_back_exactly_and_escaped() {
    let mut s = Server::start(&[]);
    let mut ledger = Ledger::default();
    assert_eq!(ledger.signup(&s, "mallory", "right password").status, 201);
    let id = login(&s, "mallory", "right password").expect("login");
    let mut c = s.client();
    let innocent = {
        c.stream
            .write_all(&post_json_request(
                "/comments",
                &comment_body("innocent"),
                Some(&id),
            ))
            .unwrap();
        read_raw_response(&mut c.stream).unwrap()
    };
    ledger.record(&Json::parse(std::str::from_utf8(&innocent.1).unwrap()));
    for text in HOSTILE_TEXTS {
        let raw = post_json_request("/comments", &comment_body(text), Some(&id));
        let body = check_raw(&mut c, &raw, &innocent, &format!("post {text:?}"));
        assert_eq!(body.at("text").str(), *text);
        assert_eq!(body.at("author").str(), "mallory");
        ledger.record(&body);
    }
    // The listing: one response, exact texts, and nothing after it.
    let list_like = {
        let mut fresh = s.client();
        fresh
            .stream
            .write_all(&get_request("/comments?limit=1", None))
            .unwrap();
        read_raw_response(&mut fresh.stream).unwrap()
    };
    let list = check_raw(
        &mut c,
        &get_request("/comments?limit=1000", None),
        &list_like,
        "listing",
    );
    let texts: Vec<&str> = list
        .at("comments")
        .arr()
        .iter()
        .map(|x| x.at("text").str())
        .collect();
    assert_eq!(texts[0], "innocent");
    assert_eq!(&texts[1..], HOSTILE_TEXTS);
    let (extra, _) = read_until_close(&mut c.stream, Duration::from_millis(200));
    assert!(extra.is_empty(), "bytes after the response: {extra:?}");
    // A session cookie set for the hostile author carries nothing of theirs.
    let r = s
        .client()
        .request(&post_json_request(
            "/login",
            &credentials("mallory", "right password"),
            None,
        ))
        .unwrap();
    let cookie = r.header("set-cookie").unwrap();
    assert!(
        cookie.starts_with("sessionid=") && cookie.bytes().all(|b| (0x20..0x7f).contains(&b)),
        "{cookie}"
    );
    figure(
        "header-injection-comments",
        format!(
            "{} hostile comment texts (CRLF header lines, a whole fake response, bare CR/LF, \
             quotes, backslashes, <script>, C0 controls and DEL, U+2028/9, emoji, JSON inside \
             JSON): each 201 with exactly the header lines of an innocent post, a body of \
             exactly Content-Length bytes with no raw control byte or <>, parsed back to the \
             exact text, on POST and on GET /comments",
            HOSTILE_TEXTS.len()
        ),
    );
    let _ = signup(&s, "late", "right password");
    ledger.assert_readable(&s);
    assert_alive(&mut s);
}
