//! The HTTP parsers answer the same however their input is cut, also right
//! at each limit: a prefix that is `Complete` stays the same `Complete`, a
//! prefix that errs names the same error as the whole input, and only
//! `Partial` may turn into anything. Table tests walk the bytes around every
//! limit; a proptest does the same on random HTTP-shaped bytes.

use proptest::prelude::*;
use stateful::http::{parse_request_head, ChunkError, ChunkedDecoder, HeadError, Parsed};
use stateful::limits::{
    MAX_BODY_BYTES, MAX_CHUNK_LINE, MAX_HEADER_BYTES, MAX_HEADER_FIELDS, MAX_LEADING_EMPTY_LINES,
    MAX_REQUEST_LINE, MAX_TRAILER_BYTES,
};

/// `Complete`'s bytes used, `Partial` as `None`, or the error.
fn head_outcome(input: &[u8]) -> Result<Option<usize>, HeadError> {
    parse_request_head(input).map(|p| match p {
        Parsed::Complete(_, used) => Some(used),
        Parsed::Partial => None,
    })
}

/// Checks the prefix rule for `input[..cut]` against `input`, returning a
/// message instead of panicking so proptest can shrink.
fn head_prefix_rule(input: &[u8], cut: usize) -> Result<(), String> {
    let (prefix, whole) = (head_outcome(&input[..cut]), head_outcome(input));
    match (prefix, whole) {
        (Ok(None), Ok(Some(used))) if cut >= used => Err(format!("{cut} bytes Partial")),
        (Ok(None), _) => Ok(()),
        (p, w) if p == w => Ok(()),
        (p, w) => Err(format!("{cut} of {} bytes: {p:?}, all: {w:?}", input.len())),
    }
}

/// Every cut in the last `tail` bytes of `input` obeys the prefix rule.
fn assert_head_tail(input: &[u8], tail: usize) {
    for cut in input.len().saturating_sub(tail)..input.len() {
        if let Err(e) = head_prefix_rule(input, cut) {
            panic!("{e}");
        }
    }
}

/// A head whose request line is `line_len` bytes and whose header section
/// (field lines with their line ends) is `fields_len` bytes, then the empty
/// line; `eol` ends every line.
fn head(line_len: usize, fields_len: usize, eol: &str) -> Vec<u8> {
    let start = "GET /";
    let end = " HTTP/1.1";
    let mut h = start.as_bytes().to_vec();
    h.resize(line_len - end.len(), b'a');
    h.extend_from_slice(end.as_bytes());
    h.extend_from_slice(eol.as_bytes());
    let host = format!("Host: x{eol}");
    let pad = format!("X-Pad: {eol}");
    h.extend_from_slice(host.as_bytes());
    h.extend_from_slice(b"X-Pad: ");
    let fill = fields_len - host.len() - pad.len();
    h.extend(std::iter::repeat_n(b'b', fill));
    h.extend_from_slice(eol.as_bytes());
    h.extend_from_slice(eol.as_bytes());
    h
}

#[test]
fn request_line_limit_is_cut_independent() {
    for eol in ["\r\n", "\n"] {
        for len in MAX_REQUEST_LINE - 1..=MAX_REQUEST_LINE + 2 {
            let h = head(len, 20, eol);
            let want = if len <= MAX_REQUEST_LINE {
                Ok(Some(h.len()))
            } else {
                Err(HeadError::RequestLineTooLong)
            };
            assert_eq!(head_outcome(&h), want, "line of {len}, {eol:?}");
            // The cuts around the end of the request line.
            for cut in len - 2..len + eol.len() + 2 {
                head_prefix_rule(&h, cut).unwrap_or_else(|e| panic!("{eol:?}: {e}"));
            }
        }
    }
}

#[test]
fn header_section_limit_with_bare_lf_is_cut_independent() {
    for fields in MAX_HEADER_BYTES - 3..=MAX_HEADER_BYTES + 1 {
        let h = head(20, fields, "\n");
        let want = if fields < MAX_HEADER_BYTES {
            Ok(Some(h.len()))
        } else {
            Err(HeadError::HeaderSectionTooLarge)
        };
        assert_eq!(head_outcome(&h), want, "section of {fields}");
        assert_head_tail(&h, 4);
    }
}

/// Regression: a section one byte under the limit ending in CRLF used to be
/// refused when the stream was cut inside that final CRLF.
#[test]
fn header_section_limit_with_crlf_is_cut_independent() {
    for fields in MAX_HEADER_BYTES - 3..=MAX_HEADER_BYTES + 1 {
        assert_head_tail(&head(20, fields, "\r\n"), 4);
    }
}

