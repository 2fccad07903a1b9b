#![no_main]
//! `parse_string_object` never panics, and what it accepts re-encodes to a
//! body it reads back unchanged; `parse_object` (the token reader) never
//! panics and agrees with it on every body of string fields.
use libfuzzer_sys::fuzz_target;
use stateful::json::{parse_object, parse_string_object, ObjectWriter, Value};

fuzz_target!(|data: &[u8]| {
    let members = parse_object(data);
    if let Ok(fields) = parse_string_object(data) {
        let mut writer = ObjectWriter::new();
        for (key, value) in &fields {
            writer.string(key, value);
        }
        assert_eq!(parse_string_object(writer.finish().as_bytes()), Ok(fields.clone()));
        let members = members.expect("a body of string fields is an object");
        assert_eq!(members.len(), fields.len());
        for ((k, v), (key, value)) in members.iter().zip(&fields) {
            assert_eq!(k, key);
            assert_eq!(v, &Value::String(value.as_str().into()));
        }
    }
});
