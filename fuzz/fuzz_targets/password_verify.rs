//! `verify_password` on arbitrary text never panics. Input: the password,
//! a newline, the encoded hash. Hashes naming more than 1000 iterations
//! are only parsed, so each run stays fast.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stateful::crypto::{must_update, verify_password, PasswordHash};

fuzz_target!(|data: &str| {
    let (password, encoded) = data.split_once('\n').unwrap_or(("", data));
    let _ = must_update(encoded, 1000);
    match PasswordHash::parse(encoded) {
        Ok(hash) if hash.iterations <= 1000 => {
            assert_eq!(PasswordHash::parse(&hash.encode()), Ok(hash.clone()));
            let _ = verify_password(password, encoded);
        }
        _ => {}
    }
});
