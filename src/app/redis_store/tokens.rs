//! A token's check against Redis (`sub` still a user, its `jti` not on the
//! deny list, issued after the user's last logout-all), read through two
//! local caches kept current by `CLIENT TRACKING`, like the session cache
//! (see `redis::tracking`).
//!
//! A check needs two facts: the user's hash (whether it exists, and `rb`,
//! "revoked before") and whether the `jti` key exists. Both are cached,
//! absences included. That is sound because the caches track in BCAST
//! mode: Redis pushes an invalidation for every change of any key under
//! the prefix, keys we never read included, so a `jti` revoked on another
//! instance drops our "not revoked" entry as a logout drops a session. The
//! freshness rules are the session cache's: used only while Redis was
//! heard within `FRESH_FOR`, pushes drained before every lookup, and no
//! insert after an invalidation that raced the read.

use std::io;
use std::sync::Arc;

use super::reply::{array, bulk, int, parse_i64, unavailable, unexpected};
use super::{Keys, RedisStore};
use crate::app::store::memory::TOKEN_MAX_AGE_SECS;
use crate::app::store::{StoreResult, TokenStatus, TokenStatusDone};
use crate::redis::tracking::{Lookup, TrackedCache};
use crate::redis::{Client, Effect, Pipeline, RedisError, Reply};

/// Most users the token cache holds (a few dozen bytes each).
pub const TOKEN_USER_CACHE_MAX: usize = 100_000;
/// Most token ids it holds; beyond it, misses are not cached until the
/// sweep drops the ids of expired tokens.
pub const TOKEN_JTI_CACHE_MAX: usize = 200_000;

/// What a token's check needs to know of its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UserFacts {
    exists: bool,
    revoked_before: Option<i64>,
}

/// Whether a token id is on the deny list, and when the entry may go (the
/// token has expired by then, whatever the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct JtiFact {
    revoked: bool,
    forget_after: i64,
}

/// The two caches.
pub(super) struct TokenCaches {
    users: Arc<TrackedCache<UserFacts>>,
    jtis: Arc<TrackedCache<JtiFact>>,
}

impl TokenCaches {
    pub(super) fn start(client: &Arc<Client>, keys: &Keys) -> io::Result<TokenCaches> {
        Ok(TokenCaches {
            users: TrackedCache::start(
                Arc::clone(client),
                &keys.user_prefix(),
                TOKEN_USER_CACHE_MAX,
            )?,
            jtis: TrackedCache::start(Arc::clone(client), &keys.jti_prefix(), TOKEN_JTI_CACHE_MAX)?,
        })
    }

    /// Lookups answered from the caches, and not (both caches).
    pub(super) fn stats(&self) -> (u64, u64) {
        let (u, j) = (self.users.stats(), self.jtis.stats());
        (u.0 + j.0, u.1 + j.1)
    }

    /// Drops the entries of tokens that have expired.
    pub(super) fn sweep(&self, now: i64) {
        self.jtis.retain(|f| f.forget_after > now);
    }
}

/// One token's check: its keys and what the caches said.
struct Check {
    user_key: String,
    jti_key: String,
    iat: i64,
    user: Lookup<UserFacts>,
    jti: Lookup<JtiFact>,
}

impl Check {
    /// The answer, if both facts were cached.
    fn cached(&self) -> Option<TokenStatus> {
        match (&self.user, &self.jti) {
            (Lookup::Hit(user), Lookup::Hit(jti)) => Some(decide(*user, jti.revoked, self.iat)),
            _ => None,
        }
    }

    /// The round trip that reads both facts.
    fn pipeline(&self) -> Pipeline {
        let mut p = Pipeline::new();
        p.cmd(&["HMGET", &self.user_key, "h", "rb"])
            .cmd(&["EXISTS", &self.jti_key]);
        p
    }

