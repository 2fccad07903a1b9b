//! RESP, the Redis serialization protocol, as pure functions over bytes:
//! [`encode_command`] writes a command (an array of bulk strings), and
//! [`parse_reply`] reads one reply from the front of a buffer.
//!
//! The reader knows RESP2 (`+ - : $ *`) and the RESP3 types a connection
//! sees after `HELLO 3` (`_ # , ( ! = % ~ >`), which only the invalidation
//! connection of the session cache asks for. Attributes (`|`) are refused:
//! we never enable anything that sends them.
//!
//! ```
//! use stateful::redis::resp::{encode_command, parse_reply, Reply, Status};
//! let mut out = Vec::new();
//! encode_command(&[b"GET".as_slice(), b"k"], &mut out);
//! assert_eq!(out, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
//! assert_eq!(
//!     parse_reply(b"$2\r\nhi\r\n+OK\r\n"),
//!     Ok(Status::Complete((Reply::Bulk(b"hi".to_vec()), 8)))
//! );
//! assert_eq!(parse_reply(b"$2\r\nh"), Ok(Status::Partial));
//! ```
//!
//! Refused, with a [`RespError`] naming why: an unknown type byte, a length
//! or integer that is not plain decimal, a bulk longer than
//! [`MAX_BULK_LEN`], an aggregate longer than [`MAX_AGGREGATE_LEN`] or
//! nested deeper than [`MAX_DEPTH`], more than [`MAX_ELEMENTS`] values in
//! one reply, a line longer than [`MAX_LINE`], a line ending that is not
//! CRLF. The parser is iterative (no recursion) and reserves memory only
//! for values whose bytes it has already seen, so no input can exhaust the
//! stack or allocate beyond a small multiple of its own length.

/// Longest bulk string accepted. What we store is at most a comment (4 KiB
/// of text plus a few fields); anything far larger is not ours.
pub const MAX_BULK_LEN: usize = 1024 * 1024;
/// Most elements of one array, set, push or map (pairs count twice). A
/// page of comments is at most 1,000.
pub const MAX_AGGREGATE_LEN: usize = 64 * 1024;
/// Most values in one reply, all levels together.
pub const MAX_ELEMENTS: usize = 256 * 1024;
/// Deepest nesting of aggregates (a top-level array is depth 1).
pub const MAX_DEPTH: usize = 8;
/// Longest line of a simple string, error, integer, length or RESP3 scalar
/// (without its CRLF).
pub const MAX_LINE: usize = 64 * 1024;

/// One RESP value.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK`
    Simple(String),
    /// `-ERR ...` and RESP3's blob error `!`.
    Error(String),
    /// `:42`
    Integer(i64),
    /// `$3\r\nabc` and RESP3's verbatim string `=` (its `txt:` kept).
    Bulk(Vec<u8>),
    /// RESP2's `$-1` and `*-1`, RESP3's `_`.
    Nil,
    /// `*N` (RESP3's set `~` too).
    Array(Vec<Reply>),
    /// RESP3 `%N`: N key/value pairs, in order.
    Map(Vec<(Reply, Reply)>),
    /// RESP3 `>N`: out-of-band data (invalidation messages).
    Push(Vec<Reply>),
    /// RESP3 `#t` / `#f`.
    Boolean(bool),
    /// RESP3 `,` (double) and `(` (big number), as their text.
    Number(String),
}

/// Whether a whole value was there.
#[derive(Debug, Clone, PartialEq)]
pub enum Status<T> {
    /// The value and how many bytes it took.
    Complete(T),
    /// More bytes are needed; nothing is wrong yet.
    Partial,
}

