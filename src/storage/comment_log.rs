//! Comments off the heap: the text lives only in the comment log
//! `comments-H.log`, and memory holds an index of 16 bytes per comment
//! (see [`super::index`]).
//!
//! - A post takes the index's write lock, gives the comment the next id,
//!   queues its frame (id, time, author, text) in the log's journal, notes where the frame will lie, and
//!   releases the lock; the comment becomes visible (*published*) once the
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

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::dir::{context, invalid, DataDir, FileName, IO_STEP};
use super::entry::{comment_payload, decode_comment_text, Entry};
use super::faults;
use super::frame::{append_frame, frame_payload, scan_frames, Tail};
use super::index::{decode_index, encode_index, Checkpoint, Slot};
use super::journal::Journal;
use crate::limits::COMMENT_COMPACT_DEAD_PERCENT;

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

/// Reads the frames of `picked` (in log order) with as few `pread`s as
/// the gaps between them allow.
fn read_slots(file: &File, picked: Vec<(u64, Slot, Arc<str>)>) -> io::Result<Vec<StoredComment>> {
    thread_local! {
        /// The bytes of the last page read on this thread, kept for the next.
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|cell| {
        let mut buf = cell.borrow_mut();
        let mut out = Vec::with_capacity(picked.len());
        let mut i = 0;
        while i < picked.len() {
            let first = picked[i].1.offset;
            let mut j = i + 1;
            while j < picked.len() && picked[j].1.offset - picked[j - 1].1.end() <= MAX_READ_GAP {
                j += 1;
            }
            let end = picked[j - 1].1.end();
            let len = (end - first) as usize;
            if buf.len() < len {
                buf.resize(len, 0);
            }
            file.read_exact_at(&mut buf[..len], first)?;
            for (id, s, author) in &picked[i..j] {
                let at = (s.offset - first) as usize;
                let frame = &buf[at..at + s.len() as usize];
                let (_, created_at, text) = frame_payload(frame)
                    .ok()
                    .and_then(|(_, p)| decode_comment_text(p).ok())
                    .filter(|v| v.0 == *id)
                    .ok_or_else(|| {
                        invalid(format!(
                            "comment log: comment {id} is not at byte {} (the index \
                             disagrees with the file)",
                            s.offset
                        ))
                    })?;
                out.push(StoredComment {
                    id: *id,
                    created_at,
                    author: Arc::clone(author),
                    text: text.to_string(),
                });
            }
            i = j;
        }
        if buf.len() > 1 << 20 {
            // A page of very long comments: do not keep its buffer.
            *buf = Vec::new();
        }
        Ok(out)
    })
}

/// What a compaction of the comment log did.
#[derive(Debug, Clone, Copy)]
pub struct CommentCompactReport {
    pub generation: u64,
    /// Bytes of log before and after.
    pub before: u64,
    pub after: u64,
    pub kept: u64,
    pub took: std::time::Duration,
}

/// Writes `CommentsStart { first_id }` and then the frames of the live
/// `slots` (read from `old`, in log order, a stretch at a time) to `new`;
/// the slots of the new file (holes for the deleted) and its length.
fn copy_live_frames(
    old: &File,
    new: &File,
    slots: &[Slot],
    first_id: u64,
    background: &mut super::Background,
) -> io::Result<(Vec<Slot>, u64)> {
    // Stretches of a few dozen KB: each `pread` and `pwrite` is short.
    const STRETCH: usize = 256;
    let mut out = Vec::with_capacity(2 * IO_STEP);
    Entry::CommentsStart { next_id: first_id }
        .append_to(&mut out)
        .expect("8 bytes");
    let mut written = 0u64;
    let mut new_slots = Vec::with_capacity(slots.len());
    let mut buf = Vec::new();
    for stretch in slots.chunks(STRETCH) {
        background.tick();
        let mut live = stretch.iter().filter(|s| !s.deleted() && !s.is_empty());
        let Some(first) = live.next() else {
            new_slots.extend(stretch.iter().map(|_| Slot::hole()));
            continue;
        };
        let last = live.next_back().unwrap_or(first);
        buf.resize((last.end() - first.offset) as usize, 0);
        old.read_exact_at(&mut buf, first.offset)?;
        for s in stretch {
            if s.deleted() || s.is_empty() {
                new_slots.push(Slot::hole());
                continue;
            }
            let at = (s.offset - first.offset) as usize;
            new_slots.push(Slot::new(written + out.len() as u64, s.len(), s.author));
            out.extend_from_slice(&buf[at..at + s.len() as usize]);
        }
        if out.len() >= IO_STEP {
            new.write_all_at(&out, written)?;
            written += out.len() as u64;
            out.clear();
        }
    }
    new.write_all_at(&out, written)?;
    written += out.len() as u64;
    new.sync_data()?;
    Ok((new_slots, written))
}

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

