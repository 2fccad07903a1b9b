//! SHA-256 (FIPS 180-4 §6.2): the one-shot [`sha256`], the streaming
//! [`Sha256`] and the portable compression function every backend is
//! checked against.
#![forbid(unsafe_code)]

use super::backend::Backend;

/// Length of a SHA-256 digest in bytes.
pub const DIGEST_LEN: usize = 32;
/// Length of the message block the compression function consumes, in bytes.
pub const BLOCK_LEN: usize = 64;

/// H(0), FIPS 180-4 §5.3.3: the first 32 bits of the fractional parts of the
/// square roots of the first eight primes.
pub(super) const INITIAL_STATE: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// K, FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the
/// cube roots of the first 64 primes, in groups of four (one group per four
/// rounds, the unit the SHA-NI instructions work in).
pub(super) const ROUND_CONSTANTS: [[u32; 4]; 16] = [
    [0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5],
    [0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5],
    [0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3],
    [0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174],
    [0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc],
    [0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da],
    [0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7],
    [0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967],
    [0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13],
    [0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85],
    [0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3],
    [0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070],
    [0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5],
    [0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3],
    [0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208],
    [0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2],
];

/// SHA-256 of `data`, on the fastest backend this CPU offers.
///
/// ```
/// let d = stateful::crypto::sha256(b"abc");
/// assert_eq!(d[..4], [0xba, 0x78, 0x16, 0xbf]);
/// ```
pub fn sha256(data: &[u8]) -> [u8; DIGEST_LEN] {
    let mut hasher = Sha256::new();
    hasher.update(data);
    hasher.finalize()
}

/// A SHA-256 computation fed in pieces: `update` any number of times, then
/// `finalize`.
///
/// Messages of 2^61 bytes or more (beyond FIPS 180-4's 2^64-bit limit) are
/// outside the standard; their length field wraps.
///
/// ```
/// use stateful::crypto::{sha256, Sha256};
/// let mut h = Sha256::new();
/// h.update(b"ab");
/// h.update(b"c");
/// assert_eq!(h.finalize(), sha256(b"abc"));
/// ```
#[derive(Clone, Debug)]
pub struct Sha256 {
    backend: Backend,
    state: [u32; 8],
    buffer: [u8; BLOCK_LEN],
    /// Bytes waiting in `buffer`; always below `BLOCK_LEN` between calls.
    buffered: usize,
    /// Bytes hashed so far, including those folded into a midstate.
    length: u64,
}

impl Default for Sha256 {
    fn default() -> Self {
        Sha256::new()
    }
}

impl Sha256 {
    /// A fresh hash on the fastest backend this CPU offers.
    pub fn new() -> Sha256 {
        Sha256::with_backend(Backend::fastest())
    }

    /// A fresh hash computed on `backend` (tests use it to compare backends).
    pub fn with_backend(backend: Backend) -> Sha256 {
        Sha256::from_midstate(backend, INITIAL_STATE, 0)
    }

    /// Resumes a hash whose first `length` bytes (a multiple of the block
    /// size) are already folded into `state`; HMAC starts from its pads.
    pub(super) fn from_midstate(backend: Backend, state: [u32; 8], length: u64) -> Sha256 {
        Sha256 {
            backend,
            state,
            buffer: [0; BLOCK_LEN],
            buffered: 0,
            length,
        }
    }

    /// Appends `data` to the message.
    pub fn update(&mut self, data: &[u8]) {
        // usize fits in u64 on every target Rust supports.
        self.length = self.length.wrapping_add(data.len() as u64);
        let mut rest = data;
        if self.buffered > 0 {
            let take = rest.len().min(BLOCK_LEN - self.buffered);
            let (head, tail) = rest.split_at(take);
            self.buffer[self.buffered..self.buffered + take].copy_from_slice(head);
            self.buffered += take;
            rest = tail;
            if self.buffered < BLOCK_LEN {
                return;
            }
            self.backend.compress_blocks(&mut self.state, &self.buffer);
            self.buffered = 0;
        }
        let (blocks, tail) = rest.split_at(rest.len() - rest.len() % BLOCK_LEN);
        self.backend.compress_blocks(&mut self.state, blocks);
        self.buffer[..tail.len()].copy_from_slice(tail);
        self.buffered = tail.len();
    }

    /// Pads the message (FIPS 180-4 §5.1.1) and returns the digest.
    pub fn finalize(mut self) -> [u8; DIGEST_LEN] {
        let bit_length = self.length.wrapping_mul(8);
        // 0x80, then zeros up to 56 mod 64, then the 64-bit length.
        let mut padding = [0u8; BLOCK_LEN + 8];
        padding[0] = 0x80;
        let zeros_end = if self.buffered < 56 {
            56 - self.buffered
        } else {
            120 - self.buffered
        };
        padding[zeros_end..zeros_end + 8].copy_from_slice(&bit_length.to_be_bytes());
        let length_before = self.length;
        self.update(&padding[..zeros_end + 8]);
        debug_assert_eq!(self.buffered, 0, "padding ends on a block boundary");
        self.length = length_before;
        state_bytes(&self.state)
    }
}

/// The big-endian bytes of a state: the digest once the message is padded.
pub(super) fn state_bytes(state: &[u32; 8]) -> [u8; DIGEST_LEN] {
    let mut out = [0u8; DIGEST_LEN];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// The eight big-endian words of a digest.
pub(super) fn digest_words(digest: &[u8; DIGEST_LEN]) -> [u32; 8] {
    let mut words = [0u32; 8];
    for (word, chunk) in words.iter_mut().zip(digest.chunks_exact(4)) {
        *word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    words
}

/// Portable compression of whole 64-byte blocks (`blocks.len()` a multiple
/// of 64; a shorter tail is ignored).
pub(super) fn compress_blocks_portable(state: &mut [u32; 8], blocks: &[u8]) {
    for block in blocks.chunks_exact(BLOCK_LEN) {
        let mut words = [0u32; 16];
        for (word, chunk) in words.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        compress_words_portable(state, &words);
    }
}

/// One application of the compression function (FIPS 180-4 §6.2.2) to a
/// block given as its sixteen big-endian words.
pub(super) fn compress_words_portable(state: &mut [u32; 8], block: &[u32; 16]) {
    let mut w = [0u32; 64];
    w[..16].copy_from_slice(block);
    for t in 16..64 {
        let s0 = w[t - 15].rotate_right(7) ^ w[t - 15].rotate_right(18) ^ (w[t - 15] >> 3);
        let s1 = w[t - 2].rotate_right(17) ^ w[t - 2].rotate_right(19) ^ (w[t - 2] >> 10);
        w[t] = s1
            .wrapping_add(w[t - 7])
            .wrapping_add(s0)
            .wrapping_add(w[t - 16]);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for (t, wt) in w.iter().enumerate() {
        let k = ROUND_CONSTANTS[t / 4][t % 4];
        let big_s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(big_s1)
            .wrapping_add(ch)
            .wrapping_add(k)
            .wrapping_add(*wt);
        let big_s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = big_s0.wrapping_add(maj);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = s.wrapping_add(v);
    }
}
