//! HMAC-SHA256 (RFC 2104, test vectors in RFC 4231), with the two padded key
//! blocks compressed once so PBKDF2 can reuse them for every iteration.
#![forbid(unsafe_code)]

use super::backend::Backend;
use super::sha256::{Sha256, BLOCK_LEN, DIGEST_LEN, INITIAL_STATE};

/// HMAC-SHA256 of `data` under `key`, on the fastest backend. A key longer
/// than the 64-byte block is hashed first, as RFC 2104 §2 says.
///
/// ```
/// let mac = stateful::crypto::hmac_sha256(b"Jefe", b"what do ya want for nothing?");
/// assert_eq!(mac[..4], [0x5b, 0xdc, 0xc1, 0x46]);
/// ```
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; DIGEST_LEN] {
    hmac_sha256_with(Backend::fastest(), key, data)
}

/// [`hmac_sha256`] on a chosen backend.
///
/// ```
/// use stateful::crypto::{hmac_sha256, hmac_sha256_with, Backend};
/// let mac = hmac_sha256_with(Backend::Portable, b"key", b"data");
/// assert_eq!(mac, hmac_sha256(b"key", b"data"));
/// ```
pub fn hmac_sha256_with(backend: Backend, key: &[u8], data: &[u8]) -> [u8; DIGEST_LEN] {
    let key = HmacKey::new(backend, key);
    let mut inner = key.inner_hasher();
    inner.update(data);
    key.finish(inner.finalize())
}

/// An HMAC-SHA256 key with its two pad blocks compressed once, for a key
/// that signs many short messages (a JSON Web Token key): each MAC then
/// costs only the compressions of the message and of the outer digest.
///
/// `Debug` shows no key material.
///
/// ```
/// use stateful::crypto::{hmac_sha256, HmacSha256Key};
/// let key = HmacSha256Key::new(b"Jefe");
/// let data = b"what do ya want for nothing?";
/// assert_eq!(key.mac(data), hmac_sha256(b"Jefe", data));
/// assert_eq!(format!("{key:?}"), "HmacSha256Key(..)");
/// ```
pub struct HmacSha256Key(HmacKey);

impl HmacSha256Key {
    /// Precomputes `key`'s pad states on the fastest backend.
    pub fn new(key: &[u8]) -> HmacSha256Key {
        HmacSha256Key::with_backend(Backend::fastest(), key)
    }

    /// Precomputes `key`'s pad states on a chosen backend.
    pub fn with_backend(backend: Backend, key: &[u8]) -> HmacSha256Key {
        HmacSha256Key(HmacKey::new(backend, key))
    }

    /// HMAC-SHA256 of `data` under this key.
    pub fn mac(&self, data: &[u8]) -> [u8; DIGEST_LEN] {
        let mut inner = self.0.inner_hasher();
        inner.update(data);
        self.0.finish(inner.finalize())
    }
}

impl HmacSha256Key {
    /// This key with the first block of its messages folded in as well, for
    /// messages that all begin with the same 64 bytes (a token key's header
    /// and the start of its claims): each MAC then costs one compression
    /// less.
    ///
    /// ```
    /// use stateful::crypto::{hmac_sha256, HmacSha256Key};
    /// let key = HmacSha256Key::new(b"key");
    /// let message = [b'a'; 100];
    /// let prefixed = key.with_first_block(message[..64].try_into().unwrap());
    /// assert_eq!(prefixed.mac(&message), Some(hmac_sha256(b"key", &message)));
    /// assert_eq!(prefixed.mac(b"another start"), None);
    /// ```
    pub fn with_first_block(&self, block: &[u8; BLOCK_LEN]) -> HmacSha256Prefixed {
        let mut inner = self.0.inner;
        self.0.backend.compress_blocks(&mut inner, block);
        HmacSha256Prefixed {
            backend: self.0.backend,
            inner,
            outer: self.0.outer,
            block: *block,
        }
    }
}

/// An HMAC-SHA256 key with the pad block and a fixed first message block
/// already compressed (see [`HmacSha256Key::with_first_block`]).
///
/// `Debug` shows no key material.
pub struct HmacSha256Prefixed {
    backend: Backend,
    inner: [u32; 8],
    outer: [u32; 8],
    block: [u8; BLOCK_LEN],
}

impl HmacSha256Prefixed {
    /// HMAC-SHA256 of `data` under the key, if `data` begins with the block
    /// (compared as plain bytes: it is no secret); `None` otherwise.
    pub fn mac(&self, data: &[u8]) -> Option<[u8; DIGEST_LEN]> {
        let rest = data.strip_prefix(&self.block[..])?;
        let mut inner = Sha256::from_midstate(self.backend, self.inner, 2 * BLOCK_LEN as u64);
        inner.update(rest);
        let mut outer = Sha256::from_midstate(self.backend, self.outer, BLOCK_LEN as u64);
        outer.update(&inner.finalize());
        Some(outer.finalize())
    }
}

impl std::fmt::Debug for HmacSha256Prefixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSha256Prefixed(..)")
    }
}

impl std::fmt::Debug for HmacSha256Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSha256Key(..)")
    }
}

/// A key's inner and outer states: SHA-256 midstates after the blocks
/// `K ^ ipad` and `K ^ opad`.
pub(super) struct HmacKey {
    pub(super) backend: Backend,
    pub(super) inner: [u32; 8],
    pub(super) outer: [u32; 8],
}

impl HmacKey {
    pub(super) fn new(backend: Backend, key: &[u8]) -> HmacKey {
        let mut block = [0u8; BLOCK_LEN];
        if key.len() > BLOCK_LEN {
            let mut h = Sha256::with_backend(backend);
            h.update(key);
            block[..DIGEST_LEN].copy_from_slice(&h.finalize());
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let mut inner = INITIAL_STATE;
        backend.compress_blocks(&mut inner, &block.map(|b| b ^ 0x36));
        let mut outer = INITIAL_STATE;
        backend.compress_blocks(&mut outer, &block.map(|b| b ^ 0x5c));
        HmacKey {
            backend,
            inner,
            outer,
        }
    }

    /// A hash resuming after the inner pad block: feed it the message.
    pub(super) fn inner_hasher(&self) -> Sha256 {
        Sha256::from_midstate(self.backend, self.inner, BLOCK_LEN as u64)
    }

    /// The MAC from the inner digest: SHA-256(K ^ opad || inner).
    pub(super) fn finish(&self, inner_digest: [u8; DIGEST_LEN]) -> [u8; DIGEST_LEN] {
        let mut outer = Sha256::from_midstate(self.backend, self.outer, BLOCK_LEN as u64);
        outer.update(&inner_digest);
        outer.finalize()
    }
}
