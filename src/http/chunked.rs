//! The chunked transfer coding (RFC 9112 §7.1), decoded incrementally.
//!
//! A [`ChunkedDecoder`] is fed whatever bytes have arrived; it consumes only
//! whole syntactic units (a chunk-size line, chunk data, a line end, a
//! trailer line) and leaves the rest for the next call, so a body may arrive
//! split at any byte. Chunk extensions are checked and ignored; trailer
//! fields are checked and discarded (never merged into the head, so a
//! trailer `Content-Length` changes nothing).
//!
//! ```
//! use stateful::http::ChunkedDecoder;
//! let mut d = ChunkedDecoder::new();
//! let mut body = Vec::new();
//! let input = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT";
//! let (used, done) = d.decode(input, &mut body).unwrap();
//! assert!(done);
//! assert_eq!(body, b"hello world");
//! assert_eq!(&input[used..], b"NEXT");
//! ```
//!
//! Only CRLF ends a line here: the chunk-size line, the line end after chunk
//! data, the last chunk, each trailer line and the empty line that closes
//! the body. A bare LF anywhere in that framing is refused, though the head
//! parser accepts one: a front proxy that reads a bare LF differently would
//! see a different end of the body, and the bytes after it would become a
//! request that only one of the two parsers sees (request smuggling).
//!
//! Refused (see [`ChunkError`]): a size that is not 1*HEXDIG (no sign,
//! no leading whitespace, no `0x`), a size line over 4 KiB, malformed
//! extensions, chunk data not followed by CRLF, a bare LF or a bare CR, a
//! malformed trailer line, trailers over 16 KiB, and a body over 1 MiB.

use super::syntax::{find_lf, is_field_value_byte, is_tchar, is_token};
use crate::limits::{MAX_BODY_BYTES, MAX_CHUNK_LINE, MAX_TRAILER_BYTES};

/// What is wrong with a chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkError {
    InvalidChunkSize,
    ChunkLineTooLong,
    InvalidChunkExtension,
    BareCr,
    /// A line of the chunked framing ended in LF without CR.
    BareLf,
    MissingChunkDataEnd,
    InvalidTrailer,
    TrailerTooLarge,
    BodyTooLarge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Size,
    Data { remaining: usize },
    DataEnd,
    Trailer { bytes: usize },
    Done,
}

/// Incremental decoder of one chunked body.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    total: usize,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    pub fn new() -> Self {
        ChunkedDecoder {
            state: State::Size,
            total: 0,
        }
    }

    /// Whether the last chunk and the trailer section have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes from `input`, appending chunk data to `body`. Returns how many
    /// bytes of `input` were consumed and whether the body is complete; when
    /// it is not, the unconsumed bytes must be offered again with more.
    pub fn decode(
        &mut self,
        input: &[u8],
        body: &mut Vec<u8>,
    ) -> Result<(usize, bool), ChunkError> {
        let mut pos = 0;
        loop {
            match self.state {
                State::Done => return Ok((pos, true)),
                State::Size => {
                    let Some(lf) = find_lf(input, pos) else {
                        return if input.len() - pos > MAX_CHUNK_LINE {
                            Err(ChunkError::ChunkLineTooLong)
                        } else {
                            Ok((pos, false))
                        };
                    };
                    if lf - pos > MAX_CHUNK_LINE {
                        return Err(ChunkError::ChunkLineTooLong);
                    }
                    let size = parse_size_line(crlf_line(&input[pos..lf])?)?;
                    pos = lf + 1;
                    if size == 0 {
                        self.state = State::Trailer { bytes: 0 };
                    } else {
                        match self.total.checked_add(size) {
                            Some(t) if t <= MAX_BODY_BYTES => {}
                            _ => return Err(ChunkError::BodyTooLarge),
                        }
                        body.reserve(size.min(input.len() - pos));
                        self.state = State::Data { remaining: size };
                    }
                }
                State::Data { remaining } => {
                    let n = remaining.min(input.len() - pos);
                    if n == 0 {
                        return Ok((pos, false));
                    }
                    body.extend_from_slice(&input[pos..pos + n]);
                    pos += n;
                    self.total += n;
                    self.state = if n == remaining {
                        State::DataEnd
                    } else {
                        State::Data {
                            remaining: remaining - n,
                        }
                    };
                }
                State::DataEnd => match input.get(pos..) {
                    Some([b'\n', ..]) => return Err(ChunkError::BareLf),
                    Some([b'\r', b'\n', ..]) => {
                        pos += 2;
                        self.state = State::Size;
                    }
                    Some([]) | Some([b'\r']) => return Ok((pos, false)),
                    _ => return Err(ChunkError::MissingChunkDataEnd),
                },
                State::Trailer { bytes } => {
                    let Some(lf) = find_lf(input, pos) else {
                        return if bytes + (input.len() - pos) > MAX_TRAILER_BYTES {
                            Err(ChunkError::TrailerTooLarge)
                        } else {
                            Ok((pos, false))
                        };
                    };
                    let bytes = bytes + (lf + 1 - pos);
                    if bytes > MAX_TRAILER_BYTES {
                        return Err(ChunkError::TrailerTooLarge);
                    }
                    let line = crlf_line(&input[pos..lf])?;
                    pos = lf + 1;
                    if line.is_empty() {
                        self.state = State::Done;
                    } else {
                        check_trailer_line(line)?;
                        self.state = State::Trailer { bytes };
                    }
                }
            }
        }
    }
}

