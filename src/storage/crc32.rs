//! CRC-32 (IEEE 802.3, the one of zlib, PNG and Ethernet), table-driven.
//!
//! Parameters: reflected polynomial `0xEDB8_8320`, initial value and final
//! XOR `0xFFFF_FFFF`. The standard check value, the CRC of the nine ASCII
//! bytes `123456789`, is `0xCBF4_3926`. It detects every burst error of up
//! to 32 bits, which is what a torn or damaged journal record looks like; it
//! is not a cryptographic checksum and refuses nothing.
//!
//! ```
//! use stateful::storage::crc32::{crc32, Crc32};
//! assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
//! assert_eq!(Crc32::new().update(b"1234").update(b"56789").finish(), 0xCBF4_3926);
//! ```

/// The IEEE polynomial, bit-reversed (x^32 is implicit, x^0 is bit 31).
const POLYNOMIAL_REFLECTED: u32 = 0xEDB8_8320;

/// `TABLE[b]` is the CRC register after shifting the byte `b` through an
/// all-zero register: one lookup replaces eight shift-and-XOR steps.
const TABLE: [u32; 256] = build_table();

const fn build_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = byte as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLYNOMIAL_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[byte] = crc;
        byte += 1;
    }
    table
}

/// The CRC-32 of `bytes` in one call; never fails.
///
/// ```
/// use stateful::storage::crc32::crc32;
/// assert_eq!(crc32(b""), 0);
/// assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
/// ```
pub fn crc32(bytes: &[u8]) -> u32 {
    Crc32::new().update(bytes).finish()
}

/// A running CRC-32 over bytes fed in pieces; the result equals [`crc32`] of
/// the concatenation. Never fails.
///
/// ```
/// use stateful::storage::crc32::{crc32, Crc32};
/// let piecewise = Crc32::new().update(b"hello, ").update(b"world").finish();
/// assert_eq!(piecewise, crc32(b"hello, world"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Crc32 {
    /// The register, not yet inverted by the final XOR.
    register: u32,
}

impl Crc32 {
    /// A CRC of no bytes yet.
    ///
    /// ```
    /// use stateful::storage::crc32::Crc32;
    /// assert_eq!(Crc32::new().finish(), 0);
    /// ```
    pub const fn new() -> Crc32 {
        Crc32 {
            register: 0xFFFF_FFFF,
        }
    }

    /// Feeds `bytes` and returns the updated CRC.
    ///
    /// ```
    /// use stateful::storage::crc32::Crc32;
    /// assert_eq!(Crc32::new().update(b"a").finish(), 0xE8B7_BE43);
    /// ```
    pub fn update(mut self, bytes: &[u8]) -> Crc32 {
        for &byte in bytes {
            let index = (self.register ^ u32::from(byte)) & 0xFF;
            self.register = (self.register >> 8) ^ TABLE[index as usize];
        }
        self
    }

    /// The CRC of everything fed so far.
    ///
    /// ```
    /// use stateful::storage::crc32::Crc32;
    /// assert_eq!(Crc32::new().update(b"123456789").finish(), 0xCBF4_3926);
    /// ```
    pub const fn finish(self) -> u32 {
        self.register ^ 0xFFFF_FFFF
    }
}

impl Default for Crc32 {
    fn default() -> Crc32 {
        Crc32::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published CRC-32/ISO-HDLC values (the check value is from the
    /// catalogue of parametrised CRC algorithms).
    #[test]
    fn known_values() {
        let cases: &[(&[u8], u32)] = &[
            (b"", 0x0000_0000),
            (b"a", 0xE8B7_BE43),
            (b"abc", 0x3524_41C2),
            (b"123456789", 0xCBF4_3926),
            (b"The quick brown fox jumps over the lazy dog", 0x414F_A339),
            (&[0u8; 32], 0x190A_55AD),
            (&[0xFFu8; 32], 0xFF6C_AB0B),
        ];
        for &(input, expected) in cases {
            assert_eq!(crc32(input), expected, "input {input:?}");
        }
    }

    /// The table's first entries are the textbook ones.
    #[test]
    fn table_entries() {
        assert_eq!(TABLE[0], 0);
        assert_eq!(TABLE[1], 0x7707_3096);
        assert_eq!(TABLE[128], 0xEDB8_8320);
        assert_eq!(TABLE[255], 0x2D02_EF8D);
    }

    #[test]
    fn every_split_matches_one_shot() {
        let data = b"123456789 and some more bytes";
        for split in 0..=data.len() {
            let (a, b) = data.split_at(split);
            assert_eq!(Crc32::new().update(a).update(b).finish(), crc32(data));
        }
    }

    /// Every single-bit flip changes the CRC (it detects all 1-bit errors).
    #[test]
    fn single_bit_flips_are_detected() {
        let data = *b"123456789";
        for byte in 0..data.len() {
            for bit in 0..8 {
                let mut flipped = data;
                flipped[byte] ^= 1 << bit;
                assert_ne!(crc32(&flipped), 0xCBF4_3926, "byte {byte} bit {bit}");
            }
        }
    }
}
