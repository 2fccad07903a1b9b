//! Compaction of the comment log: the live frames rewritten as the next
//! generation, without the deleted comments (see [`CommentLog::compact`]).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::CommentLog;
use crate::limits::COMMENT_COMPACT_DEAD_PERCENT;
use crate::storage::dir::{context, FileName, IO_STEP};
use crate::storage::entry::Entry;
use crate::storage::faults;
use crate::storage::index::Slot;

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
    background: &mut crate::storage::Background,
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

impl CommentLog {
    /// Compacts the log in the background if deleted comments take up
    /// enough of it (`dead` bytes; see `limits::COMMENT_COMPACT_*`).
    pub(super) fn maybe_compact(self: &Arc<Self>, dead: u64) {
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
                // A panic must not keep the background slot taken for the
                // life of the process.
                let compacted = catch_unwind(AssertUnwindSafe(|| me.compact()))
                    .unwrap_or_else(|_| Err(io::Error::other("the compaction panicked")));
                match &compacted {
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
                me.background_done(compacted.is_ok());
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
                    let mut background = crate::storage::Background::start();
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
}
