//! Cryptography on std alone: SHA-256, HMAC-SHA256, PBKDF2-HMAC-SHA256,
//! Django-format password hashes, and randomness from the operating system.
//!
//! - [`sha256`], [`Sha256`]: FIPS 180-4.
//! - [`hmac_sha256`], [`HmacSha256Key`]: RFC 2104 (vectors from RFC 4231);
//!   the key type keeps its pad states, for keys that sign many messages.
//! - [`pbkdf2_hmac_sha256`]: RFC 8018, any output length.
//! - [`hash_password`], [`verify_password`], [`PasswordHash`]: Django's
//!   `pbkdf2_sha256$<iterations>$<salt>$<base64 key>`, byte for byte.
//! - [`fill_random`], [`random_token`], [`session_id`], [`new_salt`]:
//!   `/dev/urandom`, rejection-sampled, no fallback.
//!
//! Speed: a login pays [`crate::limits::PBKDF2_ITERATIONS`] iterations, so
//! PBKDF2 computes the key's two HMAC pad states once and then spends
//! exactly two compressions per iteration. The compression runs on the x86
//! SHA extensions when the CPU has them ([`sha_ni_available`], detected once
//! per process) and in portable Rust otherwise. Every function has a `_with`
//! form taking a [`Backend`], so tests and the benchmark can run both on the
//! same machine.
//!
//! `unsafe` exists only in `sha256_ni.rs` (the intrinsics); every other file
//! here forbids it.
//!
//! Out of scope, deliberately: other hash algorithms, password upgrades
//! from other Django hashers, wiping secrets from memory.
#![deny(unsafe_code)]

mod backend;
pub mod base64;
mod constant_time;
mod hmac;
mod password;
mod pbkdf2;
mod random;
mod sha256;
mod sha256_ni;

pub use backend::{sha_ni_available, Backend};
pub use constant_time::constant_time_eq;
pub use hmac::{hmac_sha256, hmac_sha256_with, HmacSha256Key, HmacSha256Prefixed};
pub use password::{
    hash_password, must_update, verify_password, PasswordHash, PasswordHashError, ALGORITHM,
    KEY_LEN, MAX_ITERATIONS, MIN_SALT_CHARS,
};
pub use pbkdf2::{pbkdf2_hmac_sha256, pbkdf2_hmac_sha256_with};
pub use random::{
    check_random_source, fill_random, new_salt, random_token, session_id, MAX_ALPHABET_LEN,
    RANDOM_SOURCE, SALT_ALPHABET, SALT_LEN, SESSION_ID_ALPHABET, SESSION_ID_LEN,
};
pub use sha256::{sha256, Sha256, BLOCK_LEN, DIGEST_LEN};
pub use sha256_ni::ShaNi;
