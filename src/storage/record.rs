//! One journal record: what it holds, and its bytes on disk (pure, no I/O).
//!
//! A frame is a 10-byte header followed by the payload:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | [`MAGIC`] `0xFE` (a byte UTF-8 never uses, and not zero) |
//! | 1 | [`VERSION`] `0x01` |
//! | 4 | payload length, u32 little-endian, [`MIN_PAYLOAD_BYTES`]..=[`MAX_PAYLOAD_BYTES`] |
//! | 4 | CRC-32 (IEEE) of the 4 length bytes then the payload, u32 little-endian |
//!
//! The payload starts with a type tag and both string lengths, so that the
//! first 9 payload bytes already say exactly how long the payload must be:
//!
//! | type | layout (integers little-endian) |
//! |---|---|
//! | user, tag 1 | tag, username len u32, hash len u32, created_at i64, username, password hash |
//! | comment, tag 2 | tag, author len u32, text len u32, id u64, created_at i64, author, text |
//!
//! That redundancy is what lets [`decode_frame`] tell "a true prefix of some
//! frame" ([`Frame::Partial`], what a torn write leaves) from "bytes no frame
//! starts with" (an error, what damage leaves): a changed length field no
//! longer agrees with the string lengths.
//!
//! Refused: a wrong magic or version byte, a length out of range, a checksum
//! that does not match, an unknown tag, lengths that disagree, strings that
//! are not UTF-8, and bytes after the last field.

use super::crc32::Crc32;
use std::ops::Range;

/// First byte of every frame. `0xFE` never occurs in UTF-8 text and zero
/// bytes (what a file system may leave after a crash) never start a frame.
pub const MAGIC: u8 = 0xFE;
/// The frame format described in this module.
pub const VERSION: u8 = 1;
/// Magic, version, length and checksum.
pub const HEADER_BYTES: usize = 10;
/// Largest frame, header included. Our largest record is a comment of
/// [`crate::limits::COMMENT_MAX`] bytes by an author of
/// [`crate::limits::USERNAME_MAX`]: about 4.3 KiB. [`Record::encode`] refuses
/// a larger record; [`decode_frame`] refuses a length field above it.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;
/// Largest payload, so that a frame stays within [`MAX_RECORD_BYTES`].
pub const MAX_PAYLOAD_BYTES: usize = MAX_RECORD_BYTES - HEADER_BYTES;
/// Smallest payload: a user with an empty name and hash.
pub const MIN_PAYLOAD_BYTES: usize = USER_FIXED_BYTES;

const TAG_USER: u8 = 1;
const TAG_COMMENT: u8 = 2;
/// Tag and the two string lengths, common to both types.
const LENGTHS_END: usize = 9;
const USER_FIXED_BYTES: usize = LENGTHS_END + 8;
const COMMENT_FIXED_BYTES: usize = LENGTHS_END + 8 + 8;

/// A fact the server must not forget: a registered user or a posted comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    User {
        username: String,
        password_hash: String,
        /// Unix seconds.
        created_at: i64,
    },
    Comment {
        id: u64,
        author: String,
        text: String,
        /// Unix seconds.
        created_at: i64,
    },
}

/// Why a record cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// The payload would exceed [`MAX_PAYLOAD_BYTES`].
    TooLarge { payload_bytes: usize },
}

/// Which string of a payload is not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Username,
    PasswordHash,
    Author,
    Text,
}

/// Why a payload is not a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadError {
    /// The tag is neither user (1) nor comment (2).
    UnknownType(u8),
    /// Fewer bytes than the fixed fields and string lengths require.
    Truncated,
    /// More bytes than the fixed fields and string lengths account for.
    TrailingBytes,
    /// A string field is not UTF-8.
    InvalidUtf8(Field),
}

/// Why bytes are not (the start of) a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    BadMagic(u8),
    UnsupportedVersion(u8),
    /// The length field is below [`MIN_PAYLOAD_BYTES`] or above [`MAX_PAYLOAD_BYTES`].
    LengthOutOfRange(u32),
    ChecksumMismatch {
        stored: u32,
        computed: u32,
    },
    /// The payload (or, in a partial frame, the part present) is malformed.
    Payload(PayloadError),
}

/// What the bytes at the start of a buffer hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A whole, valid frame of `len` bytes.
    Complete { record: Record, len: usize },
    /// The buffer ends inside a frame and every byte present agrees with some
    /// valid frame (the checksum cannot be checked yet).
    Partial,
}

/// Where the two strings of a payload lie, and how long it must be.
struct Layout {
    tag: u8,
    first: Range<usize>,
    second: Range<usize>,
}

impl Layout {
    /// Reads the tag and string lengths; `head` is at least [`LENGTHS_END`] bytes.
    fn read(head: &[u8]) -> Result<Layout, PayloadError> {
        let tag = *head.first().ok_or(PayloadError::Truncated)?;
        let fixed = match tag {
            TAG_USER => USER_FIXED_BYTES,
            TAG_COMMENT => COMMENT_FIXED_BYTES,
            other => return Err(PayloadError::UnknownType(other)),
        };
        let first_len = read_u32(head, 1).ok_or(PayloadError::Truncated)? as usize;
        let second_len = read_u32(head, 5).ok_or(PayloadError::Truncated)? as usize;
        let first_end = fixed
            .checked_add(first_len)
            .ok_or(PayloadError::Truncated)?;
        let second_end = first_end
            .checked_add(second_len)
            .ok_or(PayloadError::Truncated)?;
        Ok(Layout {
            tag,
            first: fixed..first_end,
            second: first_end..second_end,
        })
    }

