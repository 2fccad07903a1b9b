//! Ten thousand idle keep-alive connections: each sent one request and was
//! left open. New clients are still served at once, and an idle connection
//! costs the server little memory.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::server::{ms, percentile, probe_healthz, read_response, Server};
use crate::{assert_alive, exclusive, figure};

/// Idle connections held. The open-file limit (20,000 on the CI machine)
/// must cover this test process's ends plus a few.
const IDLE: usize = 10_000;
/// Threads opening them.
const OPENERS: usize = 4;

/// Opens one connection, sends a keep-alive `GET /healthz` and reads the
/// whole response (one read is usually enough: it is ~150 bytes).
fn open_idle(s: &Server) -> TcpStream {
    let mut c = TcpStream::connect(s.addr).expect("connect an idle client");
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("send the request");
    let mut got = Vec::with_capacity(256);
    let mut buf = [0u8; 512];
    while !(got.ends_with(b"\r\n\r\nok")) {
        let n = c.read(&mut buf).expect("read the response");
        assert!(n > 0, "closed instead of answering");
        got.extend_from_slice(&buf[..n]);
    }
    assert!(got.starts_with(b"HTTP/1.1 200 "), "{got:?}");
    c
}

#[test]
fn ten_thousand_idle_keep_alive_connections_cost_little() {
    let _x = exclusive();
    let mut s = Server::start_ready(&["--idle-timeout", "60"]);
    // Warm up (allocator, threads, log) before the baseline.
    for _ in 0..50 {
        probe_healthz(&s);
    }
    let rss_before = s.rss_kib();
    let start = Instant::now();
    let mut idle: Vec<TcpStream> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..OPENERS)
            .map(|_| {
                scope.spawn(|| {
                    (0..IDLE / OPENERS)
                        .map(|_| open_idle(&s))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("an opener"))
            .collect()
    });
    let opened_in = start.elapsed();
    assert_eq!(idle.len(), IDLE);
    let rss_after = s.rss_kib();
    let probes: Vec<Duration> = (0..50).map(|_| probe_healthz(&s)).collect();
    // The idle ones are still open and still served.
    let mut reused = 0;
    for c in idle.iter_mut().step_by(IDLE / 100) {
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("an idle connection is still open");
        let r = read_response(c, false).expect("an idle connection is still served");
        assert_eq!(r.status, 200);
        reused += 1;
    }
    let per_conn = (rss_after.saturating_sub(rss_before)) as f64 / IDLE as f64;
    let (p50, p99) = (percentile(&probes, 50), percentile(&probes, 99));
    figure(
        "idle",
        format!(
            "{IDLE} idle keep-alive connections opened in {:.1}s (--idle-timeout 60); RSS {} -> \
             {} KiB = {:.2} KiB per idle connection; /healthz from new clients: 50 probes, p50 {} \
             p99 {}; {reused}/{reused} sampled idle connections still served",
            opened_in.as_secs_f64(),
            rss_before,
            rss_after,
            per_conn,
            ms(p50),
            ms(p99)
        ),
    );
    assert!(p50 < Duration::from_millis(100), "p50 {p50:?}");
    assert!(p99 < Duration::from_millis(500), "p99 {p99:?}");
    assert!(per_conn < 8.0, "{per_conn:.2} KiB per idle connection");
    drop(idle);
    assert_alive(&mut s);
}
