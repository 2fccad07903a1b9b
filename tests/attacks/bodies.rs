//! Hostile bodies and heads: JSON nested 100,000 deep, invalid UTF-8, NUL
//! bytes. Each is a 400, and the server is alive afterwards.

use std::io::Write;

use crate::server::{login, read_response, Server};
use crate::{assert_alive, figure, Ledger};

/// A POST of `body` to `path` as `content_type`, with an optional session.
fn post(path: &str, content_type: &str, body: &[u8], session: Option<&str>) -> Vec<u8> {
    let cookie = session
        .map(|id| format!("Cookie: sessionid={id}\r\n"))
        .unwrap_or_default();
    let mut raw = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         {cookie}\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw
}

fn nested(open: &str, close: &str, depth: usize, inner: &str) -> Vec<u8> {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth)).into_bytes()
}

#[test]
fn deep_json_invalid_utf8_and_nul_bytes_get_400() {
    let mut s = Server::start(&[]);
    let mut ledger = Ledger::default();
    assert_eq!(ledger.signup(&s, "nora", "right password").status, 201);
    let id = login(&s, "nora", "right password").unwrap();
    let deep = 100_000;
    let json = "application/json";
    let form = "application/x-www-form-urlencoded";
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        (
            "arrays 100k deep".into(),
            post("/signup", json, &nested("[", "]", deep, ""), None),
        ),
        (
            "objects 100k deep".into(),
            post("/signup", json, &nested("{\"a\":", "}", deep, "1"), None),
        ),
        (
            "100k deep inside a field".into(),
            post(
                "/signup",
                json,
                &[
                    &b"{\"username\":\"x\",\"password\":"[..],
                    &nested("[", "]", deep, ""),
                    b"}",
                ]
                .concat(),
                None,
            ),
        ),
        (
            "100k deep comment text".into(),
            post(
                "/comments",
                json,
                &[
                    &b"{\"text\":"[..],
                    &nested("{\"t\":", "}", deep, "\"x\""),
                    b"}",
                ]
                .concat(),
                Some(&id),
            ),
        ),
        (
            "100k opening brackets, never closed".into(),
            post("/signup", json, "[".repeat(deep).as_bytes(), None),
        ),
        (
            "mixed 100k deep".into(),
            post(
                "/signup",
                json,
                "[{\"a\":".repeat(deep / 2).as_bytes(),
                None,
            ),
        ),
    ];
    let bad_utf8: &[(&str, &[u8])] = &[
        ("0xff", b"\xff"),
        ("lone continuation", b"\x80"),
        ("overlong NUL", b"\xc0\x80"),
        ("overlong slash", b"\xe0\x80\xaf"),
        ("UTF-16 surrogate", b"\xed\xa0\x80"),
        ("above U+10FFFF", b"\xf4\x90\x80\x80"),
        ("truncated 3-byte", b"\xe2\x82"),
        ("truncated at the end", b"\xf0\x9f\x98"),
    ];
    for (name, bytes) in bad_utf8 {
        let mut body = b"{\"username\":\"x".to_vec();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\",\"password\":\"right password\"}");
        cases.push((
            format!("JSON string with {name}"),
            post("/signup", json, &body, None),
        ));
        let mut text = b"{\"text\":\"hi ".to_vec();
        text.extend_from_slice(bytes);
        text.extend_from_slice(b"\"}");
        cases.push((
            format!("comment with {name}"),
            post("/comments", json, &text, Some(&id)),
        ));
        let mut f = b"username=x".to_vec();
        f.extend_from_slice(bytes);
        f.extend_from_slice(b"&password=right+password");
        cases.push((
            format!("form with raw {name}"),
            post("/signup", form, &f, None),
        ));
        let pct: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
        cases.push((
            format!("form with %-encoded {name}"),
            post(
                "/signup",
                form,
                format!("username=x{pct}&password=right+password").as_bytes(),
                None,
            ),
        ));
    }
    let nul_bodies: &[(&str, &str, &[u8])] = &[
        (
            "raw NUL in a JSON string",
            json,
            b"{\"username\":\"a\0b\",\"password\":\"right password\"}",
        ),
        (
            "raw NUL between JSON tokens",
            json,
            b"{\"username\":\"ab\",\0\"password\":\"right password\"}",
        ),
        (
            "escaped NUL in a username",
            json,
            b"{\"username\":\"a\\u0000b\",\"password\":\"right password\"}",
        ),
        (
            "escaped NUL in a password",
            json,
            b"{\"username\":\"nul1\",\"password\":\"right\\u0000password\"}",
        ),
        (
            "NUL in a form value",
            form,
            b"username=a\0b&password=right+password",
        ),
        (
            "%00 in a form value",
            form,
            b"username=nul2&password=right%00password",
        ),
        (
            "NUL after the JSON object",
            json,
            b"{\"username\":\"nul3\",\"password\":\"right password\"}\0",
        ),
    ];
    for (name, ct, body) in nul_bodies {
        cases.push((name.to_string(), post("/signup", ct, body, None)));
    }
    cases.push((
        "escaped NUL in a comment".into(),
        post("/comments", json, b"{\"text\":\"a\\u0000b\"}", Some(&id)),
    ));
    let nul_heads: &[(&str, &[u8])] = &[
        ("NUL in the method", b"GE\0T /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("NUL in the target", b"GET /health\0z HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("NUL in the version", b"GET /healthz HTTP/1.1\0\r\nHost: x\r\n\r\n"),
        ("NUL in a field name", b"GET /healthz HTTP/1.1\r\nHo\0st: x\r\n\r\n"),
        ("NUL in a field value", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n"),
        ("NUL in the cookie", b"GET /me HTTP/1.1\r\nHost: x\r\nCookie: sessionid=\0\r\n\r\n"),
        ("NUL as the first byte", b"\0GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("NUL in a chunk size", b"POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\0\r\na\r\n0\r\n\r\n"),
        ("NUL in a chunk extension", b"POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\0\r\na\r\n0\r\n\r\n"),
        ("NUL in a trailer", b"POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: \0\r\n\r\n"),
        ("UTF-8 overlong in the target", b"GET /\xc0\xafhealthz HTTP/1.1\r\nHost: x\r\n\r\n"),
    ];
    for (name, raw) in nul_heads {
        cases.push((name.to_string(), raw.to_vec()));
    }
    for (name, raw) in &cases {
        let mut c = s.connect();
        c.write_all(raw).unwrap();
        let r = read_response(&mut c, false).unwrap_or_else(|| panic!("{name}: no answer"));
        assert_eq!(r.status, 400, "{name}: {}", r.text());
        assert!(r.text().starts_with("{\"error\":"), "{name}: {}", r.text());
        assert!(s.is_running(), "{name} killed the server");
    }
    figure(
        "malformed-bodies",
        format!(
            "{} cases: JSON arrays/objects/mixed nested 100,000 deep (also inside a field and a \
             comment, and never closed), 8 kinds of invalid UTF-8 in JSON, comments and forms \
             (raw and %-encoded), NUL bytes raw and escaped in bodies and in every part of the \
             head, chunk lines and trailers: all 400 with a JSON error, server alive after each",
            cases.len()
        ),
    );
    ledger.assert_readable(&s);
    assert_alive(&mut s);
}
