#![no_main]
//! `parse_urlencoded` never panics, and what it accepts re-encodes to a body it reads back unchanged.
use libfuzzer_sys::fuzz_target;
use stateful::form::{parse_urlencoded, percent_encode_component};

fuzz_target!(|data: &[u8]| {
    if let Ok(fields) = parse_urlencoded(data) {
        let pieces: Vec<String> = fields
            .iter()
            .map(|(n, v)| {
                format!(
                    "{}={}",
                    percent_encode_component(n),
                    percent_encode_component(v)
                )
            })
            .collect();
        assert_eq!(parse_urlencoded(pieces.join("&").as_bytes()), Ok(fields));
    }
});
