//! Byte classes of RFC 6265 §4.1.1 and RFC 9110 §5.6.2, shared by the
//! parsers and the encoder.

/// A control character that makes a user agent ignore a whole `Set-Cookie`
/// line (%x00-08 / %x0A-1F / %x7F; HTAB is allowed, RFC 6265bis §5.6 step 1).
pub(crate) fn is_forbidden_ctl(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// `tchar` of RFC 9110 §5.6.2: the bytes of a `token`, hence of a cookie name.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `cookie-octet` (RFC 6265 §4.1.1): printable US-ASCII except DQUOTE,
/// comma, semicolon and backslash.
pub(crate) fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

/// `av-octet` (RFC 6265bis §4.1.1): US-ASCII except CTLs and `;`, the bytes
/// of a Path attribute value.
pub(crate) fn is_av_octet(b: u8) -> bool {
    matches!(b, 0x20..=0x3a | 0x3c..=0x7e)
}

/// `s` without leading and trailing SP/HTAB, the only whitespace the
/// cookie algorithms trim.
pub(crate) fn trim_wsp(s: &str) -> &str {
    s.trim_matches(|c: char| c == ' ' || c == '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let cases: &[(u8, bool, bool, bool, bool)] = &[
            // byte, tchar, cookie-octet, av-octet, forbidden ctl
            (b'a', true, true, true, false),
            (b'0', true, true, true, false),
            (b' ', false, false, true, false),
            (b'\t', false, false, false, false),
            (b'"', false, false, true, false),
            (b',', false, false, true, false),
            (b';', false, false, false, false),
            (b'\\', false, false, true, false),
            (b'=', false, true, true, false),
            (b'/', false, true, true, false),
            (b'~', true, true, true, false),
            (0x00, false, false, false, true),
            (b'\r', false, false, false, true),
            (0x7f, false, false, false, true),
            (0x80, false, false, false, false),
        ];
        for &(b, tchar, octet, av, ctl) in cases {
            assert_eq!(is_tchar(b), tchar, "tchar {b:#x}");
            assert_eq!(is_cookie_octet(b), octet, "cookie-octet {b:#x}");
            assert_eq!(is_av_octet(b), av, "av-octet {b:#x}");
            assert_eq!(is_forbidden_ctl(b), ctl, "ctl {b:#x}");
        }
    }

    #[test]
    fn trims_only_sp_and_htab() {
        assert_eq!(trim_wsp(" \ta b\t "), "a b");
        assert_eq!(trim_wsp("\r\na\n"), "\r\na\n");
        assert_eq!(trim_wsp("   "), "");
    }
}
