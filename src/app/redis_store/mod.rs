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

pub mod keys;
mod scripts;

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::comments::Comment;
use super::sessions::is_session_id;
use super::store::{
    session_key, CommentDone, DeleteOutcome, NewSession, SessionInfo, Store, StoreError,
    StoreResult, TokenStatus, UserRecord,
};
use crate::crypto::{fill_random, session_id, SESSION_ID_LEN};
use crate::http::date::unix_seconds;
use crate::limits::{LAST_SEEN_GRANULARITY, LOGIN_THROTTLE_FAILURES, LOGIN_THROTTLE_WINDOW};
use crate::redis::tracking::{Lookup, TrackedCache};
use crate::redis::{Client, Effect, Pipeline, Reply};
pub use keys::Keys;

/// Most sessions the local cache holds (a few hundred bytes each); beyond
/// it, misses are not cached until invalidations or the sweep make room.
pub const SESSION_CACHE_MAX: usize = 200_000;
/// Most sessions `GET /sessions` lists (the newest).
pub const SESSIONS_LISTED_MAX: usize = 1000;
/// `last_seen_at` writes waiting for the background writer; beyond it they
/// are dropped (the field may lag a little more).
const TOUCH_QUEUE: usize = 4096;
/// `last_seen_at` writes sent in one pipeline.
const TOUCH_BATCH: usize = 256;

pub struct RedisStore {
    client: Arc<Client>,
    keys: Keys,
    max_sessions: usize,
    cache: Option<Arc<TrackedCache<Arc<SessionInfo>>>>,
    touches: SyncSender<String>,
    /// Makes throttle entries unique across instances and calls.
    nonce_base: u64,
    nonce: AtomicU64,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn unexpected(what: &str, r: &Reply) -> StoreError {
    StoreError::Unavailable(format!("redis: unexpected reply to {what}: {r:?}"))
}

fn int(r: &Reply, what: &str) -> StoreResult<i64> {
    match r {
        Reply::Integer(n) => Ok(*n),
        Reply::Bulk(b) => parse_i64(b).ok_or_else(|| unexpected(what, r)),
        _ => Err(unexpected(what, r)),
    }
}

fn bulk<'a>(r: &'a Reply, what: &str) -> StoreResult<Option<&'a [u8]>> {
    match r {
        Reply::Bulk(b) => Ok(Some(b)),
        Reply::Nil => Ok(None),
        _ => Err(unexpected(what, r)),
    }
}

fn array<'a>(r: &'a Reply, what: &str) -> StoreResult<&'a [Reply]> {
    match r {
        Reply::Array(items) => Ok(items),
        Reply::Nil => Ok(&[]),
        _ => Err(unexpected(what, r)),
    }
}

