#![no_main]
//! `ChunkedDecoder` never panics, and where the input is cut does not
//! matter: decoding `data[1..]` in one call, or in two calls split where
//! `data[0]` says (the second call offered the unconsumed bytes again), gives
//! the same body, the same `done`, the same bytes used, or the same error.
//! The body never passes `MAX_BODY_BYTES`, and a call that is not done never
//! leaves the caller holding more than a trailer section's worth of bytes.
use libfuzzer_sys::fuzz_target;
use stateful::http::{ChunkError, ChunkedDecoder};
use stateful::limits::{MAX_BODY_BYTES, MAX_CHUNK_LINE, MAX_TRAILER_BYTES};

/// Body, bytes used, whether done.
type Outcome = Result<(Vec<u8>, usize, bool), ChunkError>;

/// One call; checks what every call must satisfy.
fn call(
    d: &mut ChunkedDecoder,
    input: &[u8],
    body: &mut Vec<u8>,
) -> Result<(usize, bool), ChunkError> {
    let (used, done) = d.decode(input, body)?;
    assert!(used <= input.len());
    assert!(body.len() <= MAX_BODY_BYTES);
    assert_eq!(done, d.is_done());
    if !done {
        assert!(input.len() - used <= MAX_CHUNK_LINE.max(MAX_TRAILER_BYTES));
    }
    Ok((used, done))
}

fn at_once(input: &[u8]) -> Outcome {
    let mut body = Vec::new();
    let (used, done) = call(&mut ChunkedDecoder::new(), input, &mut body)?;
    Ok((body, used, done))
}

fn in_two(input: &[u8], cut: usize) -> Outcome {
    let mut d = ChunkedDecoder::new();
    let mut body = Vec::new();
    let (first, done) = call(&mut d, &input[..cut], &mut body)?;
    if done {
        return Ok((body, first, true));
    }
    let (second, done) = call(&mut d, &input[first..], &mut body)?;
    Ok((body, first + second, done))
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, input)) = data.split_first() else {
        return;
    };
    let cut = input.len() * usize::from(pick) / 255;
    assert_eq!(at_once(input), in_two(input, cut), "cut at {cut}");
});
