//! Checkpoints of the comment index (`comments-H.idx`), so that a start
//! reads the index and scans only the log written after it.

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::CommentLog;
use crate::storage::dir::FileName;
use crate::storage::faults;
use crate::storage::index::{encode_index, Checkpoint};

impl CommentLog {
    /// Starts a checkpoint in the background if enough log has been written
    /// since the last one.
    pub(super) fn maybe_checkpoint(self: &Arc<Self>) {
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
                let _background = crate::storage::Background::start();
                faults::checkpoint_pause();
                let written = me.checkpoint_write(&cp);
                if let Err(e) = &written {
                    eprintln!("comment index checkpoint failed (will retry later): {e}");
                }
                me.background_done(written.is_ok());
            });
        if spawned.is_err() {
            self.busy.store(false, Ordering::SeqCst);
        }
    }

    /// Ends a background job (a checkpoint or a compaction): frees the
    /// slot they share, then, if the job went well, asks again for what
    /// was refused while it ran. A deletion that found the slot taken did
    /// not queue its compaction, nor a post its checkpoint; without this
    /// they would wait for the next deletion or post, which may never come.
    /// After a failure the next deletion or post retries instead, so a
    /// persistent failure (a full disk) does not spin.
    pub(super) fn background_done(self: &Arc<Self>, succeeded: bool) {
        self.busy.store(false, Ordering::SeqCst);
        if succeeded {
            let dead = self.read().dead_bytes;
            self.maybe_compact(dead);
            self.maybe_checkpoint();
        }
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