#[test]
fn field_count_limit_is_cut_independent() {
    for count in [MAX_HEADER_FIELDS, MAX_HEADER_FIELDS + 1] {
        let mut h = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
        for i in 1..count {
            h.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        h.extend_from_slice(b"\r\n");
        let want = if count <= MAX_HEADER_FIELDS {
            Ok(Some(h.len()))
        } else {
            Err(HeadError::TooManyFields)
        };
        assert_eq!(head_outcome(&h), want, "{count} fields");
        assert_head_tail(&h, 16);
    }
}

#[test]
fn leading_empty_lines_limit_is_cut_independent() {
    for eol in ["\r\n", "\n"] {
        for n in [MAX_LEADING_EMPTY_LINES, MAX_LEADING_EMPTY_LINES + 1] {
            let mut h = eol.repeat(n).into_bytes();
            h.extend_from_slice(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            let want = if n <= MAX_LEADING_EMPTY_LINES {
                Ok(Some(h.len()))
            } else {
                Err(HeadError::TooManyEmptyLines)
            };
            assert_eq!(head_outcome(&h), want, "{n} of {eol:?}");
            for cut in 0..=n * eol.len() + 2 {
                head_prefix_rule(&h, cut).unwrap_or_else(|e| panic!("{eol:?}: {e}"));
            }
        }
    }
}

/// Decodes `input` in two calls cut at `cut`, the unconsumed bytes offered
/// again: the body, bytes used and done, or the error.
fn chunked_in_two(input: &[u8], cut: usize) -> Result<(Vec<u8>, usize, bool), ChunkError> {
    let mut d = ChunkedDecoder::new();
    let mut body = Vec::new();
    let (first, done) = d.decode(&input[..cut], &mut body)?;
    if done {
        return Ok((body, first, true));
    }
    let (second, done) = d.decode(&input[first..], &mut body)?;
    Ok((body, first + second, done))
}

/// Every cut in `cuts` gives what the whole input gives, which is `want`.
fn assert_chunked(input: &[u8], cuts: std::ops::Range<usize>, want: Result<bool, ChunkError>) {
    let whole = chunked_in_two(input, input.len());
    assert_eq!(whole.as_ref().map(|w| w.2), want.as_ref().map(|d| *d));
    for cut in cuts {
        assert!(chunked_in_two(input, cut) == whole, "cut at {cut}");
    }
}

#[test]
fn chunk_line_limit_is_cut_independent() {
    for eol in ["\r\n", "\n"] {
        // The line without its LF: the size, an extension padded to length,
        // and the CR if any.
        for len in MAX_CHUNK_LINE - 1..=MAX_CHUNK_LINE + 1 {
            let ext = len - "1;e=".len() - (eol.len() - 1);
            let input = format!("1;e={}{eol}z{eol}0{eol}{eol}", "v".repeat(ext)).into_bytes();
            // Only CRLF frames a chunked body; a bare LF is refused as
            // such, unless the line is already too long.
            let want = match (len <= MAX_CHUNK_LINE, eol) {
                (false, _) => Err(ChunkError::ChunkLineTooLong),
                (true, "\r\n") => Ok(true),
                (true, _) => Err(ChunkError::BareLf),
            };
            assert_chunked(&input, len - 2..len + 3, want);
        }
    }
}

#[test]
fn trailer_limit_is_cut_independent() {
    for eol in ["\r\n", "\n"] {
        for total in MAX_TRAILER_BYTES - 1..=MAX_TRAILER_BYTES + 1 {
            // One trailer line and the empty line make up `total` bytes.
            let fill = total - "X-T: ".len() - 2 * eol.len();
            let input = format!("0{eol}X-T: {}{eol}{eol}", "t".repeat(fill)).into_bytes();
            // With bare LFs, the last chunk's line is refused first.
            let want = match (total <= MAX_TRAILER_BYTES, eol) {
                (_, "\n") => Err(ChunkError::BareLf),
                (true, _) => Ok(true),
                (false, _) => Err(ChunkError::TrailerTooLarge),
            };
            let n = input.len();
            assert_chunked(&input, n - 4..n, want);
        }
    }
}

#[test]
fn body_limit_is_exact() {
    for extra in [0, 1] {
        let size = MAX_BODY_BYTES - 1 + extra;
        let mut input = format!("1\r\na\r\n{size:x}\r\n").into_bytes();
        input.extend(std::iter::repeat_n(b'b', size));
        input.extend_from_slice(b"\r\n0\r\n\r\n");
        let want = if extra == 0 {
            Ok(true)
        } else {
            Err(ChunkError::BodyTooLarge)
        };
        assert_chunked(&input, 5..12, want);
    }
}

/// Bytes made of the pieces of request heads and chunked bodies.
fn http_like() -> impl Strategy<Value = Vec<u8>> {
    let pieces = vec![
        "GET",
        "POST",
        " ",
        "/",
        "/a?b",
        "HTTP/1.1",
        "HTTP/1.0",
        "HTTP/2.0",
        "\r\n",
        "\n",
        "\r",
        "Host",
        ":",
        " x",
        "Content-Length",
        "5",
        "0",
        "Transfer-Encoding",
        "chunked",
        ",",
        "Expect",
        "100-continue",
        "Connection",
        "close",
        "\t",
        "\0",
        "a",
        ";",
        "=",
        "\"",
        "ff",
    ];
    prop::collection::vec(prop::sample::select(pieces), 0..40).prop_map(|p| p.concat().into_bytes())
}

proptest! {
    #[test]
    fn head_prefixes_never_contradict_the_whole(input in http_like(), cut in any::<prop::sample::Index>()) {
        let cut = cut.index(input.len() + 1);
        prop_assert!(head_prefix_rule(&input, cut).is_ok(), "{:?}", head_prefix_rule(&input, cut));
    }

    #[test]
    fn chunked_cuts_never_change_the_result(input in http_like(), cut in any::<prop::sample::Index>()) {
        let cut = cut.index(input.len() + 1);
        prop_assert_eq!(chunked_in_two(&input, cut), chunked_in_two(&input, input.len()));
    }
}
