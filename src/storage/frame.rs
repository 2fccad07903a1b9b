//! Format 2 framing: how every record of a data directory is cut into
//! checksummed frames, and the rule that tells a torn tail from damage
//! (pure, no I/O).
//!
//! A frame is a 16-byte header followed by the payload:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | [`MAGIC`] `0xFE` (never in UTF-8, never zero) |
//! | 1 | [`VERSION`] `0x02` |
//! | 1 | kind (what the payload is; see [`super::entry`]), never zero |
//! | 1 | reserved, zero |
//! | 4 | payload length, u32 little-endian, at most [`MAX_PAYLOAD_BYTES`] |
//! | 4 | CRC-32 of the payload, u32 little-endian |
//! | 4 | CRC-32 of the 12 bytes above, u32 little-endian |
//!
//! The header's own checksum is what lets [`decode_frame`] tell "a true
//! prefix of a frame" ([`Decoded::Partial`], what an interrupted append
//! leaves) from damage: a damaged length field no longer matches the header
//! checksum, so it cannot make a frame seem to reach past the end of the
//! file and pass for a torn write. (Format 1 got the same from string
//! lengths repeated in the payload; see [`super::record`].)
//!
//! # The torn/corrupt rule
//!
//! [`scan_frames`] decodes frames from offset 0 until the first offset `p`
//! where the bytes are not a complete, valid frame. Then, as in format 1
//! ([`super::replay`]): zeros only (or nothing) after `p` is preallocated
//! space ([`Tail::Clean`]); a [`Decoded::Partial`] frame, or bytes that no
//! valid frame follows, are a torn append ([`Tail::Torn`], safe to cut);
//! a valid frame somewhere after bad bytes is damage in the middle
//! ([`Tail::Corrupt`]: refuse to start rather than drop acknowledged
//! records).

use super::crc32::Crc32;

/// First byte of every frame.
pub const MAGIC: u8 = 0xFE;
/// The framing described in this module (format 1 frames carry 1).
pub const VERSION: u8 = 2;
/// Magic, version, kind, reserved, length, payload and header checksums.
pub const HEADER_BYTES: usize = 16;
/// Largest payload. Our largest record is a comment of
/// [`crate::limits::COMMENT_MAX`] bytes by an author of
/// [`crate::limits::USERNAME_MAX`], about 4.3 KiB; batches of
/// `last_seen_at` updates are cut to fit.
pub const MAX_PAYLOAD_BYTES: usize = 128 * 1024;

/// Why bytes are not (the start of) a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    BadMagic(u8),
    UnsupportedVersion(u8),
    /// Kind zero, which no frame has.
    ZeroKind,
    Reserved(u8),
    HeaderChecksum {
        stored: u32,
        computed: u32,
    },
    LengthOutOfRange(u32),
    PayloadChecksum {
        stored: u32,
        computed: u32,
    },
}

/// What the bytes at the start of a buffer hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A whole frame with valid checksums, `len` bytes long in all.
    Complete {
        kind: u8,
        payload: &'a [u8],
        len: usize,
    },
    /// The buffer ends inside a frame and every byte present agrees with
    /// some valid frame.
    Partial,
}

/// Why a frame cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge {
    pub payload_bytes: usize,
}

/// The frame of `kind` (not zero) around `payload`.
///
/// Refuses a payload larger than [`MAX_PAYLOAD_BYTES`].
///
/// ```
/// use stateful::storage::frame::{decode_frame, encode_frame, Decoded};
/// let frame = encode_frame(3, b"hi").unwrap();
/// assert_eq!(frame[..8], [0xFE, 0x02, 3, 0, 2, 0, 0, 0]);
/// assert_eq!(
///     decode_frame(&frame),
///     Ok(Decoded::Complete { kind: 3, payload: b"hi", len: 18 })
/// );
/// assert_eq!(decode_frame(&frame[..17]), Ok(Decoded::Partial));
/// ```
pub fn encode_frame(kind: u8, payload: &[u8]) -> Result<Vec<u8>, TooLarge> {
    let mut frame = Vec::with_capacity(HEADER_BYTES + payload.len());
    append_frame(&mut frame, kind, payload)?;
    Ok(frame)
}

