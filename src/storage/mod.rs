//! Everything on disk for `--data-dir`: users, sessions and revoked tokens
//! survive a restart, comments live in a file rather than in memory, and a
//! crash at any moment (compactions included) loses nothing acknowledged.
//!
//! Pure codecs (bytes in, values or precise errors out; what the tests and
//! fuzz targets call):
//! - [`crc32`]: the CRC-32 (IEEE) behind every checksum.
//! - [`frame`]: format 2 framing and the torn/corrupt rule.
//! - [`entry`]: what a frame carries (a user, a login, a comment, ...).
//! - [`snapshot`]: a whole state in one file. [`index`]: the comment index
//!   checkpoint. [`manifest`]: the directory's format and generations.
//! - [`state`]: the fold of entries into live users and sessions.
//! - [`record`], [`replay`]: format 1 (`journal.log`), read to migrate.
//!
//! Files:
//! - [`dir`]: the lock, the format, file names, atomic replacement.
//! - [`journal`]: appends that are on disk before they return, with group
//!   commit, and rotation to a new segment.
//! - [`state_log`]: the durable state and its background compaction.
//! - [`comment_log`]: the comment log and its in-memory index.
//!
//! This is the one module besides `src/server/` that performs I/O, only
//! file I/O. It knows nothing of HTTP or of `app`: the app's journal store
//! is built on [`open`].
//!
//! Out of scope: several processes sharing one directory (the second one
//! is refused by the lock), and repairing a damaged directory (a start
//! refuses it and says which file).

#![forbid(unsafe_code)]

pub mod comment_log;
pub mod crc32;
pub mod dir;
pub mod entry;
pub mod faults;
pub mod frame;
pub mod index;
pub mod journal;
pub mod manifest;
pub mod record;
pub mod replay;
pub mod snapshot;
pub mod state;
pub mod state_log;

pub use journal::{Journal, JournalStats, Ticket};
pub use record::Record;
pub use replay::{decode_journal, Replay, Tail};

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use comment_log::{CommentLog, CommentReport};
use dir::{context, invalid, DataDir, FileName, Found, FORMAT1_JOURNAL};
use entry::Entry;
use state_log::{StateLog, StateReport};

/// How the binary runs the storage's background work (the compactions'
/// folds and copies, the index checkpoint's write) beside requests;
/// storage itself makes no such system call.
#[derive(Debug, Clone, Copy)]
pub struct BackgroundHooks {
    /// On the thread that starts a piece of work: the lowest priority
    /// there is (the binary: `SCHED_IDLE`), so that the work runs in the
    /// time the request threads leave; the binary also counts the work as
    /// running (its event loops then poll a moment before they sleep).
    pub start: fn(),
    /// After [`crate::limits::BACKGROUND_RAISE_AFTER`]: low but never
    /// starved (the binary: nice 19), so that a CPU that is never idle
    /// still finishes a compaction.
    pub raise: fn(),
    /// When the piece of work is over (on the same thread).
    pub end: fn(),
}

static BACKGROUND: OnceLock<BackgroundHooks> = OnceLock::new();

/// Sets the background hooks (once; later calls are ignored).
pub fn set_background_hooks(hooks: BackgroundHooks) {
    let _ = BACKGROUND.set(hooks);
}

/// A piece of background work on the current thread: at the lowest
/// priority from [`Background::start`], raised by [`Background::tick`]
/// once it has run for `BACKGROUND_RAISE_AFTER`, over when dropped.
pub(crate) struct Background {
    started: std::time::Instant,
    raised: bool,
}

impl Background {
    pub(crate) fn start() -> Background {
        if let Some(h) = BACKGROUND.get() {
            (h.start)();
        }
        Background {
            started: std::time::Instant::now(),
            raised: false,
        }
    }

