//! The public cookie vectors (tests/data/cookie_vectors.json), every group.
//! Each test collects all failures before asserting, so one run shows them all.

#[path = "support/json_value.rs"]
#[allow(clippy::manual_is_multiple_of)] // in the shared reader, not ours to edit
mod json_value;

use json_value::Json;
use stateful::cookie::{parse_cookie_date, parse_cookie_header, CookieError, SameSite, SetCookie};
use stateful::http::date::{system_time_from_unix, unix_seconds};

fn vectors(group: &str) -> Vec<Json> {
    Json::load("tests/data/cookie_vectors.json")
        .at(group)
        .arr()
        .to_vec()
}

/// Fails with every mismatch listed; prints the pass count otherwise.
fn report(group: &str, total: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{group}: {} of {total} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{group}: {total}/{total} passed");
}

/// A cookie from the fields of a `set_cookie.expect` / `serialize.cookie`
/// object (missing = null/false). A `same_site` string that is not a
/// `SameSite` is the encoder's `InvalidSameSite`: the typed API cannot hold it.
fn cookie_from(fields: &Json) -> Result<SetCookie, CookieError> {
    let mut c = SetCookie::new(fields.at("name").str(), fields.at("value").str());
    c.set_expires(
        fields
            .get("expires")
            .map(|t| system_time_from_unix(t.i64())),
    );
    c.set_max_age(fields.get("max_age").map(Json::i64));
    c.set_domain(fields.opt_str("domain"));
    c.set_path(fields.opt_str("path"));
    c.set_secure(fields.opt_bool("secure"));
    c.set_http_only(fields.opt_bool("http_only"));
    c.set_same_site(
        fields
            .opt_str("same_site")
            .map(str::parse::<SameSite>)
            .transpose()?,
    );
    c.set_partitioned(fields.opt_bool("partitioned"));
    Ok(c)
}

/// The vectors' error codes as `CookieError` variants.
fn error_from_code(code: &str) -> CookieError {
    match code {
        "invalid_name" => CookieError::InvalidName,
        "invalid_value" => CookieError::InvalidValue,
        "too_large" => CookieError::TooLarge,
        "invalid_expires" => CookieError::InvalidExpires,
        "invalid_max_age" => CookieError::InvalidMaxAge,
        "invalid_domain" => CookieError::InvalidDomain,
        "invalid_path" => CookieError::InvalidPath,
        "invalid_same_site" => CookieError::InvalidSameSite,
        "samesite_none_requires_secure" => CookieError::SameSiteNoneWithoutSecure,
        "partitioned_requires_secure" => CookieError::PartitionedWithoutSecure,
        other => panic!("unknown error code {other:?}"),
    }
}

#[test]
fn cookie_header_vectors() {
    let cases = vectors("cookie_header");
    let mut failures = Vec::new();
    for v in &cases {
        let expect: Vec<(&str, &str)> = v
            .at("expect")
            .arr()
            .iter()
            .map(|pair| (pair.arr()[0].str(), pair.arr()[1].str()))
            .collect();
        let got = parse_cookie_header(v.at("header").str());
        if got != expect {
            failures.push(format!(
                "{}: got {got:?}, want {expect:?}",
                v.at("id").str()
            ));
        }
    }
    report("cookie_header", cases.len(), &failures);
}

#[test]
fn set_cookie_vectors() {
    let cases = vectors("set_cookie");
    let mut failures = Vec::new();
    for v in &cases {
        let id = v.at("id").str();
        let got = SetCookie::parse(v.at("line").str());
        let expect = v
            .get("expect")
            .map(|e| cookie_from(e).expect("vector cookie fields"));
        if got != expect {
            failures.push(format!("{id}: got {got:?}, want {expect:?}"));
        }
        // Whatever the encoder accepts of a parsed cookie must read back equal.
        if let Some(c) = got {
            if let Ok(line) = c.encode() {
                if SetCookie::parse(&line).as_ref() != Some(&c) {
                    failures.push(format!("{id}: re-encoded {line:?} does not read back"));
                }
            }
        }
    }
    report("set_cookie", cases.len(), &failures);
}

#[test]
fn date_vectors() {
    let cases = vectors("date");
    let mut failures = Vec::new();
    for v in &cases {
        let got = parse_cookie_date(v.at("input").str()).map(unix_seconds);
        let expect = v.get("expect").map(Json::i64);
        if got != expect {
            failures.push(format!(
                "{}: got {got:?}, want {expect:?}",
                v.at("id").str()
            ));
        }
    }
    report("date", cases.len(), &failures);
}

#[test]
fn serialize_vectors() {
    let cases = vectors("serialize");
    let mut failures = Vec::new();
    for v in &cases {
        let id = v.at("id").str();
        let got = cookie_from(v.at("cookie")).and_then(|c| c.encode());
        let expect = match v.at("expect") {
            Json::Str(line) => Ok(line.clone()),
            err => Err(error_from_code(err.at("error").str())),
        };
        if got != expect {
            failures.push(format!("{id}: got {got:?}, want {expect:?}"));
        }
        if let Ok(line) = &got {
            let back = SetCookie::parse(line);
            if back.as_ref() != cookie_from(v.at("cookie")).ok().as_ref() {
                failures.push(format!("{id}: {line:?} reads back as {back:?}"));
            }
        }
    }
    report("serialize", cases.len(), &failures);
}
