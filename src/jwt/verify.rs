//! The verifier: a pure function from a token's bytes, the keys and the
//! time to its claims or the reason it is refused.

use super::claims::read_claims;
use super::error::{JwtError, Part};
use super::keys::{KeySet, TokenKey};
use super::{Claims, ALGORITHM};
use crate::crypto::base64::{decode_url, decode_url_into, decoded_len};
use crate::crypto::constant_time_eq;
use crate::json::{parse_object, Member, Value};
use crate::limits::MAX_TOKEN_BYTES;

/// Checks a compact JWS token at `now` (Unix seconds) against `keys` and
/// returns its claims.
///
/// In order, it refuses ([`JwtError`] names each): more than
/// [`MAX_TOKEN_BYTES`]; anything but three non-empty dot-separated parts; a
/// header that is not canonical unpadded base64url of one JSON object
/// without repeated keys; `alg` missing or other than `HS256`; a `crit`
/// member; a `typ` other than `JWT`; `kid` missing or naming no key; a
/// signature that is not canonical base64url of the HMAC-SHA256 of the
/// first two parts under that key (compared in constant time); then claims
/// that are not base64url of one JSON object without repeated keys; `sub`
/// or `jti` missing, not a string or empty (`jti` at most
/// [`TOKEN_JTI_MAX`](crate::limits::TOKEN_JTI_MAX) bytes); `iat` or `exp` missing, or any of `iat`,
/// `exp`, `nbf` not an integer; an `aud` claim; `exp` plus
/// [`TOKEN_LEEWAY`](crate::limits::TOKEN_LEEWAY) at or before `now`; `iat` plus
/// [`TOKEN_TTL`](crate::limits::TOKEN_TTL) plus the
/// leeway at or before `now` (no token outlives ours, whatever its `exp`);
/// `nbf` or `iat` more than the leeway after `now`.
///
/// The payload is decoded only once the signature holds, so nothing
/// unauthenticated but the header is ever parsed.
///
/// ```
/// use stateful::jwt::{verify, Claims, JwtError, KeySet};
/// let keys = KeySet::new(vec![("k1".into(), vec![9u8; 32])]).unwrap();
/// let token = keys.sign(&Claims::issue("ada", 1000, "j1"));
/// assert!(verify(token.as_bytes(), &keys, 1000).is_ok());
/// assert_eq!(verify(token.as_bytes(), &keys, 1000 + 900 + 60), Err(JwtError::Expired));
/// let none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGEifQ.";
/// assert_eq!(verify(none.as_bytes(), &keys, 1000), Err(JwtError::Malformed));
/// ```
pub fn verify(token: &[u8], keys: &KeySet, now: i64) -> Result<Claims, JwtError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JwtError::TooLong);
    }
    let (header, payload, signature_text) = split(token)?;
    // The header our signer writes for a key is known in advance; any
    // other spelling is decoded and checked in full.
    let key = match keys.by_header(header) {
        Some(key) => key,
        None => check_header(
            &read_object(Part::Header, &decode(Part::Header, header)?)?,
            keys,
        )?,
    };
    // Parts decode into stack buffers when they fit (a signature is 32
    // bytes; the claims of our tokens about 110), else on the heap.
    let (mut signature, mut spill) = ([0u8; 33], Vec::new());
    let signature = decode_part(Part::Signature, signature_text, &mut signature, &mut spill)?;
    let signing_input = &token[..header.len() + 1 + payload.len()];
    if !verify_signature(key, signing_input, signature) {
        return Err(JwtError::BadSignature);
    }
    let (mut claims, mut spill) = ([0u8; 512], Vec::new());
    read_claims(
        decode_part(Part::Payload, payload, &mut claims, &mut spill)?,
        now,
    )
}

/// `text` decoded into `stack` if it fits, else into `heap`.
fn decode_part<'b>(
    part: Part,
    text: &[u8],
    stack: &'b mut [u8],
    heap: &'b mut Vec<u8>,
) -> Result<&'b [u8], JwtError> {
    let len = decoded_len(text.len());
    let out: &mut [u8] = if len <= stack.len() {
        &mut stack[..len]
    } else {
        heap.resize(len, 0);
        heap
    };
    decode_url_into(text, out).map_err(|error| JwtError::Base64 { part, error })?;
    Ok(out)
}

/// Whether `signature` is the HMAC-SHA256 of `signing_input` under `key`,
/// compared in constant time (a signature of another length is simply
/// wrong: lengths are public).
///
/// ```
/// use stateful::jwt::{verify_signature, KeySet};
/// let keys = KeySet::new(vec![("k".into(), vec![1u8; 32])]).unwrap();
/// let mac = keys.signing().mac(b"a.b");
/// assert!(verify_signature(keys.signing(), b"a.b", &mac));
/// assert!(!verify_signature(keys.signing(), b"a.c", &mac));
/// assert!(!verify_signature(keys.signing(), b"a.b", &mac[..31]));
/// ```
pub fn verify_signature(key: &TokenKey, signing_input: &[u8], signature: &[u8]) -> bool {
    constant_time_eq(&key.mac(signing_input), signature)
}

/// The three parts of a compact JWS, as they stand in the token.
type Parts<'a> = (&'a [u8], &'a [u8], &'a [u8]);

/// The three parts of `header.payload.signature`, each non-empty.
fn split(token: &[u8]) -> Result<Parts<'_>, JwtError> {
    let mut parts = token.split(|&b| b == b'.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s), None) if !h.is_empty() && !p.is_empty() && !s.is_empty() => {
            Ok((h, p, s))
        }
        _ => Err(JwtError::Malformed),
    }
}

/// A part's base64url decoded.
fn decode(part: Part, text: &[u8]) -> Result<Vec<u8>, JwtError> {
    decode_url(text).map_err(|error| JwtError::Base64 { part, error })
}

/// A decoded part read as one JSON object.
pub(super) fn read_object(part: Part, json: &[u8]) -> Result<Vec<Member<'_>>, JwtError> {
    parse_object(json).map_err(|error| JwtError::Json { part, error })
}

pub(super) fn member<'m, 'a>(members: &'m [Member<'a>], name: &str) -> Option<&'m Value<'a>> {
    members.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The key the header names, if the header is one we accept.
fn check_header<'k>(header: &[Member<'_>], keys: &'k KeySet) -> Result<&'k TokenKey, JwtError> {
    match member(header, "alg") {
        None => return Err(JwtError::MissingAlgorithm),
        Some(Value::String(alg)) if alg == ALGORITHM => {}
        Some(_) => return Err(JwtError::UnsupportedAlgorithm),
    }
    if member(header, "crit").is_some() {
        return Err(JwtError::CriticalHeader);
    }
    match member(header, "typ") {
        None => {}
        // Media type names are case-insensitive (RFC 7515 §4.1.9).
        Some(Value::String(typ)) if typ.eq_ignore_ascii_case("JWT") => {}
        Some(_) => return Err(JwtError::UnsupportedType),
    }
    let Some(Value::String(kid)) = member(header, "kid") else {
        return Err(JwtError::MissingKeyId);
    };
    keys.find(kid).ok_or(JwtError::UnknownKeyId)
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
