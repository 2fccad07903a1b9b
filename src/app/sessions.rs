//! The server-side session table: a `HashMap` from session id to user,
//! behind a `Mutex` that is held only for the moment of one lookup, insert
//! or removal (never across I/O or hashing).
//!
//! ```
//! use std::time::{Duration, Instant};
//! use stateful::app::sessions::SessionStore;
//! let store = SessionStore::new(10, Duration::from_secs(60));
//! let now = Instant::now();
//! let id = store.create("alice", now).unwrap();
//! assert_eq!(store.user(&id, now).as_deref(), Some("alice"));
//! store.remove(&id);
//! assert_eq!(store.user(&id, now), None);
//! ```

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::crypto::{session_id, SESSION_ID_LEN};

struct Session {
    username: Arc<str>,
    expires: Instant,
}

/// Why a session could not be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionError {
    /// The table holds `--max-sessions` live sessions (503).
    Full,
    /// The operating system's random source failed (503).
    RandomSource,
}

pub struct SessionStore {
    sessions: Mutex<HashMap<String, Session, IdHash>>,
    capacity: usize,
    ttl: Duration,
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
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        SessionStore {
            sessions: Mutex::new(HashMap::with_hasher(IdHash)),
            capacity,
            ttl,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session, IdHash>> {
        // A panic elsewhere cannot leave the map half-updated (every
        // mutation is a single insert or remove), so a poisoned lock is safe
        // to keep using.
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Creates a session for `username` with a fresh random id, valid for
    /// the store's lifetime from `now`.
    pub fn create(&self, username: &str, now: Instant) -> Result<String, SessionError> {
        let id = session_id().map_err(|_| SessionError::RandomSource)?;
        let session = Session {
            username: Arc::from(username),
            expires: now + self.ttl,
        };
        let mut map = self.lock();
        if map.len() >= self.capacity {
            map.retain(|_, s| s.expires > now);
            if map.len() >= self.capacity {
                return Err(SessionError::Full);
            }
        }
        // 165 bits of randomness: a collision would be a broken RNG, and
        // even then the existing session must not be overwritten.
        if map.contains_key(&id) {
            return Err(SessionError::RandomSource);
        }
        map.insert(id.clone(), session);
        Ok(id)
    }

    /// The user of a live session; an expired one is removed.
    pub fn user(&self, id: &str, now: Instant) -> Option<Arc<str>> {
        if !is_session_id(id) {
            return None;
        }
        let mut map = self.lock();
        match map.get(id) {
            Some(s) if s.expires > now => Some(Arc::clone(&s.username)),
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    pub fn remove(&self, id: &str) {
        if is_session_id(id) {
            self.lock().remove(id);
        }
    }

    /// Removes every expired session; returns how many.
    pub fn sweep(&self, now: Instant) -> usize {
        let mut map = self.lock();
        let before = map.len();
        map.retain(|_, s| s.expires > now);
        before - map.len()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fresh_and_well_formed() {
        let s = SessionStore::new(1000, Duration::from_secs(60));
        let now = Instant::now();
        let ids: std::collections::HashSet<String> =
            (0..500).map(|_| s.create("u", now).unwrap()).collect();
        assert_eq!(ids.len(), 500);
        assert!(ids.iter().all(|id| is_session_id(id)));
    }

    #[test]
    fn expiry_and_sweep() {
        let s = SessionStore::new(10, Duration::from_secs(60));
        let now = Instant::now();
        let a = s.create("a", now).unwrap();
        let _b = s.create("b", now + Duration::from_secs(30)).unwrap();
        assert_eq!(
            s.user(&a, now + Duration::from_secs(59)).as_deref(),
            Some("a")
        );
        assert_eq!(s.user(&a, now + Duration::from_secs(60)), None);
        assert_eq!(s.len(), 1, "an expired session is removed when presented");
        assert_eq!(s.sweep(now + Duration::from_secs(95)), 1);
        assert!(s.is_empty());
    }

    #[test]
    fn full_table_refuses_without_losing_sessions() {
        let s = SessionStore::new(2, Duration::from_secs(60));
        let now = Instant::now();
        let a = s.create("a", now).unwrap();
        let b = s.create("b", now).unwrap();
        assert_eq!(s.create("c", now), Err(SessionError::Full));
        assert_eq!(s.user(&a, now).as_deref(), Some("a"));
        assert_eq!(s.user(&b, now).as_deref(), Some("b"));
        // Expired sessions make room.
        assert!(s.create("c", now + Duration::from_secs(61)).is_ok());
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
        let s = SessionStore::new(2, Duration::from_secs(60));
        let now = Instant::now();
        let a = s.create("a", now).unwrap();
        for bad in [
            "",
            &a[..31],
            &a.to_uppercase(),
            &format!("{a}x"),
            "../../../../etc/passwd",
        ] {
            assert_eq!(s.user(bad, now), None, "{bad:?}");
        }
    }
}
