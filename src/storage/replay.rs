//! Reading a whole journal back: the good records, and a verdict on what
//! follows them (pure, no I/O).
//!
//! # The torn/corrupt rule
//!
//! [`decode_journal`] decodes frames from offset 0 until the first offset `p`
//! where the bytes are not a complete, valid frame. Then:
//!
//! 0. If every byte from `p` on is zero (or there is none), that is space
//!    the journal preallocated and has not written yet (no frame starts
//!    with a zero byte): [`Tail::Clean`].
//! 1. If [`decode_frame`] says [`Frame::Partial`] (the file ends inside a
//!    frame and every byte present agrees with a valid frame), the tail is
//!    what an interrupted append leaves: [`Tail::Torn`].
//! 2. Otherwise (a bad header, a checksum mismatch, a malformed payload) the
//!    bytes after `p` are searched for a complete, valid frame at any offset.
//!    - None: the tail is garbage after the last good record, such as a
//!      half-written frame followed by the preallocated zeros, or by the
//!      zeros a file system leaves when a crash extended the file before the
//!      data landed: [`Tail::Torn`].
//!    - One at `q`: good data follows bad data, which no interrupted append
//!      produces. That is damage in the middle of the journal, and dropping
//!      the tail would silently lose acknowledged records: [`Tail::Corrupt`].
//!
//! Consequences, each covered by a test:
//!
//! - Cutting a valid journal at any byte offset gives `Clean` (at a frame
//!   boundary) or `Torn`, never `Corrupt` and never half a record: the cut
//!   leaves whole frames and then a proper prefix of one, which is always
//!   `Partial`, so step 2 never runs.
//! - Changing any one byte of a record that has another after it gives
//!   `Corrupt`: a changed magic, version or out-of-range length is an error;
//!   a changed in-range length either leaves the frame whole (the checksum
//!   covers the length) or makes it reach past the end, where the string
//!   lengths at the start of the payload disagree with it; any other byte
//!   fails the checksum. The search then finds the next, intact frame.
//!
//! Limits, all on the safe side except the first:
//!
//! - Damage to several bytes that keeps the frame length and the string
//!   lengths consistent and points past the end of the file looks like a
//!   torn write; it can only hide records in the last [`MAX_RECORD_BYTES`].
//! - A damaged last record that happens to contain a valid frame gives
//!   `Corrupt` rather than `Torn` (refuse to start; nothing is dropped).
//! - A crash while a group-commit batch of several records was being written
//!   can leave a later page of it on disk but not an earlier one; that reads
//!   as `Corrupt` too, although none of those records was acknowledged.
//!
//! [`MAX_RECORD_BYTES`]: super::record::MAX_RECORD_BYTES

use super::record::{decode_frame, Frame, FrameError, Record, MAGIC};

/// The result of reading a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// The records of the good prefix, in file order.
    pub records: Vec<Record>,
    /// Length in bytes of the good prefix: where the next record belongs.
    pub valid_len: usize,
    pub tail: Tail,
}

/// What follows the good prefix of a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// Nothing, or zero bytes only: the journal ends with a whole record (or
    /// is empty), and what follows is preallocated space not yet written.
    Clean,
    /// `dropped` bytes that no valid record follows: an interrupted append.
    /// Safe to cut off.
    Torn { dropped: usize },
    /// The bytes at `offset` are not a record (`error` says why) but a valid
    /// record starts at `next_record`: damage in the middle. Not safe to cut.
    Corrupt {
        offset: usize,
        error: FrameError,
        next_record: usize,
    },
}

