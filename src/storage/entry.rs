//! What a format 2 frame carries: one [`Entry`], a fact the server must not
//! forget, and its payload bytes (pure, no I/O).
//!
//! Payloads are fixed fields in order, integers little-endian, strings as
//! a u32 length then UTF-8 bytes, session keys as 32 raw bytes (the SHA-256
//! of a session id, never the id), an optional key as a byte 0 or 1 then
//! the key. Decoding is exact: every byte must belong to a field.
//!
//! | kind | entry | payload |
//! |---|---|---|
//! | 1 | `User` | username, password hash, created_at i64, tokens_before i64 |
//! | 2 | `Session` | key, username, created_at, expires_at, last_seen_at i64, user agent |
//! | 3 | `EndSession` | key |
//! | 4 | `EndSessions` | username, at i64, optional key kept |
//! | 5 | `PasswordChange` | username, password hash, at i64, optional key kept |
//! | 6 | `Seen` | count u32, then count times key and at i64 |
//! | 7 | `RevokeToken` | jti, expires_at i64 |
//! | 8 | `Comment` | id u64, created_at i64, author, text |
//! | 9 | `DeleteComment` | id u64 |
//! | 10 | `CommentsStart` | next_id u64 |
//! | 11 | `SnapshotEnd` | entries u64 |

use super::frame::{append_frame, TooLarge};

/// The SHA-256 of a session id: the only form in which a session is
/// written anywhere.
pub type Key = [u8; 32];

/// One fact in a data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A user as of now: a signup, a new hash at login, and in snapshots.
    User {
        username: String,
        password_hash: String,
        created_at: i64,
        /// Tokens of this user issued at or before this second are revoked
        /// (`i64::MIN`: none).
        tokens_before: i64,
    },
    /// A login (and in snapshots, a live session with its last use).
    Session {
        key: Key,
        username: String,
        created_at: i64,
        expires_at: i64,
        last_seen_at: i64,
        user_agent: String,
    },
    /// A logout.
    EndSession {
        key: Key,
    },
    /// Logout everywhere: every session of the user but `keep` ends, and
    /// tokens issued at or before `at` are revoked.
    EndSessions {
        username: String,
        at: i64,
        keep: Option<Key>,
    },
    /// A new password: the hash changes and, as with `EndSessions`, every
    /// other session ends and older tokens are revoked, in one record.
    PasswordChange {
        username: String,
        password_hash: String,
        at: i64,
        keep: Option<Key>,
    },
    /// Sessions last used at these times (coalesced, written at most once
    /// per session per `LAST_SEEN_GRANULARITY`).
    Seen {
        sessions: Vec<(Key, i64)>,
    },
    /// A token on the deny list until it expires.
    RevokeToken {
        jti: String,
        expires_at: i64,
    },
    /// A posted comment.
    Comment {
        id: u64,
        created_at: i64,
        author: String,
        text: String,
    },
    DeleteComment {
        id: u64,
    },
    /// The first record of a comment log: ids below `next_id` were handed
    /// out already (even if their comments are gone) and are never reused.
    CommentsStart {
        next_id: u64,
    },
    /// The last record of a snapshot: how many came before it.
    SnapshotEnd {
        entries: u64,
    },
}

pub const KIND_USER: u8 = 1;
pub const KIND_SESSION: u8 = 2;
pub const KIND_END_SESSION: u8 = 3;
pub const KIND_END_SESSIONS: u8 = 4;
pub const KIND_PASSWORD_CHANGE: u8 = 5;
pub const KIND_SEEN: u8 = 6;
pub const KIND_REVOKE_TOKEN: u8 = 7;
pub const KIND_COMMENT: u8 = 8;
pub const KIND_DELETE_COMMENT: u8 = 9;
pub const KIND_COMMENTS_START: u8 = 10;
pub const KIND_SNAPSHOT_END: u8 = 11;

/// Bytes of one `Seen` pair: a key and a time.
pub const SEEN_PAIR_BYTES: usize = 40;

/// Why a payload is not an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryError {
    UnknownKind(u8),
    /// Fewer bytes than the fields need.
    Truncated,
    /// Bytes left after the last field.
    TrailingBytes,
    /// A string is not UTF-8.
    InvalidUtf8,
    /// An optional key's flag byte is neither 0 nor 1.
    BadFlag(u8),
}

/// A comment's fields borrowed from a payload: what a page is built from
/// without copying the text twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentView<'a> {
    pub id: u64,
    pub created_at: i64,
    pub author: &'a str,
    pub text: &'a str,
}

