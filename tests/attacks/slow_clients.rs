//! Slowloris (headers trickled a byte at a time) and slow POST bodies: each
//! connection is closed with 408 within its timeout, while fresh clients are
//! still served at once.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::server::{ms, percentile, probe_healthz, Server};
use crate::{assert_alive, exclusive, figure};

/// Gap between two trickled bytes.
const TRICKLE_GAP: Duration = Duration::from_millis(100);
/// How often the attacker's loop looks at its sockets.
const TICK: Duration = Duration::from_millis(10);
/// Time from the server's deadline to our seeing the close: the poller
/// checks deadlines every 100 ms, and a loaded 2-core machine adds more.
const SLACK: Duration = Duration::from_millis(1500);

/// One slow client: sends `burst` at once, then `trickle` one byte every
/// [`TRICKLE_GAP`], then nothing; records what it reads and when the server
/// closed.
struct Slow {
    stream: TcpStream,
    trickle: Vec<u8>,
    sent: usize,
    next_at: Instant,
    first_byte: Option<Instant>,
    last_byte: Instant,
    got: Vec<u8>,
    closed_at: Option<Instant>,
}

impl Slow {
    fn open(s: &Server, burst: &[u8], trickle: &[u8], start_at: Instant) -> Slow {
        let mut stream = s.connect();
        let now = Instant::now();
        let mut first_byte = None;
        if !burst.is_empty() {
            stream.write_all(burst).expect("write the burst");
            first_byte = Some(now);
        }
        stream.set_nonblocking(true).expect("non-blocking");
        Slow {
            stream,
            trickle: trickle.to_vec(),
            sent: 0,
            next_at: start_at.max(now),
            first_byte,
            last_byte: now,
            got: Vec::new(),
            closed_at: None,
        }
    }

    /// Sends the next byte if it is due, and reads what arrived.
    fn step(&mut self, now: Instant) {
        if self.closed_at.is_some() {
            return;
        }
        if self.sent < self.trickle.len() && now >= self.next_at {
            match self.stream.write(&self.trickle[self.sent..=self.sent]) {
                Ok(_) => {
                    self.sent += 1;
                    self.first_byte.get_or_insert(now);
                    self.last_byte = now;
                    self.next_at = now + TRICKLE_GAP;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => self.closed_at = Some(now),
            }
        }
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.closed_at = Some(now);
                    return;
                }
                Ok(n) => self.got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.closed_at = Some(now);
                    return;
                }
            }
        }
    }

    fn status(&self) -> Option<&str> {
        std::str::from_utf8(self.got.get(9..12)?).ok()
    }
}

/// Drives `conns` until every one of them is closed or `deadline` passes,
/// probing `/healthz` from a fresh client all the while; the probe times.
fn drive(s: &Server, conns: &mut [Slow], deadline: Instant) -> Vec<Duration> {
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let prober = scope.spawn(|| {
            let mut times = Vec::new();
            while !done.load(Ordering::Relaxed) && times.len() < 1000 {
                times.push(probe_healthz(s));
                std::thread::sleep(Duration::from_millis(20));
            }
            times
        });
        while Instant::now() < deadline {
            let now = Instant::now();
            for c in conns.iter_mut() {
                c.step(now);
            }
            if conns.iter().all(|c| c.closed_at.is_some()) {
                break;
            }
            std::thread::sleep(TICK);
        }
        done.store(true, Ordering::Relaxed);
        prober.join().expect("the prober")
    })
}

fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

