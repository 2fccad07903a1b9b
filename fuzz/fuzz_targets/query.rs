#![no_main]
//! `parse_query` never panics on any query string, and `single_field` never panics on its output.
use libfuzzer_sys::fuzz_target;
use stateful::form::{parse_query, single_field};

fuzz_target!(|query: &str| {
    if let Ok(fields) = parse_query(query) {
        let _ = single_field(&fields, "limit");
    }
});
