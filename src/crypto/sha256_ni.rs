//! SHA-256 compression on the x86 SHA extensions (SHA-NI), the only module
//! of the crate allowed `unsafe`.
//!
//! Soundness rests on one invariant: a [`ShaNi`] value exists only after
//! run-time detection confirmed the CPU has SHA, SSE2, SSSE3 and SSE4.1, so
//! every method on it may call the `#[target_feature]` functions below. On
//! other architectures `ShaNi` is uninhabited and its methods unreachable.
//!
//! The register layout is the one the instructions define: the eight state
//! words live in two vectors, `abef` (lanes 3..0 = A, B, E, F) and `cdgh`
//! (C, D, G, H); a message vector holds four schedule words W[t..t+4] in lanes
//! 0..3. `sha256rnds2` does two rounds, taking W[t]+K[t] and W[t+1]+K[t+1]
//! from the low two lanes of its third operand.
#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;
use std::sync::OnceLock;

#[cfg(target_arch = "x86_64")]
type Proof = ();
#[cfg(not(target_arch = "x86_64"))]
type Proof = std::convert::Infallible;

/// Proof that this CPU runs the SHA extensions; get one from
/// [`ShaNi::detect`]. It cannot be built any other way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShaNi {
    proof: Proof,
}

impl ShaNi {
    /// `Some` when the CPU has SHA, SSE2, SSSE3 and SSE4.1; detected on the
    /// first call and cached for the life of the process.
    pub fn detect() -> Option<ShaNi> {
        static DETECTED: OnceLock<bool> = OnceLock::new();
        let present = *DETECTED.get_or_init(cpu_has_sha_extensions);
        #[cfg(target_arch = "x86_64")]
        if present {
            return Some(ShaNi { proof: () });
        }
        let _ = present;
        None
    }

