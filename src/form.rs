//! Form body codec: `application/x-www-form-urlencoded` (what `curl -d`
//! sends) and the query strings of request targets, plus the one-field
//! lookup both body codecs' callers use.
//!
//! Parsing follows the WHATWG URL Standard's urlencoded parser, made strict
//! where that parser guesses: a `%` without two hex digits and names or
//! values that do not decode to UTF-8 are refused, not patched with U+FFFD.
//! Repeated names are returned as sent; [`single_field`] is how a caller
//! refuses a field given twice.
//!
//! ```
//! use stateful::form::{parse_urlencoded, single_field};
//! let fields = parse_urlencoded(b"username=ada&password=p%40ss+word").unwrap();
//! assert_eq!(single_field(&fields, "password"), Ok(Some("p@ss word")));
//! assert_eq!(single_field(&fields, "email"), Ok(None));
//! ```

use std::fmt;

use crate::limits::MAX_BODY_FIELDS;

/// Why [`parse_urlencoded`] or [`parse_query`] refused its input.
///
/// Positions are byte offsets into the input. Every variant earns a 400; the
/// [`Display`](fmt::Display) text is short and meant for `{"error": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// A `%` not followed by two hex digits; `position` is the `%`.
    BadPercent { position: usize },
    /// A name or value that is not UTF-8 once decoded; `position` is where
    /// that name or value starts.
    InvalidUtf8 { position: usize },
    /// More than [`MAX_BODY_FIELDS`] fields.
    TooManyFields,
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormError::BadPercent { position } => {
                write!(
                    f,
                    "invalid form data: '%' without two hex digits at byte {position}"
                )
            }
            FormError::InvalidUtf8 { position } => {
                write!(
                    f,
                    "invalid form data: the text at byte {position} is not UTF-8"
                )
            }
            FormError::TooManyFields => {
                write!(f, "invalid form data: more than {MAX_BODY_FIELDS} fields")
            }
        }
    }
}

impl std::error::Error for FormError {}

/// Reads an `application/x-www-form-urlencoded` body into its
/// `(name, value)` pairs, in order, repeats included.
///
/// The input is split on `&` and empty pieces are skipped; each piece splits
/// at its first `=` (no `=`: the value is empty); in both halves `+` becomes
/// a space and `%XX` (hex in either case) the byte it names. Refuses, with
/// the [`FormError`] that names it: a `%` not followed by two hex digits, a
/// name or value whose decoded bytes are not UTF-8, and more than
/// [`MAX_BODY_FIELDS`] fields.
///
/// ```
/// use stateful::form::{parse_urlencoded, FormError};
/// let pair = |n: &str, v: &str| (n.to_string(), v.to_string());
/// assert_eq!(
///     parse_urlencoded(b"text=caf%C3%A9+au+lait&&a=b=c&flag"),
///     Ok(vec![pair("text", "café au lait"), pair("a", "b=c"), pair("flag", "")])
/// );
/// assert_eq!(parse_urlencoded(b"a=%zz"), Err(FormError::BadPercent { position: 2 }));
/// assert_eq!(parse_urlencoded(b"a=%FF"), Err(FormError::InvalidUtf8 { position: 2 }));
/// ```
pub fn parse_urlencoded(input: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let mut fields = Vec::new();
    let mut start = 0usize; // offset of `piece` in `input`
    for piece in input.split(|&b| b == b'&') {
        let offset = start;
        start = start.saturating_add(piece.len()).saturating_add(1);
        if piece.is_empty() {
            continue;
        }
        if fields.len() == MAX_BODY_FIELDS {
            return Err(FormError::TooManyFields);
        }
        let (name, value, value_offset) = match piece.iter().position(|&b| b == b'=') {
            Some(eq) => {
                let (name, rest) = piece.split_at(eq);
                (name, rest.get(1..).unwrap_or_default(), offset + eq + 1)
            }
            None => (piece, &[][..], offset + piece.len()),
        };
        fields.push((decode(name, offset)?, decode(value, value_offset)?));
    }
    Ok(fields)
}