    fn total(&self) -> usize {
        self.second.end
    }

    fn fields(&self) -> (Field, Field) {
        if self.tag == TAG_USER {
            (Field::Username, Field::PasswordHash)
        } else {
            (Field::Author, Field::Text)
        }
    }

    /// Compares the length the layout needs with a payload length `len`.
    fn check_total(&self, len: usize) -> Result<(), PayloadError> {
        match self.total().cmp(&len) {
            std::cmp::Ordering::Equal => Ok(()),
            std::cmp::Ordering::Greater => Err(PayloadError::Truncated),
            std::cmp::Ordering::Less => Err(PayloadError::TrailingBytes),
        }
    }
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let four: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(four))
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let eight: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(eight))
}

fn read_i64(bytes: &[u8], at: usize) -> Option<i64> {
    read_u64(bytes, at).map(|n| i64::from_le_bytes(n.to_le_bytes()))
}

fn read_string(payload: &[u8], range: Range<usize>, field: Field) -> Result<String, PayloadError> {
    let bytes = payload.get(range).ok_or(PayloadError::Truncated)?;
    let text = std::str::from_utf8(bytes).map_err(|_| PayloadError::InvalidUtf8(field))?;
    Ok(text.to_owned())
}

/// Checks the part of a string that is present in a partial payload: it must
/// be UTF-8, except that a character may be cut where the buffer ends.
fn check_visible_utf8(
    visible: &[u8],
    range: Range<usize>,
    field: Field,
) -> Result<(), PayloadError> {
    let cut = range.end > visible.len();
    let end = range.end.min(visible.len());
    let Some(bytes) = visible.get(range.start..end) else {
        return Ok(()); // the string has not started yet
    };
    match std::str::from_utf8(bytes) {
        Ok(_) => Ok(()),
        Err(e) if cut && e.error_len().is_none() => Ok(()),
        Err(_) => Err(PayloadError::InvalidUtf8(field)),
    }
}

/// Checks the bytes present of a payload that declares `declared` bytes but
/// of which only `visible` (shorter) arrived.
fn check_partial_payload(visible: &[u8], declared: usize) -> Result<(), PayloadError> {
    let Some(head) = visible.get(..LENGTHS_END) else {
        return match visible.first() {
            None | Some(&TAG_USER) | Some(&TAG_COMMENT) => Ok(()),
            Some(&other) => Err(PayloadError::UnknownType(other)),
        };
    };
    let layout = Layout::read(head)?;
    layout.check_total(declared)?;
    let (first, second) = layout.fields();
    check_visible_utf8(visible, layout.first.clone(), first)?;
    check_visible_utf8(visible, layout.second.clone(), second)
}

