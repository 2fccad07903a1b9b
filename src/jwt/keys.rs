//! Signing keys: the set a server verifies with (the first one signs), and
//! the parser of the key-file text.

use std::fmt;

use super::ALGORITHM;
use crate::crypto::base64::{decode_url, encode_url, Base64Error};
use crate::crypto::{HmacSha256Key, HmacSha256Prefixed};
use crate::json::ObjectWriter;
use crate::limits::{TOKEN_KEY_MIN, TOKEN_KID_MAX};

/// One HS256 key: its id, its HMAC pad states, and the first part of
/// every token it signs, all computed once so a verification costs only the
/// compressions and the claims of the token itself.
pub struct TokenKey {
    kid: String,
    mac: HmacSha256Key,
    /// The pad states with the first 64 bytes of our tokens folded in too,
    /// when those bytes are the same in every token (a key id of 4 or more
    /// bytes makes the header long enough): a MAC then costs 3
    /// compressions instead of 4.
    first_block: Option<HmacSha256Prefixed>,
    /// base64url of `{"alg":"HS256","typ":"JWT","kid":K}`, the header
    /// [`sign`](super::sign) writes under this key.
    header: String,
}

impl TokenKey {
    /// The key id, as tokens name it in `kid`.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// HMAC-SHA256 of `data` under this key.
    pub fn mac(&self, data: &[u8]) -> [u8; 32] {
        match self.first_block.as_ref().and_then(|p| p.mac(data)) {
            Some(mac) => mac,
            None => self.mac.mac(data),
        }
    }

    /// The encoded header of the tokens this key signs.
    pub fn header(&self) -> &str {
        &self.header
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenKey({:?})", self.kid)
    }
}

/// The keys a server accepts: the first signs, all verify (rotation: list
/// the new key first, keep the old one until its tokens have expired).
///
/// `Debug` shows the key ids only.
///
/// ```
/// use stateful::jwt::{KeySet, KeySetError};
/// let keys = KeySet::new(vec![("new".into(), vec![1; 32]), ("old".into(), vec![2; 40])]).unwrap();
/// assert_eq!(keys.signing().kid(), "new");
/// assert_eq!(format!("{keys:?}"), r#"KeySet(["new", "old"])"#);
/// assert_eq!(
///     KeySet::new(vec![("k".into(), vec![1; 31])]).unwrap_err(),
///     KeySetError::Line(KeyLineError::TooShort { kid: "k".into(), len: 31 })
/// );
/// # use stateful::jwt::KeyLineError;
/// ```
pub struct KeySet {
    keys: Vec<TokenKey>,
}

/// Why [`KeySet::new`] refused a list of keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySetError {
    /// No key at all.
    Empty,
    /// One key is unusable (short, badly named, a repeated id).
    Line(KeyLineError),
}

impl KeySet {
    /// A set from `(kid, key bytes)` pairs, the first signing. Refuses an
    /// empty list, a key under [`TOKEN_KEY_MIN`] bytes, a bad or repeated
    /// key id.
    pub fn new(keys: Vec<(String, Vec<u8>)>) -> Result<KeySet, KeySetError> {
        let mut set = KeySet { keys: Vec::new() };
        for (kid, bytes) in keys {
            set.push(kid, &bytes).map_err(KeySetError::Line)?;
        }
        if set.keys.is_empty() {
            return Err(KeySetError::Empty);
        }
        Ok(set)
    }

