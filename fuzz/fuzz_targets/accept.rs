#![no_main]
//! `accept_ranges` and `preferred_format` never panic on any field value;
//! every range they return is well-formed, and the decision agrees with the
//! weights `quality` computes.
use libfuzzer_sys::fuzz_target;
use stateful::http::media::{accept_ranges, preferred_format, quality, Format};

fuzz_target!(|value: &[u8]| {
    for r in accept_ranges(value).flatten() {
        assert!(r.q <= 1000);
        assert!(!r.type_.is_empty() && !r.subtype.is_empty());
        for (name, v) in r.params() {
            assert!(!name.is_empty() && !v.is_empty());
        }
    }
    let html = quality(accept_ranges(value).flatten(), "text", "html", &[("charset", "utf-8")]);
    let json = quality(accept_ranges(value).flatten(), "application", "json", &[]);
    let want = if html > json { Format::Html } else { Format::Json };
    assert_eq!(preferred_format([value]), want);
});
