//! Content negotiation by `Accept` (RFC 9110 §12.5.1): a total parser of
//! the field's media ranges and the one decision the server makes with it,
//! JSON or HTML.
//!
//! ```
//! use stateful::http::media::{preferred_format, Format};
//! let chrome = b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
//! assert_eq!(preferred_format([&chrome[..]]), Format::Html);
//! assert_eq!(preferred_format([&b"*/*"[..]]), Format::Json); // curl
//! assert_eq!(preferred_format(std::iter::empty::<&[u8]>()), Format::Json);
//! assert_eq!(preferred_format([&b"text/*;q=0.5, application/json;q=0.4"[..]]), Format::Html);
//! ```
//!
//! Grammar (RFC 9110 §12.5.1, §12.4.2, §5.6.6):
//! `Accept = #( media-range [ weight ] )`, `media-range = ( "*/*" /
//! ( type "/*" ) / ( type "/" subtype ) ) parameters`, `weight = OWS ";"
//! OWS "q=" qvalue`, `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "."
//! 0*3("0") ] )`. Names are case-insensitive, `q` included; parameters
//! after the weight (RFC 7231's accept-ext) are skipped.
//!
//! A malformed element (no `/`, `*/html`, a bad parameter or weight, an
//! unclosed quoted string, garbage before the next comma) is an
//! [`AcceptError`] and is left out of the decision; the elements after it
//! still count. Nothing allocates and nothing panics.

use super::syntax::is_tchar;

/// The two representations the server has of its answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json`: scripts, curl, and anyone who does not say.
    Json,
    /// `text/html; charset=utf-8`: a browser.
    Html,
}

/// One media range of an `Accept` field: `type/subtype`, its parameters
/// (before the weight) and its weight in thousandths (0 to 1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaRange<'a> {
    /// `*` in `*/*`.
    pub type_: &'a [u8],
    /// `*` in `*/*` and `type/*`.
    pub subtype: &'a [u8],
    /// The raw, already validated `;`-separated parameters before the
    /// weight (may be empty).
    params: &'a [u8],
    /// `q` times 1000: `q=0.8` is 800; no weight is 1000.
    pub q: u16,
}

/// What is wrong with one element of an `Accept` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptError {
    /// The type is empty or not a token.
    InvalidType,
    /// No `/` after the type.
    MissingSlash,
    /// The subtype is empty or not a token.
    InvalidSubtype,
    /// `*/subtype`: only `*/*` may have a wildcard type.
    WildcardTypeOnly,
    /// A parameter without `=`, or with an empty or malformed value.
    InvalidParameter,
    /// A quoted string without its closing quote, or with a byte a quoted
    /// string cannot hold.
    UnclosedQuote,
    /// `q=` not followed by a qvalue (`q=2`, `q=0.1234`, `q="1"`).
    InvalidWeight,
    /// Something other than a parameter or a comma after the range.
    TrailingGarbage,
}

impl MediaRange<'_> {
    /// The parameters before the weight, as `(name, value)` with quoted
    /// values still quoted.
    pub fn params(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let mut s = Scanner {
            bytes: self.params,
            pos: 0,
        };
        std::iter::from_fn(move || loop {
            s.skip_ows();
            if s.at_end() {
                return None;
            }
            if s.eat(b';') {
                s.skip_ows();
                if let Ok(Some(pair)) = s.parameter() {
                    return Some(pair);
                }
                continue;
            }
            // The slice was validated when the range was parsed.
            return None;
        })
    }

    /// How closely this range names `type_/subtype` with `params` (the
    /// representation's own parameters): `None` when it does not cover it,
    /// else 0 for `*/*`, 1 for `type/*`, 2 for `type/subtype`, 3 for
    /// `type/subtype` with parameters that all match the representation's
    /// (RFC 9110 §12.5.1: the most specific reference wins).
    pub fn specificity(&self, type_: &str, subtype: &str, params: &[(&str, &str)]) -> Option<u8> {
        if self.type_ == b"*" {
            return Some(0);
        }
        if !self.type_.eq_ignore_ascii_case(type_.as_bytes()) {
            return None;
        }
        if self.subtype == b"*" {
            return Some(1);
        }
        if !self.subtype.eq_ignore_ascii_case(subtype.as_bytes()) {
            return None;
        }
        let mut any = false;
        for (name, value) in self.params() {
            any = true;
            let matched = params
                .iter()
                .any(|(n, v)| name.eq_ignore_ascii_case(n.as_bytes()) && param_value_eq(value, v));
            if !matched {
                return None;
            }
        }
        Some(if any { 3 } else { 2 })
    }
}

