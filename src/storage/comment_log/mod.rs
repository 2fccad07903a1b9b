//! Comments off the heap: the text lives only in the comment log
//! `comments-H.log`, and memory holds an index of 16 bytes per comment
//! (see [`super::index`]).
//!
//! - A post takes the index's write lock, gives the comment the next id,
//!   queues its frame (id, time, author, text) in the log's journal, notes
//!   where the frame will lie, and releases the lock; the comment becomes visible (*published*) once the
//!   group-commit fsync that carries it is done, so a page never shows a
//!   comment a crash could take back. Ids are handed out in log order, so
//!   publication in log order means no page has a gap that fills in later.
//! - A page takes the read lock only to pick its slots, then reads the
//!   frames with one `pread` of the contiguous range they lie in (more
//!   only when deleted comments leave a large hole). The operating
//!   system's page cache is the cache. Frames are checksummed when the log
//!   is scanned at start; a page checks their structure, not the CRC.
//! - A deletion is a `DeleteComment` frame and a bit in the slot, durable
//!   before the answer. Ids are never reused: the next id is the log's,
//!   and a log begins with `CommentsStart { next_id }`.
//! - The index is checkpointed to `comments-H.idx` (temp file, fsync,
//!   rename) every `limits::COMMENT_INDEX_CHECKPOINT_BYTES` of log, in the
//!   background, so a start reads the checkpoint and scans only the log
//!   after it: a million comments start in tens of milliseconds, not in a
//!   full read of the log.
//! - Once deleted comments take up enough of the log
//!   (`limits::COMMENT_COMPACT_*`), it is rewritten without them as the
//!   next generation (see [`CommentLog::compact`]).
//!
//! Here: opening, posting and deleting; `pages` reads pages, `checkpoint`
//! writes the index's checkpoints, `compact` rewrites the log.

mod checkpoint;
mod compact;
mod pages;

pub use compact::CommentCompactReport;

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::dir::{context, invalid, DataDir, FileName};
use super::entry::{comment_payload, Entry};
use super::frame::{append_frame, scan_frames, Tail};
use super::index::{decode_index, Slot};
use super::journal::Journal;

/// A comment as the log hands it out: the author shared with the index's
/// table of names, the text read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredComment {
    pub id: u64,
    pub created_at: i64,
    pub author: Arc<str>,
    pub text: String,
}

/// What a deletion found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    Deleted,
    NotFound,
    NotAuthor,
}

/// Called once a posted comment is durable and visible (or failed).
pub type PostDone = Box<dyn FnOnce(io::Result<StoredComment>) + Send>;

/// The first listing version of a run: the wall clock in microseconds, so
/// versions keep growing across restarts (a run would need more than a
/// million changes a second to catch up with the next one's start).
fn start_version() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX / 2))
}

/// Bytes of a `DeleteComment` frame.
const DELETION_FRAME_BYTES: u64 = 24;

struct Index {
    /// Id of `slots[0]`.
    first_id: u64,
    slots: Vec<Slot>,
    next_id: u64,
    authors: Vec<Arc<str>>,
    author_ids: HashMap<Arc<str>, u32>,
    /// The log offset up to which the checkpoint read at start is
    /// complete (later ones: [`CommentLog::checkpoint_end`]).
    checkpoint_end: u64,
    deleted: u64,
    /// Bytes of the log that hold nothing live: deleted comments' frames
    /// and the deletions' own (about; what compaction would drop).
    dead_bytes: u64,
    /// The log's generation, and a handle for reading pages of it: both
    /// change together (under the write lock) when the log is compacted,
    /// so slots picked under the read lock are read from their own file.
    generation: u64,
    file: Arc<File>,
}

impl Index {
    fn slot(&self, id: u64) -> Option<&Slot> {
        let i = usize::try_from(id.checked_sub(self.first_id)?).ok()?;
        self.slots.get(i)
    }

    fn intern(&mut self, author: &str) -> u32 {
        if let Some(&n) = self.author_ids.get(author) {
            return n;
        }
        let n = u32::try_from(self.authors.len()).expect("fewer than 2^32 users");
        let name: Arc<str> = Arc::from(author);
        self.authors.push(Arc::clone(&name));
        self.author_ids.insert(name, n);
        n
    }

    /// Records the comment `id` at `slot`, leaving holes for ids skipped.
    fn put(&mut self, id: u64, slot: Slot) -> Result<(), String> {
        if id < self.first_id + self.slots.len() as u64 {
            return Err(format!("comment {id} appears twice or out of order"));
        }
        if self.slots.is_empty() {
            self.first_id = id;
        }
        while self.first_id + (self.slots.len() as u64) < id {
            self.slots.push(Slot::hole());
            self.deleted += 1;
        }
        self.slots.push(slot);
        self.next_id = self.next_id.max(id + 1);
        Ok(())
    }
}

