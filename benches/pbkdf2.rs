//! PBKDF2-HMAC-SHA256 at the login cost (600,000 iterations, 32-byte key):
//! our SHA-NI and portable backends against Python's `hashlib.pbkdf2_hmac`
//! (OpenSSL) on the same machine.
//!
//! Run: `cargo bench --bench pbkdf2`. Each figure is the median of a few
//! runs, in milliseconds per hash; the ratio is ours / OpenSSL's (lower is
//! better; the goal is at most 0.5). On a busy machine the figures are only
//! indicative.

use std::process::Command;
use std::time::Instant;

use stateful::crypto::{pbkdf2_hmac_sha256_with, Backend};
use stateful::limits::PBKDF2_ITERATIONS;

const PASSWORD: &str = "correct horse battery staple";
const SALT: &str = "48Fi4C1z5DFN7i5LECIQIi";
const REPETITIONS: usize = 7;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Milliseconds per hash on one of our backends, and the key it derived.
fn ours(backend: Backend) -> (f64, [u8; 32]) {
    let mut key = [0u8; 32];
    let derive = |key: &mut [u8; 32]| {
        pbkdf2_hmac_sha256_with(
            backend,
            PASSWORD.as_bytes(),
            SALT.as_bytes(),
            PBKDF2_ITERATIONS,
            key,
        )
    };
    // One untimed run warms caches and the CPU's clock.
    derive(&mut key);
    let samples = (0..REPETITIONS)
        .map(|_| {
            let start = Instant::now();
            derive(&mut key);
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    (median(samples), key)
}

/// Milliseconds per hash in Python's hashlib, and the key as hex; `None`
/// when python3 is missing or fails.
fn openssl() -> Option<(f64, String)> {
    let script = format!(
        "import hashlib, time\n\
         p, s, n = {PASSWORD:?}.encode(), {SALT:?}.encode(), {PBKDF2_ITERATIONS}\n\
         hashlib.pbkdf2_hmac('sha256', p, s, n)\n\
         t = []\n\
         for _ in range({REPETITIONS}):\n\
         \x20   a = time.perf_counter(); k = hashlib.pbkdf2_hmac('sha256', p, s, n)\n\
         \x20   t.append((time.perf_counter() - a) * 1e3)\n\
         print(sorted(t)[len(t) // 2], k.hex())\n"
    );
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "python3 failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let (ms, key) = text.trim().split_once(' ')?;
    Some((ms.parse().ok()?, key.to_string()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    // `cargo test --benches` runs this too; a quick exit keeps that cheap.
    if std::env::args().any(|a| a == "--test") {
        return;
    }
    println!(
        "PBKDF2-HMAC-SHA256, {PBKDF2_ITERATIONS} iterations, 32-byte key, median of {REPETITIONS}"
    );
    let reference = openssl();
    let mut rows: Vec<(String, f64, String)> = Vec::new();
    for backend in Backend::all().collect::<Vec<_>>().into_iter().rev() {
        let (ms, key) = ours(backend);
        rows.push((format!("stateful {}", backend.name()), ms, hex(&key)));
    }
    if Backend::sha_ni().is_none() {
        println!("(this CPU has no SHA extensions: only the portable backend ran)");
    }
    match &reference {
        Some((ms, key)) => rows.push(("python3 hashlib (OpenSSL)".into(), *ms, key.clone())),
        None => println!("(python3 not available: no OpenSSL reference)"),
    }
    println!(
        "{:<28} {:>12} {:>16}",
        "backend", "ms per hash", "ratio to OpenSSL"
    );
    for (name, ms, key) in &rows {
        let ratio = reference
            .as_ref()
            .map_or("-".to_string(), |(r, _)| format!("{:.2}x", ms / r));
        println!("{name:<28} {ms:>12.1} {ratio:>16}");
        if let Some((_, want)) = &reference {
            assert_eq!(key, want, "{name} derived a different key than OpenSSL");
        }
    }
}