/// Reads fields from the front of a payload.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EntryError> {
        if self.rest.len() < n {
            return Err(EntryError::Truncated);
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, EntryError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, EntryError> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self) -> Result<u64, EntryError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }

    fn i64(&mut self) -> Result<i64, EntryError> {
        self.u64().map(|n| i64::from_le_bytes(n.to_le_bytes()))
    }

    fn key(&mut self) -> Result<Key, EntryError> {
        let mut k = [0u8; 32];
        k.copy_from_slice(self.take(32)?);
        Ok(k)
    }

    fn str(&mut self) -> Result<&'a str, EntryError> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).map_err(|_| EntryError::InvalidUtf8)
    }

    fn string(&mut self) -> Result<String, EntryError> {
        self.str().map(str::to_owned)
    }

    fn opt_key(&mut self) -> Result<Option<Key>, EntryError> {
        match self.u8()? {
            0 => Ok(None),
            1 => self.key().map(Some),
            other => Err(EntryError::BadFlag(other)),
        }
    }

    fn finish(self) -> Result<(), EntryError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(EntryError::TrailingBytes)
        }
    }
}

/// Writes fields; strings longer than a u32 cannot occur (payloads are
/// bounded far below).
struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn i64(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn key(&mut self, k: &Key) -> &mut Self {
        self.0.extend_from_slice(k);
        self
    }
    fn str(&mut self, s: &str) -> &mut Self {
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        self.u32(len);
        self.0.extend_from_slice(s.as_bytes());
        self
    }
    fn opt_key(&mut self, k: &Option<Key>) -> &mut Self {
        match k {
            None => self.u8(0),
            Some(k) => self.u8(1).key(k),
        }
    }
}

impl Entry {
    /// The frame kind of this entry.
    pub fn kind(&self) -> u8 {
        match self {
            Entry::User { .. } => KIND_USER,
            Entry::Session { .. } => KIND_SESSION,
            Entry::EndSession { .. } => KIND_END_SESSION,
            Entry::EndSessions { .. } => KIND_END_SESSIONS,
            Entry::PasswordChange { .. } => KIND_PASSWORD_CHANGE,
            Entry::Seen { .. } => KIND_SEEN,
            Entry::RevokeToken { .. } => KIND_REVOKE_TOKEN,
            Entry::Comment { .. } => KIND_COMMENT,
            Entry::DeleteComment { .. } => KIND_DELETE_COMMENT,
            Entry::CommentsStart { .. } => KIND_COMMENTS_START,
            Entry::SnapshotEnd { .. } => KIND_SNAPSHOT_END,
        }
    }