/// The comment board of a data directory.
pub struct CommentLog {
    dir: Arc<DataDir>,
    journal: Arc<Journal>,
    index: RwLock<Index>,
    /// Highest id readers may see: every comment up to it is durable.
    published: Arc<AtomicU64>,
    /// Changes whenever a comment is published or deleted.
    version: Arc<AtomicU64>,
    /// A checkpoint or a compaction is running (one at a time).
    busy: AtomicBool,
    /// The log offset up to which the last checkpoint is complete (an
    /// atomic, so that the checkpoint thread, at the lowest priority, never
    /// takes the index lock that posts need).
    checkpoint_end: AtomicU64,
}

/// What a start found in the comment log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentReport {
    pub comments: u64,
    pub deleted: u64,
    /// Bytes of log scanned (the rest came from the checkpoint).
    pub scanned: u64,
    pub from_checkpoint: bool,
}

impl CommentLog {
    /// Creates an empty comment log `comments-H.log` that hands out ids
    /// from `next_id`, with `comments` (id order) already in it; synced.
    pub(crate) fn create(
        dir: &DataDir,
        generation: u64,
        next_id: u64,
        comments: &[(u64, String, String, i64)],
    ) -> io::Result<()> {
        let mut bytes = Vec::new();
        let frame_err = |e| invalid(format!("comment too large to store: {e:?}"));
        Entry::CommentsStart { next_id }
            .append_to(&mut bytes)
            .map_err(frame_err)?;
        for (id, author, text, created_at) in comments {
            let payload = comment_payload(*id, *created_at, author, text);
            append_frame(&mut bytes, super::entry::KIND_COMMENT, &payload).map_err(frame_err)?;
        }
        dir.replace(&FileName::CommentLog(generation).to_name(), &bytes)
    }

    /// Opens `comments-H.log`: the index from the checkpoint if there is a
    /// good one, then a scan of the log after it (a torn tail cut off).
    pub fn open(
        dir: Arc<DataDir>,
        generation: u64,
    ) -> io::Result<(Arc<CommentLog>, CommentReport)> {
        let path = dir.file(FileName::CommentLog(generation));
        let write_file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| context(&path, e))?;
        let file_len = write_file.metadata().map_err(|e| context(&path, e))?.len();
        let mut index = Index {
            first_id: 1,
            slots: Vec::new(),
            next_id: 1,
            authors: Vec::new(),
            author_ids: HashMap::new(),
            checkpoint_end: 0,
            deleted: 0,
            dead_bytes: 0,
            generation,
            file: Arc::new(File::open(&path).map_err(|e| context(&path, e))?),
        };
        let idx_path = dir.file(FileName::CommentIndex(generation));
        let mut from_checkpoint = false;
        match fs::read(&idx_path) {
            Ok(bytes) => match decode_index(&bytes) {
                Ok(cp) if cp.generation == generation && cp.covered_end <= file_len => {
                    for a in &cp.authors {
                        index.intern(a);
                    }
                    index.deleted = cp.slots.iter().filter(|s| s.deleted()).count() as u64;
                    index.dead_bytes = cp
                        .slots
                        .iter()
                        .filter(|s| s.deleted() && !s.is_empty())
                        .map(|s| u64::from(s.len()) + DELETION_FRAME_BYTES)
                        .sum();
                    index.first_id = cp.first_id;
                    index.next_id = cp.next_id;
                    index.slots = cp.slots;
                    index.checkpoint_end = cp.covered_end;
                    from_checkpoint = true;
                }
                other => eprintln!(
                    "{}: not used ({}); scanning the whole comment log instead",
                    idx_path.display(),
                    match other {
                        Ok(_) => "it belongs to another log".to_string(),
                        Err(e) => format!("{e:?}"),
                    }
                ),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(context(&idx_path, e)),
        }
        let start = index.checkpoint_end;
        let mut tail = vec![0u8; (file_len - start) as usize];
        write_file
            .read_exact_at(&mut tail, start)
            .map_err(|e| context(&path, e))?;
        let scan = scan_frames(&tail, |at, kind, payload| {
            let offset = start + at as u64;
            match Entry::decode(kind, payload).map_err(|e| format!("at byte {offset}: {e:?}"))? {
                Entry::Comment { id, author, .. } => {
                    let author = index.intern(&author);
                    let len = (super::frame::HEADER_BYTES + payload.len()) as u32;
                    index.put(id, Slot::new(offset, len, author))
                }
                Entry::DeleteComment { id } => {
                    let i = id.checked_sub(index.first_id).map(|i| i as usize);
                    match i.and_then(|i| index.slots.get_mut(i)) {
                        Some(s) if !s.deleted() => {
                            s.delete();
                            index.deleted += 1;
                            index.dead_bytes += u64::from(s.len()) + DELETION_FRAME_BYTES;
                        }
                        _ => {}
                    }
                    Ok(())
                }
                Entry::CommentsStart { next_id } => {
                    index.next_id = index.next_id.max(next_id);
                    Ok(())
                }
                other => Err(format!("at byte {offset}: a {} entry", other.kind())),
            }
        })
        .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
        let end = start + scan.valid_len as u64;
        match scan.tail {
            Tail::Clean => {}
            Tail::Torn { dropped } => {
                write_file
                    .set_len(end)
                    .and_then(|()| write_file.sync_all())
                    .map_err(|e| context(&path, e))?;
                eprintln!(
                    "comment log {}: dropped {dropped} bytes of a torn last record after byte \
                     {end} (a crash mid-write; it was never acknowledged)",
                    path.display()
                );
            }
            tail => {
                return Err(invalid(format!(
                    "{}: damaged ({tail:?}) with valid records after the damage: refusing to \
                     start rather than drop acknowledged comments; restore the directory from \
                     a backup or inspect it",
                    path.display()
                )))
            }
        }
        let allocated = write_file.metadata().map_err(|e| context(&path, e))?.len();
        let journal = Arc::new(Journal::resume(path, write_file, end, allocated));
        Journal::spawn_flusher(&journal)?;
        let report = CommentReport {
            comments: index.slots.len() as u64 - index.deleted,
            deleted: index.deleted,
            scanned: scan.valid_len as u64,
            from_checkpoint,
        };
        let published = index.next_id.saturating_sub(1);
        let checkpoint_end = index.checkpoint_end;
        let log = Arc::new(CommentLog {
            dir,
            journal,
            index: RwLock::new(index),
            published: Arc::new(AtomicU64::new(published)),
            // Wall-clock microseconds: a version (an ETag) handed out before
            // a restart is never handed out again for another listing.
            version: Arc::new(AtomicU64::new(start_version())),
            busy: AtomicBool::new(false),
            checkpoint_end: AtomicU64::new(checkpoint_end),
        });
        // A long scan (no checkpoint yet, as after a migration) is not
        // repeated at the next start.
        log.maybe_checkpoint();
        Ok((log, report))
    }