/// Reads a query string, the part of a request target after `?` (without
/// the `?`), exactly as [`parse_urlencoded`] reads a body.
///
/// Refuses what [`parse_urlencoded`] refuses.
///
/// ```
/// use stateful::form::parse_query;
/// let q = parse_query("after=12&limit=50").unwrap();
/// assert_eq!(q, [("after".to_string(), "12".to_string()), ("limit".to_string(), "50".to_string())]);
/// assert!(parse_query("limit=%").is_err());
/// ```
pub fn parse_query(query: &str) -> Result<Vec<(String, String)>, FormError> {
    parse_urlencoded(query.as_bytes())
}

/// Decodes one name or value (`+` and `%XX`); `offset` is where it starts in
/// the whole input, for errors.
fn decode(text: &[u8], offset: usize) -> Result<String, FormError> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b'+' => {
                bytes.push(b' ');
                i += 1;
            }
            b'%' => {
                let high = text.get(i + 1).and_then(|&d| hex_value(d));
                let low = text.get(i + 2).and_then(|&d| hex_value(d));
                let (Some(high), Some(low)) = (high, low) else {
                    return Err(FormError::BadPercent {
                        position: offset + i,
                    });
                };
                bytes.push(high << 4 | low);
                i += 3;
            }
            _ => {
                bytes.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(bytes).map_err(|_| FormError::InvalidUtf8 { position: offset })
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes `s` for use as a form or query name or value: every byte
/// but the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) becomes
/// `%XX` (upper-case hex), a space included.
///
/// Refuses nothing. [`parse_urlencoded`] decodes the result back to `s`.
///
/// ```
/// use stateful::form::percent_encode_component;
/// assert_eq!(percent_encode_component("café & co=1+1"), "caf%C3%A9%20%26%20co%3D1%2B1");
/// assert_eq!(percent_encode_component("a-b_c.d~e"), "a-b_c.d~e");
/// ```
pub fn percent_encode_component(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

/// A field that a request gave more than once, where the route takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateField {
    pub name: String,
}

impl fmt::Display for DuplicateField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field \"{}\" given more than once", self.name)
    }
}

impl std::error::Error for DuplicateField {}

