#![no_main]
//! The comment index checkpoint: decoding any bytes is total (and never
//! allocates more than the input justifies), and a checkpoint that decodes
//! encodes back to the same bytes.
use stateful::storage::index::{decode_index, encode_index};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(cp) = decode_index(data) {
        assert_eq!(encode_index(&cp), data);
    }
});
