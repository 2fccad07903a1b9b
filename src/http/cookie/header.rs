//! The request `Cookie` header (RFC 6265bis §4.2 and §5.8.3), read the
//! lenient way browsers and servers do.

use super::octets::{is_forbidden_ctl, trim_wsp};

/// Splits a `Cookie` header value into its `(name, value)` pairs, in the
/// order sent.
///
/// The value is split on every `;` (even inside quotes), each piece is
/// trimmed of SP/HTAB, and the name/value split is at the first `=`, each
/// side trimmed again. A piece without `=` is a nameless cookie: a user agent
/// serialises one as just its value, so `flag` gives `("", "flag")`. Quotes,
/// duplicates, commas and non-ASCII bytes are kept as sent; deciding what a
/// name means is the caller's business.
///
/// Skipped, while the rest still count: empty pieces, pieces whose name and
/// value are both empty (`=`), and pieces containing a control character
/// other than HTAB (no user agent sends one). Never fails; an empty header
/// gives no pairs.
///
/// ```
/// use stateful::cookie::parse_cookie_header;
/// assert_eq!(
///     parse_cookie_header("sessionid=abc; theme=\"dark\";; flag; =; n=a=b"),
///     [("sessionid", "abc"), ("theme", "\"dark\""), ("", "flag"), ("n", "a=b")]
/// );
/// assert!(parse_cookie_header("  ").is_empty());
/// ```
pub fn parse_cookie_header(value: &str) -> Vec<(&str, &str)> {
    value.split(';').filter_map(parse_pair).collect()
}

/// One `;`-separated piece, or `None` when it is skipped.
fn parse_pair(piece: &str) -> Option<(&str, &str)> {
    if piece.bytes().any(is_forbidden_ctl) {
        return None;
    }
    let (name, value) = match piece.split_once('=') {
        Some((name, value)) => (trim_wsp(name), trim_wsp(value)),
        None => ("", trim_wsp(piece)),
    };
    if name.is_empty() && value.is_empty() {
        None
    } else {
        Some((name, value))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_cookie_header;

    #[test]
    fn table() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("", &[]),
            ("a=1", &[("a", "1")]),
            ("a=1; b=2", &[("a", "1"), ("b", "2")]),
            ("a=1;b=2", &[("a", "1"), ("b", "2")]),
            ("a=1; a=2", &[("a", "1"), ("a", "2")]),
            (" \ta = 1 \t", &[("a", "1")]),
            ("a=", &[("a", "")]),
            ("a", &[("", "a")]),
            ("=a", &[("", "a")]),
            ("=", &[]),
            (";;;", &[]),
            ("a=\"x y\"", &[("a", "\"x y\"")]),
            ("a=1, b=2", &[("a", "1, b=2")]),
            ("a=x\u{0}y; b=2", &[("b", "2")]),
            ("a=x\ry; b=2", &[("b", "2")]),
            ("a=x\u{7f}; b=2", &[("b", "2")]),
            ("a=é; ключ=v", &[("a", "é"), ("ключ", "v")]),
        ];
        for &(header, expect) in cases {
            assert_eq!(parse_cookie_header(header), expect, "{header:?}");
        }
    }
}