    /// Called now and then by the work.
    pub(crate) fn tick(&mut self) {
        if !self.raised && self.started.elapsed() >= crate::limits::BACKGROUND_RAISE_AFTER {
            self.raised = true;
            if let Some(h) = BACKGROUND.get() {
                (h.raise)();
            }
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(h) = BACKGROUND.get() {
            (h.end)();
        }
    }
}

/// An open data directory: its state and its comments.
pub struct Storage {
    pub dir: Arc<DataDir>,
    pub state: Arc<StateLog>,
    pub comments: Arc<CommentLog>,
    /// One line for the log: what was found and loaded.
    pub summary: String,
}

/// Opens (creating, or migrating from format 1) the data directory at
/// `path`, and loads it.
///
/// Refuses, with a message that says why and what to do: a directory
/// another server holds (`WouldBlock`), one of another format (naming it),
/// and damage that would lose acknowledged data (`InvalidData`).
pub fn open(path: &Path, max_sessions: usize) -> io::Result<Storage> {
    let (dir, found) = DataDir::open(path)?;
    let mut said = String::new();
    match found {
        Found::Fresh => {
            // Files of a first start that stopped before its manifest hold
            // nothing (nothing was acknowledged before the manifest); any
            // other file without a manifest is someone's data: refuse.
            let files = dir.list()?;
            for (name, file) in &files {
                if !holds_nothing(*name, file)? {
                    return Err(invalid(format!(
                        "{}: data of a stateful directory but no {}: refusing to start \
                         rather than guess; restore the manifest from a backup",
                        file.display(),
                        dir::MANIFEST
                    )));
                }
            }
            for (_, file) in &files {
                dir.remove(file)?;
            }
            create_format2(&dir, &[], 1, &[])?;
        }
        Found::Format1 => {
            said = migrate_format1(&dir)?;
        }
        Found::Format2(_) => {
            let old = dir.path().join(FORMAT1_JOURNAL);
            if old.exists() {
                // A migration that stopped after its manifest was written.
                dir.remove(&old)?;
                dir.sync()?;
            }
        }
    }
    let m = dir.manifest().expect("written above or read at open");
    remove_stale(&dir, m.state, m.comments)?;
    let dir = Arc::new(dir);
    let (state, s) = StateLog::open(Arc::clone(&dir), m.state, max_sessions)?;
    let (comments, c) = CommentLog::open(Arc::clone(&dir), m.comments)?;
    let summary = summary(&dir, &said, &s, &c);
    Ok(Storage {
        dir,
        state,
        comments,
        summary,
    })
}

fn summary(dir: &DataDir, said: &str, s: &StateReport, c: &CommentReport) -> String {
    format!(
        "data directory {}: replayed {} users, {} sessions and {} comments (format {}{said}; \
         {} revoked tokens; {} journal segment(s) of {} bytes; {} deleted comments; {} bytes \
         of the comment log scanned{})",
        dir.path().display(),
        s.users,
        s.sessions,
        c.comments,
        manifest::FORMAT,
        s.revoked,
        s.segments,
        s.bytes,
        c.deleted,
        c.scanned,
        if c.from_checkpoint {
            ", the rest read from its index checkpoint"
        } else {
            ""
        }
    )
}

/// Writes a new format 2 directory: snapshot 1 of `users`, an empty
/// segment 1, a comment log of `comments` handing out ids from `next_id`,
/// and last the manifest that makes it all current.
fn create_format2(
    dir: &DataDir,
    users: &[Entry],
    next_id: u64,
    comments: &[(u64, String, String, i64)],
) -> io::Result<()> {
    state_log::write_initial_snapshot(dir, 1, users)?;
    dir.replace(&FileName::StateSegment(1).to_name(), &[])?;
    CommentLog::create(dir, 1, next_id, comments)?;
    dir.commit(|m| {
        m.state = 1;
        m.comments = 1;
    })?;
    Ok(())
}

/// Reads a format 1 `journal.log` and writes its users and comments as a
/// format 2 directory; removes `journal.log` once the manifest is written.
fn migrate_format1(dir: &DataDir) -> io::Result<String> {
    let path = dir.path().join(FORMAT1_JOURNAL);
    let bytes = std::fs::read(&path).map_err(|e| context(&path, e))?;
    let replay = decode_journal(&bytes);
    if let Tail::Corrupt {
        offset,
        error,
        next_record,
    } = replay.tail
    {
        return Err(invalid(format!(
            "{}: a format 1 journal damaged at byte {offset} ({error:?}) with a valid record \
             at byte {next_record}: refusing to migrate it; restore it from a backup",
            path.display()
        )));
    }
    let mut users: BTreeMap<String, (String, i64)> = BTreeMap::new();
    let mut comments: BTreeMap<u64, (String, String, i64)> = BTreeMap::new();
    for record in replay.records {
        match record {
            Record::User {
                username,
                password_hash,
                created_at,
            } => {
                users.insert(username, (password_hash, created_at));
            }
            Record::Comment {
                id,
                author,
                text,
                created_at,
            } => {
                comments.insert(id, (author, text, created_at));
            }
        }
    }
    let user_entries: Vec<Entry> = users
        .into_iter()
        .map(|(username, (password_hash, created_at))| Entry::User {
            username,
            password_hash,
            created_at,
            tokens_before: i64::MIN,
        })
        .collect();
    let next_id = comments.keys().next_back().map_or(1, |id| id + 1);
    let comment_list: Vec<(u64, String, String, i64)> = comments
        .into_iter()
        .map(|(id, (a, t, at))| (id, a, t, at))
        .collect();
    create_format2(dir, &user_entries, next_id, &comment_list)?;
    dir.remove(&path)?;
    dir.sync()?;
    Ok(format!(
        ", migrated from format 1 ({FORMAT1_JOURNAL}: {} users, {} comments)",
        user_entries.len(),
        comment_list.len()
    ))
}

/// Whether a file found without a manifest holds no data: what a first
/// start leaves when it stops before writing its manifest (an empty
/// snapshot, an empty journal segment, a comment log that only starts).
fn holds_nothing(name: FileName, path: &Path) -> io::Result<bool> {
    let bytes = std::fs::read(path).map_err(|e| context(path, e))?;
    let only = |allowed: &[u8]| {
        let mut ok = true;
        let scan = frame::scan_frames(&bytes, |_, kind, _| {
            ok &= allowed.contains(&kind);
            Ok::<(), ()>(())
        });
        ok && scan.is_ok_and(|s| s.tail == frame::Tail::Clean)
    };
    Ok(match name {
        FileName::Temporary | FileName::CommentIndex(_) => true,
        FileName::StateSnapshot(_) => snapshot::decode_snapshot(&bytes, |_| ()) == Ok(0),
        FileName::StateSegment(_) => only(&[]),
        FileName::CommentLog(_) => only(&[entry::KIND_COMMENTS_START]),
    })
}

/// Removes what no current file needs: temporaries, older snapshots and
/// segments, other comment logs and checkpoints.
fn remove_stale(dir: &DataDir, state: u64, comments: u64) -> io::Result<()> {
    let mut removed = false;
    for (name, path) in dir.list()? {
        let stale = match name {
            FileName::Temporary => true,
            FileName::StateSnapshot(g) => g != state,
            FileName::StateSegment(g) => g < state,
            FileName::CommentLog(g) | FileName::CommentIndex(g) => g != comments,
        };
        if stale {
            dir.remove(&path)?;
            removed = true;
        }
    }
    if removed {
        dir.sync()?;
    }
    Ok(())
}
