//! The live state of users, sessions and revoked tokens, and how entries
//! change it (pure, no I/O): the same fold runs at start (snapshot, then
//! journal), in the compactor (old files into a new snapshot), and for
//! every write of the running server (the table in memory is the hot path).
//!
//! Expiry is wall-clock: a session or a revoked token whose `expires_at`
//! is not after `now` is simply not kept, so no record says "expired".

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use super::entry::{Entry, Key, SEEN_PAIR_BYTES};
use super::frame::HEADER_BYTES;

/// What is kept about a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub password_hash: String,
    pub created_at: i64,
    /// Tokens issued at or before this second are revoked.
    pub tokens_before: i64,
    /// Keys of the user's live sessions (a few per user).
    pub sessions: Vec<Key>,
}

/// What is kept about a live session (never its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub username: Arc<str>,
    pub created_at: i64,
    pub expires_at: i64,
    /// Up to date in memory; on disk at most `LAST_SEEN_GRANULARITY` old.
    pub last_seen_at: i64,
    pub user_agent: Box<str>,
    /// The `last_seen_at` last written (in a `Seen` entry or a snapshot).
    pub seen_written: i64,
    /// Whether the session waits in the list of `last_seen_at` updates to
    /// write (so it is listed once however often it is used).
    pub seen_queued: bool,
}

/// Hashes session keys by their first eight bytes: they are SHA-256
/// outputs of server-made random ids, so no client can make them collide.
#[derive(Clone, Copy, Default)]
pub struct KeyHash;

impl BuildHasher for KeyHash {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(0)
    }
}