/// The media ranges of one `Accept` field value, in order; malformed
/// elements come out as errors and the scan goes on after the next comma
/// outside a quoted string. Empty list elements are skipped (RFC 9110
/// §5.6.1).
pub fn accept_ranges(value: &[u8]) -> impl Iterator<Item = Result<MediaRange<'_>, AcceptError>> {
    let mut s = Scanner {
        bytes: value,
        pos: 0,
    };
    std::iter::from_fn(move || loop {
        s.skip_ows();
        if s.at_end() {
            return None;
        }
        if s.eat(b',') {
            continue;
        }
        let element = s.media_range();
        if element.is_err() {
            s.skip_past_comma();
        }
        return Some(element);
    })
}

/// The weight (in thousandths) that the ranges give `type_/subtype` with
/// `params`: the weight of the most specific range covering it (of the
/// highest weight among equally specific ones), or 0 when none covers it.
pub fn quality<'a>(
    ranges: impl IntoIterator<Item = MediaRange<'a>>,
    type_: &str,
    subtype: &str,
    params: &[(&str, &str)],
) -> u16 {
    let mut best = None;
    for r in ranges {
        note(&mut best, &r, type_, subtype, params);
    }
    weight(best)
}

/// JSON or HTML for a request whose `Accept` fields are `values` (every
/// field of that name, in order; several fields are one list). HTML only
/// when `text/html` gets a strictly higher weight than `application/json`:
/// a tie, `*/*` alone, an empty or malformed field, or no field at all
/// means JSON, so curl and scripts keep the API they know.
pub fn preferred_format<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Format {
    let mut html: Option<(u8, u16)> = None;
    let mut json: Option<(u8, u16)> = None;
    for value in values {
        for r in accept_ranges(value).flatten() {
            note(&mut html, &r, "text", "html", HTML_PARAMS);
            note(&mut json, &r, "application", "json", &[]);
        }
    }
    if weight(html) > weight(json) {
        Format::Html
    } else {
        Format::Json
    }
}

/// The parameters of our HTML representation, for ranges such as
/// `text/html;charset=utf-8`.
const HTML_PARAMS: &[(&str, &str)] = &[("charset", "utf-8")];

/// Keeps in `best` the (specificity, weight) of the most specific range
/// seen so far that covers the type.
fn note(
    best: &mut Option<(u8, u16)>,
    r: &MediaRange,
    type_: &str,
    subtype: &str,
    params: &[(&str, &str)],
) {
    if let Some(spec) = r.specificity(type_, subtype, params) {
        match *best {
            Some((s, q)) if s > spec || (s == spec && q >= r.q) => {}
            _ => *best = Some((spec, r.q)),
        }
    }
}

/// The weight of the best range noted, 0 when none covered the type.
fn weight(best: Option<(u8, u16)>) -> u16 {
    best.map_or(0, |(_, q)| q)
}

