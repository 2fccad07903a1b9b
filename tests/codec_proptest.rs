//! Property tests for the body codecs: what the writers produce, the readers
//! read back unchanged, and the readers never panic on any bytes.

use proptest::prelude::*;
use stateful::form::{parse_urlencoded, percent_encode_component};
use stateful::json::{escape_into, parse_string_object, ObjectWriter};
use stateful::limits::MAX_BODY_FIELDS;

fn escaped(s: &str) -> String {
    let mut out = String::new();
    escape_into(&mut out, s);
    out
}

/// A string of any characters, short so that 64 of them stay cheap to make.
fn short_string() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..24).prop_map(String::from_iter)
}

/// Fields with distinct names, as a JSON object must have them.
fn distinct_fields() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map(short_string(), short_string(), 0..=MAX_BODY_FIELDS)
        .prop_map(|map| map.into_iter().collect())
}

/// Pieces of JSON syntax, so random bodies get past the first byte.
fn json_like() -> impl Strategy<Value = Vec<u8>> {
    let tokens = vec![
        "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "d83d", "\\ude00", "00e9", "1", "-", "0",
        ".", "e", "true", "null", "fals", " ", "\n", "\0", "a", "é", "\"a\":", "\"b\"",
    ];
    prop::collection::vec(prop::sample::select(tokens), 0..48).prop_map(|t| t.concat().into_bytes())
}

/// The form encoding a browser writes: `+` for a space, lower-case hex.
fn browser_encode(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        match b {
            b' ' => out.push('+'),
            b'*' | b'-' | b'.' | b'_' | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02x}")),
        }
    }
    out
}

fn form_body(fields: &[(String, String)], encode: fn(&str) -> String) -> String {
    let pieces: Vec<String> = fields
        .iter()
        .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
        .collect();
    pieces.join("&")
}

proptest! {
    #[test]
    fn escaped_string_round_trips(key in any::<String>(), value in any::<String>()) {
        let body = format!(" {{ {} : {} }}\n", escaped(&key), escaped(&value));
        prop_assert_eq!(parse_string_object(body.as_bytes()), Ok(vec![(key, value)]));
    }

    #[test]
    fn escaped_string_is_html_safe(s in any::<String>()) {
        let out = escaped(&s);
        let inner = &out[1..out.len() - 1];
        let unsafe_in_html = |c: char| matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}' | '\0'..='\u{1f}');
        prop_assert!(!inner.chars().any(unsafe_in_html), "{}", out);
    }

    #[test]
    fn object_writer_round_trips(fields in distinct_fields()) {
        let mut writer = ObjectWriter::new();
        for (key, value) in &fields {
            writer.string(key, value);
        }
        prop_assert_eq!(parse_string_object(writer.finish().as_bytes()), Ok(fields));
    }

    #[test]
    fn percent_encoded_form_round_trips(
        fields in prop::collection::vec((short_string(), short_string()), 0..=MAX_BODY_FIELDS)
    ) {
        prop_assert_eq!(parse_urlencoded(form_body(&fields, percent_encode_component).as_bytes()), Ok(fields.clone()));
        prop_assert_eq!(parse_urlencoded(form_body(&fields, browser_encode).as_bytes()), Ok(fields));
    }

    #[test]
    fn json_reader_is_total(body in prop_oneof![prop::collection::vec(any::<u8>(), 0..256), json_like()]) {
        if let Ok(fields) = parse_string_object(&body) {
            let mut writer = ObjectWriter::new();
            for (key, value) in &fields {
                writer.string(key, value);
            }
            prop_assert_eq!(parse_string_object(writer.finish().as_bytes()), Ok(fields));
        }
    }

    #[test]
    fn form_reader_is_total(input in prop::collection::vec(
        prop_oneof![any::<u8>(), prop::sample::select(b"%&=+aF0".to_vec())], 0..256)
    ) {
        if let Ok(fields) = parse_urlencoded(&input) {
            prop_assert_eq!(parse_urlencoded(form_body(&fields, percent_encode_component).as_bytes()), Ok(fields));
        }
    }
}
