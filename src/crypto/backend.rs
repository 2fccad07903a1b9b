//! Which SHA-256 compression function runs: SHA-NI when the CPU has it,
//! the portable one otherwise (or when a test asks for it).
#![forbid(unsafe_code)]

use super::sha256::compress_blocks_portable;
use super::sha256_ni::ShaNi;

/// An implementation of the SHA-256 compression function.
///
/// `ShaNi` carries a [`ShaNi`] proof, so it can only be built on a CPU that
/// runs the instructions: ask [`Backend::fastest`] or [`Backend::sha_ni`].
///
/// ```
/// use stateful::crypto::{sha256, Backend, Sha256};
/// for backend in Backend::all() {
///     let mut h = Sha256::with_backend(backend);
///     h.update(b"abc");
///     assert_eq!(h.finalize(), sha256(b"abc"), "{}", backend.name());
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Plain Rust, any CPU.
    Portable,
    /// The x86 SHA extensions (`sha256rnds2`, `sha256msg1`, `sha256msg2`).
    ShaNi(ShaNi),
}

impl Backend {
    /// SHA-NI when the CPU has it, else portable; detection runs once per
    /// process.
    pub fn fastest() -> Backend {
        Backend::sha_ni().unwrap_or(Backend::Portable)
    }

    /// The SHA-NI backend, or `None` on a CPU without the extensions.
    pub fn sha_ni() -> Option<Backend> {
        ShaNi::detect().map(Backend::ShaNi)
    }

    /// Every backend this CPU can run, portable first.
    pub fn all() -> impl Iterator<Item = Backend> {
        std::iter::once(Backend::Portable).chain(Backend::sha_ni())
    }

    /// A short name for reports and test messages.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Portable => "portable",
            Backend::ShaNi(_) => "sha-ni",
        }
    }

    /// Compresses each whole 64-byte block of `blocks` into `state`.
    pub(super) fn compress_blocks(self, state: &mut [u32; 8], blocks: &[u8]) {
        match self {
            Backend::Portable => compress_blocks_portable(state, blocks),
            Backend::ShaNi(ni) => ni.compress_blocks(state, blocks),
        }
    }
}

/// Whether this CPU runs the SHA extensions (and so [`Backend::fastest`] is
/// SHA-NI).
///
/// ```
/// let _ = stateful::crypto::sha_ni_available();
/// ```
pub fn sha_ni_available() -> bool {
    ShaNi::detect().is_some()
}
