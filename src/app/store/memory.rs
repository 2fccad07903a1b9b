//! [`MemoryStore`]: every table in this process's memory, each a `HashMap`
//! (or a `Vec`) behind its own `Mutex`. A restart forgets everything. The
//! journal store builds on it: these tables are its hot path too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::{
    first_session_user, CommentDone, DeleteOutcome, NewSession, SessionInfo, SessionUserDone,
    Store, StoreError, StoreResult, TokenStatus, TokenStatusDone, UserRecord,
};
use crate::app::comments::{Comment, CommentStore};
use crate::app::sessions::{SessionError, SessionStore};
use crate::app::throttle::{LoginThrottle, UnixEpoch};
use crate::app::users::{InsertError, User, UserStore};
use crate::limits::SESSION_TTL;

/// Revoked tokens: single `jti`s until their `exp`, and per user the
/// second at or before which every token is void.
#[derive(Default)]
pub struct TokenDenyList {
    inner: Mutex<DenyTables>,
}

#[derive(Default)]
struct DenyTables {
    jtis: HashMap<String, i64>,
    before: HashMap<String, i64>,
}

impl TokenDenyList {
    fn lock(&self) -> MutexGuard<'_, DenyTables> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Denies `jti` until `exp`.
    pub fn revoke(&self, jti: &str, exp: i64) {
        self.lock().jtis.insert(jti.to_string(), exp);
    }

    /// Denies every token of `username` issued at or before `at`.
    pub fn revoke_before(&self, username: &str, at: i64) {
        let mut t = self.lock();
        let e = t.before.entry(username.to_string()).or_insert(at);
        *e = (*e).max(at);
    }

    pub fn is_revoked(&self, username: &str, jti: &str, iat: i64) -> bool {
        let t = self.lock();
        t.jtis.contains_key(jti) || t.before.get(username).is_some_and(|&b| iat <= b)
    }

    /// Forgets `jti`s whose tokens have expired, and cut-offs older than
    /// any token that could still be alive (`max_age` seconds).
    pub fn sweep(&self, now: i64, max_age: i64) {
        let mut t = self.lock();
        t.jtis.retain(|_, exp| *exp > now);
        t.before.retain(|_, at| *at > now - max_age);
    }

    /// Every entry, for a snapshot: (`jti`s with their `exp`, cut-offs).
    pub fn entries(&self) -> (Vec<Stamped>, Vec<Stamped>) {
        let t = self.lock();
        (
            t.jtis.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            t.before.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        )
    }
}

/// A name (a `jti` or a username) with a Unix time.
pub type Stamped = (String, i64);

/// Longest a token may live (`exp` - `iat`) plus leeway: deny-list
/// entries older than this protect nothing.
pub const TOKEN_MAX_AGE_SECS: i64 = 900 + 60;

/// Every table in memory.
pub struct MemoryStore {
    pub(crate) users: UserStore,
    pub(crate) sessions: SessionStore,
    pub(crate) comments: Arc<CommentStore>,
    pub(crate) throttle: LoginThrottle,
    pub(crate) tokens: TokenDenyList,
    /// The throttle counts in `Instant`s; this pairs one with Unix time.
    epoch: UnixEpoch,
}

impl MemoryStore {
    pub fn new(max_sessions: usize) -> MemoryStore {
        MemoryStore {
            users: UserStore::new(),
            sessions: SessionStore::new(max_sessions, SESSION_TTL.as_secs() as i64),
            comments: Arc::new(CommentStore::new()),
            throttle: LoginThrottle::new(),
            tokens: TokenDenyList::default(),
            epoch: UnixEpoch::now(),
        }
    }
}

fn record(u: &User) -> UserRecord {
    UserRecord {
        password_hash: u.password_hash.clone(),
        created_at: u.created_at,
    }
}

fn session_error(e: SessionError) -> StoreError {
    match e {
        SessionError::Full => StoreError::SessionsFull,
        SessionError::RandomSource => StoreError::RandomSource,
    }
}

impl Store for MemoryStore {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn user(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        Ok(self.users.get(username).as_ref().map(record))
    }

    fn create_user(&self, username: &str, user: UserRecord) -> StoreResult<bool> {
        let user = User {
            password_hash: user.password_hash,
            created_at: user.created_at,
        };
        match self.users.insert(username, user, |_| Ok::<(), ()>(())) {
            Ok(()) => Ok(true),
            Err(InsertError::Taken) => Ok(false),
            Err(InsertError::Persist(())) => Ok(false),
        }
    }

