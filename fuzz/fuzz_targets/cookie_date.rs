#![no_main]
// The cookie-date parser on any UTF-8 text: must never panic.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = stateful::cookie::parse_cookie_date(s);
    }
});
