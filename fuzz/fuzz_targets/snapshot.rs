#![no_main]
//! A state snapshot: decoding any bytes is total, and a snapshot that
//! decodes encodes back to the same bytes.
use stateful::storage::snapshot::{decode_snapshot, encode_snapshot};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut entries = Vec::new();
    if let Ok(n) = decode_snapshot(data, |e| entries.push(e)) {
        assert_eq!(n as usize, entries.len());
        assert_eq!(encode_snapshot(entries).expect("decoded entries encode"), data);
    }
});
