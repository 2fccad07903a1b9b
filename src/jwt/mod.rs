//! JSON Web Tokens, HS256 only: the stateless credential beside the
//! session cookie (RFC 7519 claims in the JWS compact form of RFC 7515).
//!
//! - [`verify`]: a pure function from the token's bytes, the [`KeySet`] and
//!   the current time to the [`Claims`] or a [`JwtError`] that names the
//!   refusal. It refuses every case of `API.md` ("Tokens"): an `alg` other
//!   than `HS256` (`none` included), a missing or unknown `kid`, a `crit`
//!   header, a malformed segment, base64url that is padded, has whitespace
//!   or is not canonical, a repeated JSON key, a token over
//!   [`MAX_TOKEN_BYTES`](crate::limits::MAX_TOKEN_BYTES), a bad signature
//!   (compared in constant time), and the time checks with
//!   [`TOKEN_LEEWAY`]. No token is accepted more than [`TOKEN_TTL`] after
//!   its `iat`, whatever its `exp`, so a revocation need only be remembered
//!   that long.
//! - [`sign`] / [`KeySet::sign`]: the header `{"alg":"HS256","typ":"JWT","kid":K}`
//!   and the claims `sub`, `iat`, `exp`, `jti`, under the first key.
//! - [`parse_key_file`]: the text of `--token-key-file` (`kid:base64url` a
//!   line) into keys, refusing a short key or a bad line by line number.
//! - [`load_keys`]: the one function here that touches the filesystem:
//!   the key file, else `DIR/token.key` (created once), else a random key.
//!
//! The verifier never looks at the server's state: whether the token was
//! revoked, and whether its `sub` still names a user, is the store's
//! question (`app::store::Store::token_status`), asked after this one.
//!
//! Deliberately absent: every other algorithm (RS256, ES256, EdDSA), JWE,
//! keys named by the token itself (`jku`, `jwk`, `x5u`: ignored, never
//! fetched), unencoded payloads (RFC 7797, which needs `crit`), and
//! non-integer times.
//!
//! ```
//! use stateful::jwt::{verify, Claims, KeySet};
//! let keys = KeySet::new(vec![("k1".to_string(), vec![7u8; 32])]).unwrap();
//! let claims = Claims::issue("ada", 1_700_000_000, "0123456789abcdefghijkl");
//! let token = keys.sign(&claims);
//! assert_eq!(verify(token.as_bytes(), &keys, 1_700_000_100), Ok(claims));
//! ```
#![forbid(unsafe_code)]

mod claims;
mod error;
mod keys;
mod load;
mod sign;
mod verify;

pub use error::{JwtError, Part};
pub use keys::{parse_key_file, KeyFileError, KeyLineError, KeySet, KeySetError, TokenKey};
pub use load::{load_keys, KeyLoadError, KeySource, LoadedKeys, DATA_DIR_KEY_FILE};
pub use sign::sign;
pub use verify::{verify, verify_signature};

use crate::limits::{TOKEN_LEEWAY, TOKEN_TTL};

/// What a valid token says, once [`verify`] has checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The username.
    pub sub: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds (ours: `iat` + [`TOKEN_TTL`]).
    pub exp: i64,
    /// The token's own id, the key of the deny list.
    pub jti: String,
}

impl Claims {
    /// The claims of a token issued to `sub` at `now`, expiring
    /// [`TOKEN_TTL`] later, with the random id `jti`.
    ///
    /// ```
    /// let c = stateful::jwt::Claims::issue("ada", 100, "id");
    /// assert_eq!((c.iat, c.exp), (100, 1000));
    /// ```
    pub fn issue(sub: &str, now: i64, jti: &str) -> Claims {
        Claims {
            sub: sub.to_string(),
            iat: now,
            exp: now.saturating_add(TOKEN_TTL.as_secs() as i64),
            jti: jti.to_string(),
        }
    }

    /// The second from which [`verify`] refuses these claims whatever the
    /// deny list says: the earlier of `exp` and `iat` + [`TOKEN_TTL`], plus
    /// the leeway. A revoked `jti` must stay on the deny list until then
    /// (a store keeps an entry while its time is after now).
    ///
    /// ```
    /// let c = stateful::jwt::Claims::issue("ada", 100, "id");
    /// assert_eq!(c.accepted_until(), 100 + 900 + 60);
    /// ```
    pub fn accepted_until(&self) -> i64 {
        accepted_until(self.iat, self.exp)
    }
}

/// [`Claims::accepted_until`] from the two times alone.
pub fn accepted_until(iat: i64, exp: i64) -> i64 {
    exp.min(iat.saturating_add(TOKEN_TTL.as_secs() as i64))
        .saturating_add(TOKEN_LEEWAY.as_secs() as i64)
}

/// The header every token we sign carries, and the one algorithm accepted.
pub const ALGORITHM: &str = "HS256";
