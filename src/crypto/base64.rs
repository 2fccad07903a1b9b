//! Standard base64 with `=` padding (RFC 4648 §4), the encoding of the key
//! in a Django password hash, and base64url without padding (RFC 4648 §5),
//! the encoding of a JSON Web Token's parts.
//!
//! The decoder accepts only canonical text, the exact output of [`encode`]:
//! no whitespace, no URL-safe alphabet, no missing or extra padding, and no
//! set bits in the unused low bits of the last character. Django compares the
//! whole encoded hash, so any other spelling would not verify there either.
#![forbid(unsafe_code)]

use std::fmt;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Why a text is not canonical base64 (or base64url).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base64Error {
    /// The length is not a multiple of four.
    Length,
    /// The byte at this offset is outside the alphabet (or a misplaced `=`).
    InvalidByte { index: usize },
    /// Padding that `encode` would not write (`=` in the wrong place, `===`).
    Padding,
    /// The last character has set bits that encode no data.
    NonCanonical,
}

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Base64Error::Length => f.write_str("base64 length is not a multiple of 4"),
            Base64Error::InvalidByte { index } => write!(f, "invalid base64 byte at {index}"),
            Base64Error::Padding => f.write_str("misplaced base64 padding"),
            Base64Error::NonCanonical => f.write_str("non-canonical base64 (unused bits set)"),
        }
    }
}

impl std::error::Error for Base64Error {}