    /// The payload bytes of this entry.
    pub fn payload(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(64));
        match self {
            Entry::User {
                username,
                password_hash,
                created_at,
                tokens_before,
            } => {
                w.str(username)
                    .str(password_hash)
                    .i64(*created_at)
                    .i64(*tokens_before);
            }
            Entry::Session {
                key,
                username,
                created_at,
                expires_at,
                last_seen_at,
                user_agent,
            } => {
                w.key(key)
                    .str(username)
                    .i64(*created_at)
                    .i64(*expires_at)
                    .i64(*last_seen_at)
                    .str(user_agent);
            }
            Entry::EndSession { key } => {
                w.key(key);
            }
            Entry::EndSessions { username, at, keep } => {
                w.str(username).i64(*at).opt_key(keep);
            }
            Entry::PasswordChange {
                username,
                password_hash,
                at,
                keep,
            } => {
                w.str(username).str(password_hash).i64(*at).opt_key(keep);
            }
            Entry::Seen { sessions } => {
                let n = u32::try_from(sessions.len()).unwrap_or(u32::MAX);
                w.u32(n);
                for (key, at) in sessions {
                    w.key(key).i64(*at);
                }
            }
            Entry::RevokeToken { jti, expires_at } => {
                w.str(jti).i64(*expires_at);
            }
            Entry::Comment {
                id,
                created_at,
                author,
                text,
            } => {
                encode_comment(&mut w, *id, *created_at, author, text);
            }
            Entry::DeleteComment { id } => {
                w.u64(*id);
            }
            Entry::CommentsStart { next_id } => {
                w.u64(*next_id);
            }
            Entry::SnapshotEnd { entries } => {
                w.u64(*entries);
            }
        }
        w.0
    }

    /// Appends this entry's frame to `out`.
    pub fn append_to(&self, out: &mut Vec<u8>) -> Result<(), TooLarge> {
        append_frame(out, self.kind(), &self.payload())
    }

    /// This entry's frame.
    pub fn frame(&self) -> Result<Vec<u8>, TooLarge> {
        let mut out = Vec::new();
        self.append_to(&mut out)?;
        Ok(out)
    }

    /// Decodes the payload of a frame of `kind`, exactly.
    ///
    /// Refuses an unknown kind, missing or extra bytes, strings that are
    /// not UTF-8 and a bad optional-key flag.
    ///
    /// ```
    /// use stateful::storage::entry::{Entry, EntryError};
    /// let e = Entry::DeleteComment { id: 7 };
    /// assert_eq!(Entry::decode(e.kind(), &e.payload()), Ok(e));
    /// assert_eq!(Entry::decode(9, &[7, 0, 0]), Err(EntryError::Truncated));
    /// assert_eq!(Entry::decode(99, &[]), Err(EntryError::UnknownKind(99)));
    /// ```
    pub fn decode(kind: u8, payload: &[u8]) -> Result<Entry, EntryError> {
        let mut r = Reader { rest: payload };
        let entry = match kind {
            KIND_USER => Entry::User {
                username: r.string()?,
                password_hash: r.string()?,
                created_at: r.i64()?,
                tokens_before: r.i64()?,
            },
            KIND_SESSION => Entry::Session {
                key: r.key()?,
                username: r.string()?,
                created_at: r.i64()?,
                expires_at: r.i64()?,
                last_seen_at: r.i64()?,
                user_agent: r.string()?,
            },
            KIND_END_SESSION => Entry::EndSession { key: r.key()? },
            KIND_END_SESSIONS => Entry::EndSessions {
                username: r.string()?,
                at: r.i64()?,
                keep: r.opt_key()?,
            },
            KIND_PASSWORD_CHANGE => Entry::PasswordChange {
                username: r.string()?,
                password_hash: r.string()?,
                at: r.i64()?,
                keep: r.opt_key()?,
            },
            KIND_SEEN => {
                let n = r.u32()? as usize;
                // Bounded by the payload, not by the count it claims.
                if n.checked_mul(SEEN_PAIR_BYTES) != Some(r.rest.len()) {
                    return Err(if n.saturating_mul(SEEN_PAIR_BYTES) > r.rest.len() {
                        EntryError::Truncated
                    } else {
                        EntryError::TrailingBytes
                    });
                }
                let mut sessions = Vec::with_capacity(n);
                for _ in 0..n {
                    sessions.push((r.key()?, r.i64()?));
                }
                Entry::Seen { sessions }
            }
            KIND_REVOKE_TOKEN => Entry::RevokeToken {
                jti: r.string()?,
                expires_at: r.i64()?,
            },
            KIND_COMMENT => {
                let v = decode_comment(payload)?;
                return Ok(Entry::Comment {
                    id: v.id,
                    created_at: v.created_at,
                    author: v.author.to_owned(),
                    text: v.text.to_owned(),
                });
            }
            KIND_DELETE_COMMENT => Entry::DeleteComment { id: r.u64()? },
            KIND_COMMENTS_START => Entry::CommentsStart { next_id: r.u64()? },
            KIND_SNAPSHOT_END => Entry::SnapshotEnd { entries: r.u64()? },
            other => return Err(EntryError::UnknownKind(other)),
        };
        r.finish()?;
        Ok(entry)
    }
}

fn encode_comment(w: &mut Writer, id: u64, created_at: i64, author: &str, text: &str) {
    w.u64(id).i64(created_at).str(author).str(text);
}

/// The payload of a `Comment` entry, written without building an [`Entry`].
pub fn comment_payload(id: u64, created_at: i64, author: &str, text: &str) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(24 + author.len() + text.len()));
    encode_comment(&mut w, id, created_at, author, text);
    w.0
}

/// Decodes a `Comment` payload without copying its strings.
pub fn decode_comment(payload: &[u8]) -> Result<CommentView<'_>, EntryError> {
    let c = CommentBytes::read(payload)?;
    Ok(CommentView {
        id: c.id,
        created_at: c.created_at,
        author: std::str::from_utf8(c.author).map_err(|_| EntryError::InvalidUtf8)?,
        text: std::str::from_utf8(c.text).map_err(|_| EntryError::InvalidUtf8)?,
    })
}

/// A comment's id, time and text, leaving the author's bytes unchecked: a
/// page takes the author from the index's table of names, and checks only
/// the text it hands out.
pub fn decode_comment_text(payload: &[u8]) -> Result<(u64, i64, &str), EntryError> {
    let c = CommentBytes::read(payload)?;
    let text = std::str::from_utf8(c.text).map_err(|_| EntryError::InvalidUtf8)?;
    Ok((c.id, c.created_at, text))
}

/// The fields of a comment payload, its strings as bytes.
struct CommentBytes<'a> {
    id: u64,
    created_at: i64,
    author: &'a [u8],
    text: &'a [u8],
}

impl<'a> CommentBytes<'a> {
    /// Reads a comment payload, exactly.
    fn read(payload: &'a [u8]) -> Result<CommentBytes<'a>, EntryError> {
        let mut r = Reader { rest: payload };
        let id = r.u64()?;
        let created_at = r.i64()?;
        let n = r.u32()? as usize;
        let author = r.take(n)?;
        let n = r.u32()? as usize;
        let text = r.take(n)?;
        r.finish()?;
        Ok(CommentBytes {
            id,
            created_at,
            author,
            text,
        })
    }
}

#[cfg(test)]
mod tests;
