//! The request head: request line and header section (RFC 9112 §2-§7,
//! RFC 9110 §5-§8), parsed from a byte slice by one pure function.
//!
//! [`parse_request_head`] answers `Complete` with the head and the bytes it
//! used, `Partial` when the slice is a prefix of a head that may still become
//! valid, or a [`HeadError`] naming what is wrong. It never panics, and the
//! only allocations are one copy of the head (bounded by the limits) and the
//! field index.
//!
//! ```
//! use stateful::http::{parse_request_head, Parsed, Method, BodyFraming};
//! let raw = b"POST /comments HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
//! let Ok(Parsed::Complete(head, used)) = parse_request_head(raw) else { panic!() };
//! assert_eq!(head.method(), Method::Post);
//! assert_eq!(head.path(), "/comments");
//! assert_eq!(head.framing(), BodyFraming::Length(5));
//! assert_eq!(&raw[used..], b"hello");
//! // Any prefix is only "need more bytes".
//! assert!(matches!(parse_request_head(&raw[..20]), Ok(Parsed::Partial)));
//! ```
//!
//! Refused (see [`HeadError`]): a request line over 8 KiB (414), a header
//! section of 64 KiB or more than 100 fields (431), a bare CR, a NUL or other
//! control byte, obs-fold, whitespace before a colon, a non-token method or
//! field name, a malformed version (400) or another major version (505),
//! HTTP/1.1 without exactly one valid `Host` (a port must be digits up to
//! 65535), a request-target form the method does not take (400; see
//! `request/target.rs`), an `https` target (421), ambiguous body framing,
//! a body over 1 MiB (413) and expectations other than `100-continue` (417).

use std::ops::Range;

use super::syntax::{
    find_bad_field_value_byte, find_lf, is_target_byte, is_token, strip_cr, trim_ows,
};
use crate::limits::{
    MAX_HEADER_BYTES, MAX_HEADER_FIELDS, MAX_LEADING_EMPTY_LINES, MAX_REQUEST_LINE,
};
use semantics::check_semantics;
use target::route_target;

/// The outcome of a parse that did not fail.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A complete value and the number of input bytes it used.
    Complete(T, usize),
    /// The input is a valid prefix; more bytes are needed.
    Partial,
}

/// What is wrong with a request head. [`crate::http::HttpError::status`]
/// maps each to its status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    TooManyEmptyLines,
    RequestLineTooLong,
    InvalidMethod,
    InvalidTarget,
    /// A request-target form the method does not take (RFC 9112 §3.2):
    /// authority-form other than with CONNECT, asterisk-form other than
    /// with OPTIONS, CONNECT with any other form.
    TargetFormNotAllowed,
    /// An `https` absolute-form target: this server has no TLS, so it was
    /// not sent over a connection secured for that origin (RFC 9110 §7.4).
    HttpsWithoutTls,
    InvalidVersion,
    UnsupportedVersion,
    BareCr,
    Nul,
    ObsFold,
    EmptyFieldName,
    SpaceBeforeColon,
    InvalidFieldName,
    MissingColon,
    InvalidFieldValue,
    HeaderSectionTooLarge,
    TooManyFields,
    MissingHost,
    DuplicateHost,
    InvalidHost,
    /// A `Host` port that is not digits, or above 65535.
    InvalidHostPort,
    InvalidContentLength,
    ConflictingContentLength,
    ContentLengthWithTransferEncoding,
    InvalidTransferEncoding,
    ChunkedNotFinal,
    TransferEncodingInHttp10,
    UnsupportedTransferCoding,
    BodyTooLarge,
    UnsupportedExpectation,
}

/// Request methods. Those the server does not know are `Other`; the text is
/// still available from [`RequestHead::method_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Patch,
    Options,
    Trace,
    Connect,
    Other,
}

impl Method {
    fn from_token(t: &[u8]) -> Method {
        match t {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"PATCH" => Method::Patch,
            b"OPTIONS" => Method::Options,
            b"TRACE" => Method::Trace,
            b"CONNECT" => Method::Connect,
            _ => Method::Other,
        }
    }
}

/// The protocol version. `HTTP/1.x` with x above 1 is served as 1.1
/// (RFC 9110 §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// How the request body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body (no Content-Length, no Transfer-Encoding).
    None,
    /// `Content-Length: n`, already checked against the body limit.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A parsed request head. It owns a copy of the head's bytes; accessors
/// return slices of it.
#[derive(Debug, Clone)]
pub struct RequestHead {
    bytes: Box<[u8]>,
    method: Method,
    method_end: u32,
    target: Range<u32>,
    path_end: u32,
    version: Version,
    fields: Vec<(Range<u32>, Range<u32>)>,
    framing: BodyFraming,
    keep_alive: bool,
    expect_continue: bool,
    host: Option<Range<u32>>,
}

impl RequestHead {
    pub fn method(&self) -> Method {
        self.method
    }

