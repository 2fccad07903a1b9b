//! The `--redis*` flags and `/readyz`, end to end, without a Redis: a URL
//! that does not parse and `--redis` with `--data-dir` exit 2; an
//! unreachable Redis is not fatal (the server starts, `/readyz` and every
//! route that needs the store say 503, `/healthz` says ok).

#[path = "support/server.rs"]
mod server;

use std::process::Command;
use std::time::{Duration, Instant};

use server::{credentials, post_json_request, Server};

fn exit_of(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stateful"))
        .args(["--port", "0"])
        .args(args)
        .output()
        .expect("run stateful");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn malformed_redis_flags_exit_2_with_the_reason() {
    for (args, says) in [
        (&["--redis", "redis://h:99999"][..], "port"),
        (&["--redis", "rediss://h"], "TLS"),
        (&["--redis", "localhost:6379"], "redis://"),
        (
            &["--redis", "redis://127.0.0.1", "--data-dir", "/tmp/x"],
            "exclude",
        ),
        (&["--redis-timeout", "1"], "need --redis"),
        (
            &["--redis", "redis://h", "--redis-prefix", "{x}"],
            "--redis-prefix",
        ),
    ] {
        let (code, stderr) = exit_of(args);
        assert_eq!(code, Some(2), "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn an_unreachable_redis_is_not_fatal_and_everything_that_needs_it_is_503() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let s = Server::start(&["--redis", &url, "--redis-timeout", "0.5"]);
    assert_eq!(s.get("/healthz").text(), "ok");
    let t = Instant::now();
    let ready = s.get("/readyz");
    assert_eq!(ready.status, 503);
    assert_eq!(ready.text(), "{\"error\":\"store unavailable\"}");
    assert_eq!(ready.header("retry-after"), Some("1"));
    let me = s.send(b"GET /me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: sessionid=abcdefghijklmnopqrstuvwxyz012345\r\n\r\n");
    assert_eq!(me.status, 503, "a session is never taken as valid");
    assert_eq!(s.get("/comments").status, 503);
    let signup = s.send(&post_json_request(
        "/signup",
        &credentials("hal", "password1"),
        None,
    ));
    assert_eq!(signup.status, 503, "a write is never reported done");
    assert!(
        t.elapsed() < Duration::from_secs(6),
        "each within the timeout plus 1 s"
    );
    assert!(s.stderr().contains("starting anyway"), "{}", s.stderr());
}

#[test]
fn readyz_without_redis_is_always_ready() {
    let s = Server::start(&[]);
    let r = s.get("/readyz");
    assert_eq!((r.status, r.text().as_str()), (200, "ready"));
    let head = s.send(b"HEAD /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(head.status, 200);
}
