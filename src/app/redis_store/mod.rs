//! [`RedisStore`]: the [`Store`] behind `--redis`, so any number of
//! instances share users, sessions, comments, the login throttle and the
//! token deny list. The key layout is in [`keys`] and ARCHITECTURE.md.
//!
//! Every method is one round trip (a pipeline or a Lua script), two where
//! a step needs the first one's answer; each maps any failure (Redis down,
//! slow past `--redis-timeout`, an error reply, a reply of the wrong shape)
//! to [`StoreError::Unavailable`], which the routes answer with 503. A
//! write returns `Ok` only after Redis acknowledged it.
//!
//! Sessions are read through a [`TrackedCache`] when Redis supports
//! `CLIENT TRACKING` (6.0+): `GET /me` then costs no round trip while the
//! session is unchanged, and a logout anywhere reaches every instance's
//! cache by Redis's invalidation push (see `redis::tracking`).
//!
//! A token's deny-list check is read through two caches of the same kind
//! (the user's `rb` and existence, the `jti`'s absence or presence), and
//! `GET /me` by token waits on no thread when they miss (`tokens`).
//!
//! `sessions` holds the session methods and the cache's use, `tokens` the
//! token check, `reply` the reading of replies into store values,
//! `scripts` the Lua.

pub mod keys;
mod reply;
mod scripts;
mod sessions;
mod tokens;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::comments::Comment;
use super::store::{
    CommentDone, DeleteOutcome, NewSession, SessionInfo, SessionUserDone, Store, StoreError,
    StoreResult, TokenStatus, TokenStatusDone, UserRecord,
};
use crate::crypto::fill_random;
use crate::http::date::unix_seconds;
use crate::limits::{LOGIN_THROTTLE_FAILURES, LOGIN_THROTTLE_WINDOW};
use crate::redis::batch::Batcher;
use crate::redis::tracking::TrackedCache;
use crate::redis::{Client, Effect, Pipeline, Reply};
pub use keys::Keys;
use reply::{array, bulk, comments_from, int, parse_i64, text, unavailable, unexpected};
pub use sessions::SESSIONS_LISTED_MAX;
use sessions::{write_touches, SessionParts};
use tokens::TokenCaches;

/// Threads sending batched session lookups (two, so one batch is on the
/// wire while the next gathers).
const BATCH_DISPATCHERS: usize = 2;
/// Most sessions the local cache holds (a few hundred bytes each); beyond
/// it, misses are not cached until invalidations or the sweep make room.
pub const SESSION_CACHE_MAX: usize = 200_000;
/// `last_seen_at` writes waiting for the background writer; beyond it they
/// are dropped (the field may lag a little more).
const TOUCH_QUEUE: usize = 4096;

pub struct RedisStore {
    client: Arc<Client>,
    keys: Keys,
    max_sessions: usize,
    sessions: SessionParts,
    /// The token check's caches (`None` with `--redis-cache off`).
    tokens: Option<Arc<TokenCaches>>,
    /// Session lookups of `GET /me` that the cache could not answer.
    batcher: Arc<Batcher>,
    /// Makes throttle entries unique across instances and calls.
    nonce_base: u64,
    nonce: AtomicU64,
}

impl RedisStore {
    /// A store over `client`; with `cache`, sessions are cached locally
    /// while Redis's invalidation pushes can be heard. Nothing is
    /// connected yet: an unreachable Redis is not an error here.
    pub fn new(
        client: Arc<Client>,
        prefix: &str,
        max_sessions: usize,
        cache: bool,
    ) -> std::io::Result<RedisStore> {
        let keys = Keys::new(prefix);
        let (cache, tokens) = match cache {
            true => (
                Some(TrackedCache::start(
                    Arc::clone(&client),
                    &keys.session_prefix(),
                    SESSION_CACHE_MAX,
                )?),
                Some(Arc::new(TokenCaches::start(&client, &keys)?)),
            ),
            false => (None, None),
        };
        let (touches, queue) = sync_channel(TOUCH_QUEUE);
        let writer = Arc::clone(&client);
        let touch_keys = keys.clone();
        std::thread::Builder::new()
            .name("redis-last-seen".into())
            .spawn(move || write_touches(&writer, &touch_keys, &queue))?;
        let batcher = Batcher::start(Arc::clone(&client), BATCH_DISPATCHERS)?;
        let mut seed = [0u8; 8];
        fill_random(&mut seed)?;
        Ok(RedisStore {
            client,
            keys,
            max_sessions,
            sessions: SessionParts { cache, touches },
            tokens,
            batcher,
            nonce_base: u64::from_le_bytes(seed),
            nonce: AtomicU64::new(0),
        })
    }

