//! The durable state behind `--data-dir`: users, sessions and revoked
//! tokens in a [`LiveState`] in memory (the hot path: a session lookup is a
//! hash-map probe, no file I/O), every change journaled before it is
//! acknowledged, and the journal compacted in the background.
//!
//! # Writes
//!
//! A change takes the table lock, queues its entry in the journal (which
//! fixes its place in the journal's order), applies it to memory, releases
//! the lock and waits for the group-commit fsync. So the journal's order is
//! the order in which memory changed, and a fold of the journal rebuilds it.
//!
//! # `last_seen_at`
//!
//! A lookup updates the session's `last_seen_at` in memory and, the first
//! time since the last write, lists the session as dirty. Every
//! `SESSION_SWEEP_INTERVAL` the sweep writes the dirty sessions' times in
//! batches (`Seen` entries, no fsync wait): at most one write per session
//! per interval, whatever the request rate. After a crash `last_seen_at`
//! can be up to two intervals old; a clean stop loses the same.
//!
//! # Compaction
//!
//! When the segments since the snapshot outgrow the live state (see
//! `limits::STATE_COMPACT_MIN_BYTES`), the compactor thread:
//!
//! 1. creates segment `L+1`, syncs the directory, and rotates the journal
//!    to it (everything queued before is synced into segment `L` first);
//! 2. folds snapshot `S` and segments `S..=L` into a fresh [`LiveState`],
//!    reading the files, never the tables the server is using;
//! 3. writes snapshot `L+1` to a temp file, syncs, renames, syncs the dir;
//! 4. writes the manifest (`state L+1`) the same way;
//! 5. removes snapshot `S` and segments `S..=L`.
//!
//! Before step 4 the manifest names `S`, and a start replays snapshot `S`
//! and every segment from `S` on, the new one included; after it, snapshot
//! `L+1` and the segments from `L+1` on. Either way nothing acknowledged
//! is missing, and files of neither are removed at start. The server keeps
//! serving throughout: only the rotation waits for one flush. Steps 2 and
//! 3 run on a thread of their own at the lowest priority (see
//! [`super::set_background_hooks`]); the rotation, which writers
//! wait for, and the manifest stay at normal priority.
//!
//! Here: opening, users, tokens and housekeeping; `sessions` is the
//! session table, `compact` the compaction and the snapshots.

mod compact;
mod sessions;

pub(crate) use compact::write_initial_snapshot;
pub use compact::CompactReport;
use compact::{compactor, create_segment, load_snapshot};

use std::fs::OpenOptions;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};

use super::dir::{context, invalid, read_in_steps, DataDir, FileName};
use super::entry::{Entry, Key};
use super::faults;
use super::frame::{scan_frames, Tail};
use super::journal::{Journal, Ticket};
use super::state::{LiveState, Session, SEEN_PER_ENTRY};
use crate::limits::STATE_COMPACT_LIVE_RATIO;

/// A session as a lookup returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    pub key: Key,
    pub username: Arc<str>,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_seen_at: i64,
    pub user_agent: String,
}

impl SessionView {
    fn of(key: &Key, s: &Session) -> SessionView {
        SessionView {
            key: *key,
            username: Arc::clone(&s.username),
            created_at: s.created_at,
            expires_at: s.expires_at,
            last_seen_at: s.last_seen_at,
            user_agent: s.user_agent.to_string(),
        }
    }
}

/// A user as a lookup returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    pub password_hash: String,
    pub created_at: i64,
    pub tokens_before: i64,
}

/// What [`StateLog::create_session`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewSession {
    Created,
    /// `max_sessions` live sessions are held.
    Full,
    /// The key is taken (a broken random source) or the user is gone.
    Refused,
}

struct Tables {
    live: LiveState,
    /// Bytes queued to the segments since the snapshot.
    log_bytes: u64,
    /// Sessions whose `last_seen_at` is newer than what was written.
    seen_dirty: Vec<Key>,
}

/// Generations of the files in use; changed by compaction only.
#[derive(Debug, Clone, Copy)]
struct Gens {
    snapshot: u64,
    last_segment: u64,
}

/// Users, sessions and the token deny list, durable in a data directory.
pub struct StateLog {
    dir: Arc<DataDir>,
    tables: Mutex<Tables>,
    journal: Arc<Journal>,
    gens: Mutex<Gens>,
    compacting: AtomicBool,
    wake_compactor: SyncSender<()>,
    max_sessions: usize,
}

/// What a start found in the state files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateReport {
    pub users: usize,
    pub sessions: usize,
    pub revoked: usize,
    pub segments: u64,
    pub bytes: u64,
}

