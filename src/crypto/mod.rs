//! Cryptography (filled in by the crypto work).