/// Why bytes are not a RESP reply. The connection that sent them cannot be
/// trusted to be in step any more and is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespError {
    /// A type byte RESP does not have (or `|`, attributes, which we refuse).
    UnknownType(u8),
    /// A line ended in a bare CR or LF, or a bulk's data was not followed
    /// by CRLF.
    BadLineEnd,
    /// A line (simple string, error, number) longer than [`MAX_LINE`].
    LineTooLong,
    /// A length that is not `-1` or plain decimal digits.
    BadLength,
    /// An integer that is not an optional `-` and 1 to 19 digits within
    /// `i64`.
    BadInteger,
    /// A `#` that is not `t` or `f`, a `_` with text, a `,` or `(` that is
    /// not a number, a `-1` length where RESP3 has no null.
    BadScalar,
    /// A bulk string longer than [`MAX_BULK_LEN`].
    BulkTooLong,
    /// An aggregate longer than [`MAX_AGGREGATE_LEN`].
    AggregateTooLong,
    /// More than [`MAX_ELEMENTS`] values in one reply.
    TooManyElements,
    /// Aggregates nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl std::fmt::Display for RespError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RespError::UnknownType(b) => write!(f, "unknown RESP type byte 0x{b:02x}"),
            RespError::BadLineEnd => f.write_str("RESP line not ended by CRLF"),
            RespError::LineTooLong => write!(f, "RESP line longer than {MAX_LINE} bytes"),
            RespError::BadLength => f.write_str("malformed RESP length"),
            RespError::BadInteger => f.write_str("malformed RESP integer"),
            RespError::BadScalar => f.write_str("malformed RESP3 scalar"),
            RespError::BulkTooLong => write!(f, "RESP bulk string over {MAX_BULK_LEN} bytes"),
            RespError::AggregateTooLong => {
                write!(f, "RESP aggregate over {MAX_AGGREGATE_LEN} elements")
            }
            RespError::TooManyElements => write!(f, "RESP reply over {MAX_ELEMENTS} values"),
            RespError::TooDeep => write!(f, "RESP nesting deeper than {MAX_DEPTH}"),
        }
    }
}

impl std::error::Error for RespError {}