/// Gaps larger than this between the frames of one page are not read: the
/// page's range is split there into several `pread`s.
const MAX_READ_GAP: u64 = 64 * 1024;

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

    /// Up to `limit` visible comments with ids above `after`, oldest first.
    pub fn page_after(&self, after: u64, limit: usize) -> io::Result<Vec<StoredComment>> {
        let published = self.published.load(Ordering::SeqCst);
        let picked = {
            let index = self.read();
            let from = after.saturating_add(1).max(index.first_id);
            let start = usize::try_from(from - index.first_id).unwrap_or(usize::MAX);
            let upto = published
                .saturating_add(1)
                .saturating_sub(index.first_id)
                .min(index.slots.len() as u64) as usize;
            let mut picked = Vec::with_capacity(limit.min(1024));
            let file = Arc::clone(&index.file);
            if start < upto {
                for (i, s) in index.slots[start..upto].iter().enumerate() {
                    if picked.len() >= limit {
                        break;
                    }
                    if !s.deleted() {
                        let author = Arc::clone(&index.authors[s.author as usize]);
                        picked.push((from + i as u64, *s, author));
                    }
                }
            }
            (file, picked)
        };
        read_slots(&picked.0, picked.1)
    }

    /// The newest `limit` visible comments with ids below `before` (all
    /// when `None`), oldest of them first.
    pub fn page_before(&self, before: Option<u64>, limit: usize) -> io::Result<Vec<StoredComment>> {
        let published = self.published.load(Ordering::SeqCst);
        let picked = {
            let index = self.read();
            let below = before.unwrap_or(u64::MAX).min(published.saturating_add(1));
            let end = below
                .saturating_sub(index.first_id)
                .min(index.slots.len() as u64) as usize;
            let mut picked = Vec::with_capacity(limit.min(1024));
            let file = Arc::clone(&index.file);
            for (i, s) in index.slots[..end].iter().enumerate().rev() {
                if picked.len() >= limit {
                    break;
                }
                if !s.deleted() {
                    let author = Arc::clone(&index.authors[s.author as usize]);
                    picked.push((index.first_id + i as u64, *s, author));
                }
            }
            picked.reverse();
            (file, picked)
        };
        read_slots(&picked.0, picked.1)
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

    /// Starts a checkpoint in the background if enough log has been written
    /// since the last one.
    fn maybe_checkpoint(self: &Arc<Self>) {
        let behind = self.journal.next_offset() - self.checkpoint_end.load(Ordering::SeqCst);
        if behind < faults::comment_checkpoint_bytes() || self.busy.swap(true, Ordering::SeqCst) {
            return;
        }
        let me = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("comment-index".into())
            .spawn(move || {
                // The copy of the index takes its lock (chunk by chunk):
                // done at normal priority, so that a post never waits for
                // a starved thread; the write after it, at the lowest.
                let cp = me.checkpoint_copy();
                let _background = super::Background::start();
                if let Err(e) = me.checkpoint_write(&cp) {
                    eprintln!("comment index checkpoint failed (will retry later): {e}");
                }
                me.busy.store(false, Ordering::SeqCst);
            });
        if spawned.is_err() {
            self.busy.store(false, Ordering::SeqCst);
        }
    }

    /// Compacts the log in the background if deleted comments take up
    /// enough of it (`dead` bytes; see `limits::COMMENT_COMPACT_*`).
    fn maybe_compact(self: &Arc<Self>, dead: u64) {
        let log = self.journal.next_offset();
        let share_met = faults::compact_bytes_overridden()
            || dead.saturating_mul(100) >= log.saturating_mul(COMMENT_COMPACT_DEAD_PERCENT);
        if dead < faults::comment_compact_min_bytes()
            || !share_met
            || self.busy.swap(true, Ordering::SeqCst)
        {
            return;
        }
        let me = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("comment-compactor".into())
            .spawn(move || {
                match me.compact() {
                    Ok(r) => eprintln!(
                        "comment log compacted into generation {}: {} bytes -> {} bytes \
                         ({} comments kept) in {} ms",
                        r.generation,
                        r.before,
                        r.after,
                        r.kept,
                        r.took.as_millis()
                    ),
                    Err(e) => eprintln!("comment log compaction failed (will retry later): {e}"),
                }
                me.busy.store(false, Ordering::SeqCst);
            });
        if spawned.is_err() {
            self.busy.store(false, Ordering::SeqCst);
        }
    }

    /// Rewrites the log without the deleted comments, as generation H+1:
    ///
    /// 1. the durable part of the log (up to `cut`) is copied, live
    ///    frames only, into `comments-(H+1).log`, by a thread at the
    ///    lowest priority, with no lock held; synced, the directory too;
    /// 2. under the index's write lock (posts and deletions wait, a few
    ///    milliseconds): the journal is flushed, what came after the cut is
    ///    copied (new comments, and deletions of comments copied in step 1
    ///    as tombstones), a last `CommentsStart` keeps the next id, synced;
    ///    then the manifest names H+1 and the journal and the index move to
    ///    the new file;
    /// 3. the files of generation H are removed, and a checkpoint written.
    ///
    /// Before the manifest names H+1 a start reads H (and removes the new
    /// file); after, H+1, which holds everything acknowledged before the
    /// lock was taken, and nothing was acknowledged while it was held.
    pub fn compact(&self) -> io::Result<CommentCompactReport> {
        let started = std::time::Instant::now();
        faults::compaction_point("comments-start");
        // Step 1. The slots of the durable part, copied in chunks.
        let (old_gen, old_file, cut, first_id, before) = {
            let index = self.read();
            let cut = self.journal.durable_end();
            let before = self.journal.next_offset();
            (
                index.generation,
                Arc::clone(&index.file),
                cut,
                index.first_id,
                before,
            )
        };
        let mut slots: Vec<Slot> = Vec::new();
        loop {
            let index = self.read();
            let from = slots.len();
            let to = (from + 64 * 1024).min(index.slots.len());
            let chunk = &index.slots[from..to];
            let durable = chunk.partition_point(|s| s.end() <= cut);
            slots.extend_from_slice(&chunk[..durable]);
            if durable < chunk.len() || to == index.slots.len() {
                break;
            }
        }
        let new_gen = old_gen + 1;
        let path = self.dir.file(FileName::CommentLog(new_gen));
        let new_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| context(&path, e))?;
        let (mut new_slots, mut written) = std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("comment-copy".into())
                .spawn_scoped(scope, || {
                    let mut background = super::Background::start();
                    copy_live_frames(&old_file, &new_file, &slots, first_id, &mut background)
                })?
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the comment log copy panicked")))
        })
        .map_err(|e| context(&path, e))?;
        self.dir.sync()?;
        faults::compaction_point("comments-copied");
        // Step 2.
        let mut index = self.write();
        let old_end = self.journal.flush()?;
        let mut out = Vec::new();
        let mut dead_bytes = 0u64;
        for (i, s) in index.slots[..new_slots.len()].iter().enumerate() {
            if s.deleted() && !new_slots[i].deleted() {
                // Deleted after step 1 copied it: the deletion goes along.
                let id = index.first_id + i as u64;
                let tombstone = Entry::DeleteComment { id }.frame().expect("8 bytes");
                dead_bytes += u64::from(new_slots[i].len()) + tombstone.len() as u64;
                out.extend_from_slice(&tombstone);
                new_slots[i].delete();
            }
        }
        let rest = &index.slots[new_slots.len()..];
        let mut tail = vec![0u8; (old_end - cut) as usize];
        old_file
            .read_exact_at(&mut tail, cut)
            .map_err(|e| context(&path, e))?;
        for s in rest {
            if s.deleted() || s.is_empty() {
                new_slots.push(Slot::hole());
                continue;
            }
            let at = (s.offset - cut) as usize;
            let frame = &tail[at..at + s.len() as usize];
            new_slots.push(Slot::new(written + out.len() as u64, s.len(), s.author));
            out.extend_from_slice(frame);
        }
        Entry::CommentsStart {
            next_id: index.next_id,
        }
        .append_to(&mut out)
        .expect("8 bytes");
        new_file
            .write_all_at(&out, written)
            .and_then(|()| new_file.sync_data())
            .map_err(|e| context(&path, e))?;
        written += out.len() as u64;
        faults::compaction_point("comments-synced");
        if !self.journal.is_quiet() {
            return Err(io::Error::other("comment journal busy during compaction"));
        }
        self.dir.commit(|m| m.comments = new_gen)?;
        faults::compaction_point("comments-manifest-written");
        let journal_file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| context(&path, e))?;
        self.journal
            .switch_to(path.clone(), journal_file, written, written)?;
        index.deleted = new_slots.iter().filter(|s| s.deleted()).count() as u64;
        let kept = new_slots.len() as u64 - index.deleted;
        index.slots = new_slots;
        index.dead_bytes = dead_bytes;
        index.generation = new_gen;
        index.file = Arc::new(File::open(&path).map_err(|e| context(&path, e))?);
        self.checkpoint_end.store(0, Ordering::SeqCst);
        drop(index);
        // Step 3.
        self.dir
            .remove(&self.dir.file(FileName::CommentLog(old_gen)))?;
        self.dir
            .remove(&self.dir.file(FileName::CommentIndex(old_gen)))?;
        self.dir.sync()?;
        faults::compaction_point("comments-old-removed");
        self.checkpoint()?;
        Ok(CommentCompactReport {
            generation: new_gen,
            before,
            after: written,
            kept,
            took: started.elapsed(),
        })
    }

    /// Writes `comments-H.idx` for the durable part of the log; returns
    /// the log offset it covers.
    pub fn checkpoint(&self) -> io::Result<u64> {
        let cp = self.checkpoint_copy();
        self.checkpoint_write(&cp)?;
        Ok(cp.covered_end)
    }

    /// A checkpoint of the durable part of the log, copied from the index
    /// in chunks, so posts and pages wait at most for one chunk.
    fn checkpoint_copy(&self) -> Checkpoint {
        const CHUNK: usize = 64 * 1024;
        // Every frame before `covered_end` is durable, and a deletion whose
        // frame lies before it had set its bit before this point. A
        // `next_id` past the durable comments only skips ids, never
        // reuses one.
        let (generation, covered_end, first_id, next_id, authors, count) = {
            let index = self.read();
            let covered_end = self.journal.durable_end();
            let count = index.slots.partition_point(|s| s.end() <= covered_end);
            let authors: Vec<String> = index.authors.iter().map(|a| a.to_string()).collect();
            (
                index.generation,
                covered_end,
                index.first_id,
                index.next_id,
                authors,
                count,
            )
        };
        let mut slots = Vec::with_capacity(count);
        while slots.len() < count {
            let index = self.read();
            let from = slots.len();
            let to = (from + CHUNK).min(count);
            slots.extend_from_slice(&index.slots[from..to]);
        }
        Checkpoint {
            generation,
            covered_end,
            first_id,
            next_id,
            authors,
            slots,
        }
    }

    /// Writes `cp` as `comments-H.idx` (temp file, fsync, rename).
    fn checkpoint_write(&self, cp: &Checkpoint) -> io::Result<()> {
        let bytes = encode_index(cp);
        self.dir
            .replace(&FileName::CommentIndex(cp.generation).to_name(), &bytes)?;
        self.checkpoint_end
            .fetch_max(cp.covered_end, Ordering::SeqCst);
        Ok(())
    }
}