/// Appends the frame of `kind` around `payload` to `out`.
pub fn append_frame(out: &mut Vec<u8>, kind: u8, payload: &[u8]) -> Result<(), TooLarge> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(TooLarge {
            payload_bytes: payload.len(),
        });
    }
    debug_assert!(kind != 0, "kind zero is never written");
    let len = u32::try_from(payload.len()).expect("bounded by MAX_PAYLOAD_BYTES");
    let mut header = [0u8; HEADER_BYTES];
    header[0] = MAGIC;
    header[1] = VERSION;
    header[2] = kind;
    header[4..8].copy_from_slice(&len.to_le_bytes());
    header[8..12].copy_from_slice(&Crc32::new().update(payload).finish().to_le_bytes());
    let header_crc = Crc32::new().update(&header[..12]).finish();
    header[12..16].copy_from_slice(&header_crc.to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(payload);
    Ok(())
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut four = [0u8; 4];
    four.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(four)
}

/// Checks one byte of a header.
type ByteCheck = fn(u8) -> Result<(), FrameError>;

/// The first four header bytes and what each must be.
const HEADER_BYTE_CHECKS: [(usize, ByteCheck); 4] = [
    (0, |b| {
        if b == MAGIC {
            Ok(())
        } else {
            Err(FrameError::BadMagic(b))
        }
    }),
    (1, |b| {
        if b == VERSION {
            Ok(())
        } else {
            Err(FrameError::UnsupportedVersion(b))
        }
    }),
    (2, |b| {
        if b != 0 {
            Ok(())
        } else {
            Err(FrameError::ZeroKind)
        }
    }),
    (3, |b| {
        if b == 0 {
            Ok(())
        } else {
            Err(FrameError::Reserved(b))
        }
    }),
];

/// Decodes the frame at the start of `bytes` (which may hold more after
/// it), checking both checksums.
///
/// Returns [`Decoded::Partial`] when `bytes` ends inside a frame and all
/// bytes present are consistent with a valid frame, so every proper prefix
/// of a valid frame is `Partial`. Refuses a bad magic, version, kind or
/// reserved byte (also in a partial header), a header checksum mismatch, a
/// length out of range and a payload checksum mismatch. The payload itself
/// is not interpreted.
pub fn decode_frame(bytes: &[u8]) -> Result<Decoded<'_>, FrameError> {
    for (at, check) in HEADER_BYTE_CHECKS {
        match bytes.get(at) {
            None => return Ok(Decoded::Partial),
            Some(&b) => check(b)?,
        }
    }
    if bytes.len() >= 8 {
        let declared = read_u32(bytes, 4);
        if declared as usize > MAX_PAYLOAD_BYTES {
            return Err(FrameError::LengthOutOfRange(declared));
        }
    }
    if bytes.len() < HEADER_BYTES {
        return Ok(Decoded::Partial);
    }
    let stored = read_u32(bytes, 12);
    let computed = Crc32::new().update(&bytes[..12]).finish();
    if stored != computed {
        return Err(FrameError::HeaderChecksum { stored, computed });
    }
    let payload_len = read_u32(bytes, 4) as usize; // checked above
    let len = HEADER_BYTES + payload_len;
    let Some(payload) = bytes.get(HEADER_BYTES..len) else {
        return Ok(Decoded::Partial);
    };
    let stored = read_u32(bytes, 8);
    let computed = Crc32::new().update(payload).finish();
    if stored != computed {
        return Err(FrameError::PayloadChecksum { stored, computed });
    }
    Ok(Decoded::Complete {
        kind: bytes[2],
        payload,
        len,
    })
}

