//! The store seam: everything the routes keep between requests (users,
//! sessions, comments, the login throttle and revoked tokens) behind one
//! trait, so memory, the journal (`--data-dir`) and Redis (`--redis`) are
//! three implementations and no route knows which one it was given.
//!
//! Rules every implementation keeps:
//! - A method that changes state returns only once the change is as durable
//!   as the store can make it (fsync for the journal, the reply of Redis);
//!   an error means "not done" (or, for Redis, "not known to be done", and
//!   the route answers 503 so the client retries).
//! - Session ids are never kept at rest: a store that writes sessions
//!   anywhere keys them by [`session_key`] (the SHA-256 of the id).
//! - Times are Unix seconds of wall-clock time, so a restart neither
//!   extends nor shortens anything.
//! - [`StoreError::Unavailable`] is the only way a store says "I cannot
//!   answer now" (Redis down, hung or answering errors; a disk that failed);
//!   the routes turn it into `503 {"error": "store unavailable"}` with
//!   `Retry-After: 1`, never into a valid session or a reported write.

use std::sync::Arc;
use std::time::Duration;

use super::comments::Comment;
use crate::crypto::sha256;

pub mod journal;
pub mod memory;
pub mod metered;

pub use journal::JournalStore;
pub use memory::MemoryStore;
pub use metered::MeteredStore;

/// Why a store could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The backing service or disk cannot answer now (503, `Retry-After`).
    /// The message is for the log, never for the client.
    Unavailable(String),
    /// The session table holds `--max-sessions` live sessions (503).
    SessionsFull,
    /// The operating system's random source failed (503).
    RandomSource,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What the store keeps about a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub password_hash: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// A session as the store describes it (never the id itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub username: Arc<str>,
    /// Hex SHA-256 of the session id (64 digits); `GET /sessions` shows
    /// the first 12.
    pub id_hash: String,
    /// Unix seconds.
    pub created_at: i64,
    pub expires_at: i64,
    /// May lag the truth by up to `limits::LAST_SEEN_GRANULARITY`.
    pub last_seen_at: i64,
    /// The login request's `User-Agent`, cut to 200 bytes.
    pub user_agent: String,
}

/// A session just created: the id goes to the client once, in the cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub id: String,
    pub info: SessionInfo,
}

/// What `DELETE /comments/ID` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// No comment with that id (never posted, or already deleted): 404.
    NotFound,
    /// The comment is someone else's: 403.
    NotAuthor,
}

/// What a bearer token's server-side check found (the signature and the
/// times were checked before, without the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Valid,
    /// Its `jti` is on the deny list, or it was issued at or before the
    /// user's last logout-all or password change.
    Revoked,
    /// Its `sub` names no user.
    NoSuchUser,
}

/// Called once with the outcome of [`Store::find_session_user`].
pub type SessionUserDone = Box<dyn FnOnce(StoreResult<Option<Arc<str>>>) + Send>;

/// Called once with the outcome of [`Store::find_token_status`].
pub type TokenStatusDone = Box<dyn FnOnce(StoreResult<TokenStatus>) + Send>;

/// Called once with the outcome of [`Store::post_comment`].
pub type CommentDone = Box<dyn FnOnce(StoreResult<Comment>) + Send>;

/// Users, sessions, comments, the login throttle and the token deny list.
pub trait Store: Send + Sync {
    /// Whether calls may wait on the network (Redis): then every route that
    /// uses the store runs on the worker pool, not on an event loop.
    fn is_remote(&self) -> bool {
        false
    }

    /// Whether a write waits for a disk (an fsync): then the routes that
    /// write run on the worker pool.
    fn writes_block(&self) -> bool {
        self.is_remote()
    }

    /// `Ok` when the store answers (`GET /readyz`; Redis `PING`).
    fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    /// A short name for the log and `/metrics`: "memory", "journal",
    /// "redis".
    fn kind(&self) -> &'static str;

    // -- users --------------------------------------------------------

    fn user(&self, username: &str) -> StoreResult<Option<UserRecord>>;

    /// Adds `username`; `Ok(false)` when the name is taken (also when
    /// another instance took it at the same instant).
    fn create_user(&self, username: &str, user: UserRecord) -> StoreResult<bool>;

