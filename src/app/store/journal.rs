//! [`JournalStore`]: the store of `--data-dir`, built on
//! [`crate::storage`]. Users, sessions (by the SHA-256 of their id) and
//! the token deny list are tables in memory, the hot path, with every
//! change journaled and fsynced before the answer and the journal
//! compacted in the background; comments live in the comment log, with
//! only an index in memory. The login throttle stays in memory (a restart
//! forgets failed logins, as Django's cache-based throttles do).

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::{
    first_session_user, CommentDone, DeleteOutcome, NewSession, SessionInfo, SessionUserDone,
    Store, StoreError, StoreResult, TokenStatus, TokenStatusDone, UserRecord,
};
use crate::app::comments::Comment;
use crate::app::sessions::{cut_user_agent, is_session_id};
use crate::app::throttle::{LoginThrottle, UnixEpoch};
use crate::crypto::{session_id, sha256};
use crate::storage::comment_log::{Deleted, StoredComment};
use crate::storage::entry::Key;
use crate::storage::state_log::{self, SessionView};
use crate::storage::Storage;

pub struct JournalStore {
    storage: Storage,
    throttle: LoginThrottle,
    /// The throttle counts in `Instant`s; this pairs one with Unix time.
    epoch: UnixEpoch,
}

fn unavailable(e: io::Error) -> StoreError {
    StoreError::Unavailable(format!("data directory: {e}"))
}

/// The key a session is kept under: the SHA-256 of its id.
fn key_of(id: &str) -> Key {
    sha256(id.as_bytes())
}

fn hex(key: &Key) -> String {
    let mut out = String::with_capacity(64);
    for b in key {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    out
}

/// The key of a hex `session_key`, if it is one.
fn unhex(hash: &str) -> Option<Key> {
    let bytes = hash.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let digit = |b: u8| char::from(b).to_digit(16);
        key[i] = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
    }
    Some(key)
}

fn info(v: SessionView) -> SessionInfo {
    SessionInfo {
        id_hash: hex(&v.key),
        username: v.username,
        created_at: v.created_at,
        expires_at: v.expires_at,
        last_seen_at: v.last_seen_at,
        user_agent: v.user_agent,
    }
}

fn comment(c: StoredComment) -> Comment {
    Comment {
        id: c.id,
        author: c.author,
        text: c.text,
        created_at: c.created_at,
    }
}

impl JournalStore {
    /// Opens (creating, or migrating an older format) the data directory
    /// and loads it; says on stderr what it found.
    pub fn open(dir: &Path, max_sessions: usize) -> io::Result<JournalStore> {
        let storage = crate::storage::open(dir, max_sessions)?;
        eprintln!("{}", storage.summary);
        Ok(JournalStore {
            storage,
            throttle: LoginThrottle::new(),
            epoch: UnixEpoch::now(),
        })
    }

    /// The storage underneath (for tests and benchmarks).
    pub fn storage(&self) -> &Storage {
        &self.storage
    }
}

