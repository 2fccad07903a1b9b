//! Sessions in Redis: creation, lookup through the session cache (for
//! `GET /me`, batched with other requests' lookups when not cached),
//! `last_seen_at` written in the background, listing and ending.

use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::Arc;
use std::time::Duration;

use super::reply::{array, bulk, int, session_from_fields, text, unavailable};
use super::{scripts, unix_now, Keys, RedisStore};
use crate::app::sessions::is_session_id;
use crate::app::store::{
    session_key, NewSession, SessionInfo, SessionUserDone, StoreError, StoreResult,
};
use crate::crypto::session_id;
use crate::limits::LAST_SEEN_GRANULARITY;
use crate::redis::tracking::{Lookup, TrackedCache};
use crate::redis::{Client, Effect, Pipeline, RedisError, Reply};

/// Most sessions `GET /sessions` lists (the newest).
pub const SESSIONS_LISTED_MAX: usize = 1000;
/// `last_seen_at` writes sent in one pipeline.
const TOUCH_BATCH: usize = 256;

impl RedisStore {
    /// `GET /me`: the user of the first of `ids` naming a live session. A
    /// cached session answers at once; otherwise the lookups go to the
    /// batcher (one round trip with other requests'), and `done` is called
    /// from its thread.
    pub(super) fn find_user(&self, ids: &[&str], now: i64, done: SessionUserDone) {
        let mut pending: Vec<Pending> = Vec::new();
        for id in ids.iter().filter(|id| is_session_id(id)) {
            let hash = session_key(id);
            let key = self.keys.session(&hash);
            let lookup = match &self.sessions.cache {
                Some(cache) => cache.get(key.as_bytes()),
                None => Lookup::Off,
            };
            match lookup {
                // Answered now only if no earlier cookie is still unknown.
                Lookup::Hit(info) if pending.is_empty() => {
                    if let Some(user) = self.sessions.accept(&info, &key, now) {
                        return done(Ok(Some(user)));
                    }
                }
                lookup => pending.push(Pending { hash, key, lookup }),
            }
        }
        if pending.is_empty() {
            return done(Ok(None));
        }
        let mut p = Pipeline::new();
        for item in pending
            .iter()
            .filter(|i| !matches!(i.lookup, Lookup::Hit(_)))
        {
            p.cmd(&["HMGET", &item.key, "u", "c", "e", "s", "a"]);
        }
        let sessions = self.sessions.clone();
        self.batcher.submit(
            p,
            Box::new(move |replies| done(sessions.first_live(pending, replies, now))),
        );
    }

