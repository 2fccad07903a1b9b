//! A snapshot file, `state-G.snap`: the live users, sessions and revoked
//! tokens as frames (see [`super::frame`]), closed by a `SnapshotEnd` entry
//! that counts them (pure, no I/O).
//!
//! A snapshot is written whole to a temporary file, synced and only then
//! renamed into place, so unlike a journal it never has a torn tail: any
//! damage (a bad frame, a missing or wrong end, bytes after it) refuses
//! the whole snapshot rather than start with part of the state.

use super::entry::{Entry, EntryError, KIND_REVOKE_TOKEN, KIND_SESSION, KIND_USER};
use super::frame::{decode_frame, Decoded, FrameError};

/// Why bytes are not a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotError {
    Frame {
        offset: usize,
        error: FrameError,
    },
    /// The file ends inside a frame.
    Truncated {
        offset: usize,
    },
    Entry {
        offset: usize,
        error: EntryError,
    },
    /// An entry of a kind a snapshot does not hold.
    UnexpectedKind {
        offset: usize,
        kind: u8,
    },
    /// No `SnapshotEnd` before the end of the file.
    MissingEnd,
    /// The end counts another number of entries than came before it.
    CountMismatch {
        counted: u64,
        stated: u64,
    },
    /// Bytes after the `SnapshotEnd`.
    TrailingBytes {
        offset: usize,
    },
}

/// Decodes a snapshot, handing each entry to `each` in order; the number
/// of entries.
///
/// Refuses damage anywhere (see the [module docs](self)).
///
/// ```
/// use stateful::storage::entry::Entry;
/// use stateful::storage::snapshot::{decode_snapshot, encode_snapshot, SnapshotError};
/// let user = Entry::User {
///     username: "ann".into(),
///     password_hash: "h".into(),
///     created_at: 0,
///     tokens_before: i64::MIN,
/// };
/// let bytes = encode_snapshot([user.clone()]).unwrap();
/// let mut got = Vec::new();
/// assert_eq!(decode_snapshot(&bytes, |e| got.push(e)), Ok(1));
/// assert_eq!(got, [user]);
/// assert_eq!(decode_snapshot(&bytes[..bytes.len() - 1], |_| {}),
///            Err(SnapshotError::Truncated { offset: 44 }));
/// ```
pub fn decode_snapshot(bytes: &[u8], mut each: impl FnMut(Entry)) -> Result<u64, SnapshotError> {
    let mut offset = 0;
    let mut counted = 0u64;
    loop {
        let rest = &bytes[offset..];
        if rest.is_empty() {
            return Err(SnapshotError::MissingEnd);
        }
        let (kind, payload, len) = match decode_frame(rest) {
            Ok(Decoded::Complete { kind, payload, len }) => (kind, payload, len),
            Ok(Decoded::Partial) => return Err(SnapshotError::Truncated { offset }),
            Err(error) => return Err(SnapshotError::Frame { offset, error }),
        };
        let entry =
            Entry::decode(kind, payload).map_err(|error| SnapshotError::Entry { offset, error })?;
        offset += len;
        match entry {
            Entry::SnapshotEnd { entries } => {
                if entries != counted {
                    return Err(SnapshotError::CountMismatch {
                        counted,
                        stated: entries,
                    });
                }
                if offset != bytes.len() {
                    return Err(SnapshotError::TrailingBytes { offset });
                }
                return Ok(counted);
            }
            e if matches!(e.kind(), KIND_USER | KIND_SESSION | KIND_REVOKE_TOKEN) => {
                counted += 1;
                each(e);
            }
            e => {
                return Err(SnapshotError::UnexpectedKind {
                    offset: offset - len,
                    kind: e.kind(),
                })
            }
        }
    }
}

/// Appends entries to a snapshot being built in memory or streamed to a
/// file in pieces.
#[derive(Debug, Default)]
pub struct SnapshotEncoder {
    entries: u64,
}

impl SnapshotEncoder {
    pub fn new() -> SnapshotEncoder {
        SnapshotEncoder::default()
    }

    /// Appends `entry`'s frame to `out`. Refuses (with its kind) an entry
    /// a snapshot does not hold, or one too large for a frame.
    pub fn push(&mut self, entry: &Entry, out: &mut Vec<u8>) -> Result<(), u8> {
        if !matches!(entry.kind(), KIND_USER | KIND_SESSION | KIND_REVOKE_TOKEN) {
            return Err(entry.kind());
        }
        entry.append_to(out).map_err(|_| entry.kind())?;
        self.entries += 1;
        Ok(())
    }

    /// Appends the closing `SnapshotEnd`.
    pub fn finish(self, out: &mut Vec<u8>) {
        Entry::SnapshotEnd {
            entries: self.entries,
        }
        .append_to(out)
        .expect("an end entry is 8 bytes");
    }
}

/// A whole snapshot of `entries` in memory.
pub fn encode_snapshot(entries: impl IntoIterator<Item = Entry>) -> Result<Vec<u8>, u8> {
    let mut out = Vec::new();
    let mut enc = SnapshotEncoder::new();
    for e in entries {
        enc.push(&e, &mut out)?;
    }
    enc.finish(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Entry> {
        vec![
            Entry::User {
                username: "ann".into(),
                password_hash: "h".into(),
                created_at: 0,
                tokens_before: 5,
            },
            Entry::Session {
                key: [1; 32],
                username: "ann".into(),
                created_at: 1,
                expires_at: 2,
                last_seen_at: 1,
                user_agent: "".into(),
            },
            Entry::RevokeToken {
                jti: "j".into(),
                expires_at: 9,
            },
        ]
    }

    #[test]
    fn round_trip_and_refusals() {
        let bytes = encode_snapshot(sample()).unwrap();
        let mut got = Vec::new();
        assert_eq!(decode_snapshot(&bytes, |e| got.push(e)), Ok(3));
        assert_eq!(got, sample());
        // Every cut is refused, never read as a smaller state.
        for cut in 0..bytes.len() {
            assert!(decode_snapshot(&bytes[..cut], |_| {}).is_err(), "cut {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            decode_snapshot(&longer, |_| {}),
            Err(SnapshotError::TrailingBytes {
                offset: bytes.len()
            })
        );
        assert_eq!(encode_snapshot([Entry::DeleteComment { id: 1 }]), Err(9));
        let mut wrong_count = Vec::new();
        sample()[0].append_to(&mut wrong_count).unwrap();
        Entry::SnapshotEnd { entries: 2 }
            .append_to(&mut wrong_count)
            .unwrap();
        assert_eq!(
            decode_snapshot(&wrong_count, |_| {}),
            Err(SnapshotError::CountMismatch {
                counted: 1,
                stated: 2
            })
        );
        let mut foreign = Vec::new();
        Entry::EndSession { key: [0; 32] }
            .append_to(&mut foreign)
            .unwrap();
        assert_eq!(
            decode_snapshot(&foreign, |_| {}),
            Err(SnapshotError::UnexpectedKind { offset: 0, kind: 3 })
        );
    }
}
