#![no_main]
// The Set-Cookie parser on any UTF-8 text: must never panic, and whatever it
// reads that the encoder accepts must read back equal.
use stateful::cookie::SetCookie;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(c) = SetCookie::parse(s) {
        if let Ok(line) = c.encode() {
            assert_eq!(SetCookie::parse(&line), Some(c), "{line:?}");
        }
    }
});
