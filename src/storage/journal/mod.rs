//! An append-only file of frames whose appends are on disk before the
//! call returns: the state journal's segments (`state-G.log`) and the
//! comment log (`comments-H.log`) of format 2 each have one
//! ([`Journal::resume`], [`Journal::enqueue_frame`], [`Journal::rotate`] to
//! move on to a new segment). [`Journal::open`] and [`Journal::enqueue`]
//! are the format 1 file `DIR/journal.log` of users and comments, kept for
//! its tests and for reading old directories.
//!
//! # Group commit
//!
//! An fsync costs about as much for many records as for one, so concurrent
//! appenders share them. A writer adds its frame to a pending buffer under
//! the lock and gets a sequence number ([`Journal::enqueue`]); then
//! ([`Journal::wait_durable`]) either a flush is already running and it waits
//! on a condition variable, or it becomes the leader: it takes the whole
//! pending buffer, releases the lock, writes and `sync_data`s it, takes the
//! lock again, advances the durable sequence number and wakes everyone.
//! Writers whose frames arrived during that flush find no flush running and
//! one of them leads the next. The lock is never held during a write or an
//! fsync.
//!
//! A caller that must not block (an event loop) asks instead to be told:
//! [`Journal::on_durable`] registers a callback for a ticket, and the
//! journal's flusher thread ([`Journal::spawn_flusher`]) leads the flushes
//! nobody waits for and runs the callbacks of the records each one made
//! durable. Many in-flight requests then share each fsync without a thread
//! blocked per request.
//!
//! # Preallocation
//!
//! The file is grown ahead of the records,
//! [`JOURNAL_PREALLOCATE`](crate::limits::JOURNAL_PREALLOCATE) bytes at a
//! time, by writing zeros (not with `fallocate`, whose unwritten extents
//! would need a metadata change when first written). A flush writes its
//! batch right after the last record (`pwrite`), into space the file
//! already has, so the `fdatasync` after it flushes data only: an append
//! that changes the file size must also write the inode's new size (with
//! a journalling file system, commit its journal). On the ext4 of the
//! machine this was built on (mounted without a journal), a loop of 1 KB
//! writes each followed by `fdatasync` made 3 device writes per sync when
//! appending and 2 in preallocated space (block statistics; the cache
//! flush counts as one), 0.21-0.23 ms against 0.12-0.17 ms per sync; the
//! server took 0-40 % more comments per second in alternating runs.
//!
//! The journal stays append-only in what it says: records are only ever
//! added after the last one, and replay reads the zeros after it as space
//! not yet written ([`Tail::Clean`]). The zero bytes and the batch that
//! crosses into them go out with the same `sync_data`, which also commits
//! the new size.
//!
//! # Failure
//!
//! A failed write or fsync fails every waiter whose bytes were in it, and
//! marks the journal failed: every later `enqueue`, `append` and
//! `wait_durable` of a record not yet durable fails too. Retrying is not
//! safe: after a failed fsync Linux may already have dropped the dirty pages
//! and reports success next time, and a partly written batch would leave a
//! torn record in the middle of the file once more records followed it. The
//! server should stop taking writes; at the next start the torn tail (if
//! any) is cut off by [`Journal::open`].
//!
//! Here: opening, enqueueing and rotating; `flush` is the group commit
//! (the flushes, the flusher thread, the callbacks).

mod flush;

use super::record::Record;
use super::replay::{decode_journal, Tail};
use flush::{run_watchers, take_ready_watchers};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Name of the journal inside the data directory.
pub const FILE_NAME: &str = "journal.log";

/// An open journal, shared by all request threads (`&Journal` is enough).
///
/// ```
/// use stateful::storage::{Journal, Record};
/// let dir = std::env::temp_dir().join(format!("stateful-doc-{}", std::process::id()));
/// let (journal, replayed) = Journal::open(&dir)?;
/// assert!(replayed.is_empty());
/// let ann = Record::User { username: "ann".into(), password_hash: "h".into(), created_at: 0 };
/// journal.append(&ann)?; // on disk once this returns
/// let hi = Record::Comment { id: 1, author: "ann".into(), text: "hi".into(), created_at: 0 };
/// let ticket = journal.enqueue(&hi)?; // under the caller's lock: fixes the order
/// journal.wait_durable(ticket)?; // after releasing it: shares the fsync
/// drop(journal);
/// assert_eq!(Journal::open(&dir)?.1, [ann, hi]);
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Journal {
    state: Mutex<State>,
    /// Signalled when a flush ends (in success or failure) while threads
    /// wait on it (`State::flush_waiters`).
    flushed: Condvar,
    /// Signalled when a record is enqueued (the flusher waits on it).
    enqueued: Condvar,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.lock().path)
            .finish_non_exhaustive()
    }
}

/// Told once whether a record became durable.
pub type DurableCallback = Box<dyn FnOnce(io::Result<()>) + Send>;

