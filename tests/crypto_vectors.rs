//! Every vector in tests/data/pbkdf2_vectors.json, on every backend this
//! CPU runs (portable always, SHA-NI where present).
//!
//! Slow cases (hundreds of thousands of iterations) are ignored in debug
//! builds; `cargo test --release --test crypto_vectors` runs them, and
//! `-- --ignored` adds the 16M-iteration one.

// The shared reader trips clippy 1.95's manual_is_multiple_of; not ours to edit.
#[allow(clippy::manual_is_multiple_of)]
#[path = "support/json_value.rs"]
mod json_value;

use json_value::{hex, Json};
use proptest::prelude::*;
use stateful::crypto::{
    base64, hash_password, hmac_sha256_with, must_update, pbkdf2_hmac_sha256_with,
    sha_ni_available, verify_password, Backend, HmacSha256Key, PasswordHash, Sha256,
};

fn vectors() -> Json {
    Json::load("tests/data/pbkdf2_vectors.json")
}

fn backends() -> Vec<Backend> {
    let all: Vec<Backend> = Backend::all().collect();
    assert_eq!(all.len(), 1 + usize::from(sha_ni_available()));
    all
}

fn sha256_with(backend: Backend, data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::with_backend(backend);
    h.update(data);
    h.finalize()
}

#[test]
fn sha256_fips_vectors() {
    let v = vectors();
    let cases = v.at("sha256").at("cases").arr();
    assert_eq!(cases.len(), 10);
    for case in cases {
        let name = case.at("name").str();
        let message = match case.get("message_repeat") {
            Some(rep) => rep
                .at("ascii")
                .str()
                .repeat(rep.at("count").i64() as usize)
                .into_bytes(),
            None => hex(case.at("message_hex").str()),
        };
        assert_eq!(message.len() as i64 * 8, case.at("bits").i64(), "{name}");
        let want = hex(case.at("digest_hex").str());
        for backend in backends() {
            assert_eq!(
                sha256_with(backend, &message).to_vec(),
                want,
                "{name} {}",
                backend.name()
            );
            // The same message fed in uneven pieces.
            for piece in [1, 3, 55, 64, 65, 1000] {
                if message.len() > 100_000 && piece < 64 {
                    continue;
                }
                let mut h = Sha256::with_backend(backend);
                message.chunks(piece).for_each(|c| h.update(c));
                assert_eq!(
                    h.finalize().to_vec(),
                    want,
                    "{name} {} by {piece}",
                    backend.name()
                );
            }
        }
    }
    assert_eq!(
        stateful::crypto::sha256(b"abc").to_vec(),
        hex(cases[1].at("digest_hex").str())
    );
}

#[test]
fn hmac_rfc4231_vectors() {
    let v = vectors();
    let cases = v.at("hmac_sha256").at("cases").arr();
    assert_eq!(cases.len(), 7);
    for case in cases {
        let n = case.at("test_case").i64();
        let key = hex(case.at("key_hex").str());
        let data = hex(case.at("data_hex").str());
        assert_eq!(key.len() as i64, case.at("key_len").i64(), "case {n}");
        assert_eq!(data.len() as i64, case.at("data_len").i64(), "case {n}");
        for backend in backends() {
            let mac = hmac_sha256_with(backend, &key, &data);
            let label = format!("case {n} {}", backend.name());
            // The precomputed key (JWT signing) gives the same MAC, and so
            // does one with the message's first block folded in.
            if let Ok(block) = <&[u8; 64]>::try_from(data.get(..64).unwrap_or_default()) {
                let prefixed = HmacSha256Key::with_backend(backend, &key).with_first_block(block);
                assert_eq!(prefixed.mac(&data), Some(mac), "{label} first block");
            }
            assert_eq!(
                HmacSha256Key::with_backend(backend, &key).mac(&data),
                mac,
                "{label} precomputed"
            );
            match case.get("truncate_to_bytes") {
                Some(t) => {
                    let t = t.i64() as usize;
                    assert_eq!(
                        mac[..t].to_vec(),
                        hex(case.at("mac_hex_truncated").str()),
                        "{label}"
                    );
                    assert_eq!(mac.to_vec(), hex(case.at("mac_hex_full").str()), "{label}");
                }
                None => assert_eq!(mac.to_vec(), hex(case.at("mac_hex").str()), "{label}"),
            }
        }
    }
}

