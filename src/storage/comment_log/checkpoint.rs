//! Checkpoints of the comment index (`comments-H.idx`), so that a start
//! reads the index and scans only the log written after it.

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
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
                // done on this thread, at normal priority, so that a post
                // never waits for a starved thread. The write runs at the
                // lowest, on a thread of its own, so that this one can
                // still start the next job at normal priority (a thread
                // inherits its creator's priority, and an unprivileged
                // one cannot raise its own back).
                let written = catch_unwind(AssertUnwindSafe(|| {
                    let cp = me.checkpoint_copy();
                    std::thread::scope(|scope| {
                        std::thread::Builder::new()
                            .name("comment-index-write".into())
                            .spawn_scoped(scope, || {
                                let _background = crate::storage::Background::start();
                                faults::checkpoint_pause();
                                me.checkpoint_write(&cp)
                            })?
                            .join()
                            .unwrap_or_else(|_| {
                                Err(io::Error::other("the checkpoint write panicked"))
                            })
                    })
                }))
                .unwrap_or_else(|_| Err(io::Error::other("the checkpoint panicked")));
                if let Err(e) = &written {
                    eprintln!("comment index checkpoint failed (will retry later): {e}");
                }
                me.background_done(written.is_ok());
            });
        if spawned.is_err() {
            self.busy.store(false, Ordering::SeqCst);
        }
    }

    /// Ends a background job (a checkpoint or a compaction; on the thread
    /// that started it, at normal priority): frees the slot they share,
    /// then, if the job went well, asks again for a compaction. A deletion
    /// that found the slot taken did not queue its compaction; without
    /// this it would wait for the next deletion, which may never come.
    /// After a failure the next deletion retries instead, so a persistent
    /// failure (a full disk) does not spin. A checkpoint refused the same
    /// way is not asked again: the next post asks, and until then a start
    /// only scans a little more of the log.
    pub(super) fn background_done(self: &Arc<Self>, succeeded: bool) {
        self.busy.store(false, Ordering::SeqCst);
        if succeeded {
            let dead = self.read().dead_bytes;
            self.maybe_compact(dead);
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
