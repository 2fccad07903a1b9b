//! The claims part: read, typed and checked against the time.
//!
//! Claims spelled exactly as our signer writes them,
//! `{"sub":S,"iat":N,"exp":N,"jti":S}` with strings that need no escape and
//! integers in plain decimal, are read by a short direct path; any other
//! spelling (another order, spaces, escapes, more members) goes through
//! the general reader. Both give the same answer for the same bytes (a
//! test holds them to it); the short path only saves the general reader's
//! work on the tokens the server sees most.

use super::error::{JwtError, Part};
use super::verify::{member, read_object};
use super::Claims;
use crate::json::{Member, Value};
use crate::limits::{TOKEN_JTI_MAX, TOKEN_LEEWAY, TOKEN_TTL};

/// The claims of a decoded payload, checked at `now`.
pub(super) fn read_claims(json: &[u8], now: i64) -> Result<Claims, JwtError> {
    match canonical(json) {
        Some((sub, iat, exp, jti)) => check(
            Fields {
                sub: Some(Value::String(sub.into())),
                jti: Some(Value::String(jti.into())),
                iat: Some(Value::Integer(iat)),
                exp: Some(Value::Integer(exp)),
                nbf: None,
                aud: false,
            },
            now,
        ),
        None => read_claims_in_full(json, now),
    }
}

/// [`read_claims`] by the general reader alone.
pub(super) fn read_claims_in_full(json: &[u8], now: i64) -> Result<Claims, JwtError> {
    let members: Vec<Member<'_>> = read_object(Part::Payload, json)?;
    let field = |name| member(&members, name).cloned();
    check(
        Fields {
            sub: field("sub"),
            jti: field("jti"),
            iat: field("iat"),
            exp: field("exp"),
            nbf: field("nbf"),
            aud: member(&members, "aud").is_some(),
        },
        now,
    )
}

/// The members the checks look at.
struct Fields<'a> {
    sub: Option<Value<'a>>,
    jti: Option<Value<'a>>,
    iat: Option<Value<'a>>,
    exp: Option<Value<'a>>,
    nbf: Option<Value<'a>>,
    aud: bool,
}

/// The claims we need, typed, and checked against `now`.
fn check(f: Fields<'_>, now: i64) -> Result<Claims, JwtError> {
    let text = |value: Option<Value<'_>>, name: &'static str, max: usize| match value {
        None => Err(JwtError::MissingClaim(name)),
        Some(Value::String(s)) if !s.is_empty() && s.len() <= max => Ok(s.into_owned()),
        Some(_) => Err(JwtError::InvalidClaim(name)),
    };
    let time = |value: Option<Value<'_>>, name: &'static str| match value {
        None => Ok(None),
        Some(Value::Integer(t)) => Ok(Some(t)),
        Some(_) => Err(JwtError::InvalidClaim(name)),
    };
    let sub = text(f.sub, "sub", usize::MAX)?;
    let jti = text(f.jti, "jti", TOKEN_JTI_MAX)?;
    let iat = time(f.iat, "iat")?.ok_or(JwtError::MissingClaim("iat"))?;
    let exp = time(f.exp, "exp")?.ok_or(JwtError::MissingClaim("exp"))?;
    let nbf = time(f.nbf, "nbf")?;
    if f.aud {
        return Err(JwtError::UnexpectedAudience);
    }
    let leeway = TOKEN_LEEWAY.as_secs() as i64;
    if now >= exp.saturating_add(leeway) {
        return Err(JwtError::Expired);
    }
    if now >= iat.saturating_add(TOKEN_TTL.as_secs() as i64 + leeway) {
        return Err(JwtError::TooOld);
    }
    let future = now.saturating_add(leeway);
    if nbf.is_some_and(|nbf| nbf > future) {
        return Err(JwtError::NotYetValid);
    }
    if iat > future {
        return Err(JwtError::IssuedInFuture);
    }
    Ok(Claims { sub, iat, exp, jti })
}