/// Appends `args` as one command: `*N\r\n` then `$len\r\narg\r\n` each.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A], out: &mut Vec<u8>) {
    push_header(out, b'*', args.len());
    for a in args {
        let a = a.as_ref();
        push_header(out, b'$', a.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends `reply` in RESP (RESP3 types where the value has no RESP2 form).
/// The parser's inverse, for tests and the fuzz target's round trip; a
/// `Simple` or `Number` must not contain CR or LF (none parsed does).
pub fn encode_reply(reply: &Reply, out: &mut Vec<u8>) {
    match reply {
        Reply::Simple(s) => line(out, b'+', s.as_bytes()),
        // A message with a line break only fits a RESP3 blob error.
        Reply::Error(s) if s.contains(['\r', '\n']) => {
            push_header(out, b'!', s.len());
            out.extend_from_slice(s.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        Reply::Error(s) => line(out, b'-', s.as_bytes()),
        Reply::Integer(n) => line(out, b':', n.to_string().as_bytes()),
        Reply::Bulk(b) => {
            push_header(out, b'$', b.len());
            out.extend_from_slice(b);
            out.extend_from_slice(b"\r\n");
        }
        Reply::Nil => out.extend_from_slice(b"_\r\n"),
        Reply::Array(items) | Reply::Push(items) => {
            let kind = if matches!(reply, Reply::Push(_)) {
                b'>'
            } else {
                b'*'
            };
            push_header(out, kind, items.len());
            items.iter().for_each(|r| encode_reply(r, out));
        }
        Reply::Map(pairs) => {
            push_header(out, b'%', pairs.len());
            for (k, v) in pairs {
                encode_reply(k, out);
                encode_reply(v, out);
            }
        }
        Reply::Boolean(b) => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        Reply::Number(s) => line(out, b',', s.as_bytes()),
    }
}

fn push_header(out: &mut Vec<u8>, kind: u8, n: usize) {
    out.push(kind);
    out.extend_from_slice(n.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn line(out: &mut Vec<u8>, kind: u8, text: &[u8]) {
    out.push(kind);
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
}

/// What one token of the stream is: a whole scalar, or the header of an
/// aggregate whose `n` children follow.
enum Token {
    Value(Reply),
    Aggregate { kind: Aggregate, n: usize },
}

#[derive(Clone, Copy)]
enum Aggregate {
    Array,
    Map,
    Push,
}

/// An aggregate being filled: its kind, the children still to come, and
/// those seen so far.
struct Frame {
    kind: Aggregate,
    remaining: usize,
    items: Vec<Reply>,
}

impl Frame {
    fn finish(self) -> Reply {
        match self.kind {
            Aggregate::Array => Reply::Array(self.items),
            Aggregate::Push => Reply::Push(self.items),
            Aggregate::Map => {
                let mut pairs = Vec::with_capacity(self.items.len() / 2);
                let mut it = self.items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Reply::Map(pairs)
            }
        }
    }
}

/// Parses one reply from the front of `buf`.
pub fn parse_reply(buf: &[u8]) -> Result<Status<(Reply, usize)>, RespError> {
    // Checked first without building anything, so that a large reply
    // arriving in many reads costs a cheap scan per read, and values are
    // built (and memory taken) once, when all of it is there.
    let len = match reply_len(buf)? {
        Status::Complete(n) => n,
        Status::Partial => return Ok(Status::Partial),
    };
    let mut pos = 0;
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let (token, used) = match next_token(&buf[pos..len], true)? {
            Status::Complete(t) => t,
            // Cannot happen: reply_len saw all of it.
            Status::Partial => return Err(RespError::BadLength),
        };
        pos += used;
        let mut value = match token {
            Token::Aggregate { n: 0, kind } => Frame {
                kind,
                remaining: 0,
                items: Vec::new(),
            }
            .finish(),
            Token::Aggregate { kind, n } => {
                stack.push(Frame {
                    kind,
                    remaining: n,
                    // Every child takes at least 3 bytes (`_\r\n`).
                    items: Vec::with_capacity(n.min((len - pos) / 3 + 1)),
                });
                continue;
            }
            Token::Value(v) => v,
        };
        // Hand the value to its parent; a parent that is now full is
        // itself a value for the level above.
        loop {
            let Some(top) = stack.last_mut() else {
                return Ok(Status::Complete((value, pos)));
            };
            top.items.push(value);
            top.remaining -= 1;
            if top.remaining > 0 {
                break;
            }
            let Some(full) = stack.pop() else {
                return Err(RespError::BadLength);
            };
            value = full.finish();
        }
    }
}

/// The length of the reply at the front of `buf`, without building it.
pub fn reply_len(buf: &[u8]) -> Result<Status<usize>, RespError> {
    let mut pos = 0;
    // Children still expected at each open level.
    let mut pending: [usize; MAX_DEPTH] = [0; MAX_DEPTH];
    let mut depth = 0;
    let mut elements = 0usize;
    loop {
        let (token, used) = match next_token(&buf[pos..], false)? {
            Status::Complete(t) => t,
            Status::Partial => return Ok(Status::Partial),
        };
        pos += used;
        elements += 1;
        if elements > MAX_ELEMENTS {
            return Err(RespError::TooManyElements);
        }
        if let Token::Aggregate { n, .. } = token {
            if n > 0 {
                if depth == MAX_DEPTH {
                    return Err(RespError::TooDeep);
                }
                pending[depth] = n;
                depth += 1;
                continue;
            }
        }
        // A complete value: it fills one slot of its parent, and a parent
        // filled completes a slot of its own parent.
        loop {
            if depth == 0 {
                return Ok(Status::Complete(pos));
            }
            pending[depth - 1] -= 1;
            if pending[depth - 1] > 0 {
                break;
            }
            depth -= 1;
        }
    }
}

/// Reads one token. With `build` false, scalars are checked but their
/// values are not made (`Reply::Nil` stands in).
fn next_token(buf: &[u8], build: bool) -> Result<Status<(Token, usize)>, RespError> {
    let Some(&kind) = buf.first() else {
        return Ok(Status::Partial);
    };
    if !b"+-:$*_#,(!=%~>".contains(&kind) {
        return Err(RespError::UnknownType(kind));
    }
    let (text, after_line) = match read_line(&buf[1..])? {
        Status::Complete((text, used)) => (text, 1 + used),
        Status::Partial => return Ok(Status::Partial),
    };
    let value = |v: Reply| Ok(Status::Complete((Token::Value(v), after_line)));
    match kind {
        b'+' | b'-' => {
            if !build {
                return value(Reply::Nil);
            }
            let s = String::from_utf8_lossy(text).into_owned();
            value(if kind == b'+' {
                Reply::Simple(s)
            } else {
                Reply::Error(s)
            })
        }
        b':' => value(Reply::Integer(parse_integer(text)?)),
        b'$' | b'!' | b'=' => {
            let Some(n) = parse_length(text)? else {
                return if kind == b'$' {
                    value(Reply::Nil)
                } else {
                    Err(RespError::BadScalar)
                };
            };
            if n > MAX_BULK_LEN {
                return Err(RespError::BulkTooLong);
            }
            let end = after_line + n;
            if buf.len() < end + 2 {
                return Ok(Status::Partial);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(RespError::BadLineEnd);
            }
            let data = &buf[after_line..end];
            let v = match (build, kind) {
                (false, _) => Reply::Nil,
                (true, b'!') => Reply::Error(String::from_utf8_lossy(data).into_owned()),
                (true, _) => Reply::Bulk(data.to_vec()),
            };
            Ok(Status::Complete((Token::Value(v), end + 2)))
        }
        b'*' | b'~' | b'>' | b'%' => {
            let Some(n) = parse_length(text)? else {
                return if kind == b'*' {
                    value(Reply::Nil)
                } else {
                    Err(RespError::BadScalar)
                };
            };
            let children = if kind == b'%' {
                n.checked_mul(2)
            } else {
                Some(n)
            };
            let n = match children {
                Some(c) if c <= MAX_AGGREGATE_LEN => c,
                _ => return Err(RespError::AggregateTooLong),
            };
            let kind = match kind {
                b'%' => Aggregate::Map,
                b'>' => Aggregate::Push,
                _ => Aggregate::Array,
            };
            Ok(Status::Complete((Token::Aggregate { kind, n }, after_line)))
        }
        b'_' if text.is_empty() => value(Reply::Nil),
        b'#' => match text {
            b"t" => value(Reply::Boolean(true)),
            b"f" => value(Reply::Boolean(false)),
            _ => Err(RespError::BadScalar),
        },
        b',' | b'(' if is_number_text(text, kind == b',') => {
            value(Reply::Number(String::from_utf8_lossy(text).into_owned()))
        }
        b'_' | b',' | b'(' => Err(RespError::BadScalar),
        other => Err(RespError::UnknownType(other)),
    }
}

/// The text up to the first CRLF, and the bytes taken with it.
fn read_line(buf: &[u8]) -> Result<Status<(&[u8], usize)>, RespError> {
    let window = &buf[..buf.len().min(MAX_LINE + 2)];
    match window.iter().position(|&b| b == b'\r' || b == b'\n') {
        Some(i) if i > MAX_LINE => Err(RespError::LineTooLong),
        Some(i) if window[i] == b'\n' => Err(RespError::BadLineEnd),
        Some(i) if i + 1 == window.len() => Ok(Status::Partial),
        Some(i) if window[i + 1] == b'\n' => Ok(Status::Complete((&window[..i], i + 2))),
        Some(_) => Err(RespError::BadLineEnd),
        None if window.len() > MAX_LINE => Err(RespError::LineTooLong),
        None => Ok(Status::Partial),
    }
}

/// `-1` as `None`, else plain decimal digits.
fn parse_length(text: &[u8]) -> Result<Option<usize>, RespError> {
    if text == b"-1" {
        return Ok(None);
    }
    if text.is_empty() || text.len() > 19 || !text.iter().all(u8::is_ascii_digit) {
        return Err(RespError::BadLength);
    }
    let mut n: usize = 0;
    for &d in text {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(usize::from(d - b'0')))
            .ok_or(RespError::BadLength)?;
    }
    Ok(Some(n))
}

fn parse_integer(text: &[u8]) -> Result<i64, RespError> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(RespError::BadInteger);
    }
    // Accumulated negative, so i64::MIN fits.
    let mut n: i64 = 0;
    for &d in digits {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_sub(i64::from(d - b'0')))
            .ok_or(RespError::BadInteger)?;
    }
    if negative {
        Ok(n)
    } else {
        n.checked_neg().ok_or(RespError::BadInteger)
    }
}

/// A RESP3 double (`,`: digits, sign, point, exponent, `inf`, `nan`) or
/// big number (`(`: an optional `-` and digits).
fn is_number_text(text: &[u8], double: bool) -> bool {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    if digits.is_empty() {
        return false;
    }
    if !double {
        return digits.iter().all(u8::is_ascii_digit);
    }
    matches!(digits, b"inf" | b"nan")
        || (digits.iter().any(u8::is_ascii_digit)
            && digits
                .iter()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+')))
}

#[cfg(test)]
#[path = "resp_tests.rs"]
mod tests;
