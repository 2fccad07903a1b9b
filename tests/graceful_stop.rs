//! Graceful stop (issue 5): SIGTERM during load. Requests in flight are
//! answered, new connections are refused once the server has stopped
//! accepting, the exit code is 0, and nothing acknowledged is lost (a
//! restart on the same `--data-dir` has it all).
//!
//! The load: writers posting comments on kept-alive connections and, with
//! the `fault-injection` feature, sleepers requesting `GET /__sleep` (300 ms
//! in the handler, so one is almost always in flight at the signal).

#[path = "support/board.rs"]
mod board;
#[path = "support/json_value.rs"]
mod json_value;
#[path = "support/server.rs"]
mod server;

use std::collections::HashSet;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use board::all_comments;
use json_value::Json;
use server::{comment_body, get_request, login, post_json_request, signup, Resp, Server};

const WRITERS: usize = 4;
/// Requesters of `/__sleep` (only with the `fault-injection` feature).
fn sleepers() -> usize {
    if cfg!(feature = "fault-injection") {
        3
    } else {
        0
    }
}
/// Requests one client makes at most (a bound; the stop comes first).
const MAX_REQUESTS: usize = 5000;

/// One request as a client saw it.
struct Sent {
    written: Instant,
    answered: Option<(Instant, u16)>,
    closing: bool,
}

/// Sends `raw` on `c`; what happened.
fn exchange(c: &mut server::Client, raw: &[u8]) -> (Sent, Option<Resp>) {
    let written = Instant::now();
    let r = c.request(raw);
    let sent = Sent {
        written,
        answered: r.as_ref().map(|r| (Instant::now(), r.status)),
        closing: r
            .as_ref()
            .is_some_and(|r| r.header("connection") == Some("close")),
    };
    (sent, r)
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("stateful-graceful-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn sigterm_under_load_answers_in_flight_requests_and_loses_nothing() {
    let dir = temp_dir();
    let d = dir.to_str().unwrap();
    let mut s = Server::start(&["--data-dir", d, "--threads", "4"]);
    let sessions: Vec<(String, String)> = (0..WRITERS)
        .map(|w| {
            let u = format!("writer{w}");
            assert_eq!(signup(&s, &u, "right password").status, 201);
            let id = login(&s, &u, "right password").expect("login");
            (u, id)
        })
        .collect();
    let acked: Mutex<Vec<(i64, String)>> = Mutex::new(Vec::new());
    let log: Mutex<Vec<Sent>> = Mutex::new(Vec::new());
    let (acks, sleeps) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mut term_sent = Instant::now();
    let mut term_done = Instant::now();
    let mut refused = 0;
    let mut refused_checks = 0;
    std::thread::scope(|scope| {
        for (u, id) in &sessions {
            let (s, acked, log, acks) = (&s, &acked, &log, &acks);
            scope.spawn(move || {
                let mut c = s.client();
                for i in 0..MAX_REQUESTS {
                    let text = format!("{u} #{i}");
                    let raw = post_json_request("/comments", &comment_body(&text), Some(id));
                    let (sent, r) = exchange(&mut c, &raw);
                    let closing = sent.closing;
                    log.lock().unwrap().push(sent);
                    match r {
                        Some(r) if r.status == 201 => {
                            let id = Json::parse(&r.text()).at("id").i64();
                            acked.lock().unwrap().push((id, text));
                            acks.fetch_add(1, Ordering::SeqCst);
                        }
                        Some(r) => panic!("{text}: {} {}", r.status, r.text()),
                        None => return,
                    }
                    if closing {
                        return;
                    }
                }
            });
        }
        for _ in 0..sleepers() {
            let (s, log, sleeps) = (&s, &log, &sleeps);
            scope.spawn(move || {
                let mut c = s.client();
                for _ in 0..MAX_REQUESTS {
                    let (sent, r) = exchange(&mut c, &get_request("/__sleep", None));
                    let closing = sent.closing;
                    log.lock().unwrap().push(sent);
                    match r {
                        Some(r) => assert_eq!(r.status, 200),
                        None => return,
                    }
                    sleeps.fetch_add(1, Ordering::SeqCst);
                    if closing {
                        return;
                    }
                }
            });
        }
        // The load is running: acknowledged comments and completed sleeps.
        let deadline = Instant::now() + Duration::from_secs(20);
        while (acks.load(Ordering::SeqCst) < 50 || sleeps.load(Ordering::SeqCst) < sleepers())
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(acks.load(Ordering::SeqCst) >= 50, "the load never ran");
        term_sent = Instant::now();
        s.signal("TERM");
        term_done = Instant::now();
        // Once the server says it stopped accepting, connecting fails.
        assert!(
            s.wait_stderr("stopping: no new connections", Duration::from_secs(5)),
            "{}",
            s.stderr()
        );
        let until = Instant::now() + Duration::from_millis(200);
        while Instant::now() < until && refused_checks < 50 {
            refused_checks += 1;
            if TcpStream::connect(s.addr).is_err() {
                refused += 1;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let exit = s.wait_exit(Duration::from_secs(15));
    let stopped_in = term_done.elapsed();
    assert_eq!(exit, Some(0), "exit code after SIGTERM");
    assert_eq!(
        refused, refused_checks,
        "a connection was accepted after the stop"
    );

    let log = log.into_inner().unwrap();
    // Every request written before the signal was answered.
    let before: Vec<&Sent> = log.iter().filter(|x| x.written < term_sent).collect();
    let unanswered = before.iter().filter(|x| x.answered.is_none()).count();
    let in_flight = before
        .iter()
        .filter(|x| x.answered.is_some_and(|(at, _)| at > term_done))
        .count();
    let in_flight_sleeps = before
        .iter()
        .filter(|x| {
            x.answered
                .is_some_and(|(at, st)| at > term_done && st == 200)
        })
        .count();
    let after = log.len() - before.len();
    let after_answered = log
        .iter()
        .filter(|x| x.written >= term_sent && x.answered.is_some())
        .count();
    assert_eq!(
        unanswered, 0,
        "requests written before SIGTERM went unanswered"
    );

    // Nothing acknowledged is lost.
    let acked = acked.into_inner().unwrap();
    let s = Server::start(&["--data-dir", d]);
    let mut listed = HashSet::new();
    for (id, _, text) in all_comments(&s) {
        assert!(listed.insert((id, text)));
    }
    for a in &acked {
        assert!(listed.contains(a), "acknowledged {a:?} lost");
    }
    eprintln!(
        "ATTACK graceful-stop: SIGTERM with {WRITERS} writers and {} /__sleep clients \
         busy: {} requests written before the signal, all answered ({in_flight} of them after \
         it, {in_flight_sleeps} of those /__sleep); {after} written after it ({after_answered} \
         still answered, the rest closed); {refused}/{refused_checks} connects after the \
         'stopping' line refused; exit code 0 after {:.2}s; {} acknowledged comments all there \
         after a restart ({} listed)",
        sleepers(),
        before.len(),
        stopped_in.as_secs_f64(),
        acked.len(),
        listed.len()
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}
