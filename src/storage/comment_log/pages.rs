//! Pages of comments: the slots picked under the read lock, their frames
//! read from the log with as few `pread`s as the gaps between them allow.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{CommentLog, StoredComment};
use crate::storage::dir::invalid;
use crate::storage::entry::decode_comment_text;
use crate::storage::frame::frame_payload;
use crate::storage::index::Slot;

/// Gaps larger than this between the frames of one page are not read: the
/// page's range is split there into several `pread`s.
const MAX_READ_GAP: u64 = 64 * 1024;

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

impl CommentLog {
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
}
