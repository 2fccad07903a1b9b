#![no_main]
// The Set-Cookie parser on any UTF-8 text: must never panic, and whatever it
// reads that the encoder accepts must read back equal, but for a leading dot
// of Domain, which the encoder drops (`Domain=..x` parses as `.x`, written
// as `x`).
use stateful::cookie::SetCookie;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(mut c) = SetCookie::parse(s) {
        if let Ok(line) = c.encode() {
            let domain = c.domain().map(|d| d.strip_prefix('.').unwrap_or(d).to_owned());
            c.set_domain(domain.as_deref());
            assert_eq!(SetCookie::parse(&line), Some(c), "{line:?}");
        }
    }
});
