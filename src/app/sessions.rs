//! The server-side session table: a `HashMap` from session id to session,
//! behind a `Mutex` that is held only for the moment of one lookup, insert
//! or removal (never across I/O or hashing). Times are Unix seconds of
//! wall-clock time, so a session's expiry means the same after a restart.
//!
//! ```
//! use stateful::app::sessions::SessionStore;
//! let store = SessionStore::new(10, 60);
//! let now = 1_700_000_000;
//! let new = store.create("alice", "curl/8", now).unwrap();
//! assert_eq!(store.get(&new.id, now).map(|s| s.username), Some("alice".into()));
//! store.remove(&new.id);
//! assert_eq!(store.get(&new.id, now), None);
//! ```

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use super::store::{session_key, NewSession, SessionInfo};
use crate::crypto::{session_id, SESSION_ID_LEN};
use crate::limits::USER_AGENT_MAX;

struct Session {
    username: Arc<str>,
    /// Hex SHA-256 of the id, made once at creation.
    id_hash: Box<str>,
    created_at: i64,
    expires_at: i64,
    last_seen_at: i64,
    user_agent: Box<str>,
}

impl Session {
    fn info(&self) -> SessionInfo {
        SessionInfo {
            username: Arc::clone(&self.username),
            id_hash: self.id_hash.to_string(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_seen_at: self.last_seen_at,
            user_agent: self.user_agent.to_string(),
        }
    }
}

/// Why a session could not be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionError {
    /// The table holds `--max-sessions` live sessions (503).
    Full,
    /// The operating system's random source failed (503).
    RandomSource,
}

struct Table {
    by_id: HashMap<String, Session, IdHash>,
    /// Each user's session ids, for `GET /sessions` and logout-all.
    by_user: HashMap<Arc<str>, HashSet<String, IdHash>>,
}

impl Table {
    fn remove(&mut self, id: &str) -> Option<Session> {
        let s = self.by_id.remove(id)?;
        if let Some(ids) = self.by_user.get_mut(&s.username) {
            ids.remove(id);
            if ids.is_empty() {
                self.by_user.remove(&s.username);
            }
        }
        Some(s)
    }

