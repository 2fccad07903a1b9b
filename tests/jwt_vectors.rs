//! Known-answer tests for the token signer and verifier: the HS256 example
//! of RFC 7515 Appendix A.1, and tokens minted by an independent
//! implementation (Python's `hmac`) from a key file.

#[path = "support/json_value.rs"]
mod json_value;

use json_value::Json;
use stateful::crypto::base64::{decode_url, encode_url};
use stateful::jwt::{parse_key_file, verify, verify_signature, Claims, JwtError, KeySet};

fn vectors() -> Json {
    Json::load("tests/data/jwt_vectors.json")
}

#[test]
fn rfc7515_appendix_a1_hs256() {
    let v = vectors();
    let a1 = v.at("rfc7515_a1");
    let key = decode_url(a1.at("key_b64url").str()).expect("the RFC's key is base64url");
    let input = a1.at("signing_input").str();
    let (header, payload) = input.split_once('.').expect("two parts");
    assert_eq!(encode_url(a1.at("header_utf8").str().as_bytes()), header);
    assert_eq!(encode_url(a1.at("payload_utf8").str().as_bytes()), payload);
    let signature = a1.at("signature_b64url").str();
    // The RFC's key is 64 bytes; under a kid of our own choosing.
    let keys = KeySet::new(vec![("a1".into(), key)]).expect("64-byte key");
    let mac = keys.signing().mac(input.as_bytes());
    assert_eq!(encode_url(&mac), signature);
    assert!(verify_signature(
        keys.signing(),
        input.as_bytes(),
        &decode_url(signature).unwrap()
    ));
    // Whole, the example is still refused: it names no key (and is long
    // expired, and has neither sub nor jti).
    let token = format!("{input}.{signature}");
    assert_eq!(
        verify(token.as_bytes(), &keys, 1_300_819_300),
        Err(JwtError::MissingKeyId)
    );
}

#[test]
fn tokens_minted_elsewhere_from_a_key_file() {
    let v = vectors();
    let s = v.at("stateful");
    let keys = parse_key_file(s.at("key_file").str().as_bytes()).expect("the key file");
    assert_eq!(keys.kids().collect::<Vec<_>>(), ["k1", "k2"]);
    let c = s.at("claims");
    let claims = Claims {
        sub: c.at("sub").str().to_string(),
        iat: c.at("iat").i64(),
        exp: c.at("exp").i64(),
        jti: c.at("jti").str().to_string(),
    };
    let now = s.at("now").i64();
    for name in ["token_k1", "token_k2"] {
        let token = s.at(name).str();
        assert_eq!(
            verify(token.as_bytes(), &keys, now),
            Ok(claims.clone()),
            "{name}"
        );
    }
    // Our signer writes, byte for byte, what the other implementation did.
    assert_eq!(keys.sign(&claims), s.at("token_k1").str());
}