/// See [`KeyHash`].
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        // A `[u8; 32]` hashes as one write of its 32 bytes (arrays hash
        // their contents without a length prefix).
        let mut first = [0u8; 8];
        let n = bytes.len().min(8);
        first[..n].copy_from_slice(&bytes[..n]);
        self.0 ^= u64::from_le_bytes(first);
    }

    fn write_usize(&mut self, n: usize) {
        self.0 ^= n as u64;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Why an entry cannot apply to the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyError {
    /// A comment entry in the state log, or a snapshot end in a journal.
    WrongLog(u8),
}

/// Users, live sessions (by key) and revoked tokens.
#[derive(Debug, Default)]
pub struct LiveState {
    users: HashMap<String, User>,
    sessions: HashMap<Key, Session, KeyHash>,
    revoked: HashMap<String, i64>,
    /// What a snapshot of this state would take, in bytes.
    live_bytes: u64,
}

fn user_bytes(username: &str, hash: &str) -> u64 {
    (HEADER_BYTES + 4 + username.len() + 4 + hash.len() + 16) as u64
}

fn session_bytes(username: &str, user_agent: &str) -> u64 {
    (HEADER_BYTES + 32 + 4 + username.len() + 24 + 4 + user_agent.len()) as u64
}

fn revoked_bytes(jti: &str) -> u64 {
    (HEADER_BYTES + 4 + jti.len() + 8) as u64
}

impl LiveState {
    pub fn new() -> LiveState {
        LiveState::default()
    }

    /// Applies one entry as of `now` (sessions and tokens already expired
    /// then are not kept).
    pub fn apply(&mut self, entry: Entry, now: i64) -> Result<(), ApplyError> {
        match entry {
            Entry::User {
                username,
                password_hash,
                created_at,
                tokens_before,
            } => {
                self.put_user(username, password_hash, created_at, tokens_before);
            }
            Entry::Session {
                key,
                username,
                created_at,
                expires_at,
                last_seen_at,
                user_agent,
            } => {
                if expires_at > now {
                    let username: Arc<str> = Arc::from(username);
                    self.insert_session(
                        key,
                        Session {
                            username,
                            created_at,
                            expires_at,
                            last_seen_at,
                            user_agent: user_agent.into_boxed_str(),
                            seen_written: last_seen_at,
                            seen_queued: false,
                        },
                    );
                }
            }
            Entry::EndSession { key } => {
                self.remove_session(&key);
            }
            Entry::EndSessions { username, at, keep } => {
                self.end_sessions(&username, at, keep.as_ref());
            }
            Entry::PasswordChange {
                username,
                password_hash,
                at,
                keep,
            } => {
                self.set_password(&username, password_hash);
                self.end_sessions(&username, at, keep.as_ref());
            }
            Entry::Seen { sessions } => {
                for (key, at) in sessions {
                    if let Some(s) = self.sessions.get_mut(&key) {
                        s.last_seen_at = s.last_seen_at.max(at);
                        s.seen_written = s.seen_written.max(at);
                    }
                }
            }
            Entry::RevokeToken { jti, expires_at } => {
                if expires_at > now {
                    self.revoke_token(jti, expires_at);
                }
            }
            other => return Err(ApplyError::WrongLog(other.kind())),
        }
        Ok(())
    }

    /// Adds or replaces a user (keeping its sessions).
    pub fn put_user(
        &mut self,
        username: String,
        password_hash: String,
        created_at: i64,
        tokens_before: i64,
    ) {
        let added = user_bytes(&username, &password_hash);
        match self.users.get_mut(&username) {
            Some(u) => {
                self.live_bytes -= user_bytes(&username, &u.password_hash);
                u.password_hash = password_hash;
                u.created_at = created_at;
                u.tokens_before = tokens_before;
            }
            None => {
                self.users.insert(
                    username,
                    User {
                        password_hash,
                        created_at,
                        tokens_before,
                        sessions: Vec::new(),
                    },
                );
            }
        }
        self.live_bytes += added;
    }

    /// Replaces a user's hash; false if there is no such user.
    pub fn set_password(&mut self, username: &str, password_hash: String) -> bool {
        let Some(u) = self.users.get_mut(username) else {
            return false;
        };
        self.live_bytes -= user_bytes(username, &u.password_hash);
        self.live_bytes += user_bytes(username, &password_hash);
        u.password_hash = password_hash;
        true
    }

    pub fn user(&self, username: &str) -> Option<&User> {
        self.users.get(username)
    }

    /// Adds a session to its user; a session of an unknown user is not
    /// kept (false).
    pub fn insert_session(&mut self, key: Key, session: Session) -> bool {
        let Some(user) = self.users.get_mut(&*session.username) else {
            return false;
        };
        self.live_bytes += session_bytes(&session.username, &session.user_agent);
        if let Some(old) = self.sessions.insert(key, session) {
            // A key seen twice (a snapshot and a replayed login): replace.
            self.live_bytes -= session_bytes(&old.username, &old.user_agent);
        } else {
            user.sessions.push(key);
        }
        true
    }

    pub fn session(&self, key: &Key) -> Option<&Session> {
        self.sessions.get(key)
    }

    pub fn session_mut(&mut self, key: &Key) -> Option<&mut Session> {
        self.sessions.get_mut(key)
    }

    /// Removes a session; the removed one, if it was there.
    pub fn remove_session(&mut self, key: &Key) -> Option<Session> {
        let s = self.sessions.remove(key)?;
        self.live_bytes -= session_bytes(&s.username, &s.user_agent);
        if let Some(u) = self.users.get_mut(&*s.username) {
            u.sessions.retain(|k| k != key);
        }
        Some(s)
    }

    /// Ends every session of `username` but `keep` and revokes its tokens
    /// issued at or before `at`; how many sessions ended.
    pub fn end_sessions(&mut self, username: &str, at: i64, keep: Option<&Key>) -> usize {
        let Some(u) = self.users.get_mut(username) else {
            return 0;
        };
        u.tokens_before = u.tokens_before.max(at);
        let ending: Vec<Key> = u
            .sessions
            .iter()
            .filter(|k| Some(*k) != keep)
            .copied()
            .collect();
        for key in &ending {
            self.remove_session(key);
        }
        ending.len()
    }

    /// The keys of a user's live sessions.
    pub fn sessions_of(&self, username: &str) -> &[Key] {
        self.users.get(username).map_or(&[], |u| &u.sessions)
    }

    pub fn revoke_token(&mut self, jti: String, expires_at: i64) {
        let bytes = revoked_bytes(&jti);
        if self.revoked.insert(jti, expires_at).is_none() {
            self.live_bytes += bytes;
        }
    }

    /// The expiry of a revoked token, if it is on the deny list.
    pub fn revoked(&self, jti: &str) -> Option<i64> {
        self.revoked.get(jti).copied()
    }

    /// Drops sessions and revoked tokens expired at `now`; how many
    /// sessions went.
    pub fn sweep(&mut self, now: i64) -> usize {
        let expired: Vec<Key> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.expires_at <= now)
            .map(|(k, _)| *k)
            .collect();
        for key in &expired {
            self.remove_session(key);
        }
        let mut freed = 0;
        self.revoked.retain(|jti, exp| {
            let keep = *exp > now;
            if !keep {
                freed += revoked_bytes(jti);
            }
            keep
        });
        self.live_bytes -= freed;
        expired.len()
    }

    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    pub fn revoked_count(&self) -> usize {
        self.revoked.len()
    }

    /// About the size of a snapshot of this state, in bytes.
    pub fn live_bytes(&self) -> u64 {
        self.live_bytes
    }

    /// Every entry a snapshot of this state holds (users, then sessions,
    /// then revoked tokens), without the closing `SnapshotEnd`, handed to
    /// `each` one at a time.
    pub fn for_each_entry(&self, mut each: impl FnMut(Entry)) {
        for (name, u) in &self.users {
            each(Entry::User {
                username: name.clone(),
                password_hash: u.password_hash.clone(),
                created_at: u.created_at,
                tokens_before: u.tokens_before,
            });
        }
        for (key, s) in &self.sessions {
            each(Entry::Session {
                key: *key,
                username: s.username.to_string(),
                created_at: s.created_at,
                expires_at: s.expires_at,
                last_seen_at: s.last_seen_at,
                user_agent: s.user_agent.to_string(),
            });
        }
        for (jti, exp) in &self.revoked {
            each(Entry::RevokeToken {
                jti: jti.clone(),
                expires_at: *exp,
            });
        }
    }
}

/// Most `(key, time)` pairs in one `Seen` entry, so that it stays far
/// below the frame's payload limit.
pub const SEEN_PER_ENTRY: usize = 2048;

const _: () = assert!(4 + SEEN_PER_ENTRY * SEEN_PAIR_BYTES < super::frame::MAX_PAYLOAD_BYTES);

#[cfg(test)]
mod tests;