/// Decodes the header of the frame at the start of `bytes` without the
/// payload checksum: its kind and the payload's range. For reading a
/// record again whose checksum was verified when it was first scanned.
pub fn frame_payload(bytes: &[u8]) -> Result<(u8, &[u8]), FrameError> {
    if bytes.len() < HEADER_BYTES {
        return Err(FrameError::LengthOutOfRange(bytes.len() as u32));
    }
    if bytes[0] != MAGIC {
        return Err(FrameError::BadMagic(bytes[0]));
    }
    if bytes[1] != VERSION {
        return Err(FrameError::UnsupportedVersion(bytes[1]));
    }
    let len = read_u32(bytes, 4);
    let payload = bytes
        .get(HEADER_BYTES..HEADER_BYTES + len as usize)
        .ok_or(FrameError::LengthOutOfRange(len))?;
    Ok((bytes[2], payload))
}

/// What follows the good frames of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    /// Nothing, or zero bytes only (space preallocated, not yet written).
    Clean,
    /// `dropped` bytes that no valid frame follows: an interrupted append.
    Torn { dropped: usize },
    /// The bytes at `offset` are not a frame but a valid one starts at
    /// `next_frame`: damage in the middle, not safe to cut.
    Corrupt {
        offset: usize,
        error: FrameError,
        next_frame: usize,
    },
}

/// Where the good frames of a file end and what follows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    pub valid_len: usize,
    pub tail: Tail,
}

/// Calls `each(offset, kind, payload)` for every good frame of `bytes` in
/// order, then judges the rest by the rule in the [module docs](self).
/// Stops at the first error `each` returns.
///
/// ```
/// use stateful::storage::frame::{encode_frame, scan_frames, Tail};
/// let mut file = encode_frame(1, b"a").unwrap();
/// file.extend(encode_frame(1, b"bc").unwrap());
/// file.truncate(file.len() - 1); // an append cut short
/// let mut seen = Vec::new();
/// let scan = scan_frames(&file, |at, _, p| Ok::<_, ()>(seen.push((at, p.to_vec())))).unwrap();
/// assert_eq!(seen, [(0, b"a".to_vec())]);
/// assert_eq!((scan.valid_len, scan.tail), (17, Tail::Torn { dropped: 17 }));
/// ```
pub fn scan_frames<'a, E>(
    bytes: &'a [u8],
    mut each: impl FnMut(usize, u8, &'a [u8]) -> Result<(), E>,
) -> Result<Scan, E> {
    let mut offset = 0;
    let tail = loop {
        let rest = &bytes[offset..];
        match decode_frame(rest) {
            Ok(Decoded::Complete { kind, payload, len }) => {
                each(offset, kind, payload)?;
                offset += len; // len <= rest.len()
            }
            _ if rest.iter().all(|&b| b == 0) => break Tail::Clean,
            Ok(Decoded::Partial) => {
                break Tail::Torn {
                    dropped: rest.len(),
                }
            }
            Err(error) => match find_frame(bytes, offset + 1) {
                Some(next_frame) => {
                    break Tail::Corrupt {
                        offset,
                        error,
                        next_frame,
                    }
                }
                None => {
                    break Tail::Torn {
                        dropped: rest.len(),
                    }
                }
            },
        }
    };
    Ok(Scan {
        valid_len: offset,
        tail,
    })
}

