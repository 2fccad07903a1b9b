//! The comment index, in memory and in its checkpoint file
//! `comments-H.idx` (pure, no I/O).
//!
//! In memory a comment costs one [`Slot`] of 16 bytes: where its frame lies
//! in the comment log, whether it was deleted, and its author as a number
//! in a table of interned names. The text stays in the file.
//!
//! A checkpoint file holds the index as of a byte offset of the log
//! (`covered_end`), so that a start reads it and scans only the log after
//! that offset. All integers little-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `STFIDX02` |
//! | 8 | generation of the comment log it indexes |
//! | 8 | `covered_end`: the log offset up to which it is complete |
//! | 8 | `first_id`: the id of the first slot |
//! | 8 | `next_id`: the next id to hand out as of `covered_end` |
//! | 8 | slot count |
//! | 4 | author count |
//! | 4 | zero |
//! | ... | each author: length u16, UTF-8 bytes |
//! | ... | each slot: offset u64, length and deleted bit u32, author u32 |
//! | 4 | CRC-32 of every byte before it |
//!
//! [`decode_index`] refuses anything inconsistent: a bad magic or
//! checksum, counts the bytes cannot hold, an author number out of range,
//! slots that overlap, go backwards or reach past `covered_end`, ids that
//! overflow. It never allocates more than the input's size justifies.

use super::crc32::{crc32, Crc32};
use super::frame::HEADER_BYTES;

/// First bytes of a checkpoint file.
pub const MAGIC: &[u8; 8] = b"STFIDX02";
const FIXED_BYTES: usize = 56;
/// Bytes of one slot in a checkpoint file (and in memory).
pub const SLOT_BYTES: usize = 16;
/// The deleted bit of [`Slot::len`].
const DELETED: u32 = 1 << 31;

/// Where one comment's frame lies in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Offset of the frame in the log.
    pub offset: u64,
    /// Frame length, with the top bit set once the comment is deleted.
    len_flags: u32,
    /// Index in the author table.
    pub author: u32,
}

impl Slot {
    pub fn new(offset: u64, len: u32, author: u32) -> Slot {
        debug_assert!(len & DELETED == 0, "frames are far below 2 GiB");
        Slot {
            offset,
            len_flags: len & !DELETED,
            author,
        }
    }

    /// A slot for an id that has no comment (a gap left by compaction).
    pub fn hole() -> Slot {
        Slot {
            offset: 0,
            len_flags: DELETED,
            author: 0,
        }
    }

    pub fn len(&self) -> u32 {
        self.len_flags & !DELETED
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn end(&self) -> u64 {
        self.offset + u64::from(self.len())
    }

    pub fn deleted(&self) -> bool {
        self.len_flags & DELETED != 0
    }

    pub fn delete(&mut self) {
        self.len_flags |= DELETED;
    }
}

/// A checkpoint as decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub generation: u64,
    pub covered_end: u64,
    pub first_id: u64,
    pub next_id: u64,
    pub authors: Vec<String>,
    pub slots: Vec<Slot>,
}

/// Why bytes are not a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexError {
    BadMagic,
    Truncated,
    Checksum {
        stored: u32,
        computed: u32,
    },
    /// The reserved word is not zero.
    Reserved,
    AuthorNotUtf8 {
        author: usize,
    },
    /// A slot names an author past the table.
    AuthorOutOfRange {
        slot: usize,
    },
    /// A slot overlaps the one before it, or reaches past `covered_end`,
    /// or is too short to be a frame.
    BadSlot {
        slot: usize,
    },
    /// `first_id + slots` overflows or passes `next_id`, or `first_id` is 0.
    BadIds,
    TrailingBytes,
}

