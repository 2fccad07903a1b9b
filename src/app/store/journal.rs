//! [`JournalStore`]: the memory tables as the hot path, with users and
//! comments appended to the journal in `--data-dir` and fsynced before the
//! answer. Replayed at start.
//!
//! Sessions, deletions and the token deny list are not journaled yet (they
//! live in memory as with no data directory); durable sessions are the next
//! step of this store.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::memory::MemoryStore;
use super::{
    CommentDone, DeleteOutcome, NewSession, SessionInfo, Store, StoreError, StoreResult,
    TokenStatus, UserRecord,
};
use crate::app::comments::Comment;
use crate::app::users::{InsertError, User};
use crate::storage::{Journal, Record};

pub struct JournalStore {
    mem: MemoryStore,
    journal: Arc<Journal>,
}

fn unavailable(e: io::Error) -> StoreError {
    StoreError::Unavailable(format!("journal: {e}"))
}

fn user_record(username: &str, u: &User) -> Record {
    Record::User {
        username: username.to_string(),
        password_hash: u.password_hash.clone(),
        created_at: u.created_at,
    }
}

impl JournalStore {
    /// Opens (creating if needed) the journal in `dir`, replays it, and
    /// starts its flusher.
    pub fn open(dir: &Path, max_sessions: usize) -> io::Result<JournalStore> {
        let (journal, records) = Journal::open(dir)?;
        let journal = Arc::new(journal);
        Journal::spawn_flusher(&journal)?;
        let mem = MemoryStore::new(max_sessions);
        let mut comments = Vec::new();
        for record in records {
            match record {
                Record::User {
                    username,
                    password_hash,
                    created_at,
                } => mem.users.restore(
                    username,
                    User {
                        password_hash,
                        created_at,
                    },
                ),
                Record::Comment {
                    id,
                    author,
                    text,
                    created_at,
                } => comments.push((id, author, text, created_at)),
            }
        }
        comments.sort_by_key(|c| c.0);
        for (id, author, text, created_at) in &comments {
            mem.comments.restore(*id, author, text, *created_at);
        }
        mem.comments.restored();
        eprintln!(
            "data directory {}: replayed {} users and {} comments",
            dir.display(),
            mem.users.len(),
            mem.comments.len()
        );
        Ok(JournalStore { mem, journal })
    }

    fn write_user(&self, username: &str, u: &User) -> io::Result<crate::storage::Ticket> {
        self.journal.enqueue(&user_record(username, u))
    }
}

impl Store for JournalStore {
    fn kind(&self) -> &'static str {
        "journal"
    }

    fn writes_block(&self) -> bool {
        true
    }

    fn user(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        self.mem.user(username)
    }

    fn create_user(&self, username: &str, user: UserRecord) -> StoreResult<bool> {
        let user = User {
            password_hash: user.password_hash,
            created_at: user.created_at,
        };
        let ticket = match self
            .mem
            .users
            .insert(username, user, |u| self.write_user(username, u))
        {
            Ok(t) => t,
            Err(InsertError::Taken) => return Ok(false),
            Err(InsertError::Persist(e)) => return Err(unavailable(e)),
        };
        self.journal.wait_durable(ticket).map_err(unavailable)?;
        Ok(true)
    }

    fn replace_password_hash(&self, username: &str, old: &str, new: &str) -> StoreResult<bool> {
        let replaced = self
            .mem
            .users
            .replace_hash(username, Some(old), new.to_string(), |u| {
                self.write_user(username, u)
            })
            .map_err(unavailable)?;
        match replaced {
            Some(ticket) => {
                self.journal.wait_durable(ticket).map_err(unavailable)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn change_password(
        &self,
        username: &str,
        new_hash: &str,
        keep: Option<&str>,
        now: i64,
    ) -> StoreResult<()> {
        let replaced = self
            .mem
            .users
            .replace_hash(username, None, new_hash.to_string(), |u| {
                self.write_user(username, u)
            })
            .map_err(unavailable)?;
        if let Some(ticket) = replaced {
            self.journal.wait_durable(ticket).map_err(unavailable)?;
        }
        // Sessions and tokens: in memory, as the module docs say.
        let keep_id = keep.and_then(|h| self.mem.sessions.id_by_hash(username, h));
        self.mem.sessions.remove_user(username, keep_id.as_deref());
        self.mem.tokens.revoke_before(username, now);
        Ok(())
    }

    fn create_session(
        &self,
        username: &str,
        user_agent: &str,
        now: i64,
        ttl: Duration,
    ) -> StoreResult<NewSession> {
        self.mem.create_session(username, user_agent, now, ttl)
    }

    fn session(&self, id: &str, now: i64) -> StoreResult<Option<SessionInfo>> {
        self.mem.session(id, now)
    }

    fn session_user(&self, id: &str, now: i64) -> StoreResult<Option<Arc<str>>> {
        self.mem.session_user(id, now)
    }

    fn end_session(&self, id: &str) -> StoreResult<()> {
        self.mem.end_session(id)
    }

    fn end_all_sessions(&self, username: &str, now: i64) -> StoreResult<()> {
        self.mem.end_all_sessions(username, now)
    }

    fn sessions_of(&self, username: &str, now: i64) -> StoreResult<Vec<SessionInfo>> {
        self.mem.sessions_of(username, now)
    }

    fn session_count(&self) -> StoreResult<u64> {
        self.mem.session_count()
    }

    /// Queues the comment's record and answers once its fsync (shared with
    /// every other comment in flight) is done; only then is it published.
    fn post_comment(&self, author: &str, text: &str, created_at: i64, done: CommentDone) {
        let posted = self.mem.comments.post(author, text, created_at, |c| {
            self.journal.enqueue(&Record::Comment {
                id: c.id,
                author: c.author.to_string(),
                text: c.text.clone(),
                created_at: c.created_at,
            })
        });
        let (comment, ticket) = match posted {
            Ok(p) => p,
            Err(e) => return done(Err(unavailable(e))),
        };
        let comments = Arc::clone(&self.mem.comments);
        self.journal.on_durable(
            ticket,
            Box::new(move |durable| match durable {
                Ok(()) => {
                    comments.publish(comment.id);
                    done(Ok(comment))
                }
                Err(e) => done(Err(unavailable(e))),
            }),
        )
    }

    fn comments_after(&self, after: u64, limit: usize) -> StoreResult<Vec<Comment>> {
        self.mem.comments_after(after, limit)
    }

    fn comments_before(&self, before: Option<u64>, limit: usize) -> StoreResult<Vec<Comment>> {
        self.mem.comments_before(before, limit)
    }

    fn comments_version(&self) -> StoreResult<u64> {
        self.mem.comments_version()
    }

    fn delete_comment(&self, id: u64, by: &str) -> StoreResult<DeleteOutcome> {
        self.mem.delete_comment(id, by)
    }

    fn throttle_check(&self, username: &str, now: i64) -> StoreResult<Option<Duration>> {
        self.mem.throttle_check(username, now)
    }

    fn throttle_failure(&self, username: &str, now: i64) -> StoreResult<()> {
        self.mem.throttle_failure(username, now)
    }

    fn throttle_clear(&self, username: &str) -> StoreResult<()> {
        self.mem.throttle_clear(username)
    }

    fn revoke_token(&self, jti: &str, exp: i64) -> StoreResult<()> {
        self.mem.revoke_token(jti, exp)
    }

    fn token_status(&self, sub: &str, jti: &str, iat: i64) -> StoreResult<TokenStatus> {
        self.mem.token_status(sub, jti, iat)
    }

    fn sweep(&self, now: i64) -> usize {
        self.mem.sweep(now)
    }
}