fn parse_i64(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
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
        let cache = match cache {
            true => Some(TrackedCache::start(
                Arc::clone(&client),
                &keys.session_prefix(),
                SESSION_CACHE_MAX,
            )?),
            false => None,
        };
        let (touches, queue) = sync_channel(TOUCH_QUEUE);
        let writer = Arc::clone(&client);
        let touch_keys = keys.clone();
        std::thread::Builder::new()
            .name("redis-last-seen".into())
            .spawn(move || write_touches(&writer, &touch_keys, &queue))?;
        let mut seed = [0u8; 8];
        fill_random(&mut seed)?;
        Ok(RedisStore {
            client,
            keys,
            max_sessions,
            cache,
            touches,
            nonce_base: u64::from_le_bytes(seed),
            nonce: AtomicU64::new(0),
        })
    }

    /// The session cache's hits and misses (zeros without a cache).
    pub fn cache_stats(&self) -> (u64, u64) {
        self.cache.as_ref().map_or((0, 0), |c| c.stats())
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

    /// Reads a session from Redis: `None` when absent or expired.
    fn read_session(&self, hash: &str, now: i64) -> StoreResult<Option<SessionInfo>> {
        let reply = self.run1(
            &["HMGET", &self.keys.session(hash), "u", "c", "e", "s", "a"],
            Effect::Read,
        )?;
        session_from_fields(hash, array(&reply, "HMGET session")?, now)
    }

    /// The live session `id` names: from the cache when it may be
    /// trusted, else from Redis (then cached). Notes `now` as its last use,
    /// at most once a granule.
    fn live_session(&self, id: &str, now: i64) -> StoreResult<Option<Arc<SessionInfo>>> {
        let Some(id_bytes) = session_id_bytes(id) else {
            return Ok(None);
        };
        let hash = session_key(id);
        let key = self.keys.session(&hash);
        let lookup = match (&self.cache, take_local_answer(&id_bytes)) {
            (_, Some(info)) => Lookup::Hit(info),
            (Some(cache), None) => cache.get(key.as_bytes()),
            (None, None) => Lookup::Off,
        };
        let info = match lookup {
            Lookup::Hit(info) => info,
            Lookup::Miss(ticket) => {
                let Some(info) = self.read_session(&hash, now)? else {
                    return Ok(None);
                };
                let info = Arc::new(info);
                if let Some(cache) = &self.cache {
                    cache.insert(ticket, key.as_bytes(), Arc::clone(&info));
                }
                info
            }
            Lookup::Off => match self.read_session(&hash, now)? {
                Some(info) => Arc::new(info),
                None => return Ok(None),
            },
        };
        if info.expires_at <= now {
            return Ok(None);
        }
        if now - info.last_seen_at >= LAST_SEEN_GRANULARITY.as_secs() as i64 {
            self.touch(&key, &hash, now);
        }
        Ok(Some(info))
    }

    /// Queues a `last_seen_at` write (the background writer sends it), and
    /// notes it in the cache so the next request does not queue it again.
    fn touch(&self, key: &str, hash: &str, now: i64) {
        if let Some(cache) = &self.cache {
            cache.update(key.as_bytes(), |v| Arc::make_mut(v).last_seen_at = now);
        }
        let _ = self.touches.try_send(format!("{hash}\n{now}"));
    }

    /// Ends the sessions `hashes` of `username` (all but `keep`).
    fn end_hashes(&self, username: &str, hashes: &[Reply], keep: Option<&str>) -> StoreResult<()> {
        let mut ended = Vec::new();
        for h in hashes {
            let Some(h) = bulk(h, "ZRANGE sessions")? else {
                continue;
            };
            let h = text(h);
            if Some(h.as_str()) != keep {
                ended.push(h);
            }
        }
        if ended.is_empty() {
            return Ok(());
        }
        let mut p = Pipeline::new();
        for h in &ended {
            p.cmd(&["DEL", &self.keys.session(h)]);
        }
        let user_index = self.keys.user_sessions(username);
        let all = self.keys.all_sessions();
        for chunk in ended.chunks(512) {
            let mut zrem = vec!["ZREM", user_index.as_str()];
            zrem.extend(chunk.iter().map(String::as_str));
            p.cmd(&zrem);
            zrem[1] = all.as_str();
            p.cmd(&zrem);
        }
        let result = self.run(&p, Effect::Write);
        if let Some(cache) = &self.cache {
            for h in &ended {
                cache.remove(self.keys.session(h).as_bytes());
            }
        }
        result.map(drop)
    }

    /// Sets the user's "revoked before" second (and a new password hash)
    /// and returns their session hashes.
    fn revoke_all(&self, username: &str, new_hash: &str, now: i64) -> StoreResult<Vec<Reply>> {
        let reply = self.run1(
            &[
                "EVAL",
                scripts::REVOKE_ALL,
                "2",
                &self.keys.user(username),
                &self.keys.user_sessions(username),
                &now.to_string(),
                new_hash,
            ],
            Effect::Write,
        )?;
        Ok(array(&reply, "revoke-all script")?.to_vec())
    }
}

/// `HMGET u c e s a` into a live session.
fn session_from_fields(hash: &str, f: &[Reply], now: i64) -> StoreResult<Option<SessionInfo>> {
    let [u, c, e, s, a] = f else {
        return Err(unavailable("redis: HMGET session: wrong field count"));
    };
    let Some(user) = bulk(u, "session user")? else {
        return Ok(None);
    };
    let num = |r: &Reply| -> StoreResult<i64> {
        bulk(r, "session time")?
            .and_then(parse_i64)
            .ok_or_else(|| unexpected("session time", r))
    };
    let expires_at = num(e)?;
    if expires_at <= now {
        return Ok(None);
    }
    Ok(Some(SessionInfo {
        username: Arc::from(text(user)),
        id_hash: hash.to_string(),
        created_at: num(c)?,
        expires_at,
        last_seen_at: num(s)?,
        user_agent: bulk(a, "session agent")?.map(text).unwrap_or_default(),
    }))
}