    /// The answer from the replies to [`Check::pipeline`]; the facts go to
    /// the caches that missed them.
    fn finish(self, replies: Vec<Reply>, caches: Option<&TokenCaches>) -> StoreResult<TokenStatus> {
        let [user_reply, jti_reply] = replies.as_slice() else {
            return Err(unavailable(
                "redis: reply count does not match the pipeline",
            ));
        };
        for reply in [user_reply, jti_reply] {
            if let Reply::Error(e) = reply {
                return Err(unavailable(format!("redis: {e}")));
            }
        }
        let [h, rb] = array(user_reply, "HMGET user")? else {
            return Err(unexpected("HMGET user", user_reply));
        };
        let user = UserFacts {
            exists: bulk(h, "user hash")?.is_some(),
            revoked_before: bulk(rb, "revoked before")?.and_then(parse_i64),
        };
        let jti = JtiFact {
            revoked: int(jti_reply, "EXISTS jti")? > 0,
            forget_after: self.iat.saturating_add(TOKEN_MAX_AGE_SECS),
        };
        if let Some(caches) = caches {
            if let Lookup::Miss(ticket) = self.user {
                caches.users.insert(ticket, self.user_key.as_bytes(), user);
            }
            if let Lookup::Miss(ticket) = self.jti {
                caches.jtis.insert(ticket, self.jti_key.as_bytes(), jti);
            }
        }
        Ok(decide(user, jti.revoked, self.iat))
    }
}

/// The verdict on a token issued at `iat`.
fn decide(user: UserFacts, jti_revoked: bool, iat: i64) -> TokenStatus {
    if !user.exists {
        TokenStatus::NoSuchUser
    } else if jti_revoked || user.revoked_before.is_some_and(|rb| iat <= rb) {
        TokenStatus::Revoked
    } else {
        TokenStatus::Valid
    }
}

impl RedisStore {
    fn token_check(&self, sub: &str, jti: &str, iat: i64) -> Check {
        let user_key = self.keys.user(sub);
        let jti_key = self.keys.revoked_jti(jti);
        let (user, jti) = match &self.tokens {
            Some(c) => (
                c.users.get(user_key.as_bytes()),
                c.jtis.get(jti_key.as_bytes()),
            ),
            None => (Lookup::Off, Lookup::Off),
        };
        Check {
            user_key,
            jti_key,
            iat,
            user,
            jti,
        }
    }

    /// [`crate::app::store::Store::token_status`]: from the caches, else
    /// one round trip on this thread.
    pub(super) fn token_status_now(
        &self,
        sub: &str,
        jti: &str,
        iat: i64,
    ) -> StoreResult<TokenStatus> {
        let check = self.token_check(sub, jti, iat);
        if let Some(status) = check.cached() {
            return Ok(status);
        }
        let replies = self
            .client
            .call(&check.pipeline(), Effect::Read)
            .map_err(unavailable)?;
        check.finish(replies, self.tokens.as_deref())
    }

    /// [`crate::app::store::Store::find_token_status`]: from the caches at
    /// once, else through the batcher (one round trip with other requests'
    /// lookups), `done` then called from its thread.
    pub(super) fn find_token(&self, sub: &str, jti: &str, iat: i64, done: TokenStatusDone) {
        let check = self.token_check(sub, jti, iat);
        if let Some(status) = check.cached() {
            return done(Ok(status));
        }
        let caches = self.tokens.clone();
        self.batcher.submit(
            check.pipeline(),
            Box::new(move |replies: Result<Vec<Reply>, RedisError>| {
                done(
                    replies
                        .map_err(unavailable)
                        .and_then(|r| check.finish(r, caches.as_deref())),
                )
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        let user = |exists, revoked_before| UserFacts {
            exists,
            revoked_before,
        };
        assert_eq!(decide(user(true, None), false, 10), TokenStatus::Valid);
        assert_eq!(decide(user(true, None), true, 10), TokenStatus::Revoked);
        assert_eq!(
            decide(user(true, Some(10)), false, 10),
            TokenStatus::Revoked
        );
        assert_eq!(decide(user(true, Some(9)), false, 10), TokenStatus::Valid);
        assert_eq!(
            decide(user(false, None), false, 10),
            TokenStatus::NoSuchUser
        );
        assert_eq!(decide(user(false, None), true, 10), TokenStatus::NoSuchUser);
    }
}
