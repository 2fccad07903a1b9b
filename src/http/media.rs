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
mod tests;