/// Runs the PBKDF2 cases whose iteration count satisfies `select`.
fn pbkdf2_cases(select: impl Fn(i64) -> bool) -> usize {
    let v = vectors();
    let mut ran = 0;
    for case in v.at("pbkdf2_hmac_sha256").at("cases").arr() {
        let iterations = case.at("iterations").i64();
        if !select(iterations) {
            continue;
        }
        let name = case.at("name").str();
        let password = hex(case.at("password_hex").str());
        let salt = hex(case.at("salt_hex").str());
        let want = hex(case.at("dk_hex").str());
        assert_eq!(want.len() as i64, case.at("dk_len").i64(), "{name}");
        for backend in backends() {
            let mut dk = vec![0u8; want.len()];
            pbkdf2_hmac_sha256_with(backend, &password, &salt, iterations as u32, &mut dk);
            assert_eq!(dk, want, "{name} c={iterations} {}", backend.name());
        }
        ran += 1;
    }
    ran
}

#[test]
fn pbkdf2_vectors_up_to_4096_iterations() {
    assert_eq!(pbkdf2_cases(|c| c <= 4096), 7);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "80,000 iterations: slow in debug; run with --release"
)]
fn pbkdf2_rfc7914_80000_iterations() {
    assert_eq!(pbkdf2_cases(|c| c == 80_000), 1);
}

#[test]
#[ignore = "16,777,216 iterations: seconds even in release; run with --release -- --ignored"]
fn pbkdf2_16m_iterations() {
    assert_eq!(pbkdf2_cases(|c| c == 16_777_216), 1);
}

#[test]
fn pbkdf2_longer_outputs_extend_shorter_ones() {
    for backend in backends() {
        let mut short = [0u8; 20];
        let mut long = [0u8; 100];
        pbkdf2_hmac_sha256_with(backend, b"pw", b"salt", 3, &mut short);
        pbkdf2_hmac_sha256_with(backend, b"pw", b"salt", 3, &mut long);
        assert_eq!(short[..], long[..20]);
        let mut empty = [0u8; 0];
        pbkdf2_hmac_sha256_with(backend, b"pw", b"salt", 3, &mut empty);
    }
}

/// Checks one Django hash: the key on every backend, the encoding, verify
/// with the right and the wrong passwords.
fn check_django(case: &Json, wrong: &[&str]) {
    let password = case.at("password").str();
    assert_eq!(password.as_bytes(), hex(case.at("password_utf8_hex").str()));
    let salt = case.at("salt").str();
    let iterations = case.at("iterations").i64() as u32;
    let encoded = case.at("encoded").str();
    let parsed = PasswordHash::parse(encoded).expect("Django's hash parses");
    assert_eq!((parsed.iterations, parsed.salt), (iterations, salt));
    for backend in backends() {
        let mut key = [0u8; 32];
        pbkdf2_hmac_sha256_with(
            backend,
            password.as_bytes(),
            salt.as_bytes(),
            iterations,
            &mut key,
        );
        assert_eq!(key, parsed.key, "{encoded} {}", backend.name());
        if let Some(dk) = case.get("dk_hex") {
            assert_eq!(key.to_vec(), hex(dk.str()));
        }
        if let Some(b64) = case.get("hash_b64") {
            assert_eq!(base64::encode(&key), b64.str());
        }
    }
    assert_eq!(hash_password(password, salt, iterations), encoded);
    assert!(verify_password(password, encoded), "{encoded}");
    for w in wrong {
        assert!(
            !verify_password(w, encoded),
            "{w:?} must not verify {encoded}"
        );
    }
}

fn wrong_passwords(case: &Json) -> Vec<&str> {
    case.at("wrong_passwords_must_fail")
        .arr()
        .iter()
        .map(Json::str)
        .collect()
}

fn generated(name: &str) -> Json {
    let v = vectors();
    let all = v.at("django_pbkdf2_sha256").at("generated").arr();
    all.iter()
        .find(|c| c.at("name").str() == name)
        .expect("case present")
        .clone()
}