    /// Compresses the whole 64-byte blocks of `blocks` into `state`.
    pub(super) fn compress_blocks(self, state: &mut [u32; 8], blocks: &[u8]) {
        #[cfg(target_arch = "x86_64")]
        {
            let () = self.proof;
            // SAFETY: `self` proves the CPU has every feature the function
            // enables (see the module docs).
            unsafe { compress_blocks(state, blocks) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        match self.proof {}
    }

    /// The PBKDF2 loop after U1: `rounds` more HMACs of the 32-byte U, each
    /// two compressions from the precomputed pad states; returns U1 ^ U2 ^ ...
    pub(super) fn pbkdf2_rounds(
        self,
        inner: &[u32; 8],
        outer: &[u32; 8],
        u1: &[u32; 8],
        rounds: u32,
    ) -> [u32; 8] {
        #[cfg(target_arch = "x86_64")]
        {
            let () = self.proof;
            // SAFETY: `self` proves the CPU has every feature the function
            // enables (see the module docs).
            unsafe { pbkdf2_rounds(inner, outer, u1, rounds) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        match self.proof {}
    }
}

#[cfg(target_arch = "x86_64")]
fn cpu_has_sha_extensions() -> bool {
    is_x86_feature_detected!("sha")
        && is_x86_feature_detected!("sse2")
        && is_x86_feature_detected!("ssse3")
        && is_x86_feature_detected!("sse4.1")
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_has_sha_extensions() -> bool {
    false
}

/// Two vector registers from the eight state words A..H.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn load_state(s: &[u32; 8]) -> (__m128i, __m128i) {
    let w = s.map(|x| x as i32);
    (
        _mm_set_epi32(w[0], w[1], w[4], w[5]),
        _mm_set_epi32(w[2], w[3], w[6], w[7]),
    )
}

/// The digest words A..H as two message vectors (A..D, E..H), which is both
/// what the next HMAC compression reads and what PBKDF2 XORs together.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn state_as_message(abef: __m128i, cdgh: __m128i) -> (__m128i, __m128i) {
    // unpackhi gives lanes 3..0 = A B C D; reversing puts A in lane 0.
    let abcd = _mm_shuffle_epi32::<0x1B>(_mm_unpackhi_epi64(cdgh, abef));
    let efgh = _mm_shuffle_epi32::<0x1B>(_mm_unpacklo_epi64(cdgh, abef));
    (abcd, efgh)
}

/// Eight words out of two message-layout vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn message_words(lo: __m128i, hi: __m128i) -> [u32; 8] {
    [
        _mm_extract_epi32::<0>(lo) as u32,
        _mm_extract_epi32::<1>(lo) as u32,
        _mm_extract_epi32::<2>(lo) as u32,
        _mm_extract_epi32::<3>(lo) as u32,
        _mm_extract_epi32::<0>(hi) as u32,
        _mm_extract_epi32::<1>(hi) as u32,
        _mm_extract_epi32::<2>(hi) as u32,
        _mm_extract_epi32::<3>(hi) as u32,
    ]
}

/// The 64 rounds of one compression, without the final feed-forward
/// addition. `m` holds W[0..16] as four message vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn rounds(state: (__m128i, __m128i), m: [__m128i; 4]) -> (__m128i, __m128i) {
    use super::sha256::ROUND_CONSTANTS as K;
    let (mut abef, mut cdgh) = state;
    let [mut m0, mut m1, mut m2, mut m3] = m;
    // Four rounds on W[4g..4g+4] (in `$m`) with K group `$g`.
    macro_rules! four_rounds {
        ($m:expr, $g:expr) => {{
            let k = K[$g];
            let kv = _mm_set_epi32(k[3] as i32, k[2] as i32, k[1] as i32, k[0] as i32);
            let wk = _mm_add_epi32($m, kv);
            let abef_2 = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            let abef_4 = _mm_sha256rnds2_epu32(abef, abef_2, _mm_shuffle_epi32::<0x0E>(wk));
            cdgh = abef_2;
            abef = abef_4;
        }};
    }
    // Replaces W[t-16..t-12] in `$x` with W[t..t+4], given W[t-12..t-8] in
    // `$y`, W[t-8..t-4] in `$z` and W[t-4..t] in `$w` (FIPS 180-4 §6.2.2 step 1).
    macro_rules! schedule {
        ($x:ident, $y:ident, $z:ident, $w:ident) => {
            $x = _mm_sha256msg2_epu32(
                _mm_add_epi32(_mm_sha256msg1_epu32($x, $y), _mm_alignr_epi8::<4>($w, $z)),
                $w,
            );
        };
    }
    four_rounds!(m0, 0);
    four_rounds!(m1, 1);
    four_rounds!(m2, 2);
    four_rounds!(m3, 3);
    for g in [4, 8, 12] {
        schedule!(m0, m1, m2, m3);
        four_rounds!(m0, g);
        schedule!(m1, m2, m3, m0);
        four_rounds!(m1, g + 1);
        schedule!(m2, m3, m0, m1);
        four_rounds!(m2, g + 2);
        schedule!(m3, m0, m1, m2);
        four_rounds!(m3, g + 3);
    }
    (abef, cdgh)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn compress_blocks(state: &mut [u32; 8], blocks: &[u8]) {
    // Byte order within each 32-bit lane reversed: the message is big-endian.
    let swap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    let (mut abef, mut cdgh) = load_state(state);
    for block in blocks.chunks_exact(64) {
        let mut m = [_mm_setzero_si128(); 4];
        for (v, chunk) in m.iter_mut().zip(block.chunks_exact(16)) {
            // SAFETY: `chunk` is 16 readable bytes, exactly what loadu reads,
            // and loadu has no alignment requirement.
            let raw = unsafe { _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>()) };
            *v = _mm_shuffle_epi8(raw, swap);
        }
        let (a, c) = rounds((abef, cdgh), m);
        abef = _mm_add_epi32(abef, a);
        cdgh = _mm_add_epi32(cdgh, c);
    }
    let (lo, hi) = state_as_message(abef, cdgh);
    *state = message_words(lo, hi);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn pbkdf2_rounds(inner: &[u32; 8], outer: &[u32; 8], u1: &[u32; 8], rounds_left: u32) -> [u32; 8] {
    let inner = load_state(inner);
    let outer = load_state(outer);
    // The fixed second half of every HMAC message block here: 32 bytes of
    // U or of the inner digest, then 0x80, zeros and the bit length of
    // 64 + 32 bytes (768).
    let pad_lo = _mm_set_epi32(0, 0, 0, 0x8000_0000_u32 as i32);
    let pad_hi = _mm_set_epi32(768, 0, 0, 0);
    let w = u1.map(|x| x as i32);
    let mut u_lo = _mm_set_epi32(w[3], w[2], w[1], w[0]);
    let mut u_hi = _mm_set_epi32(w[7], w[6], w[5], w[4]);
    let (mut t_lo, mut t_hi) = (u_lo, u_hi);
    for _ in 0..rounds_left {
        let (a, c) = rounds(inner, [u_lo, u_hi, pad_lo, pad_hi]);
        let (d_lo, d_hi) = state_as_message(_mm_add_epi32(a, inner.0), _mm_add_epi32(c, inner.1));
        let (a, c) = rounds(outer, [d_lo, d_hi, pad_lo, pad_hi]);
        (u_lo, u_hi) = state_as_message(_mm_add_epi32(a, outer.0), _mm_add_epi32(c, outer.1));
        t_lo = _mm_xor_si128(t_lo, u_lo);
        t_hi = _mm_xor_si128(t_hi, u_hi);
    }
    message_words(t_lo, t_hi)
}
