//! `--metrics-bind`: the Prometheus exposition on a listener of its own,
//! end to end against the real binary.

#[path = "support/server.rs"]
mod server;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use server::{credentials, post_json_request, session_id, Server};

/// Starts a server with a metrics port; the metrics address.
fn start(extra: &[&str]) -> (Server, String) {
    let mut args = vec!["--metrics-bind", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let s = Server::start(&args);
    assert!(
        s.wait_stderr("metrics on http://", Duration::from_secs(5)),
        "{}",
        s.stderr()
    );
    let err = s.stderr();
    let addr = err
        .split("metrics on http://")
        .nth(1)
        .and_then(|rest| rest.split("/metrics").next())
        .expect("the metrics address")
        .to_string();
    (s, addr)
}

fn raw(addr: &str, request: &str) -> String {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).unwrap();
    out
}

fn scrape(addr: &str) -> String {
    let r = raw(addr, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(r.starts_with("HTTP/1.1 200 "), "{r}");
    assert!(r.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"));
    r.split_once("\r\n\r\n").unwrap().1.to_string()
}

fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .parse()
        .unwrap()
}

#[test]
fn requests_logins_and_connections_are_counted() {
    let (s, addr) = start(&[]);
    for _ in 0..3 {
        assert_eq!(s.get("/healthz").status, 200);
    }
    assert_eq!(s.get("/nowhere").status, 404);
    server::signup(&s, "alice", "correct-horse");
    let mut c = s.client();
    let bad = c
        .request(&post_json_request(
            "/login",
            &credentials("alice", "wrong-wrong"),
            None,
        ))
        .unwrap();
    assert_eq!(bad.status, 401);
    let ok = c
        .request(&post_json_request(
            "/login",
            &credentials("alice", "correct-horse"),
            None,
        ))
        .unwrap();
    assert!(session_id(&ok).is_some());
    // Idle keep-alive connections count as open (each has been served
    // once, so the listener's deferred accept has handed it over).
    let idle: Vec<_> = (0..3)
        .map(|_| {
            let mut k = s.client();
            let r = k.request(&server::get_request("/healthz", None)).unwrap();
            assert_eq!(r.status, 200);
            k
        })
        .collect();
    let text = scrape(&addr);
    assert_eq!(
        value(
            &text,
            r#"stateful_http_requests_total{route="/healthz",class="2xx"}"#
        ),
        6.0
    );
    assert_eq!(
        value(
            &text,
            r#"stateful_http_requests_total{route="other",class="4xx"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            r#"stateful_http_requests_total{route="/login",class="4xx"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            r#"stateful_http_request_duration_seconds_count{route="/healthz"}"#
        ),
        6.0
    );
    assert!(text.contains("# TYPE stateful_http_request_duration_seconds histogram"));
    assert!(value(&text, "stateful_open_connections") >= 4.0, "{text}");
    assert_eq!(value(&text, "stateful_sessions"), 1.0);
    assert_eq!(value(&text, "stateful_logins_total"), 1.0);
    assert_eq!(value(&text, "stateful_login_failures_total"), 1.0);
    assert_eq!(value(&text, "stateful_access_log_dropped_lines_total"), 0.0);
    drop(idle);
    drop(c);
}

#[test]
fn the_metrics_live_only_on_their_own_port() {
    let (s, addr) = start(&[]);
    assert_eq!(s.get("/metrics").status, 404, "not on the main port");
    let r = raw(&addr, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(r.starts_with("HTTP/1.1 404 "), "{r}");
    let r = raw(&addr, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(
        r.starts_with("HTTP/1.1 200 ") && r.ends_with("\r\n\r\n"),
        "{r}"
    );
    let r = raw(&addr, "BAD\0 \r\n\r\n");
    assert!(r.starts_with("HTTP/1.1 400 "), "{r}");
}

#[test]
fn store_calls_are_timed_with_a_data_directory() {
    let dir = std::env::temp_dir().join(format!("stateful-metrics-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (s, addr) = start(&["--data-dir", dir.to_str().unwrap()]);
    server::signup(&s, "bob", "correct-horse");
    let text = scrape(&addr);
    assert!(
        value(
            &text,
            r#"stateful_store_call_duration_seconds_count{store="journal"}"#
        ) >= 2.0,
        "{text}"
    );
    assert_eq!(
        value(&text, r#"stateful_store_errors_total{store="journal"}"#),
        0.0
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_malformed_metrics_address_is_refused_at_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stateful"))
        .args(["--metrics-bind", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--metrics-bind"));
}
