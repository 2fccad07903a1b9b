//! `jwt::verify` never panics, on any token or (signed with the test key,
//! so the claims are reached) on any header and claims text; and what it
//! accepts, signed again, verifies to the same claims.
//!
//! Input: a mode byte, then either the token (mode even) or the header
//! JSON, a newline and the claims JSON (mode odd).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stateful::crypto::base64::encode_url;
use stateful::jwt::{verify, KeySet};

const NOW: i64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let keys = KeySet::new(vec![("k1".into(), vec![7; 32]), ("k2".into(), vec![8; 40])])
        .expect("two good keys");
    let token = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let cut = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let (header, claims) = (&rest[..cut], rest.get(cut + 1..).unwrap_or_default());
        let mut token = format!("{}.{}", encode_url(header), encode_url(claims));
        let mac = keys.signing().mac(token.as_bytes());
        token.push('.');
        token.push_str(&encode_url(&mac));
        token.into_bytes()
    };
    if let Ok(claims) = verify(&token, &keys, NOW) {
        assert!(token.len() <= stateful::limits::MAX_TOKEN_BYTES);
        assert_eq!(token.iter().filter(|&&b| b == b'.').count(), 2);
        let again = keys.sign(&claims);
        assert_eq!(verify(again.as_bytes(), &keys, NOW), Ok(claims));
    }
});
