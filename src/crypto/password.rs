//! Password hashes in Django's `pbkdf2_sha256` format:
//! `pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte key>`.
//!
//! The key is PBKDF2-HMAC-SHA256 of the password's UTF-8 bytes with the
//! salt's UTF-8 bytes (the salt text itself, not base64-decoded). A hash
//! written by Django verifies here and one written here verifies in Django.
#![forbid(unsafe_code)]

use std::fmt;

use super::base64;
use super::constant_time::constant_time_eq;
use super::pbkdf2::pbkdf2_hmac_sha256;

/// The algorithm field of the format.
pub const ALGORITHM: &str = "pbkdf2_sha256";
/// Length in bytes of the derived key stored in a hash.
pub const KEY_LEN: usize = 32;
/// Largest iteration count a stored hash may name. A larger one makes the
/// hash malformed (verify says `false` at once), so a tampered or hostile
/// record cannot pin a worker for minutes: 10,000,000 iterations take about
/// a second on SHA-NI. Django 6.1's default is 1,500,000.
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// Shortest salt, in characters, that [`must_update`] is content with:
/// Django's rule that `len * log2(62)` reach 128 bits.
pub const MIN_SALT_CHARS: usize = 22;

/// A parsed hash string: the cost, the salt and the stored key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash<'a> {
    pub iterations: u32,
    pub salt: &'a str,
    pub key: [u8; KEY_LEN],
}

/// Why a string is not a `pbkdf2_sha256` hash this server will check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordHashError {
    /// Not exactly four `$`-separated fields (a salt holding `$` lands here).
    FieldCount,
    /// The first field is not `pbkdf2_sha256`.
    UnknownAlgorithm,
    /// The iteration field is not a canonical decimal number (no sign, no
    /// leading zero, no spaces).
    MalformedIterations,
    /// Zero iterations, or more than [`MAX_ITERATIONS`].
    IterationsOutOfRange,
    /// The salt field is empty.
    EmptySalt,
    /// The key field is not canonical base64.
    MalformedKey(base64::Base64Error),
    /// The key field does not hold exactly [`KEY_LEN`] bytes.
    KeyLength,
}

impl fmt::Display for PasswordHashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordHashError::FieldCount => f.write_str("not four $-separated fields"),
            PasswordHashError::UnknownAlgorithm => f.write_str("algorithm is not pbkdf2_sha256"),
            PasswordHashError::MalformedIterations => f.write_str("malformed iteration count"),
            PasswordHashError::IterationsOutOfRange => f.write_str("iteration count out of range"),
            PasswordHashError::EmptySalt => f.write_str("empty salt"),
            PasswordHashError::MalformedKey(e) => write!(f, "key: {e}"),
            PasswordHashError::KeyLength => f.write_str("key is not 32 bytes"),
        }
    }
}

impl std::error::Error for PasswordHashError {}