    fn push(&mut self, kid: String, bytes: &[u8]) -> Result<(), KeyLineError> {
        if !valid_kid(&kid) {
            return Err(KeyLineError::BadKeyId);
        }
        if bytes.len() < TOKEN_KEY_MIN {
            return Err(KeyLineError::TooShort {
                kid,
                len: bytes.len(),
            });
        }
        if self.find(&kid).is_some() {
            return Err(KeyLineError::DuplicateKeyId { kid });
        }
        let mut header = ObjectWriter::new();
        header
            .string("alg", ALGORITHM)
            .string("typ", "JWT")
            .string("kid", &kid);
        let header = encode_url(header.finish().as_bytes());
        let mac = HmacSha256Key::new(bytes);
        let start = format!("{header}.{CLAIMS_START}");
        let first_block = start
            .as_bytes()
            .get(..64)
            .and_then(|b| b.try_into().ok())
            .map(|block| mac.with_first_block(block));
        self.keys.push(TokenKey {
            header,
            kid,
            mac,
            first_block,
        });
        Ok(())
    }

    /// The key that signs new tokens: the first.
    pub fn signing(&self) -> &TokenKey {
        // `new` and `parse_key_file` refuse an empty set.
        &self.keys[0]
    }

    /// The key whose own header is exactly `encoded` (the first part of a
    /// token as [`sign`](super::sign) wrote it), if any.
    pub fn by_header(&self, encoded: &[u8]) -> Option<&TokenKey> {
        self.keys.iter().find(|k| k.header.as_bytes() == encoded)
    }

    /// The key named `kid`, if any.
    pub fn find(&self, kid: &str) -> Option<&TokenKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Every key id, signing key first.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.kid.as_str())
    }

    /// How many keys verify.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Never true: a set has at least one key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeySet(")?;
        f.debug_list().entries(self.kids()).finish()?;
        f.write_str(")")
    }
}

/// The first characters of the claims part of every token [`sign`](super::sign)
/// writes: base64url of `{"sub":"`, as far as it does not depend on the
/// username (the 11th character holds 2 bits of its first byte).
const CLAIMS_START: &str = "eyJzdWIiOi";

/// A key id we accept: 1 to [`TOKEN_KID_MAX`] bytes of visible ASCII, no
/// `:` (the key file's separator).
fn valid_kid(kid: &str) -> bool {
    (1..=TOKEN_KID_MAX).contains(&kid.len())
        && kid.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

/// What is wrong with one line of a key file (or one key of a set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLineError {
    NotUtf8,
    /// No `:` between the key id and the key.
    NoColon,
    /// The key id is empty, longer than [`TOKEN_KID_MAX`], or has a byte
    /// that is not visible ASCII.
    BadKeyId,
    /// The key is not base64url (padding optional).
    Base64(Base64Error),
    /// `=` padding of the wrong length for the key.
    Padding,
    /// Fewer than [`TOKEN_KEY_MIN`] bytes.
    TooShort {
        kid: String,
        len: usize,
    },
    /// The key id was given on an earlier line.
    DuplicateKeyId {
        kid: String,
    },
}

impl fmt::Display for KeyLineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyLineError::NotUtf8 => f.write_str("not UTF-8"),
            KeyLineError::NoColon => f.write_str("expected kid:base64url"),
            KeyLineError::BadKeyId => write!(
                f,
                "the key id must be 1 to {TOKEN_KID_MAX} visible ASCII characters without ':'"
            ),
            KeyLineError::Base64(e) => write!(f, "the key is not base64url ({e})"),
            KeyLineError::Padding => f.write_str("the key has misplaced '=' padding"),
            KeyLineError::TooShort { kid, len } => write!(
                f,
                "key {kid:?} is {len} bytes; at least {TOKEN_KEY_MIN} are needed"
            ),
            KeyLineError::DuplicateKeyId { kid } => write!(f, "key id {kid:?} given twice"),
        }
    }
}

/// Why a key file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFileError {
    /// Line `line` (counting from 1) is wrong.
    Line { line: usize, problem: KeyLineError },
    /// No key in the file (empty, or only blank lines and comments).
    NoKeys,
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFileError::Line { line, problem } => write!(f, "line {line}: {problem}"),
            KeyFileError::NoKeys => f.write_str("no key (expected lines of kid:base64url)"),
        }
    }
}

impl std::error::Error for KeyFileError {}