#[test]
fn django_upstream_expectations() {
    let v = vectors();
    let cases = v
        .at("django_pbkdf2_sha256")
        .at("django_upstream_test_expectations")
        .arr();
    assert_eq!(cases.len(), 2);
    for case in cases {
        check_django(case, &["letmein"]);
    }
}

#[test]
fn django_fast_unit_test_vector() {
    let case = generated("fast_unit_test");
    check_django(&case, &wrong_passwords(&case));
    assert!(must_update(case.at("encoded").str(), 600_000));
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "600,000 iterations: slow in debug; run with --release"
)]
fn django_owasp_minimum_vector() {
    let case = generated("owasp_minimum");
    check_django(&case, &wrong_passwords(&case));
    assert!(!must_update(
        case.at("encoded").str(),
        stateful::limits::PBKDF2_ITERATIONS
    ));
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "1,500,000 iterations: slow in debug; run with --release"
)]
fn django_6_1_default_vector() {
    let case = generated("django_6_1_default");
    check_django(&case, &wrong_passwords(&case));
}

#[test]
fn every_generated_case_is_covered() {
    let v = vectors();
    let names: Vec<&str> = v
        .at("django_pbkdf2_sha256")
        .at("generated")
        .arr()
        .iter()
        .map(|c| c.at("name").str())
        .collect();
    assert_eq!(
        names,
        ["django_6_1_default", "owasp_minimum", "fast_unit_test"]
    );
}

#[test]
fn backends_agree_on_odd_inputs() {
    // Message lengths around every padding boundary, keys around the block
    // size, several output lengths.
    let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
    let [portable, rest @ ..] = &backends()[..] else {
        unreachable!("portable always exists")
    };
    for other in rest {
        for len in 0..data.len() {
            assert_eq!(
                sha256_with(*portable, &data[..len]),
                sha256_with(*other, &data[..len])
            );
        }
        for key_len in [0, 1, 63, 64, 65, 200] {
            let key = &data[..key_len];
            assert_eq!(
                hmac_sha256_with(*portable, key, &data),
                hmac_sha256_with(*other, key, &data)
            );
            let (mut a, mut b) = ([0u8; 77], [0u8; 77]);
            pbkdf2_hmac_sha256_with(*portable, key, &data[..9], 17, &mut a);
            pbkdf2_hmac_sha256_with(*other, key, &data[..9], 17, &mut b);
            assert_eq!(a, b, "key_len {key_len}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_first_block_folded_in_changes_no_mac(
        key in proptest::collection::vec(any::<u8>(), 0..100),
        data in proptest::collection::vec(any::<u8>(), 64..300),
    ) {
        for backend in backends() {
            let plain = hmac_sha256_with(backend, &key, &data);
            let block: &[u8; 64] = data[..64].try_into().unwrap();
            let prefixed = HmacSha256Key::with_backend(backend, &key).with_first_block(block);
            prop_assert_eq!(prefixed.mac(&data), Some(plain));
            let mut other = data.clone();
            other[0] ^= 1;
            prop_assert_eq!(prefixed.mac(&other), None);
        }
    }

    #[test]
    fn backends_agree_on_random_inputs(
        data in proptest::collection::vec(any::<u8>(), 0..300),
        split in 0usize..300,
        iterations in 1u32..20,
        out_len in 0usize..100,
    ) {
        let split = split.min(data.len());
        let (key, salt) = data.split_at(split);
        let want_hash = sha256_with(Backend::Portable, &data);
        let want_mac = hmac_sha256_with(Backend::Portable, key, salt);
        let mut want_dk = vec![0u8; out_len];
        pbkdf2_hmac_sha256_with(Backend::Portable, key, salt, iterations, &mut want_dk);
        for backend in backends() {
            let mut h = Sha256::with_backend(backend);
            h.update(key);
            h.update(salt);
            prop_assert_eq!(h.finalize(), want_hash);
            prop_assert_eq!(hmac_sha256_with(backend, key, salt), want_mac);
            let mut dk = vec![0u8; out_len];
            pbkdf2_hmac_sha256_with(backend, key, salt, iterations, &mut dk);
            prop_assert_eq!(&dk, &want_dk);
        }
    }
}