/// Decodes a whole journal into its good records and a verdict on the rest,
/// following the rule in the [module documentation](self).
///
/// Never fails: damage is reported in [`Replay::tail`], never replayed.
///
/// ```
/// use stateful::storage::record::Record;
/// use stateful::storage::replay::{decode_journal, Tail};
/// let user = Record::User { username: "ann".into(), password_hash: "h".into(), created_at: 0 };
/// let mut journal = user.encode().unwrap();
/// journal.extend_from_slice(&[0xFE, 0x01, 0x15]); // an append cut short
/// let replay = decode_journal(&journal);
/// assert_eq!(replay.records, [user]);
/// assert_eq!((replay.valid_len, replay.tail), (31, Tail::Torn { dropped: 3 }));
///
/// let preallocated = decode_journal(&[0, 0, 0, 0]);
/// assert_eq!((preallocated.records.len(), preallocated.tail), (0, Tail::Clean));
/// assert_eq!(preallocated.valid_len, 0);
/// ```
pub fn decode_journal(bytes: &[u8]) -> Replay {
    let mut records = Vec::new();
    let mut offset = 0;
    let tail = loop {
        let rest = bytes.get(offset..).unwrap_or(&[]);
        if rest.iter().all(|&b| b == 0) {
            break Tail::Clean;
        }
        match decode_frame(rest) {
            Ok(Frame::Complete { record, len }) => {
                records.push(record);
                offset += len; // len <= rest.len(), so offset <= bytes.len()
            }
            Ok(Frame::Partial) => {
                break Tail::Torn {
                    dropped: rest.len(),
                }
            }
            Err(error) => match find_record(bytes, offset + 1) {
                Some(next_record) => {
                    break Tail::Corrupt {
                        offset,
                        error,
                        next_record,
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
    Replay {
        records,
        valid_len: offset,
        tail,
    }
}

/// The first offset at or after `from` where a complete, valid frame starts.
fn find_record(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let rest = bytes.get(at..)?;
        at += rest.iter().position(|&b| b == MAGIC)?;
        if let Ok(Frame::Complete { .. }) = decode_frame(bytes.get(at..)?) {
            return Some(at);
        }
        at += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::record::PayloadError;

    fn comment(id: u64, text: &str) -> Record {
        Record::Comment {
            id,
            author: "ann".into(),
            text: text.into(),
            created_at: 1_700_000_000,
        }
    }

    fn journal(records: &[Record]) -> Vec<u8> {
        records
            .iter()
            .flat_map(|r| r.encode().expect("small record"))
            .collect()
    }

    /// The checksum error that decoding the frame at the start of `bytes` reports.
    fn checksum_error(bytes: &[u8]) -> FrameError {
        decode_frame(bytes).expect_err("the test damaged this frame")
    }

    #[test]
    fn verdicts() {
        let a = comment(1, "first");
        let b = comment(2, "second");
        let ab = journal(&[a.clone(), b.clone()]);
        let a_len = a.encode().expect("small record").len();
        let n = ab.len();
        let flipped = |at: usize| {
            let mut bytes = ab.clone();
            bytes[at] ^= 0x01;
            bytes
        };
        let corrupt = |error| Tail::Corrupt {
            offset: 0,
            error,
            next_record: a_len,
        };
        let cases: Vec<(Vec<u8>, usize, Tail)> = vec![
            (vec![], 0, Tail::Clean),
            (ab.clone(), 2, Tail::Clean),
            (
                ab[..n - 1].to_vec(),
                1,
                Tail::Torn {
                    dropped: n - 1 - a_len,
                },
            ),
            // preallocated space after the last record
            ([&ab[..], &[0; 100]].concat(), 2, Tail::Clean),
            (vec![0; 100], 0, Tail::Clean),
            (
                [&ab[..n - 5], &[0; 5]].concat(),
                1,
                Tail::Torn { dropped: n - a_len },
            ),
            (flipped(n - 1), 1, Tail::Torn { dropped: n - a_len }),
            (flipped(0), 0, corrupt(FrameError::BadMagic(MAGIC ^ 1))),
            (flipped(1), 0, corrupt(FrameError::UnsupportedVersion(0))),
            (
                flipped(3),
                0,
                corrupt(FrameError::Payload(PayloadError::TrailingBytes)),
            ),
            (flipped(11), 0, corrupt(checksum_error(&flipped(11)))),
            (
                flipped(a_len - 1),
                0,
                corrupt(checksum_error(&flipped(a_len - 1))),
            ),
        ];
        for (bytes, count, expected) in cases {
            let replay = decode_journal(&bytes);
            assert_eq!(
                replay.records[..],
                [a.clone(), b.clone()][..count],
                "{expected:?}"
            );
            assert_eq!(replay.tail, expected);
            let valid_len = [0, a_len, n][count];
            assert_eq!(replay.valid_len, valid_len, "{expected:?}");
        }
    }
}