impl Store for JournalStore {
    fn kind(&self) -> &'static str {
        "journal"
    }

    fn writes_block(&self) -> bool {
        true
    }

    // -- users --------------------------------------------------------

    fn user(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        Ok(self.storage.state.user(username).map(|u| UserRecord {
            password_hash: u.password_hash,
            created_at: u.created_at,
        }))
    }

    fn create_user(&self, username: &str, user: UserRecord) -> StoreResult<bool> {
        self.storage
            .state
            .create_user(username, &user.password_hash, user.created_at)
            .map_err(unavailable)
    }

    fn replace_password_hash(&self, username: &str, old: &str, new: &str) -> StoreResult<bool> {
        self.storage
            .state
            .replace_password_hash(username, old, new)
            .map_err(unavailable)
    }

    fn change_password(
        &self,
        username: &str,
        new_hash: &str,
        keep: Option<&str>,
        now: i64,
    ) -> StoreResult<()> {
        let keep = keep.and_then(unhex);
        self.storage
            .state
            .change_password(username, new_hash, keep, now)
            .map(|_| ())
            .map_err(unavailable)
    }

    // -- sessions -----------------------------------------------------

    fn create_session(
        &self,
        username: &str,
        user_agent: &str,
        now: i64,
        ttl: Duration,
    ) -> StoreResult<NewSession> {
        let id = session_id().map_err(|_| StoreError::RandomSource)?;
        let key = key_of(&id);
        let view = SessionView {
            key,
            username: Arc::from(username),
            created_at: now,
            expires_at: now.saturating_add(ttl.as_secs() as i64),
            last_seen_at: now,
            user_agent: cut_user_agent(user_agent).to_string(),
        };
        match self.storage.state.create_session(key, &view) {
            Ok(state_log::NewSession::Created) => Ok(NewSession {
                id,
                info: info(view),
            }),
            Ok(state_log::NewSession::Full) => Err(StoreError::SessionsFull),
            // A key taken means two equal random ids: a broken source. A
            // missing user (deleted meanwhile) cannot happen today.
            Ok(state_log::NewSession::Refused) => Err(StoreError::RandomSource),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn session(&self, id: &str, now: i64) -> StoreResult<Option<SessionInfo>> {
        if !is_session_id(id) {
            return Ok(None);
        }
        Ok(self.storage.state.session(&key_of(id), now).map(info))
    }

    fn session_user(&self, id: &str, now: i64) -> StoreResult<Option<Arc<str>>> {
        if !is_session_id(id) {
            return Ok(None);
        }
        Ok(self.storage.state.session_user(&key_of(id), now))
    }

    fn find_session_user(&self, ids: &[&str], now: i64, done: SessionUserDone) {
        done(first_session_user(self, ids.iter().copied(), now))
    }

    fn end_session(&self, id: &str) -> StoreResult<()> {
        if !is_session_id(id) {
            return Ok(());
        }
        self.storage
            .state
            .end_session(&key_of(id))
            .map_err(unavailable)
    }

    fn end_all_sessions(&self, username: &str, now: i64) -> StoreResult<()> {
        self.storage
            .state
            .end_sessions(username, now, None)
            .map_err(unavailable)
    }

    fn sessions_of(&self, username: &str, now: i64) -> StoreResult<Vec<SessionInfo>> {
        Ok(self
            .storage
            .state
            .sessions_of(username, now)
            .into_iter()
            .map(info)
            .collect())
    }

    fn session_count(&self) -> StoreResult<u64> {
        Ok(self.storage.state.session_count() as u64)
    }

    // -- comments -----------------------------------------------------

    /// Queues the comment and answers once its fsync (shared with every
    /// other comment in flight) is done; only then is it published.
    fn post_comment(&self, author: &str, text: &str, created_at: i64, done: CommentDone) {
        self.storage.comments.post(
            author,
            text,
            created_at,
            Box::new(move |posted| done(posted.map(comment).map_err(unavailable))),
        );
    }

    fn comments_after(&self, after: u64, limit: usize) -> StoreResult<Vec<Comment>> {
        let page = self
            .storage
            .comments
            .page_after(after, limit)
            .map_err(unavailable)?;
        Ok(page.into_iter().map(comment).collect())
    }

    fn comments_before(&self, before: Option<u64>, limit: usize) -> StoreResult<Vec<Comment>> {
        let page = self
            .storage
            .comments
            .page_before(before, limit)
            .map_err(unavailable)?;
        Ok(page.into_iter().map(comment).collect())
    }

    fn comments_version(&self) -> StoreResult<u64> {
        Ok(self.storage.comments.version())
    }

    fn delete_comment(&self, id: u64, by: &str) -> StoreResult<DeleteOutcome> {
        match self.storage.comments.delete(id, by) {
            Ok(Deleted::Deleted) => Ok(DeleteOutcome::Deleted),
            Ok(Deleted::NotFound) => Ok(DeleteOutcome::NotFound),
            Ok(Deleted::NotAuthor) => Ok(DeleteOutcome::NotAuthor),
            Err(e) => Err(unavailable(e)),
        }
    }

    // -- login throttle -----------------------------------------------

    fn throttle_check(&self, username: &str, now: i64) -> StoreResult<Option<Duration>> {
        Ok(self.throttle.check(username, self.epoch.instant(now)))
    }

    fn throttle_failure(&self, username: &str, now: i64) -> StoreResult<()> {
        self.throttle
            .record_failure(username, self.epoch.instant(now));
        Ok(())
    }

    fn throttle_clear(&self, username: &str) -> StoreResult<()> {
        self.throttle.clear(username);
        Ok(())
    }

    // -- tokens -------------------------------------------------------

    fn revoke_token(&self, jti: &str, exp: i64) -> StoreResult<()> {
        self.storage
            .state
            .revoke_token(jti, exp)
            .map_err(unavailable)
    }

    fn find_token_status(&self, sub: &str, jti: &str, iat: i64, done: TokenStatusDone) {
        done(self.token_status(sub, jti, iat))
    }

    fn token_status(&self, sub: &str, jti: &str, iat: i64) -> StoreResult<TokenStatus> {
        match self.storage.state.token_state(sub, jti) {
            None => Ok(TokenStatus::NoSuchUser),
            Some((before, denied)) if denied || iat <= before => Ok(TokenStatus::Revoked),
            Some(_) => Ok(TokenStatus::Valid),
        }
    }

    // -- housekeeping -------------------------------------------------

    fn sweep(&self, now: i64) -> usize {
        self.throttle.sweep(self.epoch.instant(now));
        self.storage.state.sweep(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_their_hex() {
        let key = key_of("abc");
        assert_eq!(hex(&key), super::super::session_key("abc"));
        assert_eq!(unhex(&hex(&key)), Some(key));
        for bad in ["", "zz", &"g".repeat(64), &"a".repeat(63)] {
            assert_eq!(unhex(bad), None, "{bad}");
        }
    }
}