/// The line `input[start..lf]` without its CR; a line that lacks the CR
/// ended in a bare LF, which chunked framing does not accept.
fn crlf_line(line: &[u8]) -> Result<&[u8], ChunkError> {
    line.strip_suffix(b"\r").ok_or(ChunkError::BareLf)
}

/// `chunk-size [ chunk-ext ]` without the line end.
fn parse_size_line(line: &[u8]) -> Result<usize, ChunkError> {
    if line.contains(&b'\r') {
        return Err(ChunkError::BareCr);
    }
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(ChunkError::InvalidChunkSize);
    }
    let mut size: usize = 0;
    for &b in &line[..digits] {
        let v = (b as char).to_digit(16).unwrap_or(0) as usize;
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(v))
            .ok_or(ChunkError::BodyTooLarge)?;
    }
    check_extensions(&line[digits..])?;
    Ok(size)
}

/// `*( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )`, ext-val a token or
/// a quoted-string (RFC 9112 §7.1.1).
fn check_extensions(mut s: &[u8]) -> Result<(), ChunkError> {
    // A size followed by anything but BWS or `;` is a bad size, not a bad
    // extension.
    let bad = match s.first() {
        Some(b' ') | Some(b'\t') | Some(b';') | None => ChunkError::InvalidChunkExtension,
        Some(_) => ChunkError::InvalidChunkSize,
    };
    while !s.is_empty() {
        s = skip_bws(s);
        let Some(rest) = s.strip_prefix(b";") else {
            return Err(bad);
        };
        s = skip_bws(rest);
        let name_len = s.iter().take_while(|&&b| is_tchar(b)).count();
        if name_len == 0 {
            return Err(ChunkError::InvalidChunkExtension);
        }
        s = &s[name_len..];
        let after = skip_bws(s);
        if let Some(rest) = after.strip_prefix(b"=") {
            s = skip_bws(rest);
            s = skip_ext_value(s).ok_or(ChunkError::InvalidChunkExtension)?;
        }
    }
    Ok(())
}

fn skip_bws(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    &s[n..]
}

/// Skips a token or a quoted-string; `None` if neither starts `s`.
fn skip_ext_value(s: &[u8]) -> Option<&[u8]> {
    if let Some(mut rest) = s.strip_prefix(b"\"") {
        loop {
            match rest {
                [b'"', tail @ ..] => return Some(tail),
                [b'\\', c, tail @ ..] if is_field_value_byte(*c) => rest = tail,
                [c, tail @ ..] if is_field_value_byte(*c) && *c != b'\\' => rest = tail,
                _ => return None,
            }
        }
    }
    let n = s.iter().take_while(|&&b| is_tchar(b)).count();
    (n > 0).then(|| &s[n..])
}