impl Record {
    /// The full frame (header and payload) of this record.
    ///
    /// Refuses a record whose payload would exceed [`MAX_PAYLOAD_BYTES`].
    ///
    /// ```
    /// use stateful::storage::record::Record;
    /// let user = Record::User { username: "ann".into(), password_hash: "h".into(), created_at: 0 };
    /// let frame = user.encode().unwrap();
    /// assert_eq!(frame[..6], [0xFE, 0x01, 21, 0, 0, 0]);
    /// assert_eq!(frame.len(), 10 + 21);
    /// ```
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let (tag, fixed, first, second) = match self {
            Record::User {
                username,
                password_hash,
                ..
            } => (TAG_USER, USER_FIXED_BYTES, username, password_hash),
            Record::Comment { author, text, .. } => {
                (TAG_COMMENT, COMMENT_FIXED_BYTES, author, text)
            }
        };
        let payload_bytes = fixed
            .saturating_add(first.len())
            .saturating_add(second.len());
        if payload_bytes > MAX_PAYLOAD_BYTES {
            return Err(EncodeError::TooLarge { payload_bytes });
        }
        // All three lengths are at most MAX_PAYLOAD_BYTES, so they fit a u32.
        let as_u32 = |n: usize| u32::try_from(n).expect("bounded by MAX_PAYLOAD_BYTES");
        let mut frame = Vec::with_capacity(HEADER_BYTES + payload_bytes);
        frame.extend_from_slice(&[MAGIC, VERSION]);
        frame.extend_from_slice(&as_u32(payload_bytes).to_le_bytes());
        frame.extend_from_slice(&[0; 4]); // checksum, filled in below
        frame.push(tag);
        frame.extend_from_slice(&as_u32(first.len()).to_le_bytes());
        frame.extend_from_slice(&as_u32(second.len()).to_le_bytes());
        match self {
            Record::User { created_at, .. } => frame.extend_from_slice(&created_at.to_le_bytes()),
            Record::Comment { id, created_at, .. } => {
                frame.extend_from_slice(&id.to_le_bytes());
                frame.extend_from_slice(&created_at.to_le_bytes());
            }
        }
        frame.extend_from_slice(first.as_bytes());
        frame.extend_from_slice(second.as_bytes());
        let checksum = Crc32::new()
            .update(&frame[2..6])
            .update(&frame[HEADER_BYTES..])
            .finish();
        frame[6..HEADER_BYTES].copy_from_slice(&checksum.to_le_bytes());
        Ok(frame)
    }

    /// Decodes a payload (a frame without its header), exactly: every byte
    /// must belong to a field.
    ///
    /// Refuses an unknown tag, a payload shorter or longer than its fixed
    /// fields and string lengths, and strings that are not UTF-8.
    ///
    /// ```
    /// use stateful::storage::record::{PayloadError, Record};
    /// let payload = [1, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, b'a'];
    /// let user = Record::User { username: "a".into(), password_hash: "".into(), created_at: 7 };
    /// assert_eq!(Record::decode_payload(&payload), Ok(user));
    /// assert_eq!(Record::decode_payload(&[3]), Err(PayloadError::UnknownType(3)));
    /// ```
    pub fn decode_payload(payload: &[u8]) -> Result<Record, PayloadError> {
        let head = payload.get(..LENGTHS_END).ok_or(match payload.first() {
            Some(&tag) if tag != TAG_USER && tag != TAG_COMMENT => PayloadError::UnknownType(tag),
            _ => PayloadError::Truncated,
        })?;
        let layout = Layout::read(head)?;
        layout.check_total(payload.len())?;
        let (first_field, second_field) = layout.fields();
        let first = read_string(payload, layout.first.clone(), first_field)?;
        let second = read_string(payload, layout.second.clone(), second_field)?;
        let at = LENGTHS_END;
        let record = if layout.tag == TAG_USER {
            Record::User {
                username: first,
                password_hash: second,
                created_at: read_i64(payload, at).ok_or(PayloadError::Truncated)?,
            }
        } else {
            Record::Comment {
                id: read_u64(payload, at).ok_or(PayloadError::Truncated)?,
                author: first,
                text: second,
                created_at: read_i64(payload, at + 8).ok_or(PayloadError::Truncated)?,
            }
        };
        Ok(record)
    }
}

/// Decodes the frame at the start of `bytes` (which may hold more after it).
///
/// Returns [`Frame::Partial`] when `bytes` ends inside a frame and all bytes
/// present are consistent with a valid frame, so that every proper prefix of
/// a valid frame is `Partial`. Refuses a bad magic or version byte, a length
/// out of range, a checksum mismatch and a malformed payload, also in the part
/// of a partial frame that is present.
///
/// ```
/// use stateful::storage::record::{decode_frame, Frame, FrameError, Record};
/// let frame = [
///     0xFE, 0x01, 0x15, 0x00, 0x00, 0x00, 0xDE, 0x75, 0x31, 0x08, // header
///     0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, // user, 3, 1
///     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, b'a', b'n', b'n', b'h',
/// ];
/// let user = Record::User { username: "ann".into(), password_hash: "h".into(), created_at: 0 };
/// assert_eq!(decode_frame(&frame), Ok(Frame::Complete { record: user, len: 31 }));
/// assert_eq!(decode_frame(&frame[..20]), Ok(Frame::Partial));
/// assert_eq!(decode_frame(&[0, 0, 0]), Err(FrameError::BadMagic(0)));
/// ```
pub fn decode_frame(bytes: &[u8]) -> Result<Frame, FrameError> {
    match bytes.first() {
        None => return Ok(Frame::Partial),
        Some(&MAGIC) => {}
        Some(&other) => return Err(FrameError::BadMagic(other)),
    }
    match bytes.get(1) {
        None => return Ok(Frame::Partial),
        Some(&VERSION) => {}
        Some(&other) => return Err(FrameError::UnsupportedVersion(other)),
    }
    let Some(declared) = read_u32(bytes, 2) else {
        return Ok(Frame::Partial);
    };
    let payload_len = declared as usize;
    if !(MIN_PAYLOAD_BYTES..=MAX_PAYLOAD_BYTES).contains(&payload_len) {
        return Err(FrameError::LengthOutOfRange(declared));
    }
    let len = HEADER_BYTES + payload_len; // both bounded: cannot overflow
    let Some(frame) = bytes.get(..len) else {
        let visible = bytes.get(HEADER_BYTES..).unwrap_or(&[]);
        check_partial_payload(visible, payload_len).map_err(FrameError::Payload)?;
        return Ok(Frame::Partial);
    };
    let stored = read_u32(frame, 6).expect("a whole frame holds its header");
    let payload = &frame[HEADER_BYTES..];
    let computed = Crc32::new().update(&frame[2..6]).update(payload).finish();
    if stored != computed {
        return Err(FrameError::ChecksumMismatch { stored, computed });
    }
    let record = Record::decode_payload(payload).map_err(FrameError::Payload)?;
    Ok(Frame::Complete { record, len })
}

#[cfg(test)]
mod tests;