    /// A new session: the index entries first, so that every session that
    /// exists can be found by logout-all.
    pub(super) fn new_session(
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

    /// Ends one session (a logout), here and in every instance's cache.
    pub(super) fn drop_session(&self, id: &str) -> StoreResult<()> {
        if !is_session_id(id) {
            return Ok(());
        }
        let hash = session_key(id);
        let session = self.keys.session(&hash);
        let mut p = Pipeline::new();
        p.cmd(&["HGET", &session, "u"]).cmd(&["DEL", &session]);
        let result = self.run(&p, Effect::Write);
        if let Some(cache) = &self.sessions.cache {
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

    /// The user's live sessions (the newest [`SESSIONS_LISTED_MAX`]),
    /// newest first.
    pub(super) fn list_sessions(&self, username: &str, now: i64) -> StoreResult<Vec<SessionInfo>> {
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

    /// Live sessions, from the all-sessions index.
    pub(super) fn count_sessions(&self) -> StoreResult<u64> {
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

    /// Reads a session from Redis: `None` when absent or expired.
    pub(super) fn read_session(&self, hash: &str, now: i64) -> StoreResult<Option<SessionInfo>> {
        let reply = self.run1(
            &["HMGET", &self.keys.session(hash), "u", "c", "e", "s", "a"],
            Effect::Read,
        )?;
        session_from_fields(hash, array(&reply, "HMGET session")?, now)
    }

    /// The live session `id` names: from the cache when it may be
    /// trusted, else from Redis (then cached). Notes `now` as its last use,
    /// at most once a granule.
    pub(super) fn live_session(&self, id: &str, now: i64) -> StoreResult<Option<Arc<SessionInfo>>> {
        if !is_session_id(id) {
            return Ok(None);
        }
        let hash = session_key(id);
        let key = self.keys.session(&hash);
        let lookup = match &self.sessions.cache {
            Some(cache) => cache.get(key.as_bytes()),
            None => Lookup::Off,
        };
        let info = match lookup {
            Lookup::Hit(info) => info,
            Lookup::Miss(ticket) => {
                let Some(info) = self.read_session(&hash, now)? else {
                    return Ok(None);
                };
                let info = Arc::new(info);
                if let Some(cache) = &self.sessions.cache {
                    cache.insert(ticket, key.as_bytes(), Arc::clone(&info));
                }
                info
            }
            Lookup::Off => match self.read_session(&hash, now)? {
                Some(info) => Arc::new(info),
                None => return Ok(None),
            },
        };
        Ok(self.sessions.accept(&info, &key, now).map(|_| info))
    }

    /// Ends the sessions `hashes` of `username` (all but `keep`).
    pub(super) fn end_hashes(
        &self,
        username: &str,
        hashes: &[Reply],
        keep: Option<&str>,
    ) -> StoreResult<()> {
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
        if let Some(cache) = &self.sessions.cache {
            for h in &ended {
                cache.remove(self.keys.session(h).as_bytes());
            }
        }
        result.map(drop)
    }

    /// Sets the user's "revoked before" second (and a new password hash)
    /// and returns their session hashes.
    pub(super) fn revoke_all(
        &self,
        username: &str,
        new_hash: &str,
        now: i64,
    ) -> StoreResult<Vec<Reply>> {
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

/// A session lookup waiting for Redis: its hash, key, and what the
/// cache said.
pub(super) struct Pending {
    hash: String,
    key: String,
    lookup: Lookup<Arc<SessionInfo>>,
}

/// What a session lookup needs after it has left the store's thread: the
/// cache, and the queue of `last_seen_at` writes.
#[derive(Clone)]
pub(super) struct SessionParts {
    pub(super) cache: Option<Arc<TrackedCache<Arc<SessionInfo>>>>,
    pub(super) touches: SyncSender<String>,
}

impl SessionParts {
    /// The user of a session found (cached or read), if it is still live;
    /// queues a `last_seen_at` write when the stored one is a granule old,
    /// and notes it in the cache so the next request does not queue it
    /// again.
    fn accept(&self, info: &SessionInfo, key: &str, now: i64) -> Option<Arc<str>> {
        if info.expires_at <= now {
            return None;
        }
        if now - info.last_seen_at >= LAST_SEEN_GRANULARITY.as_secs() as i64 {
            if let Some(cache) = &self.cache {
                cache.update(key.as_bytes(), |v| Arc::make_mut(v).last_seen_at = now);
            }
            let _ = self.touches.try_send(format!("{}\n{now}", info.id_hash));
        }
        Some(Arc::clone(&info.username))
    }

    /// The first live session of `pending`, given the batcher's replies to
    /// the lookups that were not cache hits (in order); read sessions are
    /// cached.
    fn first_live(
        &self,
        pending: Vec<Pending>,
        replies: Result<Vec<Reply>, RedisError>,
        now: i64,
    ) -> StoreResult<Option<Arc<str>>> {
        let mut replies = replies.map_err(unavailable)?.into_iter();
        for Pending { hash, key, lookup } in pending {
            let info = match lookup {
                Lookup::Hit(info) => Some(info),
                lookup => {
                    let reply = replies
                        .next()
                        .ok_or_else(|| unavailable("redis: missing reply"))?;
                    if let Reply::Error(e) = &reply {
                        return Err(unavailable(format!("redis: {e}")));
                    }
                    let found = session_from_fields(&hash, array(&reply, "HMGET session")?, now)?;
                    let found = found.map(Arc::new);
                    if let (Lookup::Miss(ticket), Some(info), Some(cache)) =
                        (lookup, &found, &self.cache)
                    {
                        cache.insert(ticket, key.as_bytes(), Arc::clone(info));
                    }
                    found
                }
            };
            if let Some(user) = info.and_then(|i| self.accept(&i, &key, now)) {
                return Ok(Some(user));
            }
        }
        Ok(None)
    }
}

/// The background writer of `last_seen_at`: batches what the queue holds.
pub(super) fn write_touches(client: &Client, keys: &Keys, queue: &Receiver<String>) {
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