/// A comment member: `id:created:author:text`.
fn comment_from_member(member: &[u8]) -> StoreResult<Comment> {
    let bad = || unavailable("redis: malformed comment");
    let mut parts = member.splitn(4, |&b| b == b':');
    let (Some(id), Some(created), Some(author), Some(body)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let id = parse_i64(id)
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(bad)?;
    let created = parse_i64(created).ok_or_else(bad)?;
    let body = String::from_utf8(body.to_vec()).map_err(|_| bad())?;
    Ok(Comment {
        id,
        author: Arc::from(text(author)),
        text: body,
        created_at: created,
    })
}

fn comments_from(reply: &Reply) -> StoreResult<Vec<Comment>> {
    array(reply, "comments page")?
        .iter()
        .map(|m| match m {
            Reply::Bulk(b) => comment_from_member(b),
            other => Err(unexpected("comments page", other)),
        })
        .collect()
}

thread_local! {
    /// A session [`Store::answers_locally`] just found in the cache, for
    /// the lookup that follows on the same thread: the id, the session,
    /// and when.
    static LOCAL_ANSWER: RefCell<Option<LocalAnswer>> = const { RefCell::new(None) };
}

/// See [`LOCAL_ANSWER`].
type LocalAnswer = ([u8; SESSION_ID_LEN], Arc<SessionInfo>, Instant);

/// How long a handed-over answer stays usable (the lookup follows within
/// microseconds; this only bounds a forgotten one).
const LOCAL_ANSWER_FOR: Duration = Duration::from_millis(1);

/// The id as a fixed array, if it has the shape of an id we issue.
fn session_id_bytes(id: &str) -> Option<[u8; SESSION_ID_LEN]> {
    if !is_session_id(id) {
        return None;
    }
    id.as_bytes().try_into().ok()
}

/// The answer handed over for `id` on this thread, if fresh; taken once.
fn take_local_answer(id: &[u8; SESSION_ID_LEN]) -> Option<Arc<SessionInfo>> {
    LOCAL_ANSWER.with(|a| match a.borrow_mut().take() {
        Some((held, info, at)) if held == *id && at.elapsed() <= LOCAL_ANSWER_FOR => Some(info),
        _ => None,
    })
}

fn unix_now() -> i64 {
    unix_seconds(SystemTime::now())
}

/// The background writer of `last_seen_at`: batches what the queue holds.
fn write_touches(client: &Client, keys: &Keys, queue: &Receiver<String>) {
    while let Ok(first) = queue.recv() {
        let mut p = Pipeline::new();
        for item in std::iter::once(first).chain(queue.try_iter().take(TOUCH_BATCH - 1)) {
            if let Some((hash, now)) = item.split_once('\n') {
                p.cmd(&["EVAL", scripts::TOUCH, "1", &keys.session(hash), now]);
            }
        }
        // Best effort: a lost write only makes `last_seen_at` lag more.
        let _ = client.call(&p, Effect::Write);
    }
}

impl Store for RedisStore {
    fn is_remote(&self) -> bool {
        true
    }

    fn ping(&self) -> StoreResult<()> {
        self.client.ping().map_err(unavailable)
    }

    /// Looks the session up in the cache; on a hit, hands the answer to
    /// the [`Store::session_user`] call that follows on this thread (the
    /// inline `GET /me`), so that call neither hashes nor reads again, and
    /// cannot reach the network on an event loop.
    fn answers_locally(&self, id: &str) -> bool {
        let (Some(cache), Some(id_bytes)) = (&self.cache, session_id_bytes(id)) else {
            return false;
        };
        match cache.get(self.keys.session(&session_key(id)).as_bytes()) {
            Lookup::Hit(info) => {
                LOCAL_ANSWER.with(|a| *a.borrow_mut() = Some((id_bytes, info, Instant::now())));
                true
            }
            _ => false,
        }
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
        Ok(int(&reply, "create-user script")? == 1)
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
        self.end_hashes(username, &hashes, keep)
    }

    fn create_session(
        &self,
        username: &str,
        user_agent: &str,
        now: i64,
        ttl: Duration,
    ) -> StoreResult<NewSession> {
        let all = self.keys.all_sessions();
        let live = self.run1(&["ZCOUNT", &all, &format!("({now}"), "+inf"], Effect::Read)?;
        if int(&live, "ZCOUNT sessions")? >= self.max_sessions as i64 {
            return Err(StoreError::SessionsFull);
        }
        let id = session_id().map_err(|_| StoreError::RandomSource)?;
        let hash = session_key(&id);
        let expires_at = now.saturating_add(ttl.as_secs() as i64);
        let (now_s, expires) = (now.to_string(), expires_at.to_string());
        let index = self.keys.user_sessions(username);
        let session = self.keys.session(&hash);
        let mut p = Pipeline::new();
        // The index first: a session that exists is always one that
        // logout-all can find.
        p.cmd(&["ZREMRANGEBYSCORE", &index, "-inf", &now_s])
            .cmd(&["ZADD", &index, &expires, &hash])
            .cmd(&["ZADD", &all, &expires, &hash])
            .cmd(&[
                "HSET", &session, "u", username, "c", &now_s, "e", &expires, "s", &now_s, "a",
                user_agent,
            ])
            .cmd(&["EXPIREAT", &session, &expires]);
        self.run(&p, Effect::Write)?;
        Ok(NewSession {
            id,
            info: SessionInfo {
                username: Arc::from(username),
                id_hash: hash,
                created_at: now,
                expires_at,
                last_seen_at: now,
                user_agent: user_agent.to_string(),
            },
        })
    }

    fn session(&self, id: &str, now: i64) -> StoreResult<Option<SessionInfo>> {
        Ok(self.live_session(id, now)?.map(|s| (*s).clone()))
    }

    fn session_user(&self, id: &str, now: i64) -> StoreResult<Option<Arc<str>>> {
        Ok(self.live_session(id, now)?.map(|s| Arc::clone(&s.username)))
    }

    fn end_session(&self, id: &str) -> StoreResult<()> {
        if !is_session_id(id) {
            return Ok(());
        }
        let hash = session_key(id);
        let session = self.keys.session(&hash);
        let mut p = Pipeline::new();
        p.cmd(&["HGET", &session, "u"]).cmd(&["DEL", &session]);
        let result = self.run(&p, Effect::Write);
        if let Some(cache) = &self.cache {
            cache.remove(session.as_bytes());
        }
        let replies = result?;
        // The session is gone; its index entries are tidied after (a
        // failure there leaves entries that listing skips and expiry
        // removes).
        if let Some(user) = bulk(&replies[0], "HGET session user")? {
            let user = text(user);
            let mut p = Pipeline::new();
            p.cmd(&["ZREM", &self.keys.user_sessions(&user), &hash])
                .cmd(&["ZREM", &self.keys.all_sessions(), &hash]);
            let _ = self.client.call(&p, Effect::Write);
        }
        Ok(())
    }

    fn end_all_sessions(&self, username: &str, now: i64) -> StoreResult<()> {
        let hashes = self.revoke_all(username, "", now)?;
        self.end_hashes(username, &hashes, None)
    }

    fn sessions_of(&self, username: &str, now: i64) -> StoreResult<Vec<SessionInfo>> {
        let reply = self.run1(
            &[
                "ZREVRANGEBYSCORE",
                &self.keys.user_sessions(username),
                "+inf",
                &format!("({now}"),
                "LIMIT",
                "0",
                &SESSIONS_LISTED_MAX.to_string(),
            ],
            Effect::Read,
        )?;
        let hashes: Vec<String> = array(&reply, "ZREVRANGEBYSCORE sessions")?
            .iter()
            .filter_map(|r| match r {
                Reply::Bulk(b) => Some(text(b)),
                _ => None,
            })
            .collect();
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let mut p = Pipeline::new();
        for h in &hashes {
            p.cmd(&["HMGET", &self.keys.session(h), "u", "c", "e", "s", "a"]);
        }
        let mut sessions = Vec::new();
        for (h, r) in hashes.iter().zip(self.run(&p, Effect::Read)?) {
            if let Some(info) = session_from_fields(h, array(&r, "HMGET session")?, now)? {
                if &*info.username == username {
                    sessions.push(info);
                }
            }
        }
        sessions.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then(b.id_hash.cmp(&a.id_hash))
        });
        Ok(sessions)
    }

    fn session_count(&self) -> StoreResult<u64> {
        let now = unix_now();
        let reply = self.run1(
            &[
                "ZCOUNT",
                &self.keys.all_sessions(),
                &format!("({now}"),
                "+inf",
            ],
            Effect::Read,
        )?;
        Ok(int(&reply, "ZCOUNT sessions")?.max(0) as u64)
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
        )
        .map(drop)
    }

    fn token_status(&self, sub: &str, jti: &str, iat: i64) -> StoreResult<TokenStatus> {
        let mut p = Pipeline::new();
        p.cmd(&["HMGET", &self.keys.user(sub), "h", "rb"])
            .cmd(&["EXISTS", &self.keys.revoked_jti(jti)]);
        let replies = self.run(&p, Effect::Read)?;
        let [h, rb] = array(&replies[0], "HMGET user")? else {
            return Err(unexpected("HMGET user", &replies[0]));
        };
        if bulk(h, "user hash")?.is_none() {
            return Ok(TokenStatus::NoSuchUser);
        }
        let revoked_before = bulk(rb, "revoked before")?.and_then(parse_i64);
        if int(&replies[1], "EXISTS jti")? > 0 || revoked_before.is_some_and(|rb| iat <= rb) {
            return Ok(TokenStatus::Revoked);
        }
        Ok(TokenStatus::Valid)
    }

    fn sweep(&self, now: i64) -> usize {
        if let Some(cache) = &self.cache {
            cache.retain(|s| s.expires_at > now);
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
