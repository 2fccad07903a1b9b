//! The session table of [`StateLog`]: creating, looking up (with the
//! coalesced `last_seen_at`), listing and ending sessions.

use std::io;
use std::sync::Arc;

use super::{NewSession, SessionView, StateLog};
use crate::storage::entry::{Entry, Key};
use crate::storage::state::Session;

impl StateLog {
    /// Adds a session for an existing user.
    pub fn create_session(&self, key: Key, view: &SessionView) -> io::Result<NewSession> {
        let mut t = self.lock();
        if t.live.user(&view.username).is_none() || t.live.session(&key).is_some() {
            return Ok(NewSession::Refused);
        }
        if t.live.session_count() >= self.max_sessions {
            t.live.sweep(view.created_at);
            if t.live.session_count() >= self.max_sessions {
                return Ok(NewSession::Full);
            }
        }
        let entry = Entry::Session {
            key,
            username: view.username.to_string(),
            created_at: view.created_at,
            expires_at: view.expires_at,
            last_seen_at: view.last_seen_at,
            user_agent: view.user_agent.clone(),
        };
        let ticket = self.enqueue(&mut t, &entry)?;
        t.live.insert_session(
            key,
            Session {
                username: Arc::clone(&view.username),
                created_at: view.created_at,
                expires_at: view.expires_at,
                last_seen_at: view.last_seen_at,
                user_agent: view.user_agent.clone().into_boxed_str(),
                seen_written: view.last_seen_at,
                seen_queued: false,
            },
        );
        drop(t);
        self.journal.wait_durable(ticket)?;
        Ok(NewSession::Created)
    }

    /// The live session of `key`, noting `now` as its last use (in memory;
    /// written later, coalesced). An expired one is dropped from memory.
    pub fn session(&self, key: &Key, now: i64) -> Option<SessionView> {
        self.touch(key, now, SessionView::of)
    }

    /// Only the user of the live session of `key` (the hot path of
    /// `GET /me`: no copy of the rest), noting `now` as its last use.
    pub fn session_user(&self, key: &Key, now: i64) -> Option<Arc<str>> {
        self.touch(key, now, |_, s| Arc::clone(&s.username))
    }

    /// Looks a live session up, notes `now` as its last use, and returns
    /// what `read` makes of it.
    fn touch<T>(&self, key: &Key, now: i64, read: impl FnOnce(&Key, &Session) -> T) -> Option<T> {
        let mut t = self.lock();
        let tables = &mut *t;
        let s = tables.live.session_mut(key)?;
        if s.expires_at <= now {
            tables.live.remove_session(key);
            return None;
        }
        if now > s.last_seen_at {
            s.last_seen_at = now;
            if !s.seen_queued {
                s.seen_queued = true;
                tables.seen_dirty.push(*key);
            }
        }
        Some(read(key, s))
    }

    /// Ends one session; ending an unknown one writes nothing.
    pub fn end_session(&self, key: &Key) -> io::Result<()> {
        let mut t = self.lock();
        if t.live.session(key).is_none() {
            return Ok(());
        }
        let ticket = self.enqueue(&mut t, &Entry::EndSession { key: *key })?;
        t.live.remove_session(key);
        drop(t);
        self.journal.wait_durable(ticket)
    }

    /// Ends every session of `username` but `keep`, and revokes its tokens
    /// issued at or before `at`.
    pub fn end_sessions(&self, username: &str, at: i64, keep: Option<Key>) -> io::Result<()> {
        let mut t = self.lock();
        if t.live.user(username).is_none() {
            return Ok(());
        }
        let entry = Entry::EndSessions {
            username: username.to_string(),
            at,
            keep,
        };
        let ticket = self.enqueue(&mut t, &entry)?;
        t.live.end_sessions(username, at, keep.as_ref());
        drop(t);
        self.journal.wait_durable(ticket)
    }

    /// The user's live sessions, newest first.
    pub fn sessions_of(&self, username: &str, now: i64) -> Vec<SessionView> {
        let t = self.lock();
        let mut out: Vec<SessionView> = t
            .live
            .sessions_of(username)
            .iter()
            .filter_map(|k| t.live.session(k).map(|s| SessionView::of(k, s)))
            .filter(|s| s.expires_at > now)
            .collect();
        drop(t);
        out.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.key)));
        out
    }

    pub fn session_count(&self) -> usize {
        self.lock().live.session_count()
    }
}
