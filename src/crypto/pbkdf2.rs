//! PBKDF2 with HMAC-SHA256 as the PRF (RFC 8018 §5.2).
//!
//! Every iteration after the first is HMAC of a 32-byte U: two compressions
//! of one fixed-shape block, starting from the key's pad states computed once
//! per call. The loop allocates nothing and, on SHA-NI, keeps the whole
//! state in vector registers.
#![forbid(unsafe_code)]

use super::backend::Backend;
use super::hmac::HmacKey;
use super::sha256::{compress_words_portable, digest_words, state_bytes, DIGEST_LEN};

/// Derives `out.len()` bytes from `password` and `salt` with `iterations`
/// rounds, on the fastest backend.
///
/// RFC 8018 asks for a positive count: `iterations == 0` is treated as 1.
///
/// # Panics
///
/// If `out` is longer than RFC 8018's limit of (2^32 - 1) * 32 bytes.
///
/// ```
/// let mut dk = [0u8; 32];
/// stateful::crypto::pbkdf2_hmac_sha256(b"password", b"salt", 1, &mut dk);
/// assert_eq!(dk[..4], [0x12, 0x0f, 0xb6, 0xcf]);
/// ```
pub fn pbkdf2_hmac_sha256(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
    pbkdf2_hmac_sha256_with(Backend::fastest(), password, salt, iterations, out);
}

/// [`pbkdf2_hmac_sha256`] on a chosen backend (tests and the benchmark use
/// it to run the portable code on a CPU that has SHA-NI).
///
/// ```
/// use stateful::crypto::{pbkdf2_hmac_sha256_with, Backend};
/// let mut dk = [0u8; 16];
/// pbkdf2_hmac_sha256_with(Backend::Portable, b"password", b"salt", 2, &mut dk);
/// assert_eq!(dk[..4], [0xae, 0x4d, 0x0c, 0x95]);
/// ```
pub fn pbkdf2_hmac_sha256_with(
    backend: Backend,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
) {
    let key = HmacKey::new(backend, password);
    let rounds_left = iterations.saturating_sub(1);
    for (index, chunk) in out.chunks_mut(DIGEST_LEN).enumerate() {
        let block_number = u32::try_from(index + 1)
            .expect("PBKDF2 output is limited to (2^32 - 1) * 32 bytes (RFC 8018 §5.2)");
        let mut first = key.inner_hasher();
        first.update(salt);
        first.update(&block_number.to_be_bytes());
        let u1 = digest_words(&key.finish(first.finalize()));
        let t = match key.backend {
            Backend::Portable => rounds_portable(&key, &u1, rounds_left),
            Backend::ShaNi(ni) => ni.pbkdf2_rounds(&key.inner, &key.outer, &u1, rounds_left),
        };
        chunk.copy_from_slice(&state_bytes(&t)[..chunk.len()]);
    }
}

/// The loop after U1 in plain Rust: returns U1 ^ U2 ^ ... ^ U(rounds + 1).
fn rounds_portable(key: &HmacKey, u1: &[u32; 8], rounds: u32) -> [u32; 8] {
    // The message block of an HMAC over 32 bytes, after the 64-byte pad:
    // the 32 bytes, 0x80, zeros, and the bit length of 96 bytes (768).
    let mut block = [0u32; 16];
    block[8] = 0x8000_0000;
    block[15] = 768;
    let mut u = *u1;
    let mut t = *u1;
    for _ in 0..rounds {
        block[..8].copy_from_slice(&u);
        let mut inner = key.inner;
        compress_words_portable(&mut inner, &block);
        block[..8].copy_from_slice(&inner);
        u = key.outer;
        compress_words_portable(&mut u, &block);
        for (acc, word) in t.iter_mut().zip(u) {
            *acc ^= word;
        }
    }
    t
}