struct State {
    /// The file records go to, and its path (for messages). Only
    /// [`Journal::rotate`] changes them, between two flushes.
    file: Arc<File>,
    path: PathBuf,
    /// Callbacks waiting for their ticket to become durable.
    watchers: Vec<(u64, DurableCallback)>,
    /// Frames enqueued but not yet handed to a leader.
    pending: Vec<u8>,
    pending_records: u64,
    /// Sequence number of the newest enqueued record (0: none yet).
    last_enqueued: u64,
    /// Every record with a sequence number up to this one is on disk.
    durable: u64,
    /// A leader is writing and syncing right now.
    flushing: bool,
    /// Threads waiting on `flushed`: it is signalled only if there are any
    /// (with the flusher thread leading, as a rule there are none).
    flush_waiters: usize,
    /// Where the next batch goes: the end of the last record written.
    end: u64,
    /// Where the next enqueued frame will lie: `end` plus the batch being
    /// written plus what is pending.
    tail: u64,
    /// The file's length: zeros from `end` up to here. Both change only
    /// when a flush ends, and only the leader of a flush reads them.
    allocated: u64,
    /// The flusher thread waits on `enqueued` until this many records are
    /// pending (`None`: it is not waiting for records). It is signalled only
    /// then: a signal is a system call even when nobody waits.
    wake_flusher_at: Option<u64>,
    failure: Option<Failure>,
    stats: JournalStats,
}

impl State {
    fn new(path: PathBuf, file: File, end: u64, allocated: u64) -> State {
        State {
            file: Arc::new(file),
            path,
            watchers: Vec::new(),
            pending: Vec::new(),
            pending_records: 0,
            last_enqueued: 0,
            durable: 0,
            flushing: false,
            flush_waiters: 0,
            end,
            tail: end,
            allocated,
            wake_flusher_at: None,
            failure: None,
            stats: JournalStats::default(),
        }
    }
}

/// The first write or fsync error, kept to fail everything after it.
#[derive(Debug, Clone)]
struct Failure {
    kind: io::ErrorKind,
    message: String,
}

impl Failure {
    fn to_error(&self) -> io::Error {
        io::Error::new(self.kind, self.message.clone())
    }
}

/// Counters for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JournalStats {
    /// Successful `sync_data` calls made by appends.
    pub fsyncs: u64,
    /// Records written and synced.
    pub records_written: u64,
    /// Bytes written and synced.
    pub bytes_written: u64,
}

/// A place in the journal's order, returned by [`Journal::enqueue`] and
/// redeemed with [`Journal::wait_durable`] of the same journal.
#[must_use = "a record is not durable until wait_durable returns Ok"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket(u64);