impl StateLog {
    /// Loads snapshot `snapshot_gen` and the journal segments after it,
    /// cutting a torn tail off the last one, and starts the journal's
    /// flusher and the compactor thread.
    ///
    /// Refuses (`InvalidData`) a damaged snapshot, a segment damaged in the
    /// middle, a gap in the segments, and entries that do not belong here.
    pub fn open(
        dir: Arc<DataDir>,
        snapshot_gen: u64,
        max_sessions: usize,
    ) -> io::Result<(Arc<StateLog>, StateReport)> {
        let now = faults::unix_now();
        let mut live = LiveState::new();
        let snap_path = dir.file(FileName::StateSnapshot(snapshot_gen));
        load_snapshot(&snap_path, &mut live, now)?;
        let mut segments: Vec<u64> = dir
            .list()?
            .into_iter()
            .filter_map(|(name, _)| match name {
                FileName::StateSegment(g) if g >= snapshot_gen => Some(g),
                _ => None,
            })
            .collect();
        segments.sort_unstable();
        if segments.first() != Some(&snapshot_gen) {
            // A snapshot is always written with its first segment; a
            // missing one can only be empty.
            segments.insert(0, snapshot_gen);
            create_segment(&dir, snapshot_gen)?;
        }
        for pair in segments.windows(2) {
            if pair[1] != pair[0] + 1 {
                return Err(invalid(format!(
                    "{}: state journal segments {} and {} with none between: a file is \
                     missing; restore the directory from a backup",
                    dir.path().display(),
                    pair[0],
                    pair[1]
                )));
            }
        }
        let last = *segments.last().expect("at least the snapshot's segment");
        let mut bytes_total = 0u64;
        let mut resume = None;
        for &g in &segments {
            let path = dir.file(FileName::StateSegment(g));
            let bytes = read_in_steps(&path)?;
            let scan = scan_frames(&bytes, |_, kind, payload| {
                let entry = Entry::decode(kind, payload).map_err(|e| format!("{e:?}"))?;
                live.apply(entry, now).map_err(|e| format!("{e:?}"))
            })
            .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
            bytes_total += scan.valid_len as u64;
            let later_has_frames = || -> io::Result<bool> {
                for later in (g + 1)..=last {
                    let p = dir.file(FileName::StateSegment(later));
                    let b = read_in_steps(&p)?;
                    if b.iter().any(|&x| x != 0) {
                        return Ok(true);
                    }
                }
                Ok(false)
            };
            match scan.tail {
                Tail::Clean => {}
                Tail::Torn { dropped } if g == last || !later_has_frames()? => {
                    let f = OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .map_err(|e| context(&path, e))?;
                    f.set_len(scan.valid_len as u64)
                        .and_then(|()| f.sync_all())
                        .map_err(|e| context(&path, e))?;
                    eprintln!(
                        "journal {}: dropped {dropped} bytes of a torn last record after byte {} \
                         (a crash mid-write; it was never acknowledged)",
                        path.display(),
                        scan.valid_len
                    );
                }
                tail => {
                    return Err(invalid(format!(
                        "{}: damaged ({tail:?}) with valid records after the damage: refusing \
                         to start rather than drop acknowledged records; restore the \
                         directory from a backup or inspect it",
                        path.display()
                    )))
                }
            }
            if g == last {
                resume = Some((path, scan.valid_len as u64));
            }
        }
        let (path, end) = resume.expect("the last segment was read");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| context(&path, e))?;
        let allocated = file.metadata().map_err(|e| context(&path, e))?.len();
        let journal = Arc::new(Journal::resume(path, file, end, allocated));
        Journal::spawn_flusher(&journal)?;
        let report = StateReport {
            users: live.user_count(),
            sessions: live.session_count(),
            revoked: live.revoked_count(),
            segments: segments.len() as u64,
            bytes: bytes_total,
        };
        let (wake_compactor, wakes) = mpsc::sync_channel(1);
        let log = Arc::new(StateLog {
            dir,
            tables: Mutex::new(Tables {
                live,
                log_bytes: bytes_total,
                seen_dirty: Vec::new(),
            }),
            journal,
            gens: Mutex::new(Gens {
                snapshot: snapshot_gen,
                last_segment: last,
            }),
            compacting: AtomicBool::new(false),
            wake_compactor,
            max_sessions,
        });
        let weak = Arc::downgrade(&log);
        std::thread::Builder::new()
            .name("state-compactor".into())
            .spawn(move || compactor(weak, wakes))?;
        log.maybe_compact(&log.lock());
        Ok((log, report))
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        // Every mutation of the tables is complete before anything that
        // could panic, so a poisoned lock still guards consistent tables.
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `entry` (under the caller's table lock, which fixes its
    /// order) and wakes the compactor when the journal has outgrown the
    /// live state.
    fn enqueue(&self, t: &mut Tables, entry: &Entry) -> io::Result<Ticket> {
        let frame = entry
            .frame()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{e:?}")))?;
        let (ticket, _) = self.journal.enqueue_frame(&frame)?;
        t.log_bytes += frame.len() as u64;
        self.maybe_compact(t);
        Ok(ticket)
    }

    fn maybe_compact(&self, t: &Tables) {
        let min = faults::state_compact_min_bytes();
        let ratio_met = faults::compact_bytes_overridden()
            || t.log_bytes > t.live.live_bytes().saturating_mul(STATE_COMPACT_LIVE_RATIO);
        if t.log_bytes > min && ratio_met && !self.compacting.load(Ordering::Relaxed) {
            let _ = self.wake_compactor.try_send(());
        }
    }

    // -- users --------------------------------------------------------

    pub fn user(&self, username: &str) -> Option<UserView> {
        let t = self.lock();
        t.live.user(username).map(|u| UserView {
            password_hash: u.password_hash.clone(),
            created_at: u.created_at,
            tokens_before: u.tokens_before,
        })
    }

    /// Adds a user; `Ok(false)` if the name is taken.
    pub fn create_user(&self, username: &str, hash: &str, created_at: i64) -> io::Result<bool> {
        let mut t = self.lock();
        if t.live.user(username).is_some() {
            return Ok(false);
        }
        let entry = Entry::User {
            username: username.to_string(),
            password_hash: hash.to_string(),
            created_at,
            tokens_before: i64::MIN,
        };
        let ticket = self.enqueue(&mut t, &entry)?;
        t.live
            .put_user(username.to_string(), hash.to_string(), created_at, i64::MIN);
        drop(t);
        self.journal.wait_durable(ticket)?;
        Ok(true)
    }

    /// Replaces the hash if it is still `old`; `Ok(false)` otherwise.
    pub fn replace_password_hash(&self, username: &str, old: &str, new: &str) -> io::Result<bool> {
        let mut t = self.lock();
        let Some(u) = t.live.user(username) else {
            return Ok(false);
        };
        if u.password_hash != old {
            return Ok(false);
        }
        let entry = Entry::User {
            username: username.to_string(),
            password_hash: new.to_string(),
            created_at: u.created_at,
            tokens_before: u.tokens_before,
        };
        let ticket = self.enqueue(&mut t, &entry)?;
        t.live.set_password(username, new.to_string());
        drop(t);
        self.journal.wait_durable(ticket)?;
        Ok(true)
    }

    /// Sets the hash, ends every session of the user but `keep`, revokes
    /// tokens issued at or before `at`; `Ok(false)` if there is no user.
    pub fn change_password(
        &self,
        username: &str,
        new_hash: &str,
        keep: Option<Key>,
        at: i64,
    ) -> io::Result<bool> {
        let mut t = self.lock();
        if t.live.user(username).is_none() {
            return Ok(false);
        }
        let entry = Entry::PasswordChange {
            username: username.to_string(),
            password_hash: new_hash.to_string(),
            at,
            keep,
        };
        let ticket = self.enqueue(&mut t, &entry)?;
        t.live.set_password(username, new_hash.to_string());
        t.live.end_sessions(username, at, keep.as_ref());
        drop(t);
        self.journal.wait_durable(ticket)?;
        Ok(true)
    }

    // -- tokens -------------------------------------------------------

    /// Puts `jti` on the deny list until `expires_at`.
    pub fn revoke_token(&self, jti: &str, expires_at: i64) -> io::Result<()> {
        let mut t = self.lock();
        let entry = Entry::RevokeToken {
            jti: jti.to_string(),
            expires_at,
        };
        let ticket = self.enqueue(&mut t, &entry)?;
        t.live.revoke_token(jti.to_string(), expires_at);
        drop(t);
        self.journal.wait_durable(ticket)
    }

    /// `None` if `sub` names no user; else (its `tokens_before`, whether
    /// `jti` is on the deny list).
    pub fn token_state(&self, sub: &str, jti: &str) -> Option<(i64, bool)> {
        let t = self.lock();
        let u = t.live.user(sub)?;
        Some((u.tokens_before, t.live.revoked(jti).is_some()))
    }

    // -- housekeeping -------------------------------------------------

    /// Drops what expired at `now` from memory (nothing to write: expiry
    /// is implicit in the times on disk), writes the coalesced
    /// `last_seen_at` updates, and returns how many sessions expired.
    pub fn sweep(&self, now: i64) -> usize {
        let expired = self.lock().live.sweep(now);
        if let Err(e) = self.write_seen() {
            eprintln!("state journal: last_seen_at not written: {e}");
        }
        expired
    }

    /// Writes the `last_seen_at` of sessions used since their last write,
    /// in batches, without waiting for the fsync.
    pub fn write_seen(&self) -> io::Result<()> {
        let dirty = std::mem::take(&mut self.lock().seen_dirty);
        for chunk in dirty.chunks(SEEN_PER_ENTRY) {
            let mut t = self.lock();
            let mut sessions = Vec::with_capacity(chunk.len());
            for key in chunk {
                if let Some(s) = t.live.session_mut(key) {
                    s.seen_queued = false;
                    if s.last_seen_at > s.seen_written {
                        s.seen_written = s.last_seen_at;
                        sessions.push((*key, s.last_seen_at));
                    }
                }
            }
            if !sessions.is_empty() {
                let _ticket = self.enqueue(&mut t, &Entry::Seen { sessions })?;
            }
        }
        Ok(())
    }

    /// Bytes of journal since the snapshot, and the live state's size.
    pub fn sizes(&self) -> (u64, u64) {
        let t = self.lock();
        (t.log_bytes, t.live.live_bytes())
    }

    /// The journal, for tests and counters.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }
}
