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
//! Refused (see [`ChunkError`]): a size that is not 1*HEXDIG (no sign,
//! no leading whitespace, no `0x`), a size line over 4 KiB, malformed
//! extensions, chunk data not followed by a line end, a bare CR, a malformed
//! trailer line, trailers over 16 KiB, and a body over 1 MiB.

use super::syntax::{find_lf, is_field_value_byte, is_tchar, is_token, strip_cr};
use crate::limits::{MAX_BODY_BYTES, MAX_CHUNK_LINE, MAX_TRAILER_BYTES};

/// What is wrong with a chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkError {
    InvalidChunkSize,
    ChunkLineTooLong,
    InvalidChunkExtension,
    BareCr,
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
                    let size = parse_size_line(strip_cr(&input[pos..lf]))?;
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
                    Some([b'\n', ..]) => {
                        pos += 1;
                        self.state = State::Size;
                    }
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
                    let line = strip_cr(&input[pos..lf]);
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
        ok(b"5\nhello\n0\n\n", b"hello");
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
