//! The attack suite (issue 5): the real binary on 127.0.0.1:0, attacked the
//! way slow, hostile and broken clients attack a server on port 80. Every
//! check prints one line `ATTACK <name>: <figure>` on stderr (run with
//! `cargo test --all-features --test attacks -- --nocapture` to see them).
//!
//! Tests that measure time or load the machine hold [`exclusive`] so that
//! they do not run at the same time as each other (the test harness runs
//! tests in parallel). Every loop is bounded in count and time; waits poll
//! with deadlines, and the only sleeps pace the attackers.

#[path = "support/board.rs"]
mod board;
#[path = "support/json_value.rs"]
mod json_value;
#[path = "support/server.rs"]
mod server;

#[path = "attacks/bodies.rs"]
mod bodies;
#[path = "attacks/idle.rs"]
mod idle;
#[path = "attacks/injection.rs"]
mod injection;
#[path = "attacks/login.rs"]
mod login;
#[path = "attacks/overload.rs"]
mod overload;
#[path = "attacks/oversized.rs"]
mod oversized;
#[path = "attacks/panics.rs"]
mod panics;
#[path = "attacks/sessions.rs"]
mod sessions;
#[path = "attacks/slow_clients.rs"]
mod slow_clients;
#[path = "attacks/smuggling.rs"]
mod smuggling;
#[path = "attacks/smuggling_cases.rs"]
mod smuggling_cases;

use std::fmt::Display;
use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use board::all_comments;
use json_value::Json;
use server::{comment_body, post_json_request, Resp, Server};

/// Prints the figure of one attack.
pub fn figure(name: &str, text: impl Display) {
    eprintln!("ATTACK {name}: {text}");
}

static EXCLUSIVE: Mutex<()> = Mutex::new(());

/// Serialises the tests that measure time or load the machine.
pub fn exclusive() -> MutexGuard<'static, ()> {
    EXCLUSIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// The end of every attack: the process still runs and answers `/healthz`.
pub fn assert_alive(s: &mut Server) {
    assert!(s.is_running(), "the server died:\n{}", tail(&s.stderr()));
    let r = s
        .try_send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer to /healthz:\n{}", tail(&s.stderr())));
    assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
}

fn tail(log: &str) -> &str {
    let cut = log.len().saturating_sub(4000);
    let cut = (cut..log.len())
        .find(|&i| log.is_char_boundary(i))
        .unwrap_or(log.len());
    &log[cut..]
}

/// Writes the server acknowledged (201), to be read back at the end.
#[derive(Default)]
pub struct Ledger {
    users: Vec<(String, String)>,
    comments: Vec<(i64, String, String)>,
}

impl Ledger {
    /// Signs up a user, recording it if acknowledged; the response.
    pub fn signup(&mut self, s: &Server, username: &str, password: &str) -> Resp {
        let r = server::signup(s, username, password);
        if r.status == 201 {
            self.users.push((username.into(), password.into()));
        }
        r
    }

    /// Records a comment response if it is a 201.
    pub fn record_comment(&mut self, r: &Resp) {
        if r.status == 201 {
            self.record(&Json::parse(&r.text()));
        }
    }

    /// Records an acknowledged comment from its JSON.
    pub fn record(&mut self, c: &Json) {
        self.comments.push((
            c.at("id").i64(),
            c.at("author").str().to_string(),
            c.at("text").str().to_string(),
        ));
    }

    /// Posts a comment with `session`, recording it if acknowledged.
    pub fn comment(&mut self, s: &Server, session: &str, text: &str) -> Resp {
        let r = s
            .client()
            .request(&post_json_request(
                "/comments",
                &comment_body(text),
                Some(session),
            ))
            .expect("a response to a comment");
        self.record_comment(&r);
        r
    }

    /// Every acknowledged user logs in; every acknowledged comment is
    /// listed exactly once, with its id, author and text.
    pub fn assert_readable(&self, s: &Server) {
        for (u, p) in &self.users {
            assert!(
                server::login(s, u, p).is_some(),
                "acknowledged user {u:?} cannot log in"
            );
        }
        let all = all_comments(s);
        for (id, author, text) in &self.comments {
            let found: Vec<_> = all.iter().filter(|c| c.0 == *id).collect();
            assert_eq!(found.len(), 1, "comment {id} listed {} times", found.len());
            assert_eq!((&found[0].1, &found[0].2), (author, text), "comment {id}");
        }
    }
}

/// Reads everything the server sends until it closes the connection (or
/// `timeout` passes). Returns the bytes and whether it closed (EOF or
/// reset) in time.
pub fn read_until_close(s: &mut TcpStream, timeout: Duration) -> (Vec<u8>, bool) {
    let end = Instant::now() + timeout;
    let mut got = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (got, false);
        }
        s.set_read_timeout(Some(left)).expect("set a read timeout");
        match s.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (got, false)
            }
            Err(_) => return (got, true),
        }
    }
}

/// Splits raw bytes into the responses they hold (each framed by its
/// `Content-Length`); a trailing partial response is left out.
pub fn split_responses(mut raw: &[u8]) -> Vec<Resp> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&raw[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.to_string(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let body_start = end + 4;
        let Some(body) = raw.get(body_start..body_start + len) else {
            break;
        };
        out.push(Resp {
            status,
            headers,
            body: body.to_vec(),
        });
        raw = &raw[body_start + len..];
    }
    out
}
