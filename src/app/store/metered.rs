//! [`MeteredStore`]: any store, with every call timed and every failure
//! counted for `/metrics`. Used around the stores whose calls leave the
//! process's memory (the journal, Redis); the memory store is not wrapped,
//! since timing a map lookup would cost more than the lookup.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{
    CommentDone, DeleteOutcome, NewSession, SessionInfo, SessionUserDone, Store, StoreResult,
    TokenStatus, TokenStatusDone, UserRecord,
};
use crate::app::comments::Comment;
use crate::metrics::METRICS;

pub struct MeteredStore {
    inner: Box<dyn Store>,
}

impl MeteredStore {
    pub fn new(inner: Box<dyn Store>) -> MeteredStore {
        MeteredStore { inner }
    }

    fn timed<T>(&self, call: impl FnOnce(&dyn Store) -> StoreResult<T>) -> StoreResult<T> {
        let started = Instant::now();
        let result = call(&*self.inner);
        METRICS.store_call(started.elapsed(), result.is_err());
        result
    }
}

impl Store for MeteredStore {
    fn is_remote(&self) -> bool {
        self.inner.is_remote()
    }
    fn writes_block(&self) -> bool {
        self.inner.writes_block()
    }
    /// Timed from the call to the outcome, like a comment.
    fn find_session_user(&self, ids: &[&str], now: i64, done: SessionUserDone) {
        let started = Instant::now();
        self.inner.find_session_user(
            ids,
            now,
            Box::new(move |found| {
                METRICS.store_call(started.elapsed(), found.is_err());
                done(found)
            }),
        )
    }
    fn ping(&self) -> StoreResult<()> {
        self.timed(|s| s.ping())
    }
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn user(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        self.timed(|s| s.user(username))
    }
    fn create_user(&self, username: &str, user: UserRecord) -> StoreResult<bool> {
        self.timed(|s| s.create_user(username, user))
    }
    fn replace_password_hash(&self, username: &str, old: &str, new: &str) -> StoreResult<bool> {
        self.timed(|s| s.replace_password_hash(username, old, new))
    }
    fn change_password(
        &self,
        username: &str,
        new_hash: &str,
        keep: Option<&str>,
        now: i64,
    ) -> StoreResult<()> {
        self.timed(|s| s.change_password(username, new_hash, keep, now))
    }
    fn create_session(
        &self,
        username: &str,
        user_agent: &str,
        now: i64,
        ttl: Duration,
    ) -> StoreResult<NewSession> {
        self.timed(|s| s.create_session(username, user_agent, now, ttl))
    }
    fn session(&self, id: &str, now: i64) -> StoreResult<Option<SessionInfo>> {
        self.timed(|s| s.session(id, now))
    }
    fn session_user(&self, id: &str, now: i64) -> StoreResult<Option<Arc<str>>> {
        self.timed(|s| s.session_user(id, now))
    }
    fn end_session(&self, id: &str) -> StoreResult<()> {
        self.timed(|s| s.end_session(id))
    }
    fn end_all_sessions(&self, username: &str, now: i64) -> StoreResult<()> {
        self.timed(|s| s.end_all_sessions(username, now))
    }
    fn sessions_of(&self, username: &str, now: i64) -> StoreResult<Vec<SessionInfo>> {
        self.timed(|s| s.sessions_of(username, now))
    }
    fn session_count(&self) -> StoreResult<u64> {
        self.inner.session_count()
    }
    /// Timed from the call to the outcome (for the journal, the fsync).
    fn post_comment(&self, author: &str, text: &str, created_at: i64, done: CommentDone) {
        let started = Instant::now();
        self.inner.post_comment(
            author,
            text,
            created_at,
            Box::new(move |outcome| {
                METRICS.store_call(started.elapsed(), outcome.is_err());
                done(outcome)
            }),
        )
    }
    fn comments_after(&self, after: u64, limit: usize) -> StoreResult<Vec<Comment>> {
        self.timed(|s| s.comments_after(after, limit))
    }
    fn comments_before(&self, before: Option<u64>, limit: usize) -> StoreResult<Vec<Comment>> {
        self.timed(|s| s.comments_before(before, limit))
    }
    fn comments_version(&self) -> StoreResult<u64> {
        self.timed(|s| s.comments_version())
    }
    fn delete_comment(&self, id: u64, by: &str) -> StoreResult<DeleteOutcome> {
        self.timed(|s| s.delete_comment(id, by))
    }
    fn throttle_check(&self, username: &str, now: i64) -> StoreResult<Option<Duration>> {
        self.timed(|s| s.throttle_check(username, now))
    }
    fn throttle_failure(&self, username: &str, now: i64) -> StoreResult<()> {
        self.timed(|s| s.throttle_failure(username, now))
    }
    fn throttle_clear(&self, username: &str) -> StoreResult<()> {
        self.timed(|s| s.throttle_clear(username))
    }
    fn revoke_token(&self, jti: &str, exp: i64) -> StoreResult<()> {
        self.timed(|s| s.revoke_token(jti, exp))
    }
    fn token_status(&self, sub: &str, jti: &str, iat: i64) -> StoreResult<TokenStatus> {
        self.timed(|s| s.token_status(sub, jti, iat))
    }
    /// Timed from the call to the outcome, like a session lookup.
    fn find_token_status(&self, sub: &str, jti: &str, iat: i64, done: TokenStatusDone) {
        let started = Instant::now();
        self.inner.find_token_status(
            sub,
            jti,
            iat,
            Box::new(move |status| {
                METRICS.store_call(started.elapsed(), status.is_err());
                done(status)
            }),
        )
    }
    fn sweep(&self, now: i64) -> usize {
        self.inner.sweep(now)
    }
}
