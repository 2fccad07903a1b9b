//! Byte classes of RFC 9110 §5.6 as lookup tables, so the parsers test a
//! byte with one load instead of a chain of comparisons.

/// `tchar` (RFC 9110 §5.6.2): the bytes of a token (methods, field names,
/// transfer codings, chunk extensions).
static TCHAR: [bool; 256] =
    byte_table(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

/// Bytes allowed in a field value: VCHAR, obs-text, SP and HTAB
/// (RFC 9110 §5.5). CTLs, DEL, CR, LF and NUL are not.
static FIELD_VALUE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 256 {
        t[b] = b != 0x7F;
        b += 1;
    }
    t[b'\t' as usize] = true;
    t
};

/// Bytes allowed in a request target: visible ASCII (RFC 3986 characters
/// and the few that clients send unescaped). No SP, CTL, DEL or non-ASCII.
static TARGET: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x21;
    while b < 0x7F {
        t[b] = true;
        b += 1;
    }
    t
};

const fn byte_table(members: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < members.len() {
        t[members[i] as usize] = true;
        i += 1;
    }
    t
}

/// Whether `b` may appear in a token.
#[inline]
pub fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// Whether `s` is a non-empty token.
#[inline]
pub fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Whether `b` may appear in a field value.
#[inline]
pub fn is_field_value_byte(b: u8) -> bool {
    FIELD_VALUE[b as usize]
}

/// Whether `b` may appear in a request target.
#[inline]
pub fn is_target_byte(b: u8) -> bool {
    TARGET[b as usize]
}

/// `s` without leading and trailing SP / HTAB (OWS).
pub fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |i| i + 1);
    &s[start..end]
}

/// Splits a list-valued field (RFC 9110 §5.6.1) on commas, trimming OWS and
/// skipping empty elements.
pub fn list_items(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|s| !s.is_empty())
}

/// The index of the LF that ends the line starting at `from`, if any.
///
/// Eight bytes at a time (the bytes of a head are mostly long field
/// values: a bearer token, a cookie).
#[inline]
pub fn find_lf(buf: &[u8], from: usize) -> Option<usize> {
    let tail = buf.get(from..)?;
    let mut words = tail.chunks_exact(8);
    let mut offset = from;
    for word in &mut words {
        let hits = zero_bytes(load(word) ^ splat(b'\n'));
        if hits != 0 {
            return Some(offset + first_flagged(hits));
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| offset + i)
}

/// The index of the first byte of `value` that may not appear in a field
/// value (see [`is_field_value_byte`]), if any. Eight bytes at a time: a
/// word with no CTL and no DEL is all allowed; one with either (HTAB is a
/// CTL that is allowed) is looked at byte by byte.
#[inline]
pub fn find_bad_field_value_byte(value: &[u8]) -> Option<usize> {
    let mut words = value.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let w = load(word);
        if bytes_below(w, 0x20) | zero_bytes(w ^ splat(0x7F)) != 0 {
            if let Some(i) = word.iter().position(|&b| !is_field_value_byte(b)) {
                return Some(offset + i);
            }
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| !is_field_value_byte(b))
        .map(|i| offset + i)
}

/// Eight bytes as one little-endian word: byte `i` of the slice is byte
/// `i` of the word, counted from the least significant.
#[inline]
fn load(eight: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(eight);
    u64::from_le_bytes(w)
}

/// A word with `b` in each of its eight bytes.
const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// A word whose bytes have their top bit set where `w`'s byte is below
/// `n` (`n` at most 0x80). Exact up to the first such byte; bytes after it
/// may be flagged too (a borrow runs on), which [`first_flagged`] ignores.
#[inline]
fn bytes_below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(splat(n)) & !w & splat(0x80)
}

/// [`bytes_below`] 1: where `w`'s bytes are zero.
#[inline]
fn zero_bytes(w: u64) -> u64 {
    bytes_below(w, 1)
}

/// The index of the first flagged byte of a non-zero flag word.
#[inline]
fn first_flagged(flags: u64) -> usize {
    (flags.trailing_zeros() / 8) as usize
}

/// The line `buf[start..lf]` without its line end: CRLF or a bare LF.
#[inline]
pub fn strip_cr(line: &[u8]) -> &[u8] {
    match line.last() {
        Some(b'\r') => &line[..line.len() - 1],
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(is_token(b"GET"));
        assert!(is_token(b"!#$%&'*+-.^_`|~0aZ"));
        assert!(!is_token(b""));
        assert!(!is_token(b"G T"));
        assert!(!is_token(b"a:b"));
        assert!(is_field_value_byte(0xFF));
        assert!(is_field_value_byte(b'\t'));
        assert!(!is_field_value_byte(0));
        assert!(!is_field_value_byte(b'\r'));
        assert!(!is_field_value_byte(0x7F));
        assert!(!is_target_byte(b' '));
        assert!(!is_target_byte(0x80));
    }

    /// The word-at-a-time scans answer as a byte-by-byte scan would, for
    /// every position of every byte of interest, in any surroundings.
    #[test]
    fn word_scans_match_byte_scans() {
        let fillers: &[u8] = &[b'a', b' ', 0x80, 0xFF, b'\t', 0x21, 0x7E];
        let specials: &[u8] = &[b'\n', b'\r', 0, 0x7F, 0x1F, b'\t', 0x20, 0x0B, 0x81];
        for len in 0..40 {
            for &fill in fillers {
                for &special in specials {
                    for at in 0..=len {
                        let mut buf = vec![fill; len];
                        if at < len {
                            buf[at] = special;
                        }
                        for from in [0, 1, 3, 9] {
                            let slow = buf
                                .get(from..)
                                .and_then(|t| t.iter().position(|&b| b == b'\n'))
                                .map(|i| from + i);
                            assert_eq!(find_lf(&buf, from), slow, "{buf:?} from {from}");
                        }
                        let slow = buf.iter().position(|&b| !is_field_value_byte(b));
                        assert_eq!(find_bad_field_value_byte(&buf), slow, "{buf:?}");
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn word_scans_match_byte_scans_on_any_bytes(
            buf in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            from in 0usize..70,
        ) {
            let slow = buf
                .get(from..)
                .and_then(|t| t.iter().position(|&b| b == b'\n'))
                .map(|i| from + i);
            proptest::prop_assert_eq!(find_lf(&buf, from), slow);
            let slow = buf.iter().position(|&b| !is_field_value_byte(b));
            proptest::prop_assert_eq!(find_bad_field_value_byte(&buf), slow);
        }
    }

    #[test]
    fn ows_and_lists() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"  "), b"");
        let items: Vec<&[u8]> = list_items(b" ,chunked ,, gzip ").collect();
        assert_eq!(items, vec![&b"chunked"[..], &b"gzip"[..]]);
    }
}