/// Reads a key file: one key a line, `kid:base64url` (padding optional),
/// the first signing. Blank lines and lines starting with `#` are skipped;
/// spaces around a line (and a CR before its LF) are ignored. Refuses, by
/// line number, a line without `:`, a bad key id, a key that is not
/// base64url or is under [`TOKEN_KEY_MIN`] bytes, a key id given twice;
/// and a file with no key.
///
/// ```
/// use stateful::jwt::{parse_key_file, KeyFileError, KeyLineError};
/// let text = "# rotated 2026-12\nnew:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nold:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n";
/// let keys = parse_key_file(text.as_bytes()).unwrap();
/// assert_eq!(keys.kids().collect::<Vec<_>>(), ["new", "old"]);
///
/// let short = parse_key_file(b"k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nk2:AAAA\n").unwrap_err();
/// assert_eq!(short.to_string(), "line 2: key \"k2\" is 3 bytes; at least 32 are needed");
/// assert_eq!(parse_key_file(b"\n\n").unwrap_err(), KeyFileError::NoKeys);
/// ```
pub fn parse_key_file(text: &[u8]) -> Result<KeySet, KeyFileError> {
    let mut set = KeySet { keys: Vec::new() };
    for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let at_line = |problem| KeyFileError::Line { line, problem };
        let Ok(raw) = std::str::from_utf8(raw) else {
            return Err(at_line(KeyLineError::NotUtf8));
        };
        let trimmed = raw.trim_matches(|c: char| c.is_ascii_whitespace());
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (kid, key) = trimmed
            .split_once(':')
            .ok_or(at_line(KeyLineError::NoColon))?;
        let bytes = decode_key(key).map_err(at_line)?;
        set.push(kid.to_string(), &bytes).map_err(at_line)?;
    }
    if set.keys.is_empty() {
        return Err(KeyFileError::NoKeys);
    }
    Ok(set)
}

