//! What verifying a bearer token costs, part by part, beside what a session
//! lookup costs: the CPU behind the `me_token` / `me` rows of
//! `benches/run.sh`.
//!
//! Run: `cargo bench --bench jwt`. Each figure is the median of a few runs
//! of many calls, in nanoseconds per call. On a busy machine the figures are
//! only indicative; compare the rows of one run.

use std::hint::black_box;
use std::time::Instant;

use stateful::app::store::{MemoryStore, Store, UserRecord};
use stateful::crypto::base64::decode_url;
use stateful::crypto::{hmac_sha256, Backend, HmacSha256Key};
use stateful::http::request::parse_request_head;
use stateful::json::parse_object;
use stateful::jwt::{verify, Claims, KeySet};
use stateful::limits::SESSION_TTL;

const CALLS: u32 = 200_000;
const REPETITIONS: usize = 7;
const NOW: i64 = 1_800_000_000;

/// Median nanoseconds per call of `f`.
fn time(mut f: impl FnMut()) -> f64 {
    for _ in 0..CALLS / 10 {
        f();
    }
    let mut samples: Vec<f64> = (0..REPETITIONS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..CALLS {
                f();
            }
            start.elapsed().as_secs_f64() * 1e9 / f64::from(CALLS)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let keys = KeySet::new(vec![("k1".into(), vec![7; 32])]).expect("a 32-byte key");
    let claims = Claims::issue("bench", NOW, "AAECAwQFBgcICQoLDA0ODw");
    let token = keys.sign(&claims);
    let (signing_input, signature) = token.rsplit_once('.').expect("three parts");
    let (header, payload) = signing_input.split_once('.').expect("three parts");
    let header_json = decode_url(header).expect("base64url");
    let payload_json = decode_url(payload).expect("base64url");
    let store = MemoryStore::new(1000);
    let user = UserRecord {
        password_hash: String::new(),
        created_at: NOW,
    };
    store.create_user("bench", user).expect("memory store");
    let session = store
        .create_session("bench", "bench", NOW, SESSION_TTL)
        .expect("memory store");
    // The heads wrk sends in the `me` and `me_token` scenarios.
    let cookie_head = format!(
        "GET /me HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nCookie: sessionid={}\r\n\r\n",
        session.id
    );
    let token_head = format!(
        "GET /me HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    let portable = HmacSha256Key::with_backend(Backend::Portable, &[7; 32]);
    let fastest = HmacSha256Key::new(&[7; 32]);
    println!(
        "token: {} bytes ({} signed); backend {}",
        token.len(),
        signing_input.len(),
        Backend::fastest().name()
    );
    println!("| step | ns per call |");
    println!("|---|--:|");
    let rows: Vec<(&str, f64)> = vec![
        (
            "verify (whole)",
            time(|| {
                black_box(verify(black_box(token.as_bytes()), &keys, NOW).is_ok());
            }),
        ),
        (
            "HMAC, pad states kept",
            time(|| {
                black_box(fastest.mac(black_box(signing_input.as_bytes())));
            }),
        ),
        (
            "HMAC, pad states kept, portable",
            time(|| {
                black_box(portable.mac(black_box(signing_input.as_bytes())));
            }),
        ),
        (
            "HMAC from the raw key",
            time(|| {
                black_box(hmac_sha256(&[7; 32], black_box(signing_input.as_bytes())));
            }),
        ),
        (
            "base64url, 3 parts",
            time(|| {
                black_box(decode_url(black_box(header)).is_ok());
                black_box(decode_url(black_box(payload)).is_ok());
                black_box(decode_url(black_box(signature)).is_ok());
            }),
        ),
        (
            "JSON, header + claims",
            time(|| {
                black_box(parse_object(black_box(&header_json)).is_ok());
                black_box(parse_object(black_box(&payload_json)).is_ok());
            }),
        ),
        (
            "sign",
            time(|| {
                black_box(keys.sign(black_box(&claims)).len());
            }),
        ),
        (
            "the store's token check (memory)",
            time(|| {
                black_box(
                    store
                        .token_status(black_box("bench"), "AAECAwQFBgcICQoLDA0ODw", NOW)
                        .is_ok(),
                );
            }),
        ),
        (
            "parse the request head, token (HTTP parser)",
            time(|| {
                black_box(parse_request_head(black_box(token_head.as_bytes())).is_ok());
            }),
        ),
        (
            "parse the request head, cookie, for comparison",
            time(|| {
                black_box(parse_request_head(black_box(cookie_head.as_bytes())).is_ok());
            }),
        ),
        (
            "the store's session lookup (memory), for comparison",
            time(|| {
                black_box(store.session_user(black_box(&session.id), NOW).is_ok());
            }),
        ),
    ];
    for (name, ns) in rows {
        println!("| {name} | {ns:.0} |");
    }
}
