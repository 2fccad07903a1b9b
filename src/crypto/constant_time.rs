//! Comparison whose running time does not depend on where inputs differ.
#![forbid(unsafe_code)]

/// Whether `a == b`, looking at every byte whatever the first difference.
///
/// Only the contents are protected: inputs of different lengths return
/// `false` at once (lengths here are public, e.g. always 32).
///
/// ```
/// use stateful::crypto::constant_time_eq;
/// assert!(constant_time_eq(b"secret", b"secret"));
/// assert!(!constant_time_eq(b"secret", b"secreT"));
/// assert!(!constant_time_eq(b"secret", b"secrets"));
/// ```
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold into an early exit.
    std::hint::black_box(difference) == 0
}
