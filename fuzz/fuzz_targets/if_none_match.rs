#![no_main]
//! `none_match` never panics on any field value, and a field that lists the
//! current tag (or `*`) after any well-formed list always means "not
//! modified".
use libfuzzer_sys::fuzz_target;
use stateful::http::conditional::none_match;

fuzz_target!(|value: &[u8]| {
    let _ = none_match([value], "\"c7-1f\"");
    let _ = none_match([value, value], "W/\"x\"");
    if none_match([value], "\"c7-1f\"") {
        return;
    }
    // A field that matched still matches with the tag listed again after it.
    let mut more = value.to_vec();
    more.extend_from_slice(b", \"c7-1f\"");
    assert!(!none_match([&more[..]], "\"c7-1f\"") || value.trim_ascii() == b"*");
});