    fn read(&self) -> RwLockReadGuard<'_, Index> {
        // Every change to the index is a push or a bit set, complete
        // before anything that could panic.
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores a comment with the next id; `done` is called once it is
    /// durable and visible (on the journal's flusher thread), or failed.
    pub fn post(self: &Arc<Self>, author: &str, text: &str, created_at: i64, done: PostDone) {
        let mut index = self.write();
        let id = index.next_id;
        let payload = comment_payload(id, created_at, author, text);
        let mut frame = Vec::with_capacity(super::frame::HEADER_BYTES + payload.len());
        if let Err(e) = append_frame(&mut frame, super::entry::KIND_COMMENT, &payload) {
            drop(index);
            return done(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("comment too large to store: {e:?}"),
            )));
        }
        let (ticket, offset) = match self.journal.enqueue_frame(&frame) {
            Ok(t) => t,
            Err(e) => {
                drop(index);
                return done(Err(e));
            }
        };
        let author_n = index.intern(author);
        let len = frame.len() as u32;
        index
            .put(id, Slot::new(offset, len, author_n))
            .expect("the next id is past every slot");
        let comment = StoredComment {
            id,
            created_at,
            author: Arc::clone(&index.authors[author_n as usize]),
            text: text.to_string(),
        };
        drop(index);
        let me = Arc::clone(self);
        self.journal.on_durable(
            ticket,
            Box::new(move |result| match result {
                Ok(()) => {
                    me.published.fetch_max(id, Ordering::SeqCst);
                    me.version.fetch_add(1, Ordering::SeqCst);
                    me.maybe_checkpoint();
                    done(Ok(comment))
                }
                Err(e) => done(Err(e)),
            }),
        );
    }

    /// Deletes comment `id` if `by` wrote it; durable before it returns.
    pub fn delete(self: &Arc<Self>, id: u64, by: &str) -> io::Result<Deleted> {
        let published = self.published.load(Ordering::SeqCst);
        let mut index = self.write();
        let Some(slot) = index.slot(id).copied() else {
            return Ok(Deleted::NotFound);
        };
        if slot.deleted() || id > published {
            return Ok(Deleted::NotFound);
        }
        if &*index.authors[slot.author as usize] != by {
            return Ok(Deleted::NotAuthor);
        }
        let frame = Entry::DeleteComment { id }
            .frame()
            .expect("a deletion is 8 bytes");
        let (ticket, _) = self.journal.enqueue_frame(&frame)?;
        let i = (id - index.first_id) as usize;
        index.slots[i].delete();
        index.deleted += 1;
        index.dead_bytes += u64::from(slot.len()) + frame.len() as u64;
        let dead = index.dead_bytes;
        drop(index);
        self.version.fetch_add(1, Ordering::SeqCst);
        self.journal.wait_durable(ticket)?;
        self.maybe_compact(dead);
        Ok(Deleted::Deleted)
    }

    /// Changes whenever a comment is published or deleted.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// How many visible comments there are (deleted ones not counted).
    pub fn len(&self) -> u64 {
        let index = self.read();
        index.slots.len() as u64 - index.deleted
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id the next comment gets.
    pub fn next_id(&self) -> u64 {
        self.read().next_id
    }
}
