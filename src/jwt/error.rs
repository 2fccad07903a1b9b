//! Why a token was refused.

use std::fmt;

use crate::crypto::base64::Base64Error;
use crate::json::JsonError;
use crate::limits::MAX_TOKEN_BYTES;

/// One of the three dot-separated parts of a compact JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Header,
    Payload,
    Signature,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        })
    }
}

/// Why [`verify`](super::verify) refused a token.
///
/// Every variant earns the same answer (401 `invalid token`); the variant
/// and its [`Display`](fmt::Display) text are for tests and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// Longer than [`MAX_TOKEN_BYTES`]; nothing of it was decoded.
    TooLong,
    /// Not three non-empty parts separated by two dots.
    Malformed,
    /// A part is not canonical unpadded base64url (padding, whitespace,
    /// another alphabet, unused bits set, a length of 4n + 1).
    Base64 { part: Part, error: Base64Error },
    /// The header or the claims are not one JSON object without repeated
    /// keys (or not UTF-8).
    Json { part: Part, error: JsonError },
    /// The header has no `alg`.
    MissingAlgorithm,
    /// `alg` is not the string `HS256` (`none`, `HS512`, `RS256`, `hs256`).
    UnsupportedAlgorithm,
    /// The header has `crit`: an extension we would have to understand.
    CriticalHeader,
    /// `typ` is there and is not `JWT`.
    UnsupportedType,
    /// The header has no `kid`, or it is not a string.
    MissingKeyId,
    /// No key of the set has this `kid`.
    UnknownKeyId,
    /// The signature is not the HMAC of the first two parts under the key
    /// `kid` names (or is not 32 bytes).
    BadSignature,
    /// A required claim (`sub`, `iat`, `exp`, `jti`) is absent.
    MissingClaim(&'static str),
    /// A claim has the wrong type: a time that is not an integer, a `sub`
    /// or `jti` that is not a string, an empty or oversized one.
    InvalidClaim(&'static str),
    /// An `aud` claim: we name no audience, so RFC 7519 §4.1.3 says refuse.
    UnexpectedAudience,
    /// `exp` plus the leeway has passed.
    Expired,
    /// `iat` is more than [`TOKEN_TTL`](crate::limits::TOKEN_TTL) plus the
    /// leeway ago, whatever `exp` says: no token lives longer than ours,
    /// so the deny list need not remember a revocation longer than that.
    TooOld,
    /// `nbf` is more than the leeway in the future.
    NotYetValid,
    /// `iat` is more than the leeway in the future.
    IssuedInFuture,
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::TooLong => write!(f, "token longer than {MAX_TOKEN_BYTES} bytes"),
            JwtError::Malformed => f.write_str("not three dot-separated parts"),
            JwtError::Base64 { part, error } => write!(f, "{part}: {error}"),
            JwtError::Json { part, error } => write!(f, "{part}: {error}"),
            JwtError::MissingAlgorithm => f.write_str("no alg"),
            JwtError::UnsupportedAlgorithm => f.write_str("alg is not HS256"),
            JwtError::CriticalHeader => f.write_str("crit header not supported"),
            JwtError::UnsupportedType => f.write_str("typ is not JWT"),
            JwtError::MissingKeyId => f.write_str("no kid"),
            JwtError::UnknownKeyId => f.write_str("unknown kid"),
            JwtError::BadSignature => f.write_str("bad signature"),
            JwtError::MissingClaim(name) => write!(f, "no {name} claim"),
            JwtError::InvalidClaim(name) => write!(f, "invalid {name} claim"),
            JwtError::UnexpectedAudience => f.write_str("aud claim not accepted"),
            JwtError::Expired => f.write_str("expired"),
            JwtError::TooOld => f.write_str("issued too long ago (iat)"),
            JwtError::NotYetValid => f.write_str("not yet valid (nbf)"),
            JwtError::IssuedInFuture => f.write_str("issued in the future (iat)"),
        }
    }
}

impl std::error::Error for JwtError {}
