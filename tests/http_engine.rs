//! The HTTP/1.1 engine end to end: the real binary on port 0, raw bytes.

#[path = "support/server.rs"]
mod server;

use std::io::Write;
use std::time::{Duration, Instant};

use server::{closed_within, read_response, read_response_raw, Server};

#[test]
fn healthz_has_every_required_field() {
    let s = Server::start(&[]);
    let r = s.get("/healthz");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"ok");
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    assert_eq!(r.header("content-length"), Some("2"));
    assert_eq!(r.header("server"), Some("stateful"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let date = r.header("date").unwrap();
    assert!(date.ends_with(" GMT") && date.len() == 29, "{date}");
}

#[test]
fn absolute_form_targets_route_by_their_path() {
    let s = Server::start(&[]);
    let r = s.send(b"GET http://127.0.0.1/healthz?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]));
    // The empty path is `/` (RFC 9110 section 4.2.3): routed, so the board
    // here, not a 400 for the form of the target.
    let r = s.send(b"GET http://127.0.0.1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().starts_with("<!doctype html>"));
    let r = s.send(b"GET http:///healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert_eq!(r.status, 400, "no host in the target");
}

#[test]
fn head_gets_fields_without_body_and_keeps_alive() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.write_all(
        b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .unwrap();
    let head = read_response(&mut c, true).unwrap();
    assert_eq!(
        (head.status, head.header("content-length")),
        (200, Some("2"))
    );
    let get = read_response(&mut c, false).unwrap();
    assert_eq!(get.body, b"ok", "HEAD must not have sent a body");
}

#[test]
fn unknown_path_method_and_405_allow() {
    let s = Server::start(&[]);
    let r = s.get("/nope");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.text().contains("\"error\""));
    let r = s.send(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    for m in ["PUT", "FOO", "OPTIONS"] {
        let r = s.send(format!("{m} /healthz HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
        assert_eq!(r.status, 501, "{m}");
    }
    // DELETE is implemented (for /comments/ID), so here it is 405.
    let r = s.send(b"DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.write_all(
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n\
          POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcHEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let statuses: Vec<u16> = (0..5)
        .map(|i| read_response(&mut c, i == 3).unwrap().status)
        .collect();
    assert_eq!(statuses, [200, 404, 405, 200, 200]);
    assert!(closed_within(&mut c, Duration::from_secs(2)));
}

#[test]
fn http10_closes_unless_keep_alive() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").unwrap();
    let r = read_response(&mut c, false).unwrap();
    assert_eq!(r.header("connection"), Some("close"));
    assert!(closed_within(&mut c, Duration::from_secs(2)));

    // RFC 9112 section 9.6: after a response that said close, no further
    // request on the connection is processed, pipelined or not.
    let mut c = s.connect();
    c.write_all(b"GET /healthz HTTP/1.0\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let r = read_response(&mut c, false).unwrap();
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert!(read_response(&mut c, false).is_none(), "a second response");

    let mut c = s.connect();
    c.write_all(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    let r = read_response(&mut c, false).unwrap();
    assert_eq!(r.header("connection"), Some("keep-alive"));
    c.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut c, false).unwrap().status, 200);
}

#[test]
fn bare_lf_requests_work_like_nc() {
    let s = Server::start(&[]);
    let r = s.send(b"GET /healthz HTTP/1.1\nHost: x\n\n");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
}

#[test]
fn expect_100_continue_gets_interim_before_body() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.write_all(
        b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    )
    .unwrap();
    let interim = read_response_raw(&mut c, false).unwrap();
    assert_eq!(interim.status, 100);
    c.write_all(b"hello").unwrap();
    assert_eq!(read_response(&mut c, false).unwrap().status, 405);
    // HTTP/1.0 cannot take a 1xx response: its expectation is ignored
    // (RFC 9110 sections 10.1.1 and 15.2), and the body is awaited.
    let mut c = s.connect();
    c.write_all(b"POST /healthz HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    c.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut early = [0u8; 64];
    let got = std::io::Read::read(&mut c, &mut early);
    assert!(
        got.is_err(),
        "nothing before the body, got {:?}",
        got.map(|n| String::from_utf8_lossy(&early[..n]).into_owned())
    );
    c.set_read_timeout(None).unwrap();
    c.write_all(b"hello").unwrap();
    let r = read_response_raw(&mut c, false).unwrap();
    assert_eq!(r.status, 405);
    // Another expectation: 417.
    let r =
        s.send(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 200-ok\r\n\r\n");
    assert_eq!(r.status, 417);
}

#[test]
fn oversized_body_is_refused_before_it_is_sent() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.write_all(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n")
        .unwrap();
    let r = read_response(&mut c, false).unwrap();
    assert_eq!(r.status, 413);
    assert_eq!(r.header("connection"), Some("close"));
}

#[test]
fn protocol_errors_are_readable_before_close() {
    let s = Server::start(&[]);
    let cases: &[(&[u8], u16)] = &[
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\n\r\n", 400),
        (b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
        (b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        (b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    ];
    for (raw, status) in cases {
        let mut c = s.connect();
        c.write_all(raw).unwrap();
        // Garbage after the error must not turn the response into a reset.
        let _ = c.write_all(&[b'x'; 100_000]);
        let r = read_response(&mut c, false).unwrap_or_else(|| panic!("no response to {raw:?}"));
        assert_eq!(r.status, *status, "{:?}", String::from_utf8_lossy(raw));
        assert_eq!(r.header("connection"), Some("close"));
        assert!(r.text().starts_with("{\"error\":"), "{}", r.text());
        assert!(closed_within(&mut c, Duration::from_secs(5)));
    }
}

/// What RFC 9112 and 9110 say a server must refuse, over TCP: one response,
/// then close; and the neighbouring requests that must still be served.
#[test]
fn target_forms_hosts_and_chunked_line_ends_end_to_end() {
    let s = Server::start(&[]);
    #[rustfmt::skip]
    let refused: &[(&[u8], u16)] = &[
        (b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET x:80 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"CONNECT /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"CONNECT x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"CONNECT x:0 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        (b"GET https://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n", 421),
        (b"GET /healthz HTTP/1.1\r\nHost: a:b\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\nHost: a:99999\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\nHost: :80\r\n\r\n", 400),
        (b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\n0\r\n\r\n", 400),
        (b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n", 400),
    ];
    for (raw, status) in refused {
        let mut c = s.connect();
        c.write_all(raw).unwrap();
        let r = read_response(&mut c, false).unwrap_or_else(|| panic!("no response to {raw:?}"));
        assert_eq!(r.status, *status, "{:?}", String::from_utf8_lossy(raw));
        assert_eq!(r.header("connection"), Some("close"));
        assert!(closed_within(&mut c, Duration::from_secs(5)));
    }
    #[rustfmt::skip]
    let served: &[(&[u8], u16)] = &[
        (b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 501),
        (b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", 501),
        (b"GET /healthz HTTP/1.1\r\nHost: x:\r\n\r\n", 200),
        (b"GET /healthz HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 200),
        (b"GET /healthz HTTP/1.1\r\nHost: x:080\r\n\r\n", 200),
    ];
    for (raw, status) in served {
        assert_eq!(
            s.send(raw).status,
            *status,
            "{:?}",
            String::from_utf8_lossy(raw)
        );
    }
}

/// RFC 9110 §9.3.2: no content in a response to HEAD, an error response
/// to a HEAD request whose head or body was refused included.
#[test]
fn errors_to_head_requests_carry_no_content() {
    let s = Server::start(&[]);
    #[rustfmt::skip]
    let cases: &[(&[u8], u16)] = &[
        (b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        (b"HEAD /healthz HTTP/1.1\r\nHost: a:b\r\n\r\n", 400),
        (b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413),
        (b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\na\r\n0\r\n\r\n", 400),
        (b"HEAD /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
        (b"HEAD /signup HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
    ];
    for (raw, status) in cases {
        let mut c = s.connect();
        c.write_all(raw).unwrap();
        let r = read_response(&mut c, true).unwrap_or_else(|| panic!("no response to {raw:?}"));
        assert_eq!(r.status, *status, "{:?}", String::from_utf8_lossy(raw));
        assert!(r.header("content-length").is_some());
        let mut rest = Vec::new();
        let _ = std::io::Read::read_to_end(&mut c, &mut rest);
        assert!(
            rest.is_empty(),
            "content after the head: {:?}",
            String::from_utf8_lossy(&rest)
        );
    }
}

#[test]
fn limits_give_414_and_431() {
    let s = Server::start(&[]);
    let mut long = b"GET /healthz?q=".to_vec();
    long.resize(9000, b'a');
    long.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(s.send(&long).status, 414);
    let mut big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: ".to_vec();
    big.resize(big.len() + 70 * 1024, b'h');
    big.extend_from_slice(b"\r\n\r\n");
    assert_eq!(s.send(&big).status, 431);
    // A trailer section over its limit: 431 as well (RFC 9110 section 5.4).
    let mut trailers =
        b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n".to_vec();
    for _ in 0..2000 {
        trailers.extend_from_slice(b"X-Pad: 0123456789\r\n");
    }
    trailers.extend_from_slice(b"\r\n");
    assert_eq!(s.send(&trailers).status, 431);
}

#[test]
fn header_trickle_gets_408_within_the_header_timeout() {
    let s = Server::start(&["--header-timeout", "0.5"]);
    let mut c = s.connect();
    let start = Instant::now();
    c.write_all(b"GET /healthz HTTP/1.1\r\n").unwrap();
    let mut got = None;
    for i in 0..40 {
        std::thread::sleep(Duration::from_millis(50));
        if c.write_all(format!("X-{i}: y\r\n").as_bytes()).is_err() {
            break;
        }
        if start.elapsed() > Duration::from_millis(700) {
            break;
        }
    }
    if let Some(r) = read_response(&mut c, false) {
        got = Some(r.status);
    }
    assert_eq!(got, Some(408));
    let took = start.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn stalled_body_gets_408() {
    let s = Server::start(&["--body-timeout", "0.3"]);
    let mut c = s.connect();
    c.write_all(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
        .unwrap();
    let r = read_response(&mut c, false).unwrap();
    assert_eq!(r.status, 408);
    // RFC 9112 section 6.3: an incomplete message closes the connection.
    assert_eq!(r.header("connection"), Some("close"));
    assert!(closed_within(&mut c, Duration::from_secs(5)));
}

#[test]
fn idle_keep_alive_connection_is_closed() {
    let s = Server::start(&["--idle-timeout", "0.3"]);
    let mut c = s.connect();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut c, false).unwrap().status, 200);
    let start = Instant::now();
    assert!(closed_within(&mut c, Duration::from_secs(3)));
    assert!(start.elapsed() >= Duration::from_millis(250));
    // A connection that never sends a byte is closed silently, too.
    let mut quiet = s.connect();
    assert!(closed_within(&mut quiet, Duration::from_secs(3)));
}

#[test]
fn access_log_has_one_line_per_request() {
    let s = Server::start(&[]);
    s.get("/healthz");
    s.get("/nope");
    // Each event loop hands its lines over once per tick: the two may be
    // served by different loops and show up in either order.
    for line in [
        "\"GET /nope HTTP/1.1\" 404",
        "\"GET /healthz HTTP/1.1\" 200 2",
    ] {
        assert!(
            s.wait_stderr(line, Duration::from_secs(2)),
            "{line}: {}",
            s.stderr()
        );
    }
    let log = s.stderr();
    let line = log
        .lines()
        .find(|l| l.contains("\"GET /healthz HTTP/1.1\" 200 2"))
        .expect("healthz line");
    assert!(line.starts_with("127.0.0.1 - - ["), "{line}");
}

#[test]
fn help_and_bad_flags() {
    let bin = env!("CARGO_BIN_EXE_stateful");
    let out = std::process::Command::new(bin)
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--port"));
    for bad in [&["--frobnicate"][..], &["--port", "x"], &["--threads"]] {
        let out = std::process::Command::new(bin).args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn sigterm_stops_gracefully() {
    let mut s = Server::start(&[]);
    let mut idle = s.connect();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut idle, false).unwrap().status, 200);
    s.signal("TERM");
    assert_eq!(s.wait_exit(Duration::from_secs(5)), Some(0));
    assert!(closed_within(&mut idle, Duration::from_secs(1)));
    assert!(
        std::net::TcpStream::connect(s.addr).is_err(),
        "still accepting after exit"
    );
}

#[cfg(feature = "fault-injection")]
mod faults {
    use super::*;

    #[test]
    fn a_panic_answers_500_and_the_worker_lives_on() {
        let s = Server::start(&["--threads", "1"]);
        for _ in 0..3 {
            assert_eq!(s.get("/__panic").status, 500);
        }
        assert_eq!(s.get("/healthz").status, 200);
    }

    #[test]
    fn sigterm_finishes_the_request_in_flight() {
        let mut s = Server::start(&[]);
        let mut c = s.connect();
        c.write_all(b"GET /__sleep HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        s.signal("TERM");
        let r = read_response(&mut c, false).expect("the request in flight is answered");
        assert_eq!((r.status, r.header("connection")), (200, Some("close")));
        assert_eq!(s.wait_exit(Duration::from_secs(5)), Some(0));
    }
}
