//! Request smuggling and malformed framing. Every case hides a complete
//! `GET /nope` inside what a lenient or differently-minded parser would
//! take as body bytes or as the next request; the server must answer
//! exactly once (400, or 501 for an unknown coding) and close, so the
//! smuggled request is never answered (it would be a 404).

use std::io::Write;
use std::time::Duration;

use crate::server::{read_response, Server};
use crate::smuggling_cases::{expand, well_framed_cases, CASES};
use crate::{assert_alive, figure, read_until_close, split_responses};

#[test]
fn smuggled_requests_are_never_answered() {
    let mut s = Server::start(&[]);
    let mut figures = Vec::new();
    for (name, raw, allowed) in CASES {
        let raw = expand(raw);
        let mut c = s.connect();
        let _ = c.write_all(&raw);
        let (bytes, closed) = read_until_close(&mut c, Duration::from_secs(5));
        let responses = split_responses(&bytes);
        let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses.len(),
            1,
            "{name}: exactly one response, got {statuses:?}\n{}",
            String::from_utf8_lossy(&bytes)
        );
        assert!(allowed.contains(&statuses[0]), "{name}: got {statuses:?}");
        assert_eq!(responses[0].header("connection"), Some("close"), "{name}");
        assert!(closed, "{name}: the connection stayed open");
        figures.push(format!("{name} {}", statuses[0]));
    }
    figure(
        "smuggling",
        format!(
            "{} framing attacks, each one response then close, the hidden GET /nope never \
             answered: {}",
            CASES.len(),
            figures.join(", ")
        ),
    );
    assert_alive(&mut s);
}

/// Bodies that are well framed but hold a request: they stay body bytes,
/// and the connection goes on with the next real request.
#[test]
fn requests_inside_well_framed_bodies_stay_body_bytes() {
    let mut s = Server::start(&[]);
    let cases = well_framed_cases();
    let mut figures = Vec::new();
    for (name, raw, status) in &cases {
        let mut c = s.connect();
        c.write_all(raw.as_bytes()).unwrap();
        let r = read_response(&mut c, false).unwrap_or_else(|| panic!("{name}: no response"));
        assert_eq!(r.status, *status, "{name}");
        // Nothing more comes: the body was not read as a request.
        let (extra, closed) = read_until_close(&mut c, Duration::from_millis(300));
        assert!(
            extra.is_empty() && !closed,
            "{name}: a second response {:?}",
            String::from_utf8_lossy(&extra)
        );
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let (rest, closed) = read_until_close(&mut c, Duration::from_secs(5));
        let statuses: Vec<u16> = split_responses(&rest).iter().map(|r| r.status).collect();
        assert_eq!(statuses, [200], "{name}");
        assert!(closed, "{name}");
        figures.push(format!("{name}: {status} then 200"));
    }
    figure(
        "smuggling-bodies",
        format!(
            "a GET /nope inside {} well-framed bodies stays body bytes: {}",
            cases.len(),
            figures.join(", ")
        ),
    );
    assert_alive(&mut s);
}