impl<'a> PasswordHash<'a> {
    /// Parses `pbkdf2_sha256$<iterations>$<salt>$<key>`; refuses every
    /// other shape (see [`PasswordHashError`]).
    ///
    /// ```
    /// use stateful::crypto::{PasswordHash, PasswordHashError};
    /// let h = PasswordHash::parse(
    ///     "pbkdf2_sha256$30000$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY=",
    /// ).unwrap();
    /// assert_eq!((h.iterations, h.salt), (30000, "seasalt"));
    /// assert_eq!(
    ///     PasswordHash::parse("pbkdf2_sha1$30000$seasalt$AAAA"),
    ///     Err(PasswordHashError::UnknownAlgorithm),
    /// );
    /// ```
    pub fn parse(encoded: &'a str) -> Result<PasswordHash<'a>, PasswordHashError> {
        let mut fields = encoded.split('$');
        let (Some(algorithm), Some(iterations), Some(salt), Some(key), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(PasswordHashError::FieldCount);
        };
        if algorithm != ALGORITHM {
            return Err(PasswordHashError::UnknownAlgorithm);
        }
        let iterations = parse_iterations(iterations)?;
        if salt.is_empty() {
            return Err(PasswordHashError::EmptySalt);
        }
        // 32 bytes are always 44 characters; checking first bounds the work.
        if key.len() != KEY_LEN.div_ceil(3) * 4 {
            return Err(PasswordHashError::KeyLength);
        }
        let bytes = base64::decode(key).map_err(PasswordHashError::MalformedKey)?;
        let key = bytes.try_into().map_err(|_| PasswordHashError::KeyLength)?;
        Ok(PasswordHash {
            iterations,
            salt,
            key,
        })
    }

    /// Writes the hash string back out.
    ///
    /// ```
    /// use stateful::crypto::PasswordHash;
    /// let text = "pbkdf2_sha256$30000$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY=";
    /// assert_eq!(PasswordHash::parse(text).unwrap().encode(), text);
    /// ```
    pub fn encode(&self) -> String {
        format!(
            "{ALGORITHM}${}${}${}",
            self.iterations,
            self.salt,
            base64::encode(&self.key)
        )
    }

    /// Whether `password` derives the stored key, compared in constant time.
    ///
    /// ```
    /// use stateful::crypto::PasswordHash;
    /// let h = PasswordHash::parse(
    ///     "pbkdf2_sha256$1000$OwlXynD2Kyt0BHqLPL5ojB$7JQsDJtjP9bgqgdDvlGFcWOWBe9CwdGQEkwYDRQPTcc=",
    /// ).unwrap();
    /// assert!(h.matches("l\u{e8}tmein"));
    /// assert!(!h.matches("letmein"));
    /// ```
    pub fn matches(&self, password: &str) -> bool {
        let mut derived = [0u8; KEY_LEN];
        pbkdf2_hmac_sha256(
            password.as_bytes(),
            self.salt.as_bytes(),
            self.iterations,
            &mut derived,
        );
        constant_time_eq(&derived, &self.key)
    }
}

/// The canonical decimal form `%d` writes, within 1..=MAX_ITERATIONS.
fn parse_iterations(field: &str) -> Result<u32, PasswordHashError> {
    let digits = field.as_bytes();
    if field == "0" {
        return Err(PasswordHashError::IterationsOutOfRange);
    }
    if digits.is_empty() || digits[0] == b'0' || !digits.iter().all(u8::is_ascii_digit) {
        return Err(PasswordHashError::MalformedIterations);
    }
    digits
        .iter()
        .try_fold(0u32, |n, d| {
            n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })
        .filter(|&n| n <= MAX_ITERATIONS)
        .ok_or(PasswordHashError::IterationsOutOfRange)
}

/// The hash string of `password` with `salt` at `iterations` rounds.
///
/// The salt is used as given: make it with
/// [`new_salt`](super::new_salt). An empty salt, one containing `$`, or
/// `iterations` outside `1..=MAX_ITERATIONS` gives a string that
/// [`verify_password`] refuses.
///
/// ```
/// use stateful::crypto::hash_password;
/// assert_eq!(
///     hash_password("l\u{e8}tmein", "OwlXynD2Kyt0BHqLPL5ojB", 1000),
///     "pbkdf2_sha256$1000$OwlXynD2Kyt0BHqLPL5ojB$7JQsDJtjP9bgqgdDvlGFcWOWBe9CwdGQEkwYDRQPTcc=",
/// );
/// ```
pub fn hash_password(password: &str, salt: &str, iterations: u32) -> String {
    let mut key = [0u8; KEY_LEN];
    pbkdf2_hmac_sha256(password.as_bytes(), salt.as_bytes(), iterations, &mut key);
    PasswordHash {
        iterations,
        salt,
        key,
    }
    .encode()
}

/// Whether `password` matches the hash string `encoded`; any malformed
/// string is simply `false` (and costs no hashing).
///
/// ```
/// use stateful::crypto::verify_password;
/// let h = "pbkdf2_sha256$1000$OwlXynD2Kyt0BHqLPL5ojB$7JQsDJtjP9bgqgdDvlGFcWOWBe9CwdGQEkwYDRQPTcc=";
/// assert!(verify_password("l\u{e8}tmein", h));
/// assert!(!verify_password("LÈTMEIN", h));
/// assert!(!verify_password("l\u{e8}tmein", "pbkdf2_sha256$0$OwlXynD2Kyt0BHqLPL5ojB$AAAA"));
/// ```
pub fn verify_password(password: &str, encoded: &str) -> bool {
    PasswordHash::parse(encoded).is_ok_and(|hash| hash.matches(password))
}

/// Whether a stored hash should be replaced after the next successful login
/// (Django's `must_update`): its cost differs from `iterations`, its salt is
/// shorter than [`MIN_SALT_CHARS`], or it does not parse.
///
/// ```
/// use stateful::crypto::must_update;
/// let h = "pbkdf2_sha256$1000$OwlXynD2Kyt0BHqLPL5ojB$7JQsDJtjP9bgqgdDvlGFcWOWBe9CwdGQEkwYDRQPTcc=";
/// assert!(!must_update(h, 1000));
/// assert!(must_update(h, 600_000));
/// assert!(must_update("pbkdf2_sha256$30000$seasalt$VrX+V8drCGo68wlvy6rfu8i1d1pfkdeXA4LJkRGJodY=", 30000));
/// ```
pub fn must_update(encoded: &str, iterations: u32) -> bool {
    PasswordHash::parse(encoded).map_or(true, |hash| {
        hash.iterations != iterations || hash.salt.chars().count() < MIN_SALT_CHARS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use PasswordHashError::*;

    const GOOD: &str =
        "pbkdf2_sha256$1000$OwlXynD2Kyt0BHqLPL5ojB$7JQsDJtjP9bgqgdDvlGFcWOWBe9CwdGQEkwYDRQPTcc=";
    const KEY: &str = "7JQsDJtjP9bgqgdDvlGFcWOWBe9CwdGQEkwYDRQPTcc=";

    #[test]
    fn good_hash_verifies() {
        assert!(verify_password("l\u{e8}tmein", GOOD));
        assert!(!verify_password("l\u{e8}tmeiN", GOOD));
    }

    #[test]
    fn malformed_hashes_are_refused() {
        let k = KEY;
        for (encoded, err) in [
            (String::new(), FieldCount),
            ("pbkdf2_sha256".into(), FieldCount),
            (format!("pbkdf2_sha256$1000$Owl{k}"), FieldCount),
            (format!("pbkdf2_sha256$1000$Owl$X${k}"), FieldCount),
            (format!("pbkdf2_sha256$1000$Owl${k}$"), FieldCount),
            (format!("pbkdf2_sha1$1000$Owl${k}"), UnknownAlgorithm),
            (format!("PBKDF2_SHA256$1000$Owl${k}"), UnknownAlgorithm),
            (format!("$1000$Owl${k}"), UnknownAlgorithm),
            (format!("pbkdf2_sha256$$Owl${k}"), MalformedIterations),
            (format!("pbkdf2_sha256$0$Owl${k}"), IterationsOutOfRange),
            (format!("pbkdf2_sha256$01000$Owl${k}"), MalformedIterations),
            (format!("pbkdf2_sha256$+1000$Owl${k}"), MalformedIterations),
            (format!("pbkdf2_sha256$-1$Owl${k}"), MalformedIterations),
            (format!("pbkdf2_sha256$ 1000$Owl${k}"), MalformedIterations),
            (format!("pbkdf2_sha256$1_000$Owl${k}"), MalformedIterations),
            (format!("pbkdf2_sha256$1e3$Owl${k}"), MalformedIterations),
            (
                format!("pbkdf2_sha256$\u{0661}$Owl${k}"),
                MalformedIterations,
            ),
            (
                format!("pbkdf2_sha256$10000001$Owl${k}"),
                IterationsOutOfRange,
            ),
            (
                format!("pbkdf2_sha256$4294967295$Owl${k}"),
                IterationsOutOfRange,
            ),
            (
                format!("pbkdf2_sha256$4294967296$Owl${k}"),
                IterationsOutOfRange,
            ),
            (
                format!("pbkdf2_sha256$99999999999999999999$Owl${k}"),
                IterationsOutOfRange,
            ),
            (format!("pbkdf2_sha256$1000$${k}"), EmptySalt),
            ("pbkdf2_sha256$1000$Owl$".into(), KeyLength),
            (
                "pbkdf2_sha256$1000$Owl$7JQsDJtjP9bgqgdDvlGFcWOWBe9CwdGQEkwYDRQPTcc".into(),
                KeyLength,
            ),
            (
                "pbkdf2_sha256$1000$Owl$7JQsDJtjP9bgqgdDvlGFcWOWBe9CwdGQEkwYDRQPTQ==".into(),
                KeyLength,
            ),
            (format!("pbkdf2_sha256$1000$Owl${k}AAAA"), KeyLength),
            (
                "pbkdf2_sha256$1000$Owl$7JQsDJtjP9bgqgdDvlGFcWOWBe9CwdGQEkwYDRQPTcd=".into(),
                MalformedKey(base64::Base64Error::NonCanonical),
            ),
            (
                "pbkdf2_sha256$1000$Owl$7JQsDJtjP9bgqgdDvlGFcWOWBe9CwdGQEkwYDRQPTc-=".into(),
                MalformedKey(base64::Base64Error::InvalidByte { index: 42 }),
            ),
            (
                "pbkdf2_sha256$1000$Owl$7JQsDJtjP9bgqgdDvlGFcWOWBe9CwdGQEkwYDRQPT===".into(),
                MalformedKey(base64::Base64Error::Padding),
            ),
            (
                "pbkdf2_sha256$1000$Owl$7JQsDJtjP9bgqgdDvlGFcWOWBe9CwdGQEkwYDRQPTc\u{e9}".into(),
                MalformedKey(base64::Base64Error::InvalidByte { index: 42 }),
            ),
        ] {
            assert_eq!(PasswordHash::parse(&encoded), Err(err), "{encoded:?}");
            assert!(!verify_password("l\u{e8}tmein", &encoded), "{encoded:?}");
        }
    }

    #[test]
    fn iteration_bounds() {
        let at = |n: u32| format!("pbkdf2_sha256${n}$Owl${KEY}");
        assert_eq!(PasswordHash::parse(&at(1)).map(|h| h.iterations), Ok(1));
        assert_eq!(
            PasswordHash::parse(&at(MAX_ITERATIONS)).map(|h| h.iterations),
            Ok(MAX_ITERATIONS)
        );
        assert_eq!(
            PasswordHash::parse(&at(MAX_ITERATIONS + 1)),
            Err(IterationsOutOfRange)
        );
    }

    #[test]
    fn hash_then_verify() {
        let encoded = hash_password("correct horse", "abcdefghijklmnopqrstuv", 3);
        assert!(encoded.starts_with("pbkdf2_sha256$3$abcdefghijklmnopqrstuv$"));
        assert_eq!(
            encoded.len(),
            "pbkdf2_sha256$3$abcdefghijklmnopqrstuv$".len() + 44
        );
        assert!(verify_password("correct horse", &encoded));
        assert!(!verify_password("correct horse ", &encoded));
        assert!(!must_update(&encoded, 3));
        assert!(must_update(&encoded, 4));
        assert!(must_update("garbage", 3));
    }

    #[test]
    fn unverifiable_inputs_to_hash_password() {
        // (Above MAX_ITERATIONS is refused by the parser: iteration_bounds.)
        for (salt, iterations) in [("", 5), ("a$b", 5), ("salt", 0)] {
            assert!(
                !verify_password("pw", &hash_password("pw", salt, iterations)),
                "{salt:?}"
            );
        }
    }
}
