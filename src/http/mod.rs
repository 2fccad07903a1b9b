//! Pure, I/O-free HTTP/1.1 (RFC 9110, RFC 9112): nothing in here sees a
//! socket, so every function can be tested and fuzzed on byte slices.

pub mod cookie;
pub mod date;