#[test]
fn slowloris_connections_get_408_within_the_header_timeout() {
    let _x = exclusive();
    let timeout = Duration::from_secs(1);
    let mut s = Server::start_ready(&["--header-timeout", "1"]);
    let n = 250;
    // A request that never ends: the request line, then one header value
    // forever, one byte each 100 ms.
    let mut endless = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ".to_vec();
    endless.resize(400, b'a');
    let start = Instant::now();
    let mut conns: Vec<Slow> = (0..n)
        .map(|i| {
            // Staggered over the first 100 ms so the deadlines spread.
            let at = start + Duration::from_millis((i % 10) as u64 * 10);
            Slow::open(&s, b"", &endless, at)
        })
        .collect();
    let opened_in = start.elapsed();
    let probes = drive(
        &s,
        &mut conns,
        start + timeout + SLACK + Duration::from_secs(2),
    );

    let mut lived: Vec<Duration> = Vec::new();
    for (i, c) in conns.iter().enumerate() {
        let closed = c
            .closed_at
            .unwrap_or_else(|| panic!("connection {i} still open after the header timeout"));
        assert_eq!(
            c.status(),
            Some("408"),
            "connection {i}: {:?}",
            String::from_utf8_lossy(&c.got)
        );
        // The deadline runs from the first byte.
        let first = c.first_byte.expect("a byte was sent");
        lived.push(closed.saturating_duration_since(first));
    }
    let (min, med, max) = (
        percentile(&lived, 0),
        percentile(&lived, 50),
        percentile(&lived, 100),
    );
    assert!(min >= timeout - TICK * 2, "closed early: {min:?}");
    assert!(max <= timeout + SLACK, "closed late: {max:?}");
    let (p50, p99) = (percentile(&probes, 50), percentile(&probes, 99));
    figure(
        "slowloris",
        format!(
            "{n} connections (opened in {}) trickling 1 byte/100ms, --header-timeout 1: {n}/{n} \
             got 408 and close after min {} / median {} / max {} from their first byte; /healthz \
             from a fresh client during the attack: {} probes, p50 {} p99 {} max {}",
            secs(opened_in),
            secs(min),
            secs(med),
            secs(max),
            probes.len(),
            ms(p50),
            ms(p99),
            ms(percentile(&probes, 100))
        ),
    );
    assert!(probes.len() >= 10, "too few probes: {}", probes.len());
    assert!(p50 < Duration::from_millis(100), "healthz p50 {p50:?}");
    assert!(p99 < Duration::from_millis(500), "healthz p99 {p99:?}");
    assert_alive(&mut s);
}

#[test]
fn slow_post_bodies_get_408_within_the_body_timeout() {
    let _x = exclusive();
    let timeout = Duration::from_secs(1);
    let mut s = Server::start_ready(&["--body-timeout", "1", "--header-timeout", "1"]);
    let n = 50;
    let head = b"POST /signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                 Content-Length: 1000\r\n\r\n{\"username\":\"";
    let start = Instant::now();
    // Each sends the head at once, then 5 body bytes 100 ms apart, then
    // stalls; the body deadline runs from the last byte.
    let mut stalled: Vec<Slow> = (0..n)
        .map(|_| Slow::open(&s, head, b"slowp", start))
        .collect();
    // A few keep trickling for the whole test: a body that keeps arriving
    // is not stalled, so the contract keeps those open.
    let mut steady: Vec<Slow> = (0..5)
        .map(|_| Slow::open(&s, head, &[b'a'; 200], start))
        .collect();
    let deadline = start + Duration::from_millis(500) + timeout + SLACK;
    let done = AtomicBool::new(false);
    let probes = std::thread::scope(|scope| {
        let steady = &mut steady;
        let done = &done;
        let keep = scope.spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let now = Instant::now();
                for c in steady.iter_mut() {
                    c.step(now);
                }
                std::thread::sleep(TICK);
            }
        });
        let probes = drive(&s, &mut stalled, deadline);
        done.store(true, Ordering::Relaxed);
        keep.join().expect("the steady tricklers");
        probes
    });
    let mut after_last: Vec<Duration> = Vec::new();
    for (i, c) in stalled.iter().enumerate() {
        let closed = c
            .closed_at
            .unwrap_or_else(|| panic!("stalled body {i} still open"));
        assert_eq!(c.sent, 5, "body {i} was cut before it stalled");
        assert_eq!(
            c.status(),
            Some("408"),
            "body {i}: {:?}",
            String::from_utf8_lossy(&c.got)
        );
        after_last.push(closed.saturating_duration_since(c.last_byte));
    }
    let (min, max) = (percentile(&after_last, 0), percentile(&after_last, 100));
    assert!(min >= timeout - TICK * 2, "closed early: {min:?}");
    assert!(max <= timeout + SLACK, "closed late: {max:?}");
    let still_open = steady.iter().filter(|c| c.closed_at.is_none()).count();
    let (p50, p99) = (percentile(&probes, 50), percentile(&probes, 99));
    figure(
        "slow-body",
        format!(
            "{n} POST bodies stalled after 5 trickled bytes, --body-timeout 1: {n}/{n} got 408 \
             and close {}..{} after their last byte; {still_open}/5 bodies still trickling 1 \
             byte/100ms kept open for {} (a body that keeps arriving is not stalled); /healthz \
             during the attack: {} probes, p50 {} p99 {}",
            secs(min),
            secs(max),
            secs(start.elapsed()),
            probes.len(),
            ms(p50),
            ms(p99)
        ),
    );
    assert!(p50 < Duration::from_millis(100), "healthz p50 {p50:?}");
    assert_alive(&mut s);
}