    fn replace_password_hash(&self, username: &str, old: &str, new: &str) -> StoreResult<bool> {
        let done = self
            .users
            .replace_hash(username, Some(old), new.to_string(), |_| Ok::<(), ()>(()));
        Ok(matches!(done, Ok(Some(()))))
    }

    fn change_password(
        &self,
        username: &str,
        new_hash: &str,
        keep: Option<&str>,
        now: i64,
    ) -> StoreResult<()> {
        let _ = self
            .users
            .replace_hash(username, None, new_hash.to_string(), |_| Ok::<(), ()>(()));
        let keep_id = keep.and_then(|h| self.sessions.id_by_hash(username, h));
        self.sessions.remove_user(username, keep_id.as_deref());
        self.tokens.revoke_before(username, now);
        Ok(())
    }

    fn create_session(
        &self,
        username: &str,
        user_agent: &str,
        now: i64,
        _ttl: Duration,
    ) -> StoreResult<NewSession> {
        self.sessions
            .create(username, user_agent, now)
            .map_err(session_error)
    }

    fn session(&self, id: &str, now: i64) -> StoreResult<Option<SessionInfo>> {
        Ok(self.sessions.get(id, now))
    }

    fn session_user(&self, id: &str, now: i64) -> StoreResult<Option<Arc<str>>> {
        Ok(self.sessions.user(id, now))
    }

    fn find_session_user(&self, ids: &[&str], now: i64, done: SessionUserDone) {
        done(first_session_user(self, ids.iter().copied(), now))
    }

    fn end_session(&self, id: &str) -> StoreResult<()> {
        self.sessions.remove(id);
        Ok(())
    }

    fn end_all_sessions(&self, username: &str, now: i64) -> StoreResult<()> {
        self.sessions.remove_user(username, None);
        self.tokens.revoke_before(username, now);
        Ok(())
    }

    fn sessions_of(&self, username: &str, now: i64) -> StoreResult<Vec<SessionInfo>> {
        Ok(self.sessions.of_user(username, now))
    }

    fn session_count(&self) -> StoreResult<u64> {
        Ok(self.sessions.len() as u64)
    }

    fn post_comment(&self, author: &str, text: &str, created_at: i64, done: CommentDone) {
        let posted = self
            .comments
            .post(author, text, created_at, |_| Ok::<(), ()>(()));
        match posted {
            Ok((comment, ())) => {
                self.comments.publish(comment.id);
                done(Ok(comment))
            }
            Err(()) => done(Err(StoreError::Unavailable("comment not stored".into()))),
        }
    }

    fn comments_after(&self, after: u64, limit: usize) -> StoreResult<Vec<Comment>> {
        Ok(self.comments.page(after, limit))
    }

    fn comments_before(&self, before: Option<u64>, limit: usize) -> StoreResult<Vec<Comment>> {
        Ok(self.comments.page_before(before, limit))
    }

    fn comments_version(&self) -> StoreResult<u64> {
        Ok(self.comments.version())
    }

    fn delete_comment(&self, id: u64, by: &str) -> StoreResult<DeleteOutcome> {
        Ok(self
            .comments
            .delete(id, by, || Ok::<(), ()>(()))
            .unwrap_or(DeleteOutcome::NotFound))
    }

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

    fn revoke_token(&self, jti: &str, exp: i64) -> StoreResult<()> {
        self.tokens.revoke(jti, exp);
        Ok(())
    }

    fn find_token_status(&self, sub: &str, jti: &str, iat: i64, done: TokenStatusDone) {
        done(self.token_status(sub, jti, iat))
    }

    fn token_status(&self, sub: &str, jti: &str, iat: i64) -> StoreResult<TokenStatus> {
        if !self.users.exists(sub) {
            return Ok(TokenStatus::NoSuchUser);
        }
        if self.tokens.is_revoked(sub, jti, iat) {
            return Ok(TokenStatus::Revoked);
        }
        Ok(TokenStatus::Valid)
    }

    fn sweep(&self, now: i64) -> usize {
        self.throttle.sweep(self.epoch.instant(now));
        self.tokens.sweep(now, TOKEN_MAX_AGE_SECS);
        self.sessions.sweep(now)
    }
}