/// base64url with its `=` padding either absent or exactly right.
fn decode_key(text: &str) -> Result<Vec<u8>, KeyLineError> {
    let unpadded = text.trim_end_matches('=');
    let pad = text.len() - unpadded.len();
    if pad > 0 && (pad > 2 || !(unpadded.len() + pad).is_multiple_of(4)) {
        return Err(KeyLineError::Padding);
    }
    decode_url(unpadded).map_err(KeyLineError::Base64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `kid:` + base64url of `n` bytes of `fill`.
    fn line(kid: &str, n: usize) -> String {
        format!("{kid}:{}", crate::crypto::base64::encode_url(&vec![7u8; n]))
    }

    #[test]
    fn accepts() {
        let k32 = crate::crypto::base64::encode_url(&[7u8; 32]);
        #[rustfmt::skip]
        let cases: &[(String, &[&str])] = &[
            (line("k1", 32), &["k1"]),
            (format!("{}\n", line("k1", 32)), &["k1"]),
            (format!("{}\r\n{}\r\n", line("a", 32), line("b", 64)), &["a", "b"]),
            (format!("\n# comment\n  {}  \n\n{}", line("a", 33), line("b", 100)), &["a", "b"]),
            (format!("k:{k32}="), &["k"]),
            (format!("k:{}", crate::crypto::base64::encode(&[7u8; 33]).replace('+', "-").replace('/', "_")), &["k"]),
            (format!("k:{}==", crate::crypto::base64::encode_url(&[7u8; 34])), &["k"]),
            (format!("{}\n{}", line("2024-01.k_1~", 32), line("\"q\"", 32)), &["2024-01.k_1~", "\"q\""]),
        ];
        for (text, kids) in cases {
            let set = parse_key_file(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(set.kids().collect::<Vec<_>>(), *kids, "{text:?}");
        }
    }

    #[test]
    fn refusals() {
        use KeyLineError::*;
        let k32 = crate::crypto::base64::encode_url(&[7u8; 32]);
        let err = |line, problem| Err(KeyFileError::Line { line, problem });
        let short = |kid: &str, len| TooShort {
            kid: kid.to_string(),
            len,
        };
        #[rustfmt::skip]
        let cases: Vec<(String, Result<(), KeyFileError>)> = vec![
            (String::new(), Err(KeyFileError::NoKeys)),
            ("\n  \n# only a comment\n".into(), Err(KeyFileError::NoKeys)),
            (line("k", 31), err(1, short("k", 31))),
            (line("k", 0), err(1, short("k", 0))),
            (format!("{}\n{}", line("a", 32), line("b", 16)), err(2, short("b", 16))),
            (k32.clone(), err(1, NoColon)),
            (format!(":{k32}"), err(1, BadKeyId)),
            (format!("a b:{k32}"), err(1, BadKeyId)),
            (format!("{}:{k32}", "k".repeat(TOKEN_KID_MAX + 1)), err(1, BadKeyId)),
            (format!("k\u{e9}:{k32}"), err(1, BadKeyId)),
            (format!("k:{k32}==="), err(1, Padding)),
            (format!("k:{k32}=="), err(1, Padding)),
            (format!("k:{}=", crate::crypto::base64::encode_url(&[7u8; 33])), err(1, Padding)),
            (format!("k:+{}", &k32[1..]), err(1, Base64(Base64Error::InvalidByte { index: 0 }))),
            (format!("k:{}/", &k32[..42]), err(1, Base64(Base64Error::InvalidByte { index: 42 }))),
            (format!("k:{} ", &k32[..20]) + &k32[20..], err(1, Base64(Base64Error::InvalidByte { index: 20 }))),
            (format!("k:{k32}xx"), err(1, Base64(Base64Error::Length))),
            (format!("{}\n{}", line("a", 32), line("a", 40)), err(2, DuplicateKeyId { kid: "a".into() })),
            (b"k:\xff".iter().map(|&b| b as char).collect(), err(1, Base64(Base64Error::InvalidByte { index: 0 }))),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_key_file(text.as_bytes()).map(|_| ()),
                expected,
                "{text:?}"
            );
        }
        assert_eq!(parse_key_file(b"k:\xff\xfe").map(|_| ()), err(1, NotUtf8));
    }

    #[test]
    fn the_first_block_shortcut_gives_the_plain_mac() {
        for kid_len in 1..=20 {
            let kid = "k".repeat(kid_len);
            let raw = vec![kid_len as u8; 32];
            let set = KeySet::new(vec![(kid.clone(), raw.clone())]).unwrap();
            let key = set.signing();
            assert_eq!(key.first_block.is_some(), kid_len >= 4, "kid of {kid_len}");
            for sub in ["a", "~", "\u{e9}", "ada", &"z".repeat(150)] {
                let claims = super::super::Claims::issue(sub, 1_700_000_000, "j");
                let token = set.sign(&claims);
                let (input, sig) = token.rsplit_once('.').unwrap();
                let plain = crate::crypto::hmac_sha256(&raw, input.as_bytes());
                assert_eq!(
                    crate::crypto::base64::encode_url(&plain),
                    sig,
                    "{kid} {sub}"
                );
                assert_eq!(key.mac(input.as_bytes()), plain);
            }
            // Any other start falls back to the plain MAC.
            let other = format!("{}.{}", key.header(), "x".repeat(80));
            assert_eq!(
                key.mac(other.as_bytes()),
                crate::crypto::hmac_sha256(&raw, other.as_bytes())
            );
            assert_eq!(
                key.mac(b"short"),
                crate::crypto::hmac_sha256(&raw, b"short")
            );
        }
    }

    #[test]
    fn messages_name_the_line_and_never_the_key() {
        let text = format!("{}\n\n{}\n", line("a", 32), line("b", 8));
        let message = parse_key_file(text.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            message,
            "line 3: key \"b\" is 8 bytes; at least 32 are needed"
        );
        let secret = crate::crypto::base64::encode_url(&[7u8; 8]);
        assert!(!message.contains(&secret));
    }
}