/// A trailer field line must be a well-formed field; its content is ignored.
fn check_trailer_line(line: &[u8]) -> Result<(), ChunkError> {
    if line.contains(&b'\r') {
        return Err(ChunkError::BareCr);
    }
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or(ChunkError::InvalidTrailer)?;
    if !is_token(&line[..colon]) || !line[colon + 1..].iter().all(|&b| is_field_value_byte(b)) {
        return Err(ChunkError::InvalidTrailer);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Result<(Vec<u8>, usize), ChunkError> {
        let mut d = ChunkedDecoder::new();
        let mut body = Vec::new();
        match d.decode(input, &mut body)? {
            (used, true) => Ok((body, used)),
            (_, false) => panic!("incomplete chunked body: {input:?}"),
        }
    }

    fn ok(input: &[u8], body: &[u8]) {
        let (b, used) = decode_all(input).unwrap_or_else(|e| panic!("{input:?}: {e:?}"));
        assert_eq!(b, body, "{input:?}");
        assert_eq!(used, input.len(), "{input:?}");
    }

    fn err(input: &[u8], e: ChunkError) {
        let mut d = ChunkedDecoder::new();
        assert_eq!(
            d.decode(input, &mut Vec::new()).map(|_| ()),
            Err(e),
            "{input:?}"
        );
    }

    #[test]
    fn accepted() {
        ok(b"5\r\nhello\r\n0\r\n\r\n", b"hello");
        ok(
            b"a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n",
            b"01234567890123456789",
        );
        ok(b"0005\r\nhello\r\n000\r\n\r\n", b"hello");
        ok(
            b"5;a;b=c;d=\"q\\\"x\"\r\nhello\r\n0;last=1\r\n\r\n",
            b"hello",
        );
        ok(b"5 ; a = b\r\nhello\r\n0\r\n\r\n", b"hello");
        ok(
            b"5\r\nhello\r\n0\r\nVary: *\r\nX-Checksum: abc\r\n\r\n",
            b"hello",
        );
        ok(b"0\r\nContent-Length: 100\r\n\r\n", b"");
    }

    #[test]
    fn refused() {
        err(b"+5\r\nhello\r\n", ChunkError::InvalidChunkSize);
        err(b"-0\r\n\r\n", ChunkError::InvalidChunkSize);
        err(b"0_2e\r\n\r\n", ChunkError::InvalidChunkSize);
        err(b"   5\r\nhello\r\n", ChunkError::InvalidChunkSize);
        err(b"1x\r\na\r\n", ChunkError::InvalidChunkSize);
        err(
            b"2 erfrferferf\r\naa\r\n",
            ChunkError::InvalidChunkExtension,
        );
        err(b"a \r\n0123456789\r\n", ChunkError::InvalidChunkExtension);
        err(b"2;\r\naa\r\n", ChunkError::InvalidChunkExtension);
        err(b"2;a=\r\naa\r\n", ChunkError::InvalidChunkExtension);
        err(b"5\r\r;ABCD\r\n34\r\nE\r\n", ChunkError::BareCr);
        err(b"3\r\nabcd\r\n", ChunkError::MissingChunkDataEnd);
        err(b"5\r\nabc\r\n0\r\n\r\n", ChunkError::MissingChunkDataEnd);
        err(b"5\r\nhello\r\n0\r\nbad\r\r\n\r\n", ChunkError::BareCr);
        err(
            b"5\r\nhello\r\n0\r\nno colon\r\n\r\n",
            ChunkError::InvalidTrailer,
        );
        err(b"INVALID!!!\r\n", ChunkError::InvalidChunkSize);
        err(b"ffffffffffffffffff\r\n", ChunkError::BodyTooLarge);
        err(b"100001\r\n", ChunkError::BodyTooLarge);
    }

    /// Only CRLF frames: a bare LF at any line end of the chunked framing
    /// is refused, wherever it is and whatever follows it.
    #[test]
    fn bare_lf_is_refused_everywhere_in_the_framing() {
        use ChunkError::BareLf;
        #[rustfmt::skip]
        let cases: &[&[u8]] = &[
            b"5\nhello\r\n0\r\n\r\n",                    // size line
            b"5\r\nhello\n0\r\n\r\n",                    // after the data
            b"5\r\nhello\r\n0\n\r\n",                    // last chunk
            b"0\n\r\n",                                  // last chunk, no data before
            b"0\n\n",                                    // last chunk and end
            b"5\nhello\n0\n\n",                          // every line
            b"0\r\n\n",                                  // the final empty line
            b"5\r\nhello\r\n0\r\n\nGET / HTTP/1.1\r\n",  // ... with a request after it
            b"0\r\nX-T: 1\n\r\n",                        // a trailer line
            b"0\r\nX-T: 1\r\nX-U: 2\n\r\n",              // the second trailer line
            b"0\r\nX-T: 1\r\n\n",                        // the end after a trailer
            b"5;a=b\nhello\r\n0\r\n\r\n",                // after an extension
            b"5;a=\"x\"\nhello\r\n0\r\n\r\n",            // after a quoted extension
            b"5;a=\"\n\"\r\nhello\r\n0\r\n\r\n",          // inside a quoted extension
            b"0;last\n\r\n",                             // last chunk with an extension
            b"5 \nhello\r\n0\r\n\r\n",                   // after BWS
            b"1\r\na\n\r\n0\r\n\r\n",                    // LF where the data's CRLF goes
        ];
        for input in cases {
            err(input, BareLf);
        }
    }

    /// A bare CR, or anything but CRLF after the data, is refused too.
    #[test]
    fn bare_cr_and_other_line_ends_are_refused() {
        #[rustfmt::skip]
        let cases: &[(&[u8], ChunkError)] = &[
            (b"5\rhello\r\n0\r\n\r\n", ChunkError::BareCr),
            (b"5\r\nhello\r0\r\n\r\n", ChunkError::MissingChunkDataEnd),
            (b"5\r\nhello\r\r\n0\r\n\r\n", ChunkError::MissingChunkDataEnd),
            (b"5\r\nhelloXY0\r\n\r\n", ChunkError::MissingChunkDataEnd),
            (b"0\r\r\n\r\n", ChunkError::BareCr),
            (b"0\r\n\r\r\n", ChunkError::BareCr),
            (b"0\r\nX-T: 1\r2\r\n\r\n", ChunkError::BareCr),
            (b"5;a\rb\r\nhello\r\n0\r\n\r\n", ChunkError::BareCr),
            (b"0\r\nX-T: a\0b\r\n\r\n", ChunkError::InvalidTrailer),
            (b"0\r\nX-T: a\x7fb\r\n\r\n", ChunkError::InvalidTrailer),
            (b"0\r\nX T: 1\r\n\r\n", ChunkError::InvalidTrailer),
            (b"0\r\nX-T : 1\r\n\r\n", ChunkError::InvalidTrailer),
            (b"0\r\n: 1\r\n\r\n", ChunkError::InvalidTrailer),
        ];
        for (input, e) in cases {
            err(input, *e);
        }
    }

    /// A body cut anywhere before its end is only incomplete, a CR waiting
    /// for its LF included.
    #[test]
    fn every_prefix_is_incomplete() {
        let input = b"3;x=\"y\"\r\nabc\r\n0\r\nX-T: 1\r\n\r\n";
        for cut in 0..input.len() {
            let mut d = ChunkedDecoder::new();
            let got = d
                .decode(&input[..cut], &mut Vec::new())
                .map(|(_, done)| done);
            assert_eq!(got, Ok(false), "prefix {cut}");
        }
        ok(input, b"abc");
    }

    #[test]
    fn limits() {
        err(&[b'0'; MAX_CHUNK_LINE + 1], ChunkError::ChunkLineTooLong);
        let mut big = Vec::new();
        for _ in 0..17 {
            big.extend_from_slice(b"10000\r\n");
            big.extend(std::iter::repeat_n(b'x', 0x10000));
            big.extend_from_slice(b"\r\n");
        }
        err(&big, ChunkError::BodyTooLarge);
        let mut trailer = b"0\r\n".to_vec();
        for _ in 0..2000 {
            trailer.extend_from_slice(b"X-Pad: 0123456789\r\n");
        }
        err(&trailer, ChunkError::TrailerTooLarge);
    }

    #[test]
    fn byte_by_byte_equals_whole() {
        let input = b"3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\n";
        let mut d = ChunkedDecoder::new();
        let mut body = Vec::new();
        let mut pending = Vec::new();
        let mut done = false;
        for &b in input.iter() {
            pending.push(b);
            let (used, fin) = d.decode(&pending, &mut body).unwrap();
            pending.drain(..used);
            done = fin;
        }
        assert!(done);
        assert!(pending.is_empty());
        assert_eq!(body, b"abc0123456789abcdef");
    }
}