/// Encodes `bytes` as padded standard base64.
///
/// ```
/// use stateful::crypto::base64;
/// assert_eq!(base64::encode(b""), "");
/// assert_eq!(base64::encode(b"f"), "Zg==");
/// assert_eq!(base64::encode(b"foob"), "Zm9vYg==");
/// assert_eq!(base64::encode(&[0xfb, 0xff]), "+/8=");
/// ```
pub fn encode(bytes: &[u8]) -> String {
    // A slice holds at most isize::MAX bytes, so this cannot overflow.
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [
            group[0],
            *group.get(1).unwrap_or(&0),
            *group.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= group.len() {
                out.push(char::from(ALPHABET[(n >> shift) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes canonical padded standard base64; refuses anything [`encode`]
/// would not have written.
///
/// ```
/// use stateful::crypto::base64::{decode, Base64Error};
/// assert_eq!(decode("Zm9vYg=="), Ok(b"foob".to_vec()));
/// assert_eq!(decode("Zm9vYg"), Err(Base64Error::Length));
/// assert_eq!(decode("Zm9v Yg="), Err(Base64Error::InvalidByte { index: 4 }));
/// assert_eq!(decode("Zh=="), Err(Base64Error::NonCanonical));
/// assert_eq!(decode("Z==="), Err(Base64Error::Padding));
/// ```
pub fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return Err(Base64Error::Length);
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let last = bytes.len() / 4;
    for (q, quad) in bytes.chunks_exact(4).enumerate() {
        let pad = if q + 1 == last {
            quad.iter().rev().take_while(|&&c| c == b'=').count()
        } else {
            0
        };
        if pad > 2 {
            return Err(Base64Error::Padding);
        }
        let mut n = 0u32;
        for (i, &c) in quad.iter().enumerate() {
            let v = if i < 4 - pad {
                value(c).ok_or(Base64Error::InvalidByte { index: q * 4 + i })?
            } else {
                0
            };
            n = n << 6 | u32::from(v);
        }
        let [_, b0, b1, b2] = n.to_be_bytes();
        match pad {
            0 => out.extend_from_slice(&[b0, b1, b2]),
            1 if b2 == 0 => out.extend_from_slice(&[b0, b1]),
            2 if b1 == 0 && b2 == 0 => out.push(b0),
            _ => return Err(Base64Error::NonCanonical),
        }
    }
    Ok(out)
}

/// Encodes `bytes` as base64url without padding (RFC 4648 §5; the
/// encoding of every part of a JSON Web Token, RFC 7515 §2).
///
/// ```
/// use stateful::crypto::base64;
/// assert_eq!(base64::encode_url(b""), "");
/// assert_eq!(base64::encode_url(b"f"), "Zg");
/// assert_eq!(base64::encode_url(b"foob"), "Zm9vYg");
/// assert_eq!(base64::encode_url(&[0xfb, 0xff]), "-_8");
/// ```
pub fn encode_url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [
            group[0],
            *group.get(1).unwrap_or(&0),
            *group.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for shift in [18, 12, 6, 0].into_iter().take(group.len() + 1) {
            out.push(char::from(URL_ALPHABET[(n >> shift) as usize & 63]));
        }
    }
    out
}

/// Decodes base64url without padding, refusing anything [`encode_url`]
/// would not have written: `=` anywhere, whitespace, the `+` and `/` of
/// the standard alphabet, a length of 4n + 1, and set bits in the unused
/// low bits of the last character. Takes text or raw bytes (a header
/// field's value).
///
/// ```
/// use stateful::crypto::base64::{decode_url, Base64Error};
/// assert_eq!(decode_url("Zm9vYg"), Ok(b"foob".to_vec()));
/// assert_eq!(decode_url("-_8"), Ok(vec![0xfb, 0xff]));
/// assert_eq!(decode_url("Zm9vYg=="), Err(Base64Error::InvalidByte { index: 6 }));
/// assert_eq!(decode_url("Zm9v Yg"), Err(Base64Error::InvalidByte { index: 4 }));
/// assert_eq!(decode_url("Zm9vY"), Err(Base64Error::Length));
/// assert_eq!(decode_url("Zh"), Err(Base64Error::NonCanonical));
/// ```
pub fn decode_url(text: &(impl AsRef<[u8]> + ?Sized)) -> Result<Vec<u8>, Base64Error> {
    let bytes = text.as_ref();
    let mut out = vec![0u8; decoded_len(bytes.len())];
    decode_url_into(bytes, &mut out)?;
    Ok(out)
}

/// How many bytes base64url text of `len` characters decodes to (rounded
/// down for an impossible length of 4n + 1).
///
/// ```
/// use stateful::crypto::base64::decoded_len;
/// assert_eq!((decoded_len(43), decoded_len(44), decoded_len(45)), (32, 33, 33));
/// ```
pub const fn decoded_len(len: usize) -> usize {
    len / 4 * 3 + (len % 4).saturating_sub(1)
}

/// [`decode_url`] into `out`, which must be exactly
/// [`decoded_len`]`(text.len())` bytes long (so a caller can decode into
/// a buffer of its own, such as a signature's 32 bytes on the stack).
///
/// # Panics
///
/// If `out` has another length.
///
/// ```
/// use stateful::crypto::base64::{decode_url_into, Base64Error};
/// let mut out = [0u8; 4];
/// assert_eq!(decode_url_into(b"Zm9vYg", &mut out), Ok(()));
/// assert_eq!(&out, b"foob");
/// assert_eq!(decode_url_into(b"Zm9vYh", &mut out), Err(Base64Error::NonCanonical));
/// ```
pub fn decode_url_into(bytes: &[u8], out: &mut [u8]) -> Result<(), Base64Error> {
    assert_eq!(
        out.len(),
        decoded_len(bytes.len()),
        "decode_url_into: out has the wrong length"
    );
    let tail = bytes.len() % 4;
    if tail == 1 {
        // No character can be invalid at a length no encoding has, but
        // name the first bad one if there is one: it is the better clue.
        return match bytes
            .iter()
            .position(|&c| URL_VALUES[usize::from(c)] == INVALID)
        {
            Some(index) => Err(Base64Error::InvalidByte { index }),
            None => Err(Base64Error::Length),
        };
    }
    let whole = bytes.len() / 4;
    // Four table lookups, one OR to catch an invalid byte, three stores.
    let mut bad = 0u8;
    for (group, three) in bytes.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let v = [
            URL_VALUES[usize::from(group[0])],
            URL_VALUES[usize::from(group[1])],
            URL_VALUES[usize::from(group[2])],
            URL_VALUES[usize::from(group[3])],
        ];
        bad |= v[0] | v[1] | v[2] | v[3];
        let n =
            u32::from(v[0]) << 18 | u32::from(v[1]) << 12 | u32::from(v[2]) << 6 | u32::from(v[3]);
        three[0] = (n >> 16) as u8;
        three[1] = (n >> 8) as u8;
        three[2] = n as u8;
    }
    let rest = &bytes[whole * 4..];
    let mut n = 0u32;
    for &c in rest {
        let value = URL_VALUES[usize::from(c)];
        bad |= value;
        n = n << 6 | u32::from(value);
    }
    if bad & INVALID != 0 {
        let index = bytes
            .iter()
            .position(|&c| URL_VALUES[usize::from(c)] == INVALID)
            .unwrap_or(0);
        return Err(Base64Error::InvalidByte { index });
    }
    if !rest.is_empty() {
        n <<= 6 * (4 - rest.len());
        let [_, b0, b1, b2] = n.to_be_bytes();
        let last = &mut out[whole * 3..];
        match rest.len() {
            3 if b2 == 0 => last.copy_from_slice(&[b0, b1]),
            2 if b1 == 0 => last.copy_from_slice(&[b0]),
            _ => return Err(Base64Error::NonCanonical),
        }
    }
    Ok(())
}

/// Marks a byte outside the base64url alphabet in [`URL_VALUES`].
const INVALID: u8 = 0x80;

/// The 6-bit value of each byte as a base64url character, or [`INVALID`].
const URL_VALUES: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[URL_ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The 6-bit value of an alphabet character.
fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded).as_deref(), Ok(plain.as_bytes()), "{coded}");
        }
    }

    #[test]
    fn refusals() {
        use Base64Error::*;
        for (text, err) in [
            ("Z", Length),
            ("Zm9vY", Length),
            ("Zm9vYg=", Length),
            ("Zg=\n", InvalidByte { index: 2 }),
            ("Zm-v", InvalidByte { index: 2 }),
            ("Zm_v", InvalidByte { index: 2 }),
            ("=m9v", InvalidByte { index: 0 }),
            ("Zg==Zm9v", InvalidByte { index: 2 }),
            ("Zm=v", InvalidByte { index: 2 }),
            ("====", Padding),
            ("Zg===", Length),
            ("Zh==", NonCanonical),
            ("Zm9=", NonCanonical),
            ("Zm8=\u{e9}", Length),
            ("Zm\u{e9}", InvalidByte { index: 2 }),
        ] {
            assert_eq!(decode(text), Err(err), "{text:?}");
        }
    }

    #[test]
    fn url_vectors() {
        for (plain, coded) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
            (&[0xfb, 0xef, 0xff], "--__"),
            (&[0xff, 0xfe], "__4"),
        ] {
            assert_eq!(encode_url(plain), coded);
            assert_eq!(decode_url(coded).as_deref(), Ok(plain), "{coded}");
        }
    }

    #[test]
    fn url_refusals() {
        use Base64Error::*;
        for (text, err) in [
            ("Z", Length),
            ("Zm9vY", Length),
            ("Zg==", InvalidByte { index: 2 }),
            ("Zm8=", InvalidByte { index: 3 }),
            ("Zm9v=", InvalidByte { index: 4 }),
            ("=", InvalidByte { index: 0 }),
            ("Zm+v", InvalidByte { index: 2 }),
            ("Zm/v", InvalidByte { index: 2 }),
            ("Zm9v\n", InvalidByte { index: 4 }),
            (" Zm9v", InvalidByte { index: 0 }),
            ("Zm9v ", InvalidByte { index: 4 }),
            ("Zm\t9v", InvalidByte { index: 2 }),
            ("Zm\r\n9v", InvalidByte { index: 2 }),
            ("Zm.v", InvalidByte { index: 2 }),
            ("Zm\u{e9}", InvalidByte { index: 2 }),
            ("Zh", NonCanonical),
            ("Zm9", NonCanonical),
            ("Zm9vYh", NonCanonical),
        ] {
            assert_eq!(decode_url(text), Err(err), "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn url_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            let text = encode_url(&bytes);
            prop_assert_eq!(text.len(), (bytes.len() * 4).div_ceil(3));
            prop_assert_eq!(decode_url(&text), Ok(bytes));
        }

        #[test]
        fn url_decode_is_total_and_canonical(text in "[A-Za-z0-9_=+/ -]{0,12}") {
            if let Ok(bytes) = decode_url(&text) {
                prop_assert_eq!(encode_url(&bytes), text);
            }
        }

        #[test]
        fn round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            let text = encode(&bytes);
            prop_assert_eq!(text.len(), bytes.len().div_ceil(3) * 4);
            prop_assert_eq!(decode(&text), Ok(bytes));
        }

        #[test]
        fn decode_is_total_and_canonical(text in "[A-Za-z0-9+/=]{0,12}") {
            if let Ok(bytes) = decode(&text) {
                prop_assert_eq!(encode(&bytes), text);
            }
        }
    }
}