/// The value of the field `name` in parsed body or query fields, if given.
///
/// Works on the output of [`parse_urlencoded`], [`parse_query`] and
/// [`parse_string_object`](crate::json::parse_string_object) alike. Refuses
/// a name given more than once with [`DuplicateField`] (only form data and
/// query strings can repeat one; the JSON reader already refuses it).
///
/// ```
/// use stateful::form::{parse_urlencoded, single_field, DuplicateField};
/// let fields = parse_urlencoded(b"text=a&text=b&limit=5").unwrap();
/// assert_eq!(single_field(&fields, "limit"), Ok(Some("5")));
/// assert_eq!(single_field(&fields, "after"), Ok(None));
/// assert_eq!(single_field(&fields, "text"), Err(DuplicateField { name: "text".into() }));
/// ```
pub fn single_field<'a>(
    fields: &'a [(String, String)],
    name: &str,
) -> Result<Option<&'a str>, DuplicateField> {
    let mut found = None;
    for (field, value) in fields {
        if field == name {
            if found.is_some() {
                return Err(DuplicateField {
                    name: name.to_string(),
                });
            }
            found = Some(value.as_str());
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use FormError::*;

    /// Expected `(name, value)` pairs of a table case.
    type Pairs<'a> = &'a [(&'a str, &'a str)];

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn accepts() {
        #[rustfmt::skip]
        let cases: &[(&[u8], Pairs)] = &[
            (b"", &[]),
            (b"&&&", &[]),
            (b"a=b", &[("a", "b")]),
            (b"username=ada&password=secret", &[("username", "ada"), ("password", "secret")]),
            (b"a=b=c", &[("a", "b=c")]),
            (b"a", &[("a", "")]),
            (b"a=", &[("a", "")]),
            (b"=b", &[("", "b")]),
            (b"=", &[("", "")]),
            (b"&a=1&&b=2&", &[("a", "1"), ("b", "2")]),
            (b"a=1&a=2", &[("a", "1"), ("a", "2")]),
            (b"a+b=c+d", &[("a b", "c d")]),
            (b"a=%2B%2b", &[("a", "++")]),
            (b"a=%C3%A9", &[("a", "é")]),
            (b"a=%c3%a9", &[("a", "é")]),
            (b"%C3%A9=%F0%9F%98%80", &[("é", "😀")]),
            (b"a=%00", &[("a", "\0")]),
            (b"a=%26%3D", &[("a", "&=")]),
            ("a=é".as_bytes(), &[("a", "é")]),
            (b"a=;b", &[("a", ";b")]),
            (b"a=?x#y", &[("a", "?x#y")]),
            (b"a=\"<>\"", &[("a", "\"<>\"")]),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_urlencoded(input),
                Ok(pairs(expected)),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn refuses() {
        #[rustfmt::skip]
        let cases: &[(&[u8], FormError)] = &[
            (b"a=%zz", BadPercent { position: 2 }),
            (b"a=%", BadPercent { position: 2 }),
            (b"a=%4", BadPercent { position: 2 }),
            (b"a=%4g", BadPercent { position: 2 }),
            (b"a=%%41", BadPercent { position: 2 }),
            (b"%=b", BadPercent { position: 0 }),
            (b"x=1&a%2=b", BadPercent { position: 5 }),
            (b"a=% 1", BadPercent { position: 2 }),
            (b"a=%+1", BadPercent { position: 2 }),
            (b"a=%FF", InvalidUtf8 { position: 2 }),
            (b"a=%C3", InvalidUtf8 { position: 2 }),
            (b"a=%C3%28", InvalidUtf8 { position: 2 }),
            (b"a=%ED%A0%80", InvalidUtf8 { position: 2 }),
            (b"x=1&%80=b", InvalidUtf8 { position: 4 }),
            (b"a=\xff", InvalidUtf8 { position: 2 }),
            (b"\xc3=b", InvalidUtf8 { position: 0 }),
            (b"a=%C3&b=%A9", InvalidUtf8 { position: 2 }),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse_urlencoded(input).as_ref(),
                Err(expected),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn field_count_limit() {
        let body = |n: usize| {
            (0..n)
                .map(|i| format!("f{i}=v"))
                .collect::<Vec<_>>()
                .join("&")
        };
        assert_eq!(
            parse_urlencoded(body(MAX_BODY_FIELDS).as_bytes()).map(|f| f.len()),
            Ok(MAX_BODY_FIELDS)
        );
        assert_eq!(
            parse_urlencoded(body(MAX_BODY_FIELDS + 1).as_bytes()),
            Err(TooManyFields)
        );
        // Empty pieces do not count.
        let sparse = format!("{}&&&&", body(MAX_BODY_FIELDS));
        assert_eq!(
            parse_urlencoded(sparse.as_bytes()).map(|f| f.len()),
            Ok(MAX_BODY_FIELDS)
        );
    }

    #[test]
    fn query_and_encoding() {
        assert_eq!(
            parse_query("after=3&limit=10"),
            Ok(pairs(&[("after", "3"), ("limit", "10")]))
        );
        assert_eq!(parse_query("limit=1%"), Err(BadPercent { position: 7 }));
        #[rustfmt::skip]
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("AZaz09-._~", "AZaz09-._~"),
            (" ", "%20"),
            ("+&=%", "%2B%26%3D%25"),
            ("é", "%C3%A9"),
            ("\0\u{7f}", "%00%7F"),
            ("/?#[]@!$'()*,;", "%2F%3F%23%5B%5D%40%21%24%27%28%29%2A%2C%3B"),
        ];
        for (input, expected) in cases {
            assert_eq!(percent_encode_component(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn single_field_lookup() {
        let fields = pairs(&[("a", "1"), ("b", "2"), ("b", "3"), ("c", "")]);
        #[rustfmt::skip]
        let cases: &[(&str, Result<Option<&str>, &str>)] = &[
            ("a", Ok(Some("1"))),
            ("c", Ok(Some(""))),
            ("d", Ok(None)),
            ("A", Ok(None)),
            ("b", Err("b")),
        ];
        for (name, expected) in cases {
            let expected = expected.map_err(|n| DuplicateField {
                name: n.to_string(),
            });
            assert_eq!(single_field(&fields, name), expected, "{name}");
        }
        assert_eq!(
            DuplicateField { name: "b".into() }.to_string(),
            r#"field "b" given more than once"#
        );
        assert_eq!(
            TooManyFields.to_string(),
            "invalid form data: more than 64 fields"
        );
    }
}
