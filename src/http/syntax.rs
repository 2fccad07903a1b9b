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
#[inline]
pub fn find_lf(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| from + i)
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

    #[test]
    fn ows_and_lists() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"  "), b"");
        let items: Vec<&[u8]> = list_items(b" ,chunked ,, gzip ").collect();
        assert_eq!(items, vec![&b"chunked"[..], &b"gzip"[..]]);
    }
}