/// `sub`, `iat`, `exp`, `jti` of claims spelled exactly as the signer
/// writes them; `None` for any other spelling. Only the two strings' bytes
/// are checked as UTF-8: everything else the layout allows is ASCII.
fn canonical(json: &[u8]) -> Option<(&str, i64, i64, &str)> {
    let rest = json.strip_prefix(br#"{"sub":""#)?;
    let (sub, rest) = plain_string(rest)?;
    let (iat, rest) = integer(rest.strip_prefix(br#","iat":"#)?)?;
    let (exp, rest) = integer(rest.strip_prefix(br#","exp":"#)?)?;
    let (jti, rest) = plain_string(rest.strip_prefix(br#","jti":""#)?)?;
    (rest == b"}").then_some((sub, iat, exp, jti))
}

/// A string's content up to its closing quote, if it has no escape and no
/// control character and is UTF-8; and what follows the quote.
fn plain_string(s: &[u8]) -> Option<(&str, &[u8])> {
    let end = s
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    if s[end] != b'"' {
        return None;
    }
    Some((std::str::from_utf8(&s[..end]).ok()?, &s[end + 1..]))
}

/// A JSON integer (`-?(0|[1-9][0-9]*)`) that fits an `i64`, and what
/// follows it. A fraction or exponent after it is left in the rest, where
/// the caller's next expected text will not match it.
fn integer(s: &[u8]) -> Option<(i64, &[u8])> {
    let bytes = s;
    let negative = bytes.first() == Some(&b'-');
    let digits = &bytes[usize::from(negative)..];
    let count = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    if count == 0 || (count > 1 && digits[0] == b'0') {
        return None;
    }
    let n = if count <= 18 {
        // Under 10^18: no i64 overflow is possible.
        let magnitude = digits[..count]
            .iter()
            .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
        if negative {
            -magnitude
        } else {
            magnitude
        }
    } else {
        // Accumulated negative, so i64::MIN fits; an overflow gives None.
        let mut n: i64 = 0;
        for &d in &digits[..count] {
            n = n.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
        }
        if negative {
            n
        } else {
            n.checked_neg()?
        }
    };
    Some((n, &s[usize::from(negative) + count..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn the_short_path_reads_only_the_signers_spelling() {
        #[rustfmt::skip]
        let cases: &[(&str, bool)] = &[
            (r#"{"sub":"ada","iat":1,"exp":2,"jti":"j"}"#, true),
            (r#"{"sub":"ada","iat":-0,"exp":-5,"jti":"j"}"#, true),
            (r#"{"sub":"é😀","iat":1,"exp":2,"jti":"j"}"#, true),
            (r#"{"sub":"","iat":1,"exp":2,"jti":""}"#, true),
            (r#"{"sub":"a\"b","iat":1,"exp":2,"jti":"j"}"#, false),
            (r#"{"sub":"ada","iat":01,"exp":2,"jti":"j"}"#, false),
            (r#"{"sub":"ada","iat":1.0,"exp":2,"jti":"j"}"#, false),
            (r#"{"sub":"ada","iat":1e3,"exp":2,"jti":"j"}"#, false),
            (r#"{"sub":"ada","iat":99999999999999999999,"exp":2,"jti":"j"}"#, false),
            (r#"{"sub":"ada","iat":9223372036854775807,"exp":-9223372036854775808,"jti":"j"}"#, true),
            (r#"{"sub":"ada","iat":9223372036854775808,"exp":2,"jti":"j"}"#, false),
            (r#"{"sub":"ada","iat":1,"exp":-9223372036854775809,"jti":"j"}"#, false),
            (r#"{"sub":"ada","iat":-,"exp":2,"jti":"j"}"#, false),
            (r#"{"sub":"ada","iat":1,"exp":2,"jti":"j","sub":"x"}"#, false),
            (r#"{"sub":"ada","iat":1,"exp":2,"jti":"j"} "#, false),
            (r#"{"sub":"ada", "iat":1,"exp":2,"jti":"j"}"#, false),
            (r#"{"iat":1,"sub":"ada","exp":2,"jti":"j"}"#, false),
            ("{\"sub\":\"a\tb\",\"iat\":1,\"exp\":2,\"jti\":\"j\"}", false),
        ];
        for (json, short) in cases {
            assert_eq!(canonical(json.as_bytes()).is_some(), *short, "{json}");
            assert_eq!(
                read_claims(json.as_bytes(), NOW),
                read_claims_in_full(json.as_bytes(), NOW),
                "{json}"
            );
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_by_both_paths() {
        for json in [
            &b"{\"sub\":\"a\xff\",\"iat\":1,\"exp\":2,\"jti\":\"j\"}"[..],
            b"{\"sub\":\"a\",\"iat\":1,\"exp\":2,\"jti\":\"\xc3\"}",
            b"{\"sub\":\"a\",\"iat\":1,\"exp\":2,\"jti\":\"j\"}\xff",
        ] {
            assert_eq!(canonical(json), None);
            assert!(read_claims(json, NOW).is_err());
            assert_eq!(read_claims(json, NOW), read_claims_in_full(json, NOW));
        }
    }

    proptest! {
        /// Claims in the signer's layout with any strings and numbers:
        /// whichever path reads them, the answer is the same.
        #[test]
        fn both_paths_agree(
            sub in "[\\x00-\\x7f\u{e9}\u{1f600}\"\\\\]{0,12}",
            jti in "[a-z\"\\\\\\x00-\\x1f]{0,6}",
            iat in "-?[0-9]{1,20}(\\.[0-9])?(e[0-9])?",
            exp in "-?[0-9]{1,20}",
            spaces in any::<bool>(),
        ) {
            let sep = if spaces { ", " } else { "," };
            let json = format!(r#"{{"sub":"{sub}","iat":{iat}{sep}"exp":{exp},"jti":"{jti}"}}"#);
            prop_assert_eq!(
                read_claims(json.as_bytes(), NOW),
                read_claims_in_full(json.as_bytes(), NOW)
            );
        }

        #[test]
        fn both_paths_agree_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            prop_assert_eq!(read_claims(&bytes, NOW), read_claims_in_full(&bytes, NOW));
        }
    }
}
