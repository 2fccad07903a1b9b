//! The signer: claims into a compact JWS under one key.

use super::keys::{KeySet, TokenKey};
use super::Claims;
use crate::crypto::base64::encode_url;
use crate::json::ObjectWriter;

/// Signs `claims` under `key`: `base64url(header) . base64url(claims) .
/// base64url(HMAC-SHA256)`, with the header
/// `{"alg":"HS256","typ":"JWT","kid":K}` and the claims in the order
/// `sub`, `iat`, `exp`, `jti`. Refuses nothing.
///
/// ```
/// use stateful::jwt::{sign, Claims, KeySet};
/// let keys = KeySet::new(vec![("k1".into(), vec![0u8; 32])]).unwrap();
/// let token = sign(keys.signing(), &Claims::issue("ada", 0, "j"));
/// let parts: Vec<&str> = token.split('.').collect();
/// assert_eq!(parts[0], "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0");
/// assert_eq!(parts[1], "eyJzdWIiOiJhZGEiLCJpYXQiOjAsImV4cCI6OTAwLCJqdGkiOiJqIn0");
/// assert_eq!(parts[2].len(), 43);
/// ```
pub fn sign(key: &TokenKey, claims: &Claims) -> String {
    let mut payload = ObjectWriter::new();
    payload
        .string("sub", &claims.sub)
        .number("iat", claims.iat)
        .number("exp", claims.exp)
        .string("jti", &claims.jti);
    let mut token = key.header().to_string();
    token.push('.');
    token.push_str(&encode_url(payload.finish().as_bytes()));
    let mac = key.mac(token.as_bytes());
    token.push('.');
    token.push_str(&encode_url(&mac));
    token
}

impl KeySet {
    /// Signs `claims` under the first key of the set.
    pub fn sign(&self, claims: &Claims) -> String {
        sign(self.signing(), claims)
    }
}