    /// The method as sent (a validated token).
    pub fn method_str(&self) -> &str {
        ascii(&self.bytes[..self.method_end as usize])
    }

    /// The request target as sent, reduced to origin-form for absolute-form
    /// targets: visible ASCII only.
    pub fn target(&self) -> &str {
        ascii(&self.bytes[range(&self.target)])
    }

    /// The target up to `?`.
    pub fn path(&self) -> &str {
        ascii(&self.bytes[self.target.start as usize..self.path_end as usize])
    }

    /// The query after `?`, if there was a `?`.
    pub fn query(&self) -> Option<&str> {
        (self.path_end < self.target.end)
            .then(|| ascii(&self.bytes[self.path_end as usize + 1..self.target.end as usize]))
    }

    pub fn version(&self) -> Version {
        self.version
    }

    pub fn framing(&self) -> BodyFraming {
        self.framing
    }

    /// Whether the connection stays open after the response, as the
    /// request asked (HTTP/1.1 unless `close`; HTTP/1.0 only with
    /// `keep-alive`).
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// `Expect: 100-continue` was sent.
    pub fn expect_continue(&self) -> bool {
        self.expect_continue
    }

    /// The request's host: the authority of an absolute-form target, else
    /// the `Host` field value, if one was sent.
    pub fn host(&self) -> Option<&str> {
        self.host.as_ref().map(|r| ascii(&self.bytes[range(r)]))
    }

    /// The value of the first field named `name` (ASCII case-insensitive),
    /// without surrounding whitespace.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.fields()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The values of every field named `name`, in order.
    pub fn headers<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Every field as `(name, value)`, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.fields
            .iter()
            .map(|(n, v)| (ascii(&self.bytes[range(n)]), &self.bytes[range(v)]))
    }
}

fn range(r: &Range<u32>) -> Range<usize> {
    r.start as usize..r.end as usize
}

