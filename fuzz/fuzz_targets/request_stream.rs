#![no_main]
//! `RequestDecoder` never panics, and how the stream is cut does not change
//! what it decodes. Input: one byte `n`, then `n % 16` bytes that give the
//! piece sizes (each plus one, taken in turn; none means one byte at a time),
//! then the stream. Fed piece by piece or all at once, the decoder yields the
//! same requests and leaves the same bytes over, or stops with the same error
//! after the same requests.
use libfuzzer_sys::fuzz_target;
use stateful::http::{Decoded, HttpError, Request, RequestDecoder};

/// What is compared of a request.
type Seen = (String, String, Vec<(String, Vec<u8>)>, bool, Vec<u8>);

fn seen(r: &Request) -> Seen {
    let fields = r.head.fields().map(|(n, v)| (n.to_string(), v.to_vec()));
    (
        r.head.method_str().to_string(),
        r.head.target().to_string(),
        fields.collect(),
        r.head.keep_alive(),
        r.body.clone(),
    )
}

/// Decodes what `buf` holds until the decoder needs more, draining used bytes.
fn drain(d: &mut RequestDecoder, buf: &mut Vec<u8>, out: &mut Vec<Seen>) -> Result<(), HttpError> {
    loop {
        let (used, event) = d.decode(buf)?;
        assert!(used <= buf.len());
        buf.drain(..used);
        match event {
            Decoded::Request(r) => out.push(seen(&r)),
            Decoded::SendContinue => {}
            Decoded::NeedMore => return Ok(()),
        }
    }
}

/// The requests decoded, and the bytes left over or the error that stopped
/// it, feeding pieces of `next_size()` bytes.
fn decode(
    stream: &[u8],
    mut next_size: impl FnMut() -> usize,
) -> (Vec<Seen>, Result<Vec<u8>, HttpError>) {
    let mut d = RequestDecoder::new();
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let size = next_size().clamp(1, rest.len());
        let (piece, tail) = rest.split_at(size);
        buf.extend_from_slice(piece);
        rest = tail;
        if let Err(e) = drain(&mut d, &mut buf, &mut out) {
            return (out, Err(e));
        }
    }
    (out, Ok(buf))
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (sizes, stream) = rest.split_at(usize::from(n % 16).min(rest.len()));
    let whole = decode(stream, || usize::MAX);
    let mut turn = sizes.iter().cycle();
    let pieces = decode(stream, || turn.next().map_or(1, |&s| usize::from(s) + 1));
    assert_eq!(whole, pieces, "all at once, then in pieces of {sizes:?}");
});