/// Whether a parameter value as sent (a token, or a quoted string with
/// quoted-pairs) equals `want`, ASCII case-insensitively (the values we
/// compare, charsets, are case-insensitive).
fn param_value_eq(raw: &[u8], want: &str) -> bool {
    let want = want.as_bytes();
    let Some(inner) = raw.strip_prefix(b"\"").and_then(|r| r.strip_suffix(b"\"")) else {
        return raw.eq_ignore_ascii_case(want);
    };
    let mut unescaped = inner.iter().copied().scan(false, |escaped, b| {
        if !*escaped && b == b'\\' {
            *escaped = true;
            return Some(None);
        }
        *escaped = false;
        Some(Some(b))
    });
    let mut want = want.iter();
    loop {
        let next = unescaped.by_ref().find_map(|b| b);
        match (next, want.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {}
            _ => return false,
        }
    }
}

/// The qvalue grammar, as thousandths.
fn parse_qvalue(v: &[u8]) -> Option<u16> {
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(dot) => (&v[..dot], &v[dot + 1..]),
        None => (v, &b""[..]),
    };
    if frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths = 0u16;
    for i in 0..3 {
        thousandths = thousandths * 10 + frac.get(i).map_or(0, |d| u16::from(d - b'0'));
    }
    match int {
        b"0" => Some(thousandths),
        b"1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// A parameter's name and its value as sent (quoted values with quotes).
type Param<'a> = (&'a [u8], &'a [u8]);

/// A cursor over a field value.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// The longest run of tchars here (maybe empty).
    fn token(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        &self.bytes[start..self.pos]
    }

    /// A quoted string starting at the opening quote, returned with its
    /// quotes.
    fn quoted_string(&mut self) -> Result<&'a [u8], AcceptError> {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.peek() {
                None => return Err(AcceptError::UnclosedQuote),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(&self.bytes[start..self.pos]);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b) if b == b'\t' || b >= 0x20 && b != 0x7F => self.pos += 1,
                        _ => return Err(AcceptError::UnclosedQuote),
                    }
                }
                Some(b) if b == b'\t' || b >= 0x20 && b != 0x7F => self.pos += 1,
                Some(_) => return Err(AcceptError::UnclosedQuote),
            }
        }
    }

    /// `[ name "=" ( token / quoted-string ) ]` after a `;` and OWS:
    /// `Ok(None)` for an empty parameter.
    fn parameter(&mut self) -> Result<Option<Param<'a>>, AcceptError> {
        let name = self.token();
        if name.is_empty() {
            return Ok(None);
        }
        if !self.eat(b'=') {
            return Err(AcceptError::InvalidParameter);
        }
        let value = if self.peek() == Some(b'"') {
            self.quoted_string()?
        } else {
            self.token()
        };
        if value.is_empty() {
            return Err(AcceptError::InvalidParameter);
        }
        Ok(Some((name, value)))
    }

    /// One media range with its parameters and weight, up to and
    /// including the comma that ends it.
    fn media_range(&mut self) -> Result<MediaRange<'a>, AcceptError> {
        let type_ = self.token();
        if type_.is_empty() {
            return Err(AcceptError::InvalidType);
        }
        if !self.eat(b'/') {
            return Err(AcceptError::MissingSlash);
        }
        let subtype = self.token();
        if subtype.is_empty() {
            return Err(AcceptError::InvalidSubtype);
        }
        if type_ == b"*" && subtype != b"*" {
            return Err(AcceptError::WildcardTypeOnly);
        }
        let params_start = self.pos;
        let mut params_end = None;
        let mut q = 1000;
        loop {
            let before = self.pos;
            self.skip_ows();
            if !self.eat(b';') {
                self.pos = before;
                break;
            }
            self.skip_ows();
            let Some((name, value)) = self.parameter()? else {
                continue;
            };
            if params_end.is_none() && name.eq_ignore_ascii_case(b"q") {
                // A quoted weight fails here too: `"` is not a digit.
                q = parse_qvalue(value).ok_or(AcceptError::InvalidWeight)?;
                params_end = Some(before);
            }
        }
        let params = &self.bytes[params_start..params_end.unwrap_or(self.pos)];
        self.skip_ows();
        if !self.at_end() && !self.eat(b',') {
            return Err(AcceptError::TrailingGarbage);
        }
        Ok(MediaRange {
            type_,
            subtype,
            params,
            q,
        })
    }

    /// After a malformed element: past the next comma outside a quoted
    /// string, or to the end.
    fn skip_past_comma(&mut self) {
        let mut quoted = false;
        let mut escaped = false;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match (quoted, escaped, b) {
                (true, true, _) => escaped = false,
                (true, false, b'\\') => escaped = true,
                (_, false, b'"') => quoted = !quoted,
                (false, _, b',') => return,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Format::{Html, Json};

    fn fmt(accept: &str) -> Format {
        preferred_format([accept.as_bytes()])
    }

    #[test]
    fn html_or_json() {
        let cases: &[(&str, Format)] = &[
            // What real clients send.
            ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7", Html),
            ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", Html),
            ("*/*", Json),
            ("application/json", Json),
            ("application/json, text/plain, */*", Json),
            ("", Json),
            // Weights decide.
            ("text/html", Html),
            ("text/html;q=0.9, application/json", Json),
            ("text/html, application/json;q=0.9", Html),
            ("application/json;q=0.5, text/html;q=0.6", Html),
            ("application/json;q=0.500, text/html;q=0.501", Html),
            // A tie is JSON.
            ("text/html, application/json", Json),
            ("application/json, text/html", Json),
            ("text/html;q=0.5, application/json;q=0.5", Json),
            ("text/html;q=0, application/json;q=0", Json),
            ("text/html;q=0", Json),
            // Types not named take the most specific wildcard's weight.
            ("text/*", Html),
            ("text/*, */*;q=0.1", Html),
            ("text/*;q=0.3, */*;q=0.2", Html),
            ("text/*;q=0.2, */*;q=0.3", Json),
            ("application/*;q=0.9, text/html;q=0.8", Json),
            ("application/*;q=0.7, text/html;q=0.8", Html),
            ("*/*;q=0.1, text/html;q=0.2", Html),
            ("*/*;q=0.9, text/html;q=0.2", Json),
            ("*/*, text/html;q=0", Json),
            ("text/*, text/html;q=0", Json),
            ("image/png", Json),
            ("application/xml, text/plain", Json),
            // The most specific range wins, whatever its weight or place.
            ("text/html;q=0.1, text/*;q=1, application/json;q=0.5", Json),
            ("text/html;q=0.6, */*;q=1, application/*;q=0.5", Html),
            // Parameters: ours (charset=utf-8) match, others name another
            // representation.
            ("text/html;charset=utf-8", Html),
            ("text/html;charset=\"UTF-8\";q=0.9, application/json;q=0.8", Html),
            ("text/html;level=1", Json),
            ("text/html;level=1, text/html;q=0.1, application/json;q=0.2", Json),
            ("text/html;level=1, text/*;q=0.7, application/json;q=0.2", Html),
            ("text/html;charset=utf-8;q=0.1, text/html;q=0.9, application/json;q=0.5", Json),
            // Equally specific duplicates: the highest weight counts.
            ("text/html;q=0.1, text/html;q=0.9, application/json;q=0.5", Html),
            // Case and whitespace.
            ("TEXT/HTML;Q=0.9, Application/JSON;q=0.8", Html),
            ("  text/html ; q=1.0 ,application/json ; q=0.999 ", Html),
            ("text/html\t;\tq=0.5,\tapplication/json;q=0.4", Html),
            (",, text/html ,,", Html),
            // Parameters after the weight are skipped.
            ("text/html;q=0.9;ext=1, application/json;q=0.8", Html),
            // Malformed elements are left out; the rest still count.
            ("text/html;q=2, application/json;q=0.5", Json),
            ("text/html;q=0.5, application/json;q=1.5", Html),
            ("text/html;q=\"1\", */*;q=0.5", Json),
            ("text/html;q=.5", Json),
            ("text/html;q=0.1234", Json),
            ("text/html;q=1.001", Json),
            ("text/html;q=", Json),
            ("text/html;q=-1", Json),
            ("text/html;q=1e0", Json),
            ("texthtml", Json),
            ("*/html", Json),
            ("text/", Json),
            ("/html", Json),
            ("text/html junk, application/json;q=0.1", Json),
            ("text/html;a=\"x,y\", application/json;q=0.5", Json),
            ("text/html;a=\"unclosed, text/html", Json),
            ("garbage, text/html", Html),
            ("text/html;=x, text/html;q=0.4, application/json;q=0.3", Html),
            ("text/html;a, application/json;q=0.3", Json),
            ("\"text/html\"", Json),
            ("text/html\u{e9}", Json),
        ];
        for (accept, want) in cases {
            assert_eq!(fmt(accept), *want, "Accept: {accept}");
        }
    }

    #[test]
    fn no_field_is_json_and_several_fields_are_one_list() {
        assert_eq!(preferred_format(std::iter::empty::<&[u8]>()), Json);
        assert_eq!(
            preferred_format([&b"application/json;q=0.5"[..], &b"text/html"[..]]),
            Html
        );
        assert_eq!(
            preferred_format([&b"text/html;q=0.5"[..], &b"*/*"[..]]),
            Json
        );
    }

    #[test]
    fn qvalues() {
        let cases: &[(&str, Option<u16>)] = &[
            ("0", Some(0)),
            ("0.", Some(0)),
            ("0.8", Some(800)),
            ("0.08", Some(80)),
            ("0.008", Some(8)),
            ("0.999", Some(999)),
            ("1", Some(1000)),
            ("1.", Some(1000)),
            ("1.000", Some(1000)),
            ("1.0000", None),
            ("1.1", None),
            ("2", None),
            ("00.5", None),
            (".5", None),
            ("0.5a", None),
            ("", None),
        ];
        for (v, want) in cases {
            assert_eq!(parse_qvalue(v.as_bytes()), *want, "q={v}");
        }
    }

    #[test]
    fn ranges_and_errors() {
        type Case<'a> = (&'a str, &'a [Result<(&'a str, &'a str, u16), AcceptError>]);
        let cases: &[Case] = &[
            ("a/b", &[Ok(("a", "b", 1000))]),
            (
                "a/b;q=0.2,c/*",
                &[Ok(("a", "b", 200)), Ok(("c", "*", 1000))],
            ),
            ("", &[]),
            (" , ,", &[]),
            ("a", &[Err(AcceptError::MissingSlash)]),
            ("/b", &[Err(AcceptError::InvalidType)]),
            ("a/", &[Err(AcceptError::InvalidSubtype)]),
            ("*/b", &[Err(AcceptError::WildcardTypeOnly)]),
            ("a/b;c", &[Err(AcceptError::InvalidParameter)]),
            ("a/b;c=", &[Err(AcceptError::InvalidParameter)]),
            ("a/b;c=\"x", &[Err(AcceptError::UnclosedQuote)]),
            ("a/b;c=\"x\\", &[Err(AcceptError::UnclosedQuote)]),
            ("a/b;q=3", &[Err(AcceptError::InvalidWeight)]),
            ("a/b;q=\"0.5\"", &[Err(AcceptError::InvalidWeight)]),
            ("a/b c", &[Err(AcceptError::TrailingGarbage)]),
            ("a/b;;q=0.5;;", &[Ok(("a", "b", 500))]),
            ("a/b;c=\"x,y\";q=0", &[Ok(("a", "b", 0))]),
            (
                "a/b;c=\"x,y, c/d\", e/f",
                &[Ok(("a", "b", 1000)), Ok(("e", "f", 1000))],
            ),
            (
                "a/b x;c=\"p,q\", e/f",
                &[Err(AcceptError::TrailingGarbage), Ok(("e", "f", 1000))],
            ),
            (
                "a/b;c=\"x\\\"y\",e/f",
                &[Ok(("a", "b", 1000)), Ok(("e", "f", 1000))],
            ),
        ];
        for (accept, want) in cases {
            let got: Vec<_> = accept_ranges(accept.as_bytes())
                .map(|r| {
                    r.map(|r| {
                        (
                            std::str::from_utf8(r.type_).unwrap(),
                            std::str::from_utf8(r.subtype).unwrap(),
                            r.q,
                        )
                    })
                })
                .collect();
            assert_eq!(got, *want, "Accept: {accept}");
        }
    }

    #[test]
    fn params_stop_at_the_weight() {
        let r = accept_ranges(b"text/html ; a=1 ;b=\"two\"; q=0.5; ext=3")
            .next()
            .unwrap()
            .unwrap();
        let params: Vec<_> = r.params().collect();
        assert_eq!(
            params,
            vec![(&b"a"[..], &b"1"[..]), (&b"b"[..], &b"\"two\""[..])]
        );
    }

    #[test]
    fn quoted_values_compare_unescaped() {
        assert!(param_value_eq(b"\"utf-8\"", "utf-8"));
        assert!(param_value_eq(b"\"ut\\f-8\"", "utf-8"));
        assert!(param_value_eq(b"UTF-8", "utf-8"));
        assert!(!param_value_eq(b"\"utf-8x\"", "utf-8"));
        assert!(!param_value_eq(b"\"utf\"", "utf-8"));
        assert!(!param_value_eq(b"\"", "utf-8"));
    }

    #[test]
    fn quality_of_other_types() {
        let ranges = || accept_ranges(b"text/*;q=0.3, text/plain;q=0.7, */*;q=0.1").flatten();
        assert_eq!(quality(ranges(), "text", "plain", &[]), 700);
        assert_eq!(quality(ranges(), "text", "css", &[]), 300);
        assert_eq!(quality(ranges(), "image", "png", &[]), 100);
        assert_eq!(
            quality(accept_ranges(b"text/plain").flatten(), "image", "png", &[]),
            0
        );
    }

    #[test]
    fn every_prefix_and_byte_is_total() {
        let inputs: &[&[u8]] = &[
            b"text/html;a=\"x\\\"y\";q=0.5, application/json;q=0.25, */*;q=0",
            b"\"\\\x00\xff;;,,q=1/",
        ];
        for input in inputs {
            for end in 0..=input.len() {
                let _ = preferred_format([&input[..end]]);
                for r in accept_ranges(&input[..end]).flatten() {
                    assert!(r.q <= 1000);
                    let _ = r.params().count();
                }
            }
        }
        for b in 0..=255u8 {
            let _ = preferred_format([&[b'a', b'/', b'b', b';', b'c', b'=', b'"', b, b'"'][..]]);
        }
    }

    proptest::proptest! {
        /// Whatever the weights and the order, HTML exactly when its
        /// weight is the higher one.
        #[test]
        fn the_higher_weight_wins(qh in 0u16..=1000, qj in 0u16..=1000, html_first: bool, wildcard: bool) {
            let html = format!("text/html;q={}.{:03}", qh / 1000, qh % 1000);
            let json = if wildcard {
                format!("application/*;q={}.{:03}", qj / 1000, qj % 1000)
            } else {
                format!("application/json;q={}.{:03}", qj / 1000, qj % 1000)
            };
            let accept = if html_first { format!("{html}, {json}, */*;q=0.01") } else { format!("{json},{html}") };
            let want = if qh > qj { Html } else { Json };
            proptest::prop_assert_eq!(fmt(&accept), want, "{}", accept);
        }

        #[test]
        fn any_bytes_are_total(bytes: Vec<u8>) {
            let _ = preferred_format([&bytes[..]]);
            for r in accept_ranges(&bytes).flatten() {
                proptest::prop_assert!(r.q <= 1000);
                proptest::prop_assert!(!r.type_.is_empty() && !r.subtype.is_empty());
                let _ = r.params().count();
            }
        }
    }
}
