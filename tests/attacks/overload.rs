//! Overload: more connections than the server will take get 503 with
//! `Retry-After` or a prompt close, never a hang, and the server recovers
//! once the load ends.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::server::{ms, percentile, probe_healthz, Server};
use crate::{assert_alive, exclusive, figure, split_responses};

/// What one overloaded client saw.
#[derive(Debug)]
struct Outcome {
    /// The status of the first response, if one arrived.
    status: Option<u16>,
    retry_after: bool,
    /// The connection ended (EOF or reset) before the deadline.
    ended: bool,
    reset: bool,
    /// When the first response (or the end) arrived.
    after: Duration,
}

impl Outcome {
    fn kind(&self) -> String {
        match (self.status, self.reset) {
            (Some(503), _) if self.retry_after => "503+Retry-After".into(),
            (Some(s), _) => s.to_string(),
            (None, true) => "reset".into(),
            (None, false) if self.ended => "closed".into(),
            (None, false) => "hang".into(),
        }
    }
}

/// Reads every connection (non-blocking, in one thread) until each has a
/// first response and has ended, or `deadline`.
fn collect(conns: Vec<TcpStream>, start: Instant, deadline: Instant) -> Vec<Outcome> {
    let mut state: Vec<(TcpStream, Vec<u8>, Option<Outcome>)> = conns
        .into_iter()
        .map(|c| {
            c.set_nonblocking(true).unwrap();
            (c, Vec::new(), None)
        })
        .collect();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline && state.iter().any(|(_, _, o)| o.is_none()) {
        for (c, got, out) in state.iter_mut().filter(|(_, _, o)| o.is_none()) {
            let end = loop {
                match c.read(&mut buf) {
                    Ok(0) => break Some(false),
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break None,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => break Some(true),
                }
            };
            let first = split_responses(got).into_iter().next();
            if first.is_some() || end.is_some() {
                *out = Some(Outcome {
                    status: first.as_ref().map(|r| r.status),
                    retry_after: first
                        .as_ref()
                        .and_then(|r| r.header("retry-after"))
                        .is_some_and(|v| v.parse::<u64>().is_ok_and(|n| n >= 1)),
                    ended: end.is_some(),
                    reset: end == Some(true) && first.is_none(),
                    after: start.elapsed(),
                });
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    state
        .into_iter()
        .map(|(_, _, o)| {
            o.unwrap_or(Outcome {
                status: None,
                retry_after: false,
                ended: false,
                reset: false,
                after: start.elapsed(),
            })
        })
        .collect()
}

fn tally(outcomes: &[Outcome]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for o in outcomes {
        *counts.entry(o.kind()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Polls `/healthz` until it answers 200; how long that took.
fn recovery(s: &Server) -> Duration {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        let ok = s.try_send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        if ok.is_some_and(|r| r.status == 200) {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("/healthz did not recover within 10 s");
}

#[test]
fn connections_over_the_cap_get_503_at_once() {
    let _x = exclusive();
    let mut s = Server::start_ready(&["--max-connections", "50", "--idle-timeout", "30"]);
    // 50 kept-alive connections fill the cap.
    let held: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut c = s.connect();
            c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            assert_eq!(
                crate::server::read_response(&mut c, false).unwrap().status,
                200
            );
            c
        })
        .collect();
    // 50 more that only connect, and 50 that also send a request at once.
    let start = Instant::now();
    let quiet: Vec<TcpStream> = (0..50).map(|_| s.connect()).collect();
    let eager: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut c = s.connect();
            let _ = c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            c
        })
        .collect();
    let quiet = collect(quiet, start, start + Duration::from_secs(10));
    let eager = collect(eager, start, start + Duration::from_secs(10));
    for o in quiet.iter().chain(&eager) {
        let k = o.kind();
        assert!(
            k == "503+Retry-After" || k == "reset" || k == "closed",
            "an extra connection got {k}: {o:?}"
        );
        assert!(o.after < Duration::from_secs(2), "slow refusal {o:?}");
    }
    let times: Vec<Duration> = quiet.iter().chain(&eager).map(|o| o.after).collect();
    drop(held);
    let recovered = recovery(&s);
    let probes: Vec<Duration> = (0..20).map(|_| probe_healthz(&s)).collect();
    figure(
        "overload-cap",
        format!(
            "--max-connections 50 with 50 held: 50 extra connections that only connect: {}; 50 \
             that send a request at once: {}; answered within max {} of connecting; after the \
             held ones closed /healthz answered again within {} (then p50 {})",
            tally(&quiet),
            tally(&eager),
            ms(percentile(&times, 100)),
            ms(recovered),
            ms(percentile(&probes, 50))
        ),
    );
    assert!(
        quiet.iter().all(|o| o.kind() == "503+Retry-After"),
        "a client that has sent nothing can always read the 503: {}",
        tally(&quiet)
    );
    assert_alive(&mut s);
}

#[cfg(feature = "fault-injection")]
#[test]
fn a_busy_worker_and_a_full_queue_answer_503_never_hang() {
    let _x = exclusive();
    let mut s = Server::start_ready(&["--threads", "1"]);
    // One worker, each request holding it 300 ms: 400 clients overflow the
    // 256-slot queue, and most of the queued wait past its 2 s bound.
    let n = 400;
    let start = Instant::now();
    let conns: Vec<TcpStream> = (0..n)
        .map(|_| {
            let mut c = s.connect();
            let _ = c.write_all(b"GET /__sleep HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            c
        })
        .collect();
    let outcomes = collect(conns, start, start + Duration::from_secs(20));
    for o in &outcomes {
        let k = o.kind();
        assert!(
            k == "200" || k == "503+Retry-After" || k == "reset" || k == "closed",
            "a client got {k}: {o:?}"
        );
    }
    let served = outcomes.iter().filter(|o| o.status == Some(200)).count();
    let refused: Vec<Duration> = outcomes
        .iter()
        .filter(|o| o.status != Some(200))
        .map(|o| o.after)
        .collect();
    let done_in = percentile(&outcomes.iter().map(|o| o.after).collect::<Vec<_>>(), 100);
    let at_once = refused
        .iter()
        .filter(|d| **d < Duration::from_secs(1))
        .count();
    let recovered = recovery(&s);
    let after: Vec<Duration> = (0..20).map(|_| probe_healthz(&s)).collect();
    let slept = s
        .try_send(b"GET /__sleep HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .map(|r| r.status);
    figure(
        "overload-queue",
        format!(
            "--threads 1, {n} clients of GET /__sleep (300 ms each) at once: {}; {at_once} \
             refused at once (queue full, first after {}), {} after waiting past the 2 s bound \
             (max {}); every client answered or closed within {}; then /healthz in {} (p50 {}), \
             /__sleep {:?}",
            tally(&outcomes),
            ms(percentile(&refused, 0)),
            refused.len() - at_once,
            ms(percentile(&refused, 100)),
            ms(done_in),
            ms(recovered),
            ms(percentile(&after, 50)),
            slept
        ),
    );
    assert!(served >= 1, "the worker served nobody");
    assert!(
        outcomes
            .iter()
            .filter(|o| o.kind() == "503+Retry-After")
            .count()
            > 0,
        "no 503 at all: {}",
        tally(&outcomes)
    );
    assert!(done_in < Duration::from_secs(12), "took {done_in:?}");
    assert_eq!(slept, Some(200));
    assert_alive(&mut s);
}

/// Regression: past the open-file limit new connections used to wait
/// unanswered in the listen backlog (accept failing with EMFILE) while the
/// loop spun on the listener; now the connection cap follows the limit.
#[test]
fn connections_beyond_the_open_file_limit_are_refused_not_left_waiting() {
    let _x = exclusive();
    // 64 descriptors: about 55 connections fit; the default --max-connections
    // (60,000) is far above what the process may open.
    let mut s = Server::start_with_fd_limit(64, &["--idle-timeout", "30"]);
    assert_eq!(s.get("/healthz").status, 200);
    let start = Instant::now();
    let conns: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut c = s.connect();
            let _ = c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            c
        })
        .collect();
    let outcomes = collect(conns, start, start + Duration::from_secs(5));
    let accept_errors = s.stderr().matches("accept: ").count();
    figure(
        "overload-fd-limit",
        format!(
            "open-file limit 64, 100 kept-alive clients: {}; {accept_errors} accept errors logged",
            tally(&outcomes)
        ),
    );
    assert!(
        outcomes.iter().all(|o| o.kind() != "hang"),
        "clients left waiting: {}",
        tally(&outcomes)
    );
    // The clients are gone; the server frees their slots as it reads their
    // closes, and then takes new connections again.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match s.try_send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") {
            Some(r) if r.status == 200 => break,
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    assert_alive(&mut s);
}