/// The first offset at or after `from` where a complete, valid frame starts.
fn find_frame(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let rest = bytes.get(at..)?;
        at += rest.iter().position(|&b| b == MAGIC)?;
        if let Ok(Decoded::Complete { .. }) = decode_frame(&bytes[at..]) {
            return Some(at);
        }
        at += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(payloads: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in payloads {
            append_frame(&mut out, 7, p).expect("small");
        }
        out
    }

    #[test]
    fn every_prefix_is_partial() {
        for payload in [&b""[..], b"x", &[0u8; 300], &[0xFE; 40]] {
            let frame = encode_frame(9, payload).expect("small");
            for cut in 0..frame.len() {
                assert_eq!(
                    decode_frame(&frame[..cut]),
                    Ok(Decoded::Partial),
                    "cut {cut}"
                );
            }
            assert!(matches!(
                decode_frame(&frame),
                Ok(Decoded::Complete { kind: 9, .. })
            ));
        }
    }

    #[test]
    fn refusals() {
        let good = encode_frame(1, b"hello").expect("small");
        let with = |at: usize, b: u8| {
            let mut f = good.clone();
            f[at] = b;
            f
        };
        assert_eq!(decode_frame(&with(0, 0)), Err(FrameError::BadMagic(0)));
        assert_eq!(
            decode_frame(&with(1, 1)),
            Err(FrameError::UnsupportedVersion(1))
        );
        assert_eq!(decode_frame(&with(2, 0)), Err(FrameError::ZeroKind));
        assert_eq!(decode_frame(&with(3, 1)), Err(FrameError::Reserved(1)));
        assert_eq!(
            decode_frame(&with(7, 1)),
            Err(FrameError::LengthOutOfRange(0x0100_0005))
        );
        assert!(matches!(
            decode_frame(&with(4, 6)),
            Err(FrameError::HeaderChecksum { .. })
        ));
        assert!(matches!(
            decode_frame(&with(16, b'j')),
            Err(FrameError::PayloadChecksum { .. })
        ));
        // A partial header is checked as far as it goes.
        assert_eq!(decode_frame(&with(2, 0)[..3]), Err(FrameError::ZeroKind));
        assert_eq!(decode_frame(&[MAGIC]), Ok(Decoded::Partial));
        assert_eq!(decode_frame(&[]), Ok(Decoded::Partial));
    }

    #[test]
    fn too_large() {
        let big = vec![0u8; MAX_PAYLOAD_BYTES + 1];
        assert_eq!(
            encode_frame(1, &big),
            Err(TooLarge {
                payload_bytes: MAX_PAYLOAD_BYTES + 1
            })
        );
        assert!(encode_frame(1, &big[1..]).is_ok());
    }

    fn verdict(bytes: &[u8]) -> (usize, Scan) {
        let mut n = 0;
        let scan = scan_frames(bytes, |_, _, _| {
            n += 1;
            Ok::<_, ()>(())
        })
        .expect("never fails");
        (n, scan)
    }

    #[test]
    fn torn_and_corrupt() {
        let ab = frames(&[b"first", b"second"]);
        let a_len = HEADER_BYTES + 5;
        let n = ab.len();
        assert_eq!(verdict(&ab).1.tail, Tail::Clean);
        assert_eq!(verdict(&[&ab[..], &[0; 50]].concat()).1.tail, Tail::Clean);
        // Every cut: whole frames, then Torn (or Clean at a boundary).
        for cut in 0..=n {
            let (count, scan) = verdict(&ab[..cut]);
            let expected = match cut {
                0 => (0, Tail::Clean),
                c if c < a_len => (0, Tail::Torn { dropped: c }),
                c if c == a_len => (1, Tail::Clean),
                c if c < n => (1, Tail::Torn { dropped: c - a_len }),
                _ => (2, Tail::Clean),
            };
            assert_eq!((count, scan.tail), expected, "cut {cut}");
        }
        // Any one byte changed in the first frame: Corrupt, the second found.
        for at in 0..a_len {
            let mut bad = ab.clone();
            bad[at] ^= 0x40;
            let (count, scan) = verdict(&bad);
            assert_eq!(count, 0, "byte {at}");
            assert!(
                matches!(scan.tail, Tail::Corrupt { offset: 0, next_frame, .. } if next_frame == a_len),
                "byte {at}: {:?}",
                scan.tail
            );
        }
        // The last frame damaged: nothing follows, so it reads as torn.
        let mut last = ab.clone();
        last[n - 1] ^= 1;
        assert_eq!(verdict(&last).1.tail, Tail::Torn { dropped: n - a_len });
    }
}