/// The bytes of a checkpoint file.
///
/// ```
/// use stateful::storage::index::{decode_index, encode_index, Checkpoint, Slot};
/// let cp = Checkpoint {
///     generation: 1, covered_end: 100, first_id: 1, next_id: 3,
///     authors: vec!["ann".into()],
///     slots: vec![Slot::new(20, 40, 0), Slot::new(60, 40, 0)],
/// };
/// assert_eq!(decode_index(&encode_index(&cp)), Ok(cp));
/// ```
pub fn encode_index(cp: &Checkpoint) -> Vec<u8> {
    let authors_bytes: usize = cp.authors.iter().map(|a| 2 + a.len()).sum();
    let mut out = Vec::with_capacity(FIXED_BYTES + authors_bytes + cp.slots.len() * SLOT_BYTES + 4);
    out.extend_from_slice(MAGIC);
    for n in [
        cp.generation,
        cp.covered_end,
        cp.first_id,
        cp.next_id,
        cp.slots.len() as u64,
    ] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&(cp.authors.len() as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    for a in &cp.authors {
        // Usernames are at most 150 bytes.
        let len = u16::try_from(a.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&a.as_bytes()[..usize::from(len)]);
    }
    for s in &cp.slots {
        out.extend_from_slice(&s.offset.to_le_bytes());
        out.extend_from_slice(&s.len_flags.to_le_bytes());
        out.extend_from_slice(&s.author.to_le_bytes());
    }
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

/// Decodes and checks a checkpoint file (see the [module docs](self)).
pub fn decode_index(bytes: &[u8]) -> Result<Checkpoint, IndexError> {
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return Err(IndexError::BadMagic);
    }
    if bytes.len() < FIXED_BYTES + 4 {
        return Err(IndexError::Truncated);
    }
    let body = &bytes[..bytes.len() - 4];
    let stored = u32_at(bytes, bytes.len() - 4);
    let computed = Crc32::new().update(body).finish();
    if stored != computed {
        return Err(IndexError::Checksum { stored, computed });
    }
    let generation = u64_at(body, 8);
    let covered_end = u64_at(body, 16);
    let first_id = u64_at(body, 24);
    let next_id = u64_at(body, 32);
    let slot_count = u64_at(body, 40);
    let author_count = u32_at(body, 48) as usize;
    if u32_at(body, 52) != 0 {
        return Err(IndexError::Reserved);
    }
    let mut at = FIXED_BYTES;
    // Each author takes at least 2 bytes: bound the table by the input.
    if author_count > (body.len() - at) / 2 {
        return Err(IndexError::Truncated);
    }
    let mut authors = Vec::with_capacity(author_count);
    for author in 0..author_count {
        let len_bytes = body.get(at..at + 2).ok_or(IndexError::Truncated)?;
        let len = usize::from(u16::from_le_bytes([len_bytes[0], len_bytes[1]]));
        let name = body
            .get(at + 2..at + 2 + len)
            .ok_or(IndexError::Truncated)?;
        let name = std::str::from_utf8(name).map_err(|_| IndexError::AuthorNotUtf8 { author })?;
        authors.push(name.to_owned());
        at += 2 + len;
    }
    let rest = &body[at..];
    let expected = usize::try_from(slot_count)
        .ok()
        .and_then(|n| n.checked_mul(SLOT_BYTES))
        .ok_or(IndexError::Truncated)?;
    if rest.len() < expected {
        return Err(IndexError::Truncated);
    }
    if rest.len() > expected {
        return Err(IndexError::TrailingBytes);
    }
    let ids_end = first_id.checked_add(slot_count).ok_or(IndexError::BadIds)?;
    if first_id == 0 || ids_end > next_id {
        return Err(IndexError::BadIds);
    }
    let mut slots = Vec::with_capacity(rest.len() / SLOT_BYTES);
    let mut prev_end = 0u64;
    for (i, raw) in rest.chunks_exact(SLOT_BYTES).enumerate() {
        let slot = Slot {
            offset: u64_at(raw, 0),
            len_flags: u32_at(raw, 8),
            author: u32_at(raw, 12),
        };
        if slot.is_empty() {
            // A hole: an id with no comment in this log.
            if slot.offset != 0 || slot.author != 0 || !slot.deleted() {
                return Err(IndexError::BadSlot { slot: i });
            }
            slots.push(slot);
            continue;
        }
        if (slot.author as usize) >= authors.len() {
            return Err(IndexError::AuthorOutOfRange { slot: i });
        }
        let end = slot.offset.checked_add(u64::from(slot.len()));
        if slot.offset < prev_end
            || (slot.len() as usize) < HEADER_BYTES
            || end.is_none_or(|e| e > covered_end)
        {
            return Err(IndexError::BadSlot { slot: i });
        }
        prev_end = end.unwrap_or(u64::MAX);
        slots.push(slot);
    }
    Ok(Checkpoint {
        generation,
        covered_end,
        first_id,
        next_id,
        authors,
        slots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        let mut gone = Slot::new(60, 40, 1);
        gone.delete();
        Checkpoint {
            generation: 2,
            covered_end: 200,
            first_id: 5,
            next_id: 9,
            authors: vec!["ann".into(), "bøb".into()],
            slots: vec![
                Slot::new(20, 40, 0),
                gone,
                Slot::hole(),
                Slot::new(100, 100, 1),
            ],
        }
    }

    #[test]
    fn round_trip_and_every_cut_refused() {
        let bytes = encode_index(&sample());
        assert_eq!(decode_index(&bytes), Ok(sample()));
        for cut in 0..bytes.len() {
            assert!(decode_index(&bytes[..cut]).is_err(), "cut {cut}");
        }
        for at in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[at] ^= 0x10;
            assert!(decode_index(&bad).is_err(), "byte {at}");
        }
    }

    /// Consistency is checked even when the checksum is right.
    #[test]
    fn inconsistent_content() {
        let check = |change: &dyn Fn(&mut Checkpoint), expected: IndexError| {
            let mut cp = sample();
            change(&mut cp);
            assert_eq!(decode_index(&encode_index(&cp)), Err(expected));
        };
        check(
            &|cp| cp.slots[3].author = 2,
            IndexError::AuthorOutOfRange { slot: 3 },
        );
        check(
            &|cp| cp.slots[0].offset = 61,
            IndexError::BadSlot { slot: 1 },
        );
        check(&|cp| cp.covered_end = 199, IndexError::BadSlot { slot: 3 });
        check(&|cp| cp.next_id = 8, IndexError::BadIds);
        check(&|cp| cp.first_id = 0, IndexError::BadIds);
        check(
            &|cp| cp.slots[2].offset = 1,
            IndexError::BadSlot { slot: 2 },
        );
        check(
            &|cp| cp.slots[0] = Slot::new(0, 3, 0),
            IndexError::BadSlot { slot: 0 },
        );
    }
}