impl Journal {
    /// Opens (creating if needed) `dir/journal.log` and returns the journal
    /// with the records to replay, in order.
    ///
    /// Creates `dir` if needed and fsyncs the directories it changed. A torn
    /// last record is cut off (the file truncated and synced) with one line
    /// on stderr. Refuses to open, with an `InvalidData` error, a journal
    /// damaged in the middle (see [`super::replay`]), and with `WouldBlock`
    /// one that another process holds open.
    pub fn open(dir: &Path) -> io::Result<(Journal, Vec<Record>)> {
        let dir_existed = dir.is_dir();
        fs::create_dir_all(dir).map_err(|e| context(dir, e))?;
        if !dir_existed {
            sync_dir(parent_of(dir))?;
        }
        let path = dir.join(FILE_NAME);
        let mut options = OpenOptions::new();
        options.read(true).write(true);
        let (mut file, created) = match options.clone().create_new(true).open(&path) {
            Ok(file) => (file, true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                (options.open(&path).map_err(|e| context(&path, e))?, false)
            }
            Err(e) => return Err(context(&path, e)),
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let message = "in use by another process (it holds the file lock)";
                return Err(context(
                    &path,
                    io::Error::new(io::ErrorKind::WouldBlock, message),
                ));
            }
            Err(TryLockError::Error(e)) => return Err(context(&path, e)),
        }
        if created {
            sync_dir(dir)?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| context(&path, e))?;
        let replay = decode_journal(&bytes);
        let mut allocated = bytes.len() as u64;
        match replay.tail {
            Tail::Clean => {}
            Tail::Torn { .. } => {
                let rest = &bytes[replay.valid_len..];
                let torn = rest.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                file.set_len(replay.valid_len as u64)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| context(&path, e))?;
                allocated = replay.valid_len as u64;
                eprintln!(
                    "journal {}: dropped {torn} bytes of a torn last record after byte {} \
                     (a crash mid-write; it was never acknowledged)",
                    path.display(),
                    replay.valid_len
                );
            }
            Tail::Corrupt {
                offset,
                error,
                next_record,
            } => {
                let message = format!(
                    "damaged at byte {offset} ({error:?}) but a valid record follows at \
                     byte {next_record}: refusing to start rather than drop acknowledged \
                     records; restore the file from a backup or inspect it"
                );
                return Err(context(
                    &path,
                    io::Error::new(io::ErrorKind::InvalidData, message),
                ));
            }
        }
        let journal = Journal::resume(path, file, replay.valid_len as u64, allocated);
        Ok((journal, replay.records))
    }

    /// A journal that appends to `file` (at `path`), whose records end at
    /// `end` and which is `allocated` bytes long (zeros after `end`). The
    /// caller has read and checked what the file holds.
    pub fn resume(path: PathBuf, file: File, end: u64, allocated: u64) -> Journal {
        Journal {
            state: Mutex::new(State::new(path, file, end, allocated)),
            flushed: Condvar::new(),
            enqueued: Condvar::new(),
        }
    }

    /// The path of the file records go to now.
    pub fn path(&self) -> PathBuf {
        self.lock().path.clone()
    }

    /// Where the next enqueued frame will start in the current file: the
    /// end of the records written plus those pending.
    pub fn next_offset(&self) -> u64 {
        self.lock().tail
    }

    /// From now on, records go to `file` (empty, at `path`): everything
    /// enqueued before the call is written to the old file and synced
    /// before any record goes to the new one, so the old file ends exactly
    /// where the new one begins. Waits for a flush in progress; the lock is
    /// not held during the I/O. Fails (and fails the journal) if the last
    /// write to the old file fails.
    pub fn rotate(&self, path: PathBuf, file: File) -> io::Result<()> {
        let mut state = self.lock();
        while state.flushing {
            state = self.wait_flush_end(state);
        }
        if let Some(failure) = &state.failure {
            return Err(failure.to_error());
        }
        // Lead a flush of the pending records to the old file, then point
        // the state at the new one before anyone else can lead.
        let mut state = self.lead_flush(state);
        if let Some(failure) = &state.failure {
            return Err(failure.to_error());
        }
        state.file = Arc::new(file);
        state.path = path;
        state.end = 0;
        state.tail = 0;
        state.allocated = 0;
        let ready = take_ready_watchers(&mut state);
        drop(state);
        run_watchers(ready);
        Ok(())
    }

    /// Appends `record` and returns once it is on disk (written and synced),
    /// sharing the fsync with concurrent appenders.
    ///
    /// Refuses a record too large to encode (`InvalidInput`) and fails if
    /// this or an earlier write or fsync failed.
    pub fn append(&self, record: &Record) -> io::Result<()> {
        let ticket = self.enqueue(record)?;
        self.wait_durable(ticket)
    }

    /// Buffers `record` behind every record enqueued before it, without
    /// waiting for the disk: cheap enough to call under the caller's own
    /// lock, which then fixes the order of records in the journal. The
    /// record is durable only once [`Journal::wait_durable`] returns `Ok`
    /// for the ticket.
    ///
    /// Refuses a record too large to encode (`InvalidInput`) and fails at
    /// once if the journal has failed.
    pub fn enqueue(&self, record: &Record) -> io::Result<Ticket> {
        let frame = record.encode().map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("journal record: {e:?}"),
            )
        })?;
        self.enqueue_frame(&frame).map(|(ticket, _)| ticket)
    }

    /// Like [`Journal::enqueue`], for bytes already framed (format 2, see
    /// [`super::frame`]); also returns the offset in the current file where
    /// the frame will start.
    pub fn enqueue_frame(&self, frame: &[u8]) -> io::Result<(Ticket, u64)> {
        let mut state = self.lock();
        if let Some(failure) = &state.failure {
            return Err(failure.to_error());
        }
        let offset = state.tail;
        state.tail += frame.len() as u64;
        state.pending.extend_from_slice(frame);
        state.pending_records += 1;
        state.last_enqueued += 1;
        let ticket = Ticket(state.last_enqueued);
        self.wake_flusher(state);
        Ok((ticket, offset))
    }

    /// Whether the journal has failed (a write or fsync error): nothing
    /// more can be made durable.
    pub fn failed(&self) -> Option<String> {
        self.lock().failure.as_ref().map(|f| f.message.clone())
    }

    /// Whether nothing is pending, in flight or unsynced.
    pub fn is_quiet(&self) -> bool {
        let state = self.lock();
        !state.flushing && state.pending.is_empty() && state.durable == state.last_enqueued
    }

    /// From now on, records go to `file` (at `path`), whose records the
    /// caller has written and synced up to `end`, in a file `allocated`
    /// bytes long. Refuses (`InvalidInput`) unless the journal
    /// [`is_quiet`](Journal::is_quiet): the caller holds off every
    /// enqueuer and calls [`Journal::flush`] first.
    pub fn switch_to(&self, path: PathBuf, file: File, end: u64, allocated: u64) -> io::Result<()> {
        let mut state = self.lock();
        if state.flushing || !state.pending.is_empty() || state.durable != state.last_enqueued {
            let message = "journal switch with records not yet durable";
            return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        }
        state.file = Arc::new(file);
        state.path = path;
        state.end = end;
        state.tail = end;
        state.allocated = allocated;
        Ok(())
    }

    /// Where the records written and synced end in the current file.
    pub fn durable_end(&self) -> u64 {
        self.lock().end
    }

    /// Counters so far.
    pub fn stats(&self) -> JournalStats {
        self.lock().stats
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .expect("journal lock poisoned, but nothing panics while holding it")
    }
}

/// Adds the path to an I/O error, so that the message says which file.
fn context(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

fn parent_of(dir: &Path) -> &Path {
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Makes a directory's entries (a new file or subdirectory) durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| context(dir, e))
}

#[cfg(test)]
mod tests;