/// Only called on bytes the parser checked to be ASCII tokens or targets.
fn ascii(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

/// Parses a request head from the start of `buf`.
pub fn parse_request_head(buf: &[u8]) -> Result<Parsed<RequestHead>, HeadError> {
    // RFC 9112 §2.2: ignore a few empty lines before the request line.
    let mut start = 0;
    let mut empty = 0;
    loop {
        match buf.get(start..) {
            Some([b'\r', b'\n', ..]) => start += 2,
            Some([b'\n', ..]) => start += 1,
            Some([b'\r']) | Some([]) => return Ok(Parsed::Partial),
            _ => break,
        }
        empty += 1;
        if empty > MAX_LEADING_EMPTY_LINES {
            return Err(HeadError::TooManyEmptyLines);
        }
    }

    let Some(line_end) = find_lf(buf, start) else {
        return if buf.len() - start > MAX_REQUEST_LINE + 1 {
            Err(HeadError::RequestLineTooLong)
        } else {
            Ok(Parsed::Partial)
        };
    };
    let line = strip_cr(&buf[start..line_end]);
    if line.len() > MAX_REQUEST_LINE {
        return Err(HeadError::RequestLineTooLong);
    }
    // The request line is checked as soon as it is complete, so garbage
    // is refused at once rather than after a header section that may never
    // come.
    let rl = parse_request_line(line)?;
    let fields_start = line_end + 1;

    // Field lines are checked as they complete; the section's size and
    // count limits apply before its end is seen.
    let mut fields = Vec::new();
    let mut pos = fields_start;
    let head_end = loop {
        let Some(lf) = find_lf(buf, pos) else {
            // A lone CR may be the start of the final empty line, which is
            // not part of the section: do not count it.
            let end = if &buf[pos..] == b"\r" { pos } else { buf.len() };
            return if end - fields_start >= MAX_HEADER_BYTES {
                Err(HeadError::HeaderSectionTooLarge)
            } else {
                Ok(Parsed::Partial)
            };
        };
        let l = strip_cr(&buf[pos..lf]);
        if l.is_empty() {
            break lf + 1;
        }
        if lf + 1 - fields_start >= MAX_HEADER_BYTES {
            return Err(HeadError::HeaderSectionTooLarge);
        }
        if fields.len() == MAX_HEADER_FIELDS {
            return Err(HeadError::TooManyFields);
        }
        let (name, value) = parse_field_line(buf, pos..pos + l.len())?;
        let rebase = |r: Range<u32>| r.start - start as u32..r.end - start as u32;
        fields.push((rebase(name), rebase(value)));
        pos = lf + 1;
    };

    // From here on everything is relative to the copy of the head.
    let routed = &buf[start..][range(&rl.target)];
    let (bytes, target, path_end) = if rl.authority.is_some() && !routed.starts_with(b"/") {
        // `http://host` and `http://host?q` have the empty path, which means
        // `/` (RFC 9110 §4.2.3). There is no `/` byte in the head to point
        // at, so the copy gets one appended, followed by the query (all
        // that `routed` holds here); the field ranges stay valid since
        // they point before it.
        let mut v = Vec::with_capacity(head_end - start + 1 + routed.len());
        v.extend_from_slice(&buf[start..head_end]);
        let slash = v.len() as u32;
        v.push(b'/');
        v.extend_from_slice(routed);
        let end = v.len() as u32;
        (v.into_boxed_slice(), slash..end, slash + 1)
    } else {
        (buf[start..head_end].into(), rl.target, rl.path_end)
    };
    let mut head = RequestHead {
        method: rl.method,
        method_end: rl.method_end,
        target,
        path_end,
        version: rl.version,
        fields,
        framing: BodyFraming::None,
        keep_alive: rl.version == Version::Http11,
        expect_continue: false,
        host: None,
        bytes,
    };
    check_semantics(&mut head)?;
    // RFC 9112 §3.2.2: with an absolute-form target the server uses its
    // authority and ignores the `Host` field (which must still be sent).
    if let Some(authority) = rl.authority {
        head.host = Some(authority);
    }
    Ok(Parsed::Complete(head, head_end))
}

struct RequestLine {
    method: Method,
    method_end: u32,
    target: Range<u32>,
    path_end: u32,
    /// The authority of an absolute-form target (then `target` is the
    /// rest, which may lack the leading `/`).
    authority: Option<Range<u32>>,
    version: Version,
}

fn parse_request_line(line: &[u8]) -> Result<RequestLine, HeadError> {
    if line.contains(&b'\r') {
        return Err(HeadError::BareCr);
    }
    let mut parts = line.splitn(3, |&b| b == b' ');
    let method = parts.next().unwrap_or_default();
    let target = parts.next().ok_or(HeadError::InvalidTarget)?;
    let version = parts.next().ok_or(HeadError::InvalidVersion)?;
    if !is_token(method) {
        return Err(HeadError::InvalidMethod);
    }
    let version = parse_version(version)?;
    if target.is_empty() || !target.iter().all(|&b| is_target_byte(b)) {
        return Err(HeadError::InvalidTarget);
    }
    let method_kind = Method::from_token(method);
    let t0 = method.len() + 1;
    let routed = route_target(target, method_kind)?;
    let (ts, te) = (t0 + routed.start, t0 + routed.end);
    let path_end = line[ts..te]
        .iter()
        .position(|&b| b == b'?')
        .map_or(te, |i| ts + i);
    Ok(RequestLine {
        method: method_kind,
        method_end: method.len() as u32,
        target: ts as u32..te as u32,
        path_end: path_end as u32,
        authority: routed
            .authority
            .map(|a| (t0 + a.start) as u32..(t0 + a.end) as u32),
        version,
    })
}

fn parse_version(v: &[u8]) -> Result<Version, HeadError> {
    match v {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            match (major, minor) {
                (b'1', b'0') => Ok(Version::Http10),
                (b'1', _) => Ok(Version::Http11),
                _ => Err(HeadError::UnsupportedVersion),
            }
        }
        _ => Err(HeadError::InvalidVersion),
    }
}

fn parse_field_line(
    bytes: &[u8],
    line: Range<usize>,
) -> Result<(Range<u32>, Range<u32>), HeadError> {
    let l = &bytes[line.clone()];
    match l.first() {
        Some(b' ') | Some(b'\t') => return Err(HeadError::ObsFold),
        _ => {}
    }
    let colon = l
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(|| classify_bad_line(l))?;
    let name = &l[..colon];
    if name.is_empty() {
        return Err(HeadError::EmptyFieldName);
    }
    if matches!(name.last(), Some(b' ') | Some(b'\t')) {
        return Err(HeadError::SpaceBeforeColon);
    }
    if !is_token(name) {
        return Err(match classify_bad_line(name) {
            HeadError::MissingColon => HeadError::InvalidFieldName,
            byte_level => byte_level,
        });
    }
    let raw_value = &l[colon + 1..];
    if let Some(bad) = find_bad_field_value_byte(raw_value) {
        return Err(match raw_value[bad] {
            b'\r' => HeadError::BareCr,
            0 => HeadError::Nul,
            _ => HeadError::InvalidFieldValue,
        });
    }
    let lead = raw_value
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let value = trim_ows(raw_value);
    let vstart = line.start + colon + 1 + lead;
    let name_range = line.start as u32..(line.start + colon) as u32;
    Ok((name_range, vstart as u32..(vstart + value.len()) as u32))
}

/// The most specific error for a line that is not `name: value`.
fn classify_bad_line(l: &[u8]) -> HeadError {
    if l.contains(&b'\r') {
        HeadError::BareCr
    } else if l.contains(&0) {
        HeadError::Nul
    } else {
        HeadError::MissingColon
    }
}

mod semantics;
mod target;

#[cfg(test)]
mod tests;
