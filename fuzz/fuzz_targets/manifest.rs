#![no_main]
//! The data directory's manifest: decoding any bytes is total, and a
//! manifest that decodes encodes back to the same bytes.
use stateful::storage::manifest::decode_manifest;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(m) = decode_manifest(data) {
        assert_eq!(m.encode(), data);
    }
});
