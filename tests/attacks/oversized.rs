//! Oversized request line, header section and bodies: the right 4xx, early
//! (before the client has sent the rest), and the server's memory flat
//! while a client keeps pushing 10 MiB at it.

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::server::{read_response, Resp, Server};
use crate::{assert_alive, exclusive, figure};

const MIB: usize = 1024 * 1024;
/// What a client tries to push in each flood.
const FLOOD: usize = 10 * MIB;

/// Sends `head`, then `early` (a prefix that already breaks a limit) and
/// reads the answer before anything else is sent.
fn answer_to(s: &Server, head: &[u8], early: &[u8]) -> (TcpStream, Resp) {
    let mut c = s.connect();
    c.write_all(head).unwrap();
    c.write_all(early).unwrap();
    let r = read_response(&mut c, false).expect("an answer before the rest is sent");
    (c, r)
}

/// Keeps writing `chunk` to `c` until [`FLOOD`] bytes are out or the
/// server closes; how many bytes it took.
fn push_flood(c: &TcpStream, chunk: &[u8], written: &AtomicUsize) {
    let mut c = c;
    while written.load(Ordering::Relaxed) < FLOOD {
        match c.write(chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                written.fetch_add(n, Ordering::Relaxed);
            }
        }
    }
}

/// One oversized case: the early answer, then the flood on the same
/// connection; the figure.
fn case(s: &Server, name: &str, head: &[u8], early: &[u8], chunk: &[u8], status: u16) -> String {
    let peak_before = s.rss_peak_kib();
    let (c, r) = answer_to(s, head, early);
    assert_eq!(r.status, status, "{name}: {}", r.text());
    assert_eq!(r.header("connection"), Some("close"), "{name}");
    let written = AtomicUsize::new(0);
    c.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    push_flood(&c, chunk, &written);
    let pushed = written.load(Ordering::Relaxed) + head.len() + early.len();
    let peak_after = s.rss_peak_kib();
    let grew = peak_after.saturating_sub(peak_before);
    assert!(
        grew < 4 * 1024,
        "{name}: peak RSS grew {grew} KiB ({peak_before} -> {peak_after})"
    );
    format!(
        "{name}: {status} after {} bytes; the client then pushed {} KiB before the server \
         closed; peak RSS {peak_before} -> {peak_after} KiB",
        head.len() + early.len(),
        pushed / 1024
    )
}

#[test]
fn oversized_inputs_get_early_4xx_and_memory_stays_flat() {
    let _x = exclusive();
    let mut s = Server::start_ready(&[]);
    for _ in 0..20 {
        s.get("/healthz");
    }
    let rss_start = s.rss_kib();
    let peak_start = s.rss_peak_kib();
    let mut figures = Vec::new();
    // A 9 KiB request line without its end: 414 at once.
    figures.push(case(
        &s,
        "request line",
        b"GET /",
        &[b'a'; 9 * 1024],
        &[b'a'; 64 * 1024],
        414,
    ));
    // A 70 KiB header section, never ended: 431.
    figures.push(case(
        &s,
        "header section",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ",
        &[b'h'; 70 * 1024],
        &[b'h'; 64 * 1024],
        431,
    ));
    // Content-Length 10 MiB: 413 before a byte of the body is sent.
    let ten = format!(
        "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {FLOOD}\r\n\r\n"
    );
    figures.push(case(
        &s,
        "Content-Length 10 MiB",
        ten.as_bytes(),
        b"",
        &[b'{'; 64 * 1024],
        413,
    ));
    // Chunked: 17 chunks of 64 KiB (1 MiB + 64 KiB), no last chunk: 413 as
    // soon as the body passes 1 MiB, without waiting for its end.
    let mut chunk = b"10000\r\n".to_vec();
    chunk.extend_from_slice(&[b'c'; 64 * 1024]);
    chunk.extend_from_slice(b"\r\n");
    let over: Vec<u8> = chunk.repeat(17);
    figures.push(case(
        &s,
        "chunked body past 1 MiB",
        b"POST /signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Transfer-Encoding: chunked\r\n\r\n",
        &over,
        &chunk,
        413,
    ));
    // Eight 10 MiB uploads at once.
    let peak_before = s.rss_peak_kib();
    let pushed = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            let (s, ten, pushed) = (&s, &ten, &pushed);
            scope.spawn(move || {
                let (c, r) = answer_to(s, ten.as_bytes(), b"");
                assert_eq!(r.status, 413);
                c.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
                let written = AtomicUsize::new(0);
                push_flood(&c, &[b'{'; 64 * 1024], &written);
                pushed.fetch_add(written.load(Ordering::Relaxed), Ordering::Relaxed);
            });
        }
    });
    let peak_after = s.rss_peak_kib();
    figures.push(format!(
        "8 parallel Content-Length 10 MiB uploads: all 413, {} KiB pushed in all, peak RSS \
         {peak_before} -> {peak_after} KiB",
        pushed.load(Ordering::Relaxed) / 1024
    ));
    assert!(peak_after.saturating_sub(peak_before) < 4 * 1024);
    let rss_end = s.rss_kib();
    figure(
        "oversized",
        format!(
            "{}; overall RSS {rss_start} -> {rss_end} KiB, peak {peak_start} -> {} KiB",
            figures.join("; "),
            s.rss_peak_kib()
        ),
    );
    assert_alive(&mut s);
}