    /// The session cache's hits and misses (zeros without a cache).
    pub fn cache_stats(&self) -> (u64, u64) {
        self.sessions.cache.as_ref().map_or((0, 0), |c| c.stats())
    }

    /// The token caches' hits and misses, both caches together (zeros
    /// without them).
    pub fn token_cache_stats(&self) -> (u64, u64) {
        self.tokens.as_ref().map_or((0, 0), |t| t.stats())
    }

    /// Sends `p` and checks that no reply is an error.
    fn run(&self, p: &Pipeline, effect: Effect) -> StoreResult<Vec<Reply>> {
        let replies = self.client.call(p, effect).map_err(unavailable)?;
        if let Some(Reply::Error(e)) = replies.iter().find(|r| matches!(r, Reply::Error(_))) {
            return Err(StoreError::Unavailable(format!("redis: {e}")));
        }
        if replies.len() != p.len() {
            return Err(unavailable(
                "redis: reply count does not match the pipeline",
            ));
        }
        Ok(replies)
    }

    fn run1<A: AsRef<[u8]>>(&self, args: &[A], effect: Effect) -> StoreResult<Reply> {
        let mut p = Pipeline::new();
        p.cmd(args);
        let mut replies = self.run(&p, effect)?;
        replies.pop().ok_or_else(|| unavailable("redis: no reply"))
    }

    /// Returns once Redis has written out the invalidation pushes of our
    /// last write, so that a client who has our answer and turns to
    /// another instance finds its caches already told (why a `PING` does
    /// that, and what it leaves across machines: `redis::tracking`'s
    /// "Drained first"). One round trip, paid by the rare writes that
    /// invalidate: logouts, password changes, token revocations, signups.
    /// Its failure is not the write's: the write is done, and a Redis that
    /// stopped answering turns every cache off within
    /// `redis::tracking::FRESH_FOR` anyway.
    fn fence(&self) {
        let _ = self.client.call1(&["PING"], Effect::Read);
    }
}

pub(super) fn unix_now() -> i64 {
    unix_seconds(SystemTime::now())
}

impl Drop for RedisStore {
    /// Ends the batch dispatchers (the cache's listener and the
    /// `last_seen_at` writer end by themselves once the store is gone).
    fn drop(&mut self) {
        self.batcher.close();
    }
}

impl Store for RedisStore {
    fn is_remote(&self) -> bool {
        true
    }

    fn ping(&self) -> StoreResult<()> {
        self.client.ping().map_err(unavailable)
    }

    fn find_session_user(&self, ids: &[&str], now: i64, done: SessionUserDone) {
        self.find_user(ids, now, done)
    }