    fn remove_expired(&mut self, now: i64) -> usize {
        let expired: Vec<String> = self
            .by_id
            .iter()
            .filter(|(_, s)| s.expires_at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &expired {
            self.remove(id);
        }
        expired.len()
    }
}

pub struct SessionStore {
    table: Mutex<Table>,
    capacity: usize,
    ttl_secs: i64,
}
/// Hashes session ids by their first eight bytes. The ids are random
/// (165 bits from the OS) and made by the server, so a client cannot fill
/// the table with keys that collide; looking up a forged id costs one
/// probe like any other. std's SipHash protects tables whose keys an
/// attacker chooses, which this one's are not, and costs more than the
/// rest of a lookup.
#[derive(Clone, Copy, Default)]
pub struct IdHash;

impl BuildHasher for IdHash {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

/// See [`IdHash`].
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only the first write counts: the id's bytes (`str` then writes a
        // 0xff terminator). The low bit marks the hasher as written.
        if self.0 == 0 {
            let mut first = [0u8; 8];
            let n = bytes.len().min(8);
            first[..n].copy_from_slice(&bytes[..n]);
            self.0 = u64::from_le_bytes(first) | 1;
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Whether `id` has the shape of an id we issue; anything else is not
/// looked up at all.
pub fn is_session_id(id: &str) -> bool {
    // SESSION_ID_ALPHABET is exactly [a-z0-9].
    id.len() == SESSION_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

impl SessionStore {
    /// A table of at most `capacity` live sessions, each living `ttl_secs`.
    pub fn new(capacity: usize, ttl_secs: i64) -> Self {
        SessionStore {
            table: Mutex::new(Table {
                by_id: HashMap::with_hasher(IdHash),
                by_user: HashMap::new(),
            }),
            capacity,
            ttl_secs,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // Every mutation keeps both maps consistent before it can panic
        // (they are plain inserts and removes), so a poisoned lock is safe
        // to keep using.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates a session for `username` with a fresh random id, valid for
    /// the store's lifetime from `now`.
    pub fn create(
        &self,
        username: &str,
        user_agent: &str,
        now: i64,
    ) -> Result<NewSession, SessionError> {
        let id = session_id().map_err(|_| SessionError::RandomSource)?;
        let username: Arc<str> = Arc::from(username);
        let session = Session {
            username: Arc::clone(&username),
            id_hash: session_key(&id).into(),
            created_at: now,
            expires_at: now.saturating_add(self.ttl_secs),
            last_seen_at: now,
            user_agent: cut_user_agent(user_agent).into(),
        };
        let info = session.info();
        let mut table = self.lock();
        if table.by_id.len() >= self.capacity {
            table.remove_expired(now);
            if table.by_id.len() >= self.capacity {
                return Err(SessionError::Full);
            }
        }
        // 165 bits of randomness: a collision would be a broken RNG, and
        // even then the existing session must not be overwritten.
        if table.by_id.contains_key(&id) {
            return Err(SessionError::RandomSource);
        }
        table.by_id.insert(id.clone(), session);
        table
            .by_user
            .entry(username)
            .or_default()
            .insert(id.clone());
        Ok(NewSession { id, info })
    }

    /// The live session `id` names, noting `now` as its last use; an
    /// expired one is removed.
    pub fn get(&self, id: &str, now: i64) -> Option<SessionInfo> {
        self.touch(id, now, Session::info)
    }

    /// The user of a live session (the hot path: no copy but the name).
    pub fn user(&self, id: &str, now: i64) -> Option<Arc<str>> {
        self.touch(id, now, |s| Arc::clone(&s.username))
    }

    fn touch<T>(&self, id: &str, now: i64, f: impl FnOnce(&Session) -> T) -> Option<T> {
        if !is_session_id(id) {
            return None;
        }
        let mut table = self.lock();
        match table.by_id.get_mut(id) {
            Some(s) if s.expires_at > now => {
                if now > s.last_seen_at {
                    s.last_seen_at = now;
                }
                Some(f(s))
            }
            Some(_) => {
                table.remove(id);
                None
            }
            None => None,
        }
    }

    /// Ends one session; whether it existed.
    pub fn remove(&self, id: &str) -> bool {
        is_session_id(id) && self.lock().remove(id).is_some()
    }

    /// Ends every session of `username` but `keep` (an id); how many went.
    pub fn remove_user(&self, username: &str, keep: Option<&str>) -> usize {
        let mut table = self.lock();
        let Some(ids) = table.by_user.get(username) else {
            return 0;
        };
        let doomed: Vec<String> = ids
            .iter()
            .filter(|id| Some(id.as_str()) != keep)
            .cloned()
            .collect();
        for id in &doomed {
            table.remove(id);
        }
        doomed.len()
    }

    /// The id of `username`'s session whose hash is `id_hash`, if live.
    pub fn id_by_hash(&self, username: &str, id_hash: &str) -> Option<String> {
        let table = self.lock();
        let ids = table.by_user.get(username)?;
        ids.iter()
            .find(|id| table.by_id.get(*id).is_some_and(|s| &*s.id_hash == id_hash))
            .cloned()
    }

    /// `username`'s live sessions, newest first.
    pub fn of_user(&self, username: &str, now: i64) -> Vec<SessionInfo> {
        let table = self.lock();
        let mut list: Vec<SessionInfo> = table
            .by_user
            .get(username)
            .into_iter()
            .flatten()
            .filter_map(|id| table.by_id.get(id))
            .filter(|s| s.expires_at > now)
            .map(Session::info)
            .collect();
        drop(table);
        list.sort_by(|a, b| (b.created_at, &b.id_hash).cmp(&(a.created_at, &a.id_hash)));
        list
    }

    /// Removes every expired session; returns how many.
    pub fn sweep(&self, now: i64) -> usize {
        self.lock().remove_expired(now)
    }

    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The first [`USER_AGENT_MAX`] bytes of a `User-Agent`, cut at a
/// character boundary.
pub fn cut_user_agent(ua: &str) -> &str {
    let mut end = ua.len().min(USER_AGENT_MAX);
    while !ua.is_char_boundary(end) {
        end -= 1;
    }
    &ua[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000;

    #[test]
    fn ids_are_fresh_and_well_formed() {
        let s = SessionStore::new(1000, 60);
        let ids: HashSet<String> = (0..500)
            .map(|_| s.create("u", "", T0).unwrap().id)
            .collect();
        assert_eq!(ids.len(), 500);
        assert!(ids.iter().all(|id| is_session_id(id)));
    }

    #[test]
    fn expiry_and_sweep() {
        let s = SessionStore::new(10, 60);
        let a = s.create("a", "", T0).unwrap().id;
        let _b = s.create("b", "", T0 + 30).unwrap();
        assert_eq!(s.user(&a, T0 + 59).as_deref(), Some("a"));
        assert_eq!(s.user(&a, T0 + 60), None);
        assert_eq!(s.len(), 1, "an expired session is removed when presented");
        assert_eq!(s.sweep(T0 + 95), 1);
        assert!(s.is_empty());
        assert!(s.of_user("b", T0).is_empty());
    }

    #[test]
    fn full_table_refuses_without_losing_sessions() {
        let s = SessionStore::new(2, 60);
        let a = s.create("a", "", T0).unwrap().id;
        let b = s.create("b", "", T0).unwrap().id;
        assert_eq!(s.create("c", "", T0), Err(SessionError::Full));
        assert_eq!(s.user(&a, T0).as_deref(), Some("a"));
        assert_eq!(s.user(&b, T0).as_deref(), Some("b"));
        // Expired sessions make room.
        assert!(s.create("c", "", T0 + 61).is_ok());
    }

    #[test]
    fn per_user_listing_and_removal() {
        let s = SessionStore::new(10, 100);
        let a1 = s.create("a", "one", T0).unwrap();
        let a2 = s.create("a", "two", T0 + 1).unwrap();
        let b = s.create("b", "", T0).unwrap().id;
        let list = s.of_user("a", T0 + 2);
        assert_eq!(
            list.iter()
                .map(|i| i.user_agent.as_str())
                .collect::<Vec<_>>(),
            ["two", "one"]
        );
        assert_eq!(list[0].id_hash, session_key(&a2.id));
        assert_eq!(s.user(&a1.id, T0 + 50), Some("a".into()));
        assert_eq!(s.get(&a1.id, T0 + 51).unwrap().last_seen_at, T0 + 51);
        assert_eq!(s.remove_user("a", Some(&a2.id)), 1);
        assert_eq!(s.user(&a1.id, T0 + 52), None);
        assert!(s.user(&a2.id, T0 + 52).is_some());
        assert_eq!(s.remove_user("a", None), 1);
        assert!(s.user(&b, T0 + 52).is_some());
        assert_eq!(s.id_by_hash("b", &session_key(&b)), Some(b));
    }

    #[test]
    fn user_agents_are_cut_at_a_boundary() {
        let long = "가".repeat(100);
        let cut = cut_user_agent(&long);
        assert!(cut.len() <= USER_AGENT_MAX && cut.len() > USER_AGENT_MAX - 3);
        assert_eq!(cut_user_agent("curl/8"), "curl/8");
    }

    #[test]
    fn the_shape_check_matches_the_issued_alphabet() {
        for b in 0..=255u8 {
            let one = [b];
            let id = std::str::from_utf8(&one).map(|c| c.repeat(SESSION_ID_LEN));
            let expected = crate::crypto::SESSION_ID_ALPHABET.contains(&b);
            assert_eq!(
                id.map(|id| is_session_id(&id)).unwrap_or(false),
                expected,
                "{b}"
            );
        }
    }

    #[test]
    fn malformed_ids_are_not_looked_up() {
        let s = SessionStore::new(2, 60);
        let a = s.create("a", "", T0).unwrap().id;
        for bad in [
            "",
            &a[..31],
            &a.to_uppercase(),
            &format!("{a}x"),
            "../../../../etc/passwd",
        ] {
            assert_eq!(s.user(bad, T0), None, "{bad:?}");
        }
    }
}