    /// Replaces the hash if it is still `old_hash` (a rehash at login);
    /// `Ok(false)` when it changed meanwhile.
    fn replace_password_hash(
        &self,
        username: &str,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool>;

    /// `POST /password`: sets the new hash, ends every session of the user
    /// but `keep` (the hash of the caller's session id, if any), and
    /// revokes every token issued at or before `now`.
    fn change_password(
        &self,
        username: &str,
        new_hash: &str,
        keep: Option<&str>,
        now: i64,
    ) -> StoreResult<()>;

    // -- sessions -----------------------------------------------------

    /// A new session with a fresh random id, expiring `ttl` after `now`.
    fn create_session(
        &self,
        username: &str,
        user_agent: &str,
        now: i64,
        ttl: Duration,
    ) -> StoreResult<NewSession>;

    /// The live session `id` names, if any; notes `now` as its last use
    /// (coalesced: no write per request). This is the hot path of
    /// `GET /me`.
    fn session(&self, id: &str, now: i64) -> StoreResult<Option<SessionInfo>>;

    /// The user of the first of `ids` that names a live session (`GET
    /// /me`: with several `sessionid` cookies the first valid one wins).
    /// Calls `done` once: at once, or later from another thread, so that a
    /// remote store can send the lookup with others in one round trip
    /// instead of holding a thread while it waits. Required, with no
    /// default: `GET /me` calls it on an event loop, so a wrapper that
    /// forgot to pass it on would make a remote store block that loop. A
    /// store in this process answers with [`first_session_user`].
    fn find_session_user(&self, ids: &[&str], now: i64, done: SessionUserDone);

    /// Only the user of the live session `id` (the hot path of `GET /me`;
    /// a store may answer it without building a [`SessionInfo`]).
    fn session_user(&self, id: &str, now: i64) -> StoreResult<Option<Arc<str>>> {
        Ok(self.session(id, now)?.map(|s| s.username))
    }

    /// Ends one session (logout); ending an unknown one is `Ok`.
    fn end_session(&self, id: &str) -> StoreResult<()>;

    /// Ends every session of `username` and revokes every token issued at
    /// or before `now` (`POST /logout {"all":"true"}`).
    fn end_all_sessions(&self, username: &str, now: i64) -> StoreResult<()>;

    /// The user's live sessions, newest first.
    fn sessions_of(&self, username: &str, now: i64) -> StoreResult<Vec<SessionInfo>>;

    /// How many sessions are held (for `/metrics`); may be approximate.
    fn session_count(&self) -> StoreResult<u64>;

    // -- comments -----------------------------------------------------

    /// Stores a comment with the next id and calls `done` once it is
    /// durable and visible (maybe on another thread, maybe at once).
    fn post_comment(&self, author: &str, text: &str, created_at: i64, done: CommentDone);

    /// Up to `limit` visible comments with ids above `after`, oldest first.
    fn comments_after(&self, after: u64, limit: usize) -> StoreResult<Vec<Comment>>;

    /// The newest `limit` visible comments with ids below `before` (all
    /// when `None`), oldest of them first: the browser's pages.
    fn comments_before(&self, before: Option<u64>, limit: usize) -> StoreResult<Vec<Comment>>;

    /// Changes whenever a comment is posted or deleted (the `ETag` of
    /// `GET /comments`), once the change is visible and never before:
    /// the route reads the version before the page, so a bump ahead of
    /// visibility could tie a stale page to the new tag, and a client
    /// would keep getting 304 for it.
    fn comments_version(&self) -> StoreResult<u64>;

    fn delete_comment(&self, id: u64, by: &str) -> StoreResult<DeleteOutcome>;

    // -- login throttle -----------------------------------------------

    /// `Some(wait)` while `username` is locked out.
    fn throttle_check(&self, username: &str, now: i64) -> StoreResult<Option<Duration>>;

    fn throttle_failure(&self, username: &str, now: i64) -> StoreResult<()>;

    fn throttle_clear(&self, username: &str) -> StoreResult<()>;

    // -- tokens -------------------------------------------------------

    /// Puts `jti` on the deny list until `exp` (a token logout).
    fn revoke_token(&self, jti: &str, exp: i64) -> StoreResult<()>;

    /// Whether a token of `sub` with `jti`, issued at `iat`, still counts.
    fn token_status(&self, sub: &str, jti: &str, iat: i64) -> StoreResult<TokenStatus>;

    /// [`Store::token_status`] for `GET /me` by token, calling `done` with
    /// the outcome: a store that must wait on the network (Redis) may call
    /// it later from another thread instead of holding one while it waits.
    /// Required for the reason [`Store::find_session_user`] is; a store in
    /// this process calls `done(self.token_status(..))`.
    fn find_token_status(&self, sub: &str, jti: &str, iat: i64, done: TokenStatusDone);

    // -- housekeeping -------------------------------------------------

    /// Drops expired sessions, throttle entries and deny-list entries;
    /// returns how many sessions went. Called every
    /// `limits::SESSION_SWEEP_INTERVAL`.
    fn sweep(&self, now: i64) -> usize;
}

/// [`Store::find_session_user`]'s answer asked of [`Store::session_user`]
/// for each id in turn: for the stores that answer in this process.
pub fn first_session_user<'a, S: Store + ?Sized>(
    store: &S,
    ids: impl IntoIterator<Item = &'a str>,
    now: i64,
) -> StoreResult<Option<Arc<str>>> {
    for id in ids {
        if let Some(user) = store.session_user(id, now)? {
            return Ok(Some(user));
        }
    }
    Ok(None)
}

/// The form in which a session id is kept anywhere outside the process's
/// hot table: hex SHA-256 of the id.
pub fn session_key(id: &str) -> String {
    let digest = sha256(id.as_bytes());
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    hex
}