    fn kind(&self) -> &'static str {
        "redis"
    }

    fn user(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        let reply = self.run1(
            &["HMGET", &self.keys.user(username), "h", "c"],
            Effect::Read,
        )?;
        let [h, c] = array(&reply, "HMGET user")? else {
            return Err(unexpected("HMGET user", &reply));
        };
        let Some(hash) = bulk(h, "user hash")? else {
            return Ok(None);
        };
        let created_at = bulk(c, "user created")?.and_then(parse_i64).unwrap_or(0);
        Ok(Some(UserRecord {
            password_hash: text(hash),
            created_at,
        }))
    }

    fn create_user(&self, username: &str, user: UserRecord) -> StoreResult<bool> {
        let reply = self.run1(
            &[
                "EVAL",
                scripts::CREATE_USER,
                "1",
                &self.keys.user(username),
                &user.password_hash,
                &user.created_at.to_string(),
            ],
            Effect::Write,
        )?;
        let created = int(&reply, "create-user script")? == 1;
        if created {
            self.fence();
        }
        Ok(created)
    }

    fn replace_password_hash(
        &self,
        username: &str,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool> {
        let reply = self.run1(
            &[
                "EVAL",
                scripts::REPLACE_HASH,
                "1",
                &self.keys.user(username),
                old_hash,
                new_hash,
            ],
            Effect::Write,
        )?;
        Ok(int(&reply, "replace-hash script")? == 1)
    }

    fn change_password(
        &self,
        username: &str,
        new_hash: &str,
        keep: Option<&str>,
        now: i64,
    ) -> StoreResult<()> {
        if new_hash.is_empty() {
            return Err(unavailable("empty password hash"));
        }
        let hashes = self.revoke_all(username, new_hash, now)?;
        self.end_hashes(username, &hashes, keep)?;
        self.fence();
        Ok(())
    }

    fn create_session(
        &self,
        username: &str,
        user_agent: &str,
        now: i64,
        ttl: Duration,
    ) -> StoreResult<NewSession> {
        self.new_session(username, user_agent, now, ttl)
    }

    fn session(&self, id: &str, now: i64) -> StoreResult<Option<SessionInfo>> {
        Ok(self.live_session(id, now)?.map(|s| (*s).clone()))
    }

    fn session_user(&self, id: &str, now: i64) -> StoreResult<Option<Arc<str>>> {
        Ok(self.live_session(id, now)?.map(|s| Arc::clone(&s.username)))
    }

    fn end_session(&self, id: &str) -> StoreResult<()> {
        self.drop_session(id)?;
        self.fence();
        Ok(())
    }

    fn end_all_sessions(&self, username: &str, now: i64) -> StoreResult<()> {
        let hashes = self.revoke_all(username, "", now)?;
        self.end_hashes(username, &hashes, None)?;
        self.fence();
        Ok(())
    }

    fn sessions_of(&self, username: &str, now: i64) -> StoreResult<Vec<SessionInfo>> {
        self.list_sessions(username, now)
    }

    fn session_count(&self) -> StoreResult<u64> {
        self.count_sessions()
    }

    fn post_comment(&self, author: &str, text: &str, created_at: i64, done: CommentDone) {
        let result = self
            .run1(
                &[
                    "EVAL",
                    scripts::POST_COMMENT,
                    "3",
                    &self.keys.comment_ids(),
                    &self.keys.comments(),
                    &self.keys.comments_version(),
                    &created_at.to_string(),
                    author,
                    text,
                ],
                Effect::Write,
            )
            .and_then(|r| int(&r, "post-comment script"))
            .and_then(|id| u64::try_from(id).map_err(|_| unavailable("redis: negative comment id")))
            .map(|id| Comment {
                id,
                author: Arc::from(author),
                text: text.to_string(),
                created_at,
            });
        done(result);
    }

    fn comments_after(&self, after: u64, limit: usize) -> StoreResult<Vec<Comment>> {
        let reply = self.run1(
            &[
                "ZRANGEBYSCORE",
                &self.keys.comments(),
                &format!("({after}"),
                "+inf",
                "LIMIT",
                "0",
                &limit.to_string(),
            ],
            Effect::Read,
        )?;
        comments_from(&reply)
    }

    fn comments_before(&self, before: Option<u64>, limit: usize) -> StoreResult<Vec<Comment>> {
        let max = before.map_or_else(|| "+inf".to_string(), |b| format!("({b}"));
        let reply = self.run1(
            &[
                "ZREVRANGEBYSCORE",
                &self.keys.comments(),
                &max,
                "-inf",
                "LIMIT",
                "0",
                &limit.to_string(),
            ],
            Effect::Read,
        )?;
        let mut page = comments_from(&reply)?;
        page.reverse();
        Ok(page)
    }

    fn comments_version(&self) -> StoreResult<u64> {
        let reply = self.run1(&["GET", &self.keys.comments_version()], Effect::Read)?;
        let version = bulk(&reply, "GET version")?
            .and_then(parse_i64)
            .unwrap_or(0);
        Ok(version.max(0) as u64)
    }

    fn delete_comment(&self, id: u64, by: &str) -> StoreResult<DeleteOutcome> {
        let reply = self.run1(
            &[
                "EVAL",
                scripts::DELETE_COMMENT,
                "2",
                &self.keys.comments(),
                &self.keys.comments_version(),
                &id.to_string(),
                by,
            ],
            Effect::Write,
        )?;
        Ok(match int(&reply, "delete-comment script")? {
            1 => DeleteOutcome::Deleted,
            -1 => DeleteOutcome::NotAuthor,
            _ => DeleteOutcome::NotFound,
        })
    }

    fn throttle_check(&self, username: &str, now: i64) -> StoreResult<Option<Duration>> {
        let window = LOGIN_THROTTLE_WINDOW.as_secs() as i64;
        let key = self.keys.throttle(username);
        let since = format!("({}", now - window);
        let mut p = Pipeline::new();
        p.cmd(&["ZCOUNT", &key, &since, "+inf"]).cmd(&[
            "ZRANGEBYSCORE",
            &key,
            &since,
            "+inf",
            "WITHSCORES",
            "LIMIT",
            "0",
            "1",
        ]);
        let replies = self.run(&p, Effect::Read)?;
        if int(&replies[0], "ZCOUNT throttle")? < LOGIN_THROTTLE_FAILURES as i64 {
            return Ok(None);
        }
        let oldest = match array(&replies[1], "ZRANGEBYSCORE throttle")? {
            [_, score] => bulk(score, "throttle score")?
                .and_then(parse_i64)
                .unwrap_or(now),
            _ => now,
        };
        Ok(Some(Duration::from_secs(
            (oldest + window - now).max(1) as u64
        )))
    }

    fn throttle_failure(&self, username: &str, now: i64) -> StoreResult<()> {
        let window = LOGIN_THROTTLE_WINDOW.as_secs() as i64;
        let key = self.keys.throttle(username);
        let n = self.nonce.fetch_add(1, Ordering::Relaxed);
        let member = format!("{now}:{:x}:{n:x}", self.nonce_base);
        let keep = -(LOGIN_THROTTLE_FAILURES as i64) - 1;
        let mut p = Pipeline::new();
        p.cmd(&["ZADD", &key, &now.to_string(), &member])
            .cmd(&[
                "ZREMRANGEBYSCORE",
                &key,
                "-inf",
                &(now - window).to_string(),
            ])
            .cmd(&["ZREMRANGEBYRANK", &key, "0", &keep.to_string()])
            .cmd(&["EXPIRE", &key, &window.to_string()]);
        self.run(&p, Effect::Write).map(drop)
    }

    fn throttle_clear(&self, username: &str) -> StoreResult<()> {
        self.run1(&["DEL", &self.keys.throttle(username)], Effect::Write)
            .map(drop)
    }

    fn revoke_token(&self, jti: &str, exp: i64) -> StoreResult<()> {
        let left = exp - unix_now();
        if left <= 0 {
            return Ok(()); // expired already: refused without the list
        }
        self.run1(
            &[
                "SET",
                &self.keys.revoked_jti(jti),
                "1",
                "EX",
                &left.to_string(),
            ],
            Effect::Write,
        )?;
        self.fence();
        Ok(())
    }

    fn token_status(&self, sub: &str, jti: &str, iat: i64) -> StoreResult<TokenStatus> {
        self.token_status_now(sub, jti, iat)
    }

    fn find_token_status(&self, sub: &str, jti: &str, iat: i64, done: TokenStatusDone) {
        self.find_token(sub, jti, iat, done)
    }

    fn sweep(&self, now: i64) -> usize {
        if let Some(cache) = &self.sessions.cache {
            cache.retain(|s| s.expires_at > now);
        }
        if let Some(tokens) = &self.tokens {
            tokens.sweep(now);
        }
        let reply = self.run1(
            &[
                "ZREMRANGEBYSCORE",
                &self.keys.all_sessions(),
                "-inf",
                &now.to_string(),
            ],
            Effect::Write,
        );
        reply
            .and_then(|r| int(&r, "sweep"))
            .map_or(0, |n| n.max(0) as usize)
    }
}
