#![no_main]
//! `parse_string_object` never panics, and what it accepts re-encodes to a body it reads back unchanged.
use libfuzzer_sys::fuzz_target;
use stateful::json::{parse_string_object, ObjectWriter};

fuzz_target!(|data: &[u8]| {
    if let Ok(fields) = parse_string_object(data) {
        let mut writer = ObjectWriter::new();
        for (key, value) in &fields {
            writer.string(key, value);
        }
        assert_eq!(parse_string_object(writer.finish().as_bytes()), Ok(fields));
    }
});
