//! Randomness from the operating system (`/dev/urandom`): session ids,
//! salts and arbitrary tokens.
//!
//! There is no fallback. If the source cannot be opened or read, every
//! function returns the error; nothing is ever derived from the time, a
//! counter or a hasher's keys. The server checks the source at start-up
//! ([`check_random_source`]) and answers 503 if it fails later.
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{self, Read};
use std::sync::OnceLock;

/// The operating system's random device.
pub const RANDOM_SOURCE: &str = "/dev/urandom";
/// Characters of a session id (API.md: 32 of `[a-z0-9]`, 32 * log2(36) =
/// 165 bits).
pub const SESSION_ID_LEN: usize = 32;
pub const SESSION_ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// Characters of a password salt (Django's: 22 of `[a-zA-Z0-9]`, 131 bits).
pub const SALT_LEN: usize = 22;
pub const SALT_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Longest alphabet [`random_token`] takes: ASCII has 128 characters, and
/// one random byte must be able to pick any of them.
pub const MAX_ALPHABET_LEN: usize = 128;

/// The random device, opened once and shared (`&File` reads need no lock).
fn source() -> io::Result<&'static File> {
    static SOURCE: OnceLock<File> = OnceLock::new();
    if let Some(file) = SOURCE.get() {
        return Ok(file);
    }
    let file = File::open(RANDOM_SOURCE)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if !file.metadata()?.file_type().is_char_device() {
            return Err(io::Error::other(format!(
                "{RANDOM_SOURCE} is not a character device"
            )));
        }
    }
    // A racing thread may have stored its handle first; either is fine.
    Ok(SOURCE.get_or_init(|| file))
}

/// Fills `buf` with bytes from the operating system's random source.
///
/// ```
/// let mut buf = [0u8; 16];
/// stateful::crypto::fill_random(&mut buf).unwrap();
/// ```
pub fn fill_random(buf: &mut [u8]) -> io::Result<()> {
    let mut file = source()?;
    file.read_exact(buf)
}

/// A string of `len` characters drawn uniformly from `alphabet`.
///
/// Uniform because of rejection sampling: a random byte is used only if it
/// falls below the largest multiple of the alphabet's size that fits in a
/// byte. Refuses (with `InvalidInput`) an empty alphabet, one with
/// non-ASCII bytes, and one longer than [`MAX_ALPHABET_LEN`].
///
/// ```
/// let pin = stateful::crypto::random_token(6, b"0123456789").unwrap();
/// assert_eq!(pin.len(), 6);
/// assert!(pin.bytes().all(|b| b.is_ascii_digit()));
/// ```
pub fn random_token(len: usize, alphabet: &[u8]) -> io::Result<String> {
    if alphabet.is_empty() || alphabet.len() > MAX_ALPHABET_LEN || !alphabet.is_ascii() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "token alphabet must be 1 to 128 ASCII bytes",
        ));
    }
    let mut token = String::with_capacity(len);
    let mut pool = [0u8; 64];
    while token.len() < len {
        fill_random(&mut pool)?;
        for &byte in &pool {
            if token.len() == len {
                break;
            }
            if let Some(&c) = accept(byte, alphabet.len()).and_then(|i| alphabet.get(i)) {
                token.push(char::from(c));
            }
        }
    }
    Ok(token)
}

/// The alphabet index a random byte stands for, or `None` when the byte is
/// in the incomplete top range and must be discarded (`size` in 1..=256).
fn accept(byte: u8, size: usize) -> Option<usize> {
    let usable = 256 - 256 % size;
    let byte = usize::from(byte);
    (byte < usable).then_some(byte % size)
}

/// A fresh session id: [`SESSION_ID_LEN`] characters of `[a-z0-9]`.
///
/// ```
/// let id = stateful::crypto::session_id().unwrap();
/// assert_eq!(id.len(), 32);
/// ```
pub fn session_id() -> io::Result<String> {
    random_token(SESSION_ID_LEN, SESSION_ID_ALPHABET)
}

/// A fresh password salt: [`SALT_LEN`] characters of `[a-zA-Z0-9]`.
///
/// ```
/// let salt = stateful::crypto::new_salt().unwrap();
/// assert_eq!(salt.len(), 22);
/// ```
pub fn new_salt() -> io::Result<String> {
    random_token(SALT_LEN, SALT_ALPHABET)
}

/// Checks at start-up that the random source opens and reads, so a server
/// that cannot make session ids refuses to start.
///
/// Also refuses 32 zero bytes in a row (a source replaced by `/dev/zero`):
/// a real source gives that with probability 2^-256.
///
/// ```
/// stateful::crypto::check_random_source().unwrap();
/// ```
pub fn check_random_source() -> io::Result<()> {
    let mut probe = [0u8; 32];
    fill_random(&mut probe)?;
    if probe.iter().all(|&b| b == 0) {
        return Err(io::Error::other(format!(
            "{RANDOM_SOURCE} returned only zero bytes"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn accept_is_unbiased_for_every_size() {
        for size in 1..=256 {
            let mut counts = vec![0u32; size];
            for byte in 0..=255u8 {
                if let Some(i) = accept(byte, size) {
                    counts[i] += 1;
                }
            }
            assert!(
                counts.iter().all(|&c| c == counts[0]),
                "size {size}: {counts:?}"
            );
            assert_eq!(counts[0] as usize, 256 / size, "size {size}");
        }
    }

    #[test]
    fn session_ids_are_distinct_and_well_formed() {
        let ids: Vec<String> = (0..1000).map(|_| session_id().unwrap()).collect();
        for id in &ids {
            assert_eq!(id.len(), SESSION_ID_LEN);
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "{id}"
            );
        }
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    }

    #[test]
    fn salts_are_well_formed() {
        let salt = new_salt().unwrap();
        assert_eq!(salt.len(), SALT_LEN);
        assert!(salt.bytes().all(|b| b.is_ascii_alphanumeric()), "{salt}");
        assert_ne!(salt, new_salt().unwrap());
    }

    #[test]
    fn tokens_stay_in_their_alphabet() {
        for alphabet in [
            &b"a"[..],
            b"ab",
            b"xyz",
            SALT_ALPHABET,
            b"!#$%&'()*+,-./:;<=>?@[]^_`{|}~",
        ] {
            let token = random_token(5000, alphabet).unwrap();
            assert_eq!(token.len(), 5000);
            assert!(token.bytes().all(|b| alphabet.contains(&b)), "{alphabet:?}");
        }
    }

    #[test]
    fn tokens_use_the_whole_alphabet_evenly() {
        // 36 symbols, 36,000 draws: each count is 1000 +- 31 (one sigma);
        // 700..1300 is about ten sigma, so this never fails by chance.
        let token = random_token(36_000, SESSION_ID_ALPHABET).unwrap();
        for &c in SESSION_ID_ALPHABET {
            let n = token.bytes().filter(|&b| b == c).count();
            assert!(
                (700..1300).contains(&n),
                "{} appears {n} times",
                char::from(c)
            );
        }
    }

    #[test]
    fn bad_alphabets_and_empty_tokens() {
        let too_long = [b'a'; MAX_ALPHABET_LEN + 1];
        for (len, alphabet) in [(1, &b""[..]), (1, b"ab\xff"), (0, b""), (1, &too_long)] {
            let err = random_token(len, alphabet).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
        assert_eq!(random_token(0, b"ab").unwrap(), "");
    }

    #[test]
    fn source_is_healthy() {
        check_random_source().unwrap();
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        fill_random(&mut a).unwrap();
        fill_random(&mut b).unwrap();
        assert_ne!(a, b);
    }
}
