//! Table tests for [`verify`]: one line a case.

use super::*;
use crate::crypto::base64::{encode_url, Base64Error};
use crate::json::JsonError;
use proptest::prelude::*;
use JwtError::*;

const NOW: i64 = 1_700_000_000;
const K1: [u8; 32] = [7; 32];
const K2: [u8; 40] = [8; 40];

fn keys() -> KeySet {
    KeySet::new(vec![("k1".into(), K1.to_vec()), ("k2".into(), K2.to_vec())])
        .expect("two good keys")
}

/// `header.claims` in base64url, signed with `key`: any JSON text at all.
fn forge_with(key: &[u8], header: &str, claims: &str) -> String {
    let input = format!(
        "{}.{}",
        encode_url(header.as_bytes()),
        encode_url(claims.as_bytes())
    );
    let mac = crate::crypto::hmac_sha256(key, input.as_bytes());
    format!("{input}.{}", encode_url(&mac))
}

/// `header.payload` taken as they are (any characters), signed with K1.
fn signed_raw(header: &str, payload: &str) -> String {
    let input = format!("{header}.{payload}");
    let mac = crate::crypto::hmac_sha256(&K1, input.as_bytes());
    format!("{input}.{}", encode_url(&mac))
}

fn forge(header: &str, claims: &str) -> String {
    forge_with(&K1, header, claims)
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#;

/// Good claims with `extra` members spliced in after the standard ones.
fn claims_with(extra: &str) -> String {
    format!(
        r#"{{"sub":"ada","iat":{NOW},"exp":{},"jti":"abc"{extra}}}"#,
        NOW + 900
    )
}

fn ok_claims() -> Claims {
    Claims {
        sub: "ada".into(),
        iat: NOW,
        exp: NOW + 900,
        jti: "abc".into(),
    }
}

fn check(token: &str) -> Result<Claims, JwtError> {
    verify(token.as_bytes(), &keys(), NOW)
}

fn json(part: Part, error: JsonError) -> JwtError {
    Json { part, error }
}

fn b64(part: Part, error: Base64Error) -> JwtError {
    Base64 { part, error }
}

#[test]
fn headers() {
    let c = claims_with("");
    let dup = |f: &str| JsonError::DuplicateKey { field: f.into() };
    #[rustfmt::skip]
    let cases: &[(&str, Result<(), JwtError>)] = &[
        (HEADER, Ok(())),
        (r#"{"alg":"HS256","kid":"k1"}"#, Ok(())),
        (r#"{"kid":"k1","typ":"jwt","alg":"HS256"}"#, Ok(())),
        (r#"{"alg":"HS256","typ":"JWT","kid":"k2"}"#, Err(BadSignature)), // signed with k1
        (r#"{"alg":"HS256","kid":"k1","jwk":{"kty":"oct","k":"AA"},"x5u":"http://x"}"#, Ok(())),
        (r#" {"alg" : "HS256", "kid" : "k1"} "#, Ok(())),
        (r#"{"alg":"none","typ":"JWT","kid":"k1"}"#, Err(UnsupportedAlgorithm)),
        (r#"{"alg":"None","kid":"k1"}"#, Err(UnsupportedAlgorithm)),
        (r#"{"alg":"HS512","kid":"k1"}"#, Err(UnsupportedAlgorithm)),
        (r#"{"alg":"HS384","kid":"k1"}"#, Err(UnsupportedAlgorithm)),
        (r#"{"alg":"RS256","kid":"k1"}"#, Err(UnsupportedAlgorithm)),
        (r#"{"alg":"ES256","kid":"k1"}"#, Err(UnsupportedAlgorithm)),
        (r#"{"alg":"hs256","kid":"k1"}"#, Err(UnsupportedAlgorithm)),
        (r#"{"alg":"HS256 ","kid":"k1"}"#, Err(UnsupportedAlgorithm)),
        (r#"{"alg":"HS256\u0000","kid":"k1"}"#, Err(UnsupportedAlgorithm)),
        (r#"{"alg":["HS256"],"kid":"k1"}"#, Err(UnsupportedAlgorithm)),
        (r#"{"alg":null,"kid":"k1"}"#, Err(UnsupportedAlgorithm)),
        (r#"{"alg":256,"kid":"k1"}"#, Err(UnsupportedAlgorithm)),
        (r#"{"kid":"k1"}"#, Err(MissingAlgorithm)),
        (r#"{"ALG":"HS256","kid":"k1"}"#, Err(MissingAlgorithm)),
        (r#"{"alg":"HS256","kid":"k1","crit":["exp"]}"#, Err(CriticalHeader)),
        (r#"{"alg":"HS256","kid":"k1","crit":[]}"#, Err(CriticalHeader)),
        (r#"{"alg":"HS256","kid":"k1","crit":["b64"],"b64":false}"#, Err(CriticalHeader)),
        (r#"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#, Err(UnsupportedType)),
        (r#"{"alg":"HS256","kid":"k1","typ":"JWE"}"#, Err(UnsupportedType)),
        (r#"{"alg":"HS256","kid":"k1","typ":1}"#, Err(UnsupportedType)),
        (r#"{"alg":"HS256","typ":"JWT"}"#, Err(MissingKeyId)),
        (r#"{"alg":"HS256","kid":1}"#, Err(MissingKeyId)),
        (r#"{"alg":"HS256","kid":null}"#, Err(MissingKeyId)),
        (r#"{"alg":"HS256","kid":"k3"}"#, Err(UnknownKeyId)),
        (r#"{"alg":"HS256","kid":""}"#, Err(UnknownKeyId)),
        (r#"{"alg":"HS256","kid":"K1"}"#, Err(UnknownKeyId)),
        (r#"{"alg":"HS256","kid":"k1 "}"#, Err(UnknownKeyId)),
        (r#"{"alg":"HS256","alg":"HS256","kid":"k1"}"#, Err(json(Part::Header, dup("alg")))),
        (r#"{"alg":"HS256","kid":"k1","kid":"k2"}"#, Err(json(Part::Header, dup("kid")))),
        (r#"{"alg":"none","kid":"k1","alg":"HS256"}"#, Err(json(Part::Header, dup("alg")))),
        (r#"{"alg":"HS256","kid":"k1","\u0061lg":"none"}"#, Err(json(Part::Header, dup("alg")))),
        (r#"["HS256"]"#, Err(json(Part::Header, JsonError::NotAnObject { position: 0 }))),
        (r#""HS256""#, Err(json(Part::Header, JsonError::NotAnObject { position: 0 }))),
        ("", Err(Malformed)),
        (r#"{"alg":"HS256","kid":"k1"}x"#, Err(json(Part::Header, JsonError::TrailingBytes { position: 26 }))),
        (r#"{"alg":"HS256","kid":"k1",}"#, Err(json(Part::Header, JsonError::Unexpected { position: 26, found: '}', expected: "a string key" }))),
    ];
    for (header, expected) in cases {
        let got = check(&forge(header, &c)).map(|_| ());
        assert_eq!(&got, expected, "{header}");
    }
}

#[test]
fn claims() {
    let exp = |t: i64| format!(r#"{{"sub":"ada","iat":{NOW},"exp":{t},"jti":"j"}}"#);
    let iat = |t: i64| format!(r#"{{"sub":"ada","iat":{t},"exp":{},"jti":"j"}}"#, NOW + 900);
    let nbf = |t: i64| claims_with(&format!(r#","nbf":{t}"#));
    let dup = |f: &str| JsonError::DuplicateKey { field: f.into() };
    #[rustfmt::skip]
    let cases: Vec<(String, Result<(), JwtError>)> = vec![
        (claims_with(""), Ok(())),
        (claims_with(r#","iss":"me","role":["x"],"n":1.5,"ok":true"#), Ok(())),
        (r#"{"sub":"ada","iat":1700000000,"exp":1700000900,"jti":"abc"}"#.into(), Ok(())),
        // exp: required, an integer, in the future give or take 60 s.
        (format!(r#"{{"sub":"ada","iat":{NOW},"jti":"j"}}"#), Err(MissingClaim("exp"))),
        (format!(r#"{{"sub":"ada","iat":{NOW},"exp":"{}","jti":"j"}}"#, NOW + 900), Err(InvalidClaim("exp"))),
        (format!(r#"{{"sub":"ada","iat":{NOW},"exp":{}.0,"jti":"j"}}"#, NOW + 900), Err(InvalidClaim("exp"))),
        (format!(r#"{{"sub":"ada","iat":{NOW},"exp":1.7e10,"jti":"j"}}"#), Err(InvalidClaim("exp"))),
        (format!(r#"{{"sub":"ada","iat":{NOW},"exp":null,"jti":"j"}}"#), Err(InvalidClaim("exp"))),
        (format!(r#"{{"sub":"ada","iat":{NOW},"exp":true,"jti":"j"}}"#), Err(InvalidClaim("exp"))),
        (format!(r#"{{"sub":"ada","iat":{NOW},"exp":[1],"jti":"j"}}"#), Err(InvalidClaim("exp"))),
        (format!(r#"{{"sub":"ada","iat":{NOW},"exp":99999999999999999999,"jti":"j"}}"#), Err(InvalidClaim("exp"))),
        (exp(NOW + 1), Ok(())),
        (exp(NOW), Ok(())),
        (exp(NOW - 59), Ok(())),
        (exp(NOW - 60), Err(Expired)),
        (exp(NOW - 61), Err(Expired)),
        (exp(0), Err(Expired)),
        (exp(i64::MIN), Err(Expired)),
        (exp(i64::MAX), Ok(())),
        // No token outlives ours (900 s after iat, plus the leeway).
        (format!(r#"{{"sub":"ada","iat":{},"exp":{},"jti":"j"}}"#, NOW - 959, NOW + 3600), Ok(())),
        (format!(r#"{{"sub":"ada","iat":{},"exp":{},"jti":"j"}}"#, NOW - 960, NOW + 3600), Err(TooOld)),
        (format!(r#"{{"sub":"ada","iat":{},"exp":{},"jti":"j"}}"#, i64::MIN, NOW + 3600), Err(TooOld)),
        // iat: required, an integer, not in the future beyond 60 s.
        (format!(r#"{{"sub":"ada","exp":{},"jti":"j"}}"#, NOW + 900), Err(MissingClaim("iat"))),
        (format!(r#"{{"sub":"ada","iat":"{NOW}","exp":{},"jti":"j"}}"#, NOW + 900), Err(InvalidClaim("iat"))),
        (iat(NOW + 60), Ok(())),
        (iat(NOW + 61), Err(IssuedInFuture)),
        (iat(i64::MAX), Err(IssuedInFuture)),
        (iat(NOW - 959), Ok(())),
        (iat(0), Err(TooOld)),
        // nbf: optional, an integer, not in the future beyond 60 s.
        (nbf(NOW), Ok(())),
        (nbf(NOW + 60), Ok(())),
        (nbf(NOW + 61), Err(NotYetValid)),
        (claims_with(r#","nbf":"0""#), Err(InvalidClaim("nbf"))),
        (claims_with(r#","nbf":0.5"#), Err(InvalidClaim("nbf"))),
        // sub and jti: non-empty strings.
        (format!(r#"{{"iat":{NOW},"exp":{},"jti":"j"}}"#, NOW + 900), Err(MissingClaim("sub"))),
        (format!(r#"{{"sub":1,"iat":{NOW},"exp":{},"jti":"j"}}"#, NOW + 900), Err(InvalidClaim("sub"))),
        (format!(r#"{{"sub":"","iat":{NOW},"exp":{},"jti":"j"}}"#, NOW + 900), Err(InvalidClaim("sub"))),
        (format!(r#"{{"sub":"ada","iat":{NOW},"exp":{}}}"#, NOW + 900), Err(MissingClaim("jti"))),
        (format!(r#"{{"sub":"ada","iat":{NOW},"exp":{},"jti":7}}"#, NOW + 900), Err(InvalidClaim("jti"))),
        (format!(r#"{{"sub":"ada","iat":{NOW},"exp":{},"jti":""}}"#, NOW + 900), Err(InvalidClaim("jti"))),
        (format!(r#"{{"sub":"ada","iat":{NOW},"exp":{},"jti":"{}"}}"#, NOW + 900, "j".repeat(128)), Ok(())),
        (format!(r#"{{"sub":"ada","iat":{NOW},"exp":{},"jti":"{}"}}"#, NOW + 900, "j".repeat(129)), Err(InvalidClaim("jti"))),
        (claims_with(r#","aud":"stateful""#), Err(UnexpectedAudience)),
        // The object itself.
        (claims_with(r#","sub":"root""#), Err(json(Part::Payload, dup("sub")))),
        (claims_with(r#","exp":1"#), Err(json(Part::Payload, dup("exp")))),
        (claims_with(r#","\u0073ub":"root""#), Err(json(Part::Payload, dup("sub")))),
        ("[]".into(), Err(json(Part::Payload, JsonError::NotAnObject { position: 0 }))),
        ("null".into(), Err(json(Part::Payload, JsonError::NotAnObject { position: 0 }))),
        ("\"ada\"".into(), Err(json(Part::Payload, JsonError::NotAnObject { position: 0 }))),
        (format!("{} ", claims_with("")), Ok(())),
        (format!("{}{{}}", claims_with("")), Err(json(Part::Payload, JsonError::TrailingBytes { position: claims_with("").len() }))),
        (format!("\u{feff}{}", claims_with("")), Err(json(Part::Payload, JsonError::NotAnObject { position: 0 }))),
    ];
    for (claims, expected) in &cases {
        let got = check(&forge(HEADER, claims)).map(|_| ());
        assert_eq!(&got, expected, "{claims}");
    }
    assert_eq!(check(&forge(HEADER, &claims_with(""))), Ok(ok_claims()));
}

#[test]
fn encodings() {
    let good = forge(HEADER, &claims_with(""));
    let (h, rest) = good.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    let k2_signed = forge_with(&K2, HEADER, &claims_with(""));
    let k2_sig = k2_signed.rsplit('.').next().unwrap();
    let plain_b64 = |t: &str| crate::crypto::base64::encode(t.as_bytes());
    // Claims whose standard base64 has `+` or `/` (the bytes `~~~`).
    let standard = plain_b64(&claims_with(r#","x":"~~~~~~""#));
    assert!(standard.contains(['+', '/']), "{standard}");
    #[rustfmt::skip]
    let cases: Vec<(String, JwtError)> = vec![
        (format!("{h}.{p}"), Malformed),
        (format!("{h}.{p}.{s}.{s}"), Malformed),
        (format!("{h}.{p}."), Malformed),
        (format!("{h}..{s}"), Malformed),
        (format!(".{p}.{s}"), Malformed),
        (format!("{h}.{p}.{s}."), Malformed),
        (format!(".{h}.{p}.{s}"), Malformed),
        ("..".into(), Malformed),
        (String::new(), Malformed),
        ("not a token".into(), Malformed),
        (format!("{h}=.{p}.{s}"), b64(Part::Header, Base64Error::InvalidByte { index: h.len() })),
        (format!("{h}==.{p}.{s}"), b64(Part::Header, Base64Error::InvalidByte { index: h.len() })),
        (format!("{h}.{p}.{s}="), b64(Part::Signature, Base64Error::InvalidByte { index: 43 })),
        // The signature covers the payload's characters: change them and it
        // fails before the payload is decoded.
        (format!("{h}.{p}=.{s}"), BadSignature),
        (signed_raw(h, &format!("{p}=")), b64(Part::Payload, Base64Error::InvalidByte { index: p.len() })),
        (signed_raw(h, &format!("{p} ")), b64(Part::Payload, Base64Error::InvalidByte { index: p.len() })),
        (signed_raw(h, &standard), b64(Part::Payload, Base64Error::InvalidByte { index: standard.find(['+', '/', '=']).unwrap_or(0) })),
        (signed_raw(h, &p[..p.len() - 1]), b64(Part::Payload, Base64Error::NonCanonical)),
        (signed_raw(h, &format!("{p}{}", "A".repeat((5 - p.len() % 4) % 4))), b64(Part::Payload, Base64Error::Length)),
        (format!("{h}.{p}.{s}\n"), b64(Part::Signature, Base64Error::InvalidByte { index: 43 })),
        (format!(" {h}.{p}.{s}"), b64(Part::Header, Base64Error::InvalidByte { index: 0 })),
        (format!("{h} .{p}.{s}"), b64(Part::Header, Base64Error::InvalidByte { index: h.len() })),
        (format!("{}\t{}.{p}.{s}", &h[..4], &h[4..]), b64(Part::Header, Base64Error::InvalidByte { index: 4 })),
        (format!("{h}.{}\r\n{}.{s}", &p[..8], &p[8..]), BadSignature),
        (signed_raw(h, &format!("{}\r\n{}", &p[..8], &p[8..])), b64(Part::Payload, Base64Error::InvalidByte { index: 8 })),
        (format!("{h}.{p}.{} {}", &s[..10], &s[10..]), b64(Part::Signature, Base64Error::InvalidByte { index: 10 })),
        (format!("{}.{p}.{s}", plain_b64(HEADER)), b64(Part::Header, Base64Error::InvalidByte { index: plain_b64(HEADER).find('=').unwrap() })),
        (format!("{h}.{p}.{}", &s[..42]), b64(Part::Signature, Base64Error::NonCanonical)),
        (format!("{h}.{p}.{}", &s[..40]), BadSignature),
        (format!("{h}.{p}.{s}AAAA"), BadSignature),
        (format!("{h}.{p}.{k2_sig}"), BadSignature),
        (format!("{h}.{}.{s}", encode_url(claims_with(r#","sub":"root""#).as_bytes())), BadSignature),
        (format!("{}.{p}.{s}", encode_url(br#"{"alg":"HS256","typ":"JWT","kid":"k2"}"#)), BadSignature),
        (format!("{}.{p}.{s}", encode_url(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#)), UnsupportedAlgorithm),
        (format!("{}.{p}.{s}", "eyJhbGciOiJIUzI1NiJ9".to_owned() + "\u{e9}"), b64(Part::Header, Base64Error::InvalidByte { index: 20 })),
    ];
    for (token, expected) in &cases {
        assert_eq!(check(token).as_ref(), Err(expected), "{token:?}");
    }
    assert_eq!(check(&good), Ok(ok_claims()));
    // The last character of a 32-byte signature carries 4 data bits and 2
    // unused ones: set an unused one and the text is not canonical.
    let unused = {
        let mut t = s.as_bytes().to_vec();
        let last = t.len() - 1;
        let v = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            .iter()
            .position(|&c| c == t[last])
            .unwrap();
        assert_eq!(
            v & 3,
            0,
            "a canonical last character has its 2 low bits clear"
        );
        t[last] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[v | 1];
        String::from_utf8(t).unwrap()
    };
    assert_eq!(
        check(&format!("{h}.{p}.{unused}")),
        Err(b64(Part::Signature, Base64Error::NonCanonical))
    );
    // The standard alphabet's `+` and `/` in place of `-` and `_`.
    let standard = format!("{h}.{p}.{}", s.replace('-', "+").replace('_', "/"));
    if standard != good {
        assert!(matches!(
            check(&standard),
            Err(Base64 {
                part: Part::Signature,
                ..
            })
        ));
    }
}

#[test]
fn size_limit() {
    // A token of exactly MAX_TOKEN_BYTES verifies; one byte more is refused
    // before decoding (even a valid one).
    let base = forge(HEADER, &claims_with(r#","pad":"""#)).len();
    let fill = |n: usize| {
        forge(
            HEADER,
            &claims_with(&format!(r#","pad":"{}""#, "x".repeat(n))),
        )
    };
    let mut n = (crate::limits::MAX_TOKEN_BYTES - base) * 3 / 4;
    while fill(n).len() < crate::limits::MAX_TOKEN_BYTES {
        n += 1;
    }
    let exact = fill(n);
    if exact.len() == crate::limits::MAX_TOKEN_BYTES {
        assert!(check(&exact).is_ok());
    }
    let over = fill(n + 3);
    assert!(over.len() > crate::limits::MAX_TOKEN_BYTES);
    assert_eq!(check(&over), Err(TooLong));
    assert_eq!(check(&"a".repeat(1 << 20)), Err(TooLong));
}

#[test]
fn rotation_first_signs_all_verify() {
    let old = KeySet::new(vec![("k2".into(), K2.to_vec())]).unwrap();
    let token = old.sign(&ok_claims());
    assert_eq!(
        check(&token),
        Ok(ok_claims()),
        "k2, listed second, verifies"
    );
    let new = keys().sign(&ok_claims());
    assert!(new.starts_with(&encode_url(HEADER.as_bytes())), "k1 signs");
    let swapped = KeySet::new(vec![("k1".into(), K2.to_vec())]).unwrap();
    assert_eq!(
        verify(new.as_bytes(), &swapped, NOW),
        Err(BadSignature),
        "a kid means its own key, not any key"
    );
}

proptest! {
    #[test]
    fn round_trip(
        sub in "[A-Za-z0-9@.+_-]{1,150}",
        jti in "[A-Za-z0-9_-]{1,64}",
        iat in -1_000_000_000i64..4_000_000_000,
        second in any::<bool>(),
    ) {
        let set = if second {
            KeySet::new(vec![("k2".into(), K2.to_vec()), ("k1".into(), K1.to_vec())]).unwrap()
        } else {
            keys()
        };
        let claims = Claims::issue(&sub, iat, &jti);
        let token = set.sign(&claims);
        prop_assert_eq!(verify(token.as_bytes(), &keys(), iat), Ok(claims.clone()));
        prop_assert_eq!(verify(token.as_bytes(), &keys(), iat + 900 + 59), Ok(claims));
        prop_assert_eq!(verify(token.as_bytes(), &keys(), iat + 960), Err(Expired));
    }

    #[test]
    fn any_one_bit_change_is_refused(bit in 0usize..8 * 300, sub in "[a-z]{1,20}") {
        let token = keys().sign(&Claims::issue(&sub, NOW, "0123456789abcdefghijkl"));
        let bit = bit % (8 * token.len());
        let mut bytes = token.into_bytes();
        bytes[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(verify(&bytes, &keys(), NOW).is_err());
    }

    #[test]
    fn verify_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = verify(&bytes, &keys(), NOW);
    }
}

#[test]
fn every_one_bit_change_of_one_token_is_refused() {
    let token = keys().sign(&ok_claims());
    for bit in 0..8 * token.len() {
        let mut bytes = token.clone().into_bytes();
        bytes[bit / 8] ^= 1 << (bit % 8);
        assert!(verify(&bytes, &keys(), NOW).is_err(), "bit {bit}");
    }
}

#[test]
fn a_known_header_is_one_the_full_check_accepts_for_that_key() {
    let keys = KeySet::new(vec![
        ("k1".into(), K1.to_vec()),
        ("\"<q>&\\".into(), K2.to_vec()),
        ("~".into(), K1.to_vec()),
    ])
    .unwrap();
    for kid in keys.kids() {
        let key = keys.find(kid).unwrap();
        let json = crate::crypto::base64::decode_url(key.header()).unwrap();
        let members = crate::json::parse_object(&json).unwrap();
        assert_eq!(check_header(&members, &keys).map(TokenKey::kid), Ok(kid));
        assert_eq!(
            keys.by_header(key.header().as_bytes()).map(TokenKey::kid),
            Some(kid)
        );
        // And a token under it verifies either way the header is spelled.
        let token = crate::jwt::sign(key, &ok_claims());
        assert_eq!(verify(token.as_bytes(), &keys, NOW), Ok(ok_claims()));
    }
}

#[test]
fn accepted_until_is_the_first_second_refused() {
    for (iat, exp) in [
        (NOW, NOW + 900),
        (NOW, NOW + 10),
        (NOW, NOW + 5000),
        (NOW - 100, NOW + 900),
    ] {
        let claims = Claims {
            exp,
            iat,
            ..ok_claims()
        };
        let token = keys().sign(&claims);
        let until = claims.accepted_until();
        assert!(
            verify(token.as_bytes(), &keys(), until - 1).is_ok(),
            "{iat} {exp}"
        );
        assert!(
            verify(token.as_bytes(), &keys(), until).is_err(),
            "{iat} {exp}"
        );
    }
}
