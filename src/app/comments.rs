//! The comment board in memory: comments in id order, each kept compactly
//! (an interned author, the text in one allocation) so that a comment costs
//! its text plus a fixed few dozen bytes. Readers see a comment only once
//! it is *published* (for the journal: durable), so a page never shows a
//! comment that a crash could take back, and never has a gap that fills in
//! later. Deleted comments leave a tombstone, so ids are never reused.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::store::DeleteOutcome;
use crate::http::date::write_rfc3339;
use crate::json::escape_into;

/// A comment as the routes see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: u64,
    pub author: Arc<str>,
    pub text: String,
    /// Unix seconds.
    pub created_at: i64,
}

impl Comment {
    /// `{"id":..,"author":..,"text":..,"created_at":..}`
    pub fn json(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 96);
        self.write_json(&mut out);
        out
    }

    /// Appends [`Comment::json`] to `out` (a page writes every comment
    /// into one buffer).
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"id\":");
        out.push_str(&self.id.to_string());
        out.push_str(",\"author\":");
        escape_into(out, &self.author);
        out.push_str(",\"text\":");
        escape_into(out, &self.text);
        out.push_str(",\"created_at\":\"");
        write_rfc3339(self.created_at, out);
        out.push_str("\"}");
    }
}

/// One comment as the board keeps it: 40 bytes plus the text.
struct Entry {
    id: u64,
    created_at: i64,
    /// Empty once deleted (a live comment's text is never empty).
    text: Box<str>,
    author: u32,
}

#[derive(Default)]
struct Board {
    /// Sorted by id.
    entries: Vec<Entry>,
    authors: Vec<Arc<str>>,
    author_index: HashMap<Arc<str>, u32>,
    next_id: u64,
}

impl Board {
    fn author(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.author_index.get(name) {
            return i;
        }
        let i = self.authors.len() as u32;
        let name: Arc<str> = Arc::from(name);
        self.authors.push(Arc::clone(&name));
        self.author_index.insert(name, i);
        i
    }

    fn comment(&self, e: &Entry) -> Comment {
        Comment {
            id: e.id,
            author: Arc::clone(&self.authors[e.author as usize]),
            text: e.text.to_string(),
            created_at: e.created_at,
        }
    }
}

pub struct CommentStore {
    board: Mutex<Board>,
    /// Highest id readers may see.
    published: AtomicU64,
    /// Bumped by every publication and deletion: the listing's `ETag`.
    version: AtomicU64,
}

impl Default for CommentStore {
    fn default() -> Self {
        Self::new()
    }
}

impl CommentStore {
    pub fn new() -> Self {
        CommentStore {
            board: Mutex::new(Board {
                next_id: 1,
                ..Board::default()
            }),
            published: AtomicU64::new(0),
            version: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Board> {
        self.board.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a comment with the next id. `persist` runs under the lock (it
    /// queues the journal record without waiting), so journal order is id
    /// order; if it fails nothing is added. The comment stays unpublished
    /// until [`CommentStore::publish`].
    pub fn post<T, E>(
        &self,
        author: &str,
        text: &str,
        created_at: i64,
        persist: impl FnOnce(&Comment) -> Result<T, E>,
    ) -> Result<(Comment, T), E> {
        let mut board = self.lock();
        let author_index = board.author(author);
        let comment = Comment {
            id: board.next_id,
            author: Arc::clone(&board.authors[author_index as usize]),
            text: text.to_string(),
            created_at,
        };
        let t = persist(&comment)?;
        board.next_id += 1;
        board.entries.push(Entry {
            id: comment.id,
            created_at,
            text: text.into(),
            author: author_index,
        });
        Ok((comment, t))
    }

    /// Makes comments up to `id` visible. Durability is reached in journal
    /// order, so when `id` is durable every lower id is too.
    pub fn publish(&self, id: u64) {
        self.published.fetch_max(id, Ordering::SeqCst);
        self.version.fetch_add(1, Ordering::SeqCst);
    }

    /// Up to `limit` published comments with ids above `after`, oldest
    /// first.
    pub fn page(&self, after: u64, limit: usize) -> Vec<Comment> {
        let published = self.published.load(Ordering::SeqCst);
        let board = self.lock();
        let start = board.entries.partition_point(|e| e.id <= after);
        board.entries[start..]
            .iter()
            .take_while(|e| e.id <= published)
            .filter(|e| !e.text.is_empty())
            .take(limit)
            .map(|e| board.comment(e))
            .collect()
    }

    /// The newest `limit` published comments with ids below `before`,
    /// oldest of them first.
    pub fn page_before(&self, before: Option<u64>, limit: usize) -> Vec<Comment> {
        let published = self.published.load(Ordering::SeqCst);
        let bound = before.map_or(published, |b| b.saturating_sub(1).min(published));
        let board = self.lock();
        let end = board.entries.partition_point(|e| e.id <= bound);
        let mut page: Vec<Comment> = board.entries[..end]
            .iter()
            .rev()
            .filter(|e| !e.text.is_empty())
            .take(limit)
            .map(|e| board.comment(e))
            .collect();
        page.reverse();
        page
    }

    /// Deletes comment `id` if `by` wrote it; `persist` runs under the lock
    /// before the deletion, as for [`CommentStore::post`].
    pub fn delete<E>(
        &self,
        id: u64,
        by: &str,
        persist: impl FnOnce() -> Result<(), E>,
    ) -> Result<DeleteOutcome, E> {
        let published = self.published.load(Ordering::SeqCst);
        let mut board = self.lock();
        let Ok(i) = board.entries.binary_search_by_key(&id, |e| e.id) else {
            return Ok(DeleteOutcome::NotFound);
        };
        let entry = &board.entries[i];
        if entry.text.is_empty() || entry.id > published {
            return Ok(DeleteOutcome::NotFound);
        }
        if *board.authors[entry.author as usize] != *by {
            return Ok(DeleteOutcome::NotAuthor);
        }
        persist()?;
        board.entries[i].text = Box::from("");
        drop(board);
        self.version.fetch_add(1, Ordering::SeqCst);
        Ok(DeleteOutcome::Deleted)
    }

    /// The listing's version: changes with every publication and deletion.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// Puts back a comment read from the journal (call in id order, then
    /// [`CommentStore::restored`]).
    pub fn restore(&self, id: u64, author: &str, text: &str, created_at: i64) {
        let mut board = self.lock();
        if board.entries.last().is_some_and(|e| e.id >= id) {
            return;
        }
        let author = board.author(author);
        board.entries.push(Entry {
            id,
            created_at,
            text: text.into(),
            author,
        });
        board.next_id = id + 1;
    }

    /// Publishes everything restored.
    pub fn restored(&self) {
        let last = self.lock().next_id - 1;
        self.publish(last);
    }

    /// How many comments are live (not deleted).
    pub fn len(&self) -> usize {
        self.lock()
            .entries
            .iter()
            .filter(|e| !e.text.is_empty())
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(s: &CommentStore, text: &str) -> u64 {
        s.post("a", text, 0, |_| Ok::<_, ()>(())).unwrap().0.id
    }

    fn ids(page: &[Comment]) -> Vec<u64> {
        page.iter().map(|c| c.id).collect()
    }

    #[test]
    fn ids_pages_and_publishing() {
        let s = CommentStore::new();
        let posted: Vec<u64> = (0..5).map(|i| post(&s, &format!("t{i}"))).collect();
        assert_eq!(posted, [1, 2, 3, 4, 5]);
        assert!(s.page(0, 10).is_empty(), "nothing published yet");
        s.publish(3);
        assert_eq!(ids(&s.page(0, 10)), [1, 2, 3]);
        s.publish(2);
        s.publish(5);
        assert_eq!(ids(&s.page(1, 2)), [2, 3]);
        assert_eq!(s.page(5, 10).len(), 0);
        assert_eq!(ids(&s.page_before(None, 2)), [4, 5]);
        assert_eq!(ids(&s.page_before(Some(4), 2)), [2, 3]);
        assert_eq!(ids(&s.page_before(Some(1), 2)), [] as [u64; 0]);
    }

    #[test]
    fn deletion_leaves_a_gap_and_never_reuses_ids() {
        let s = CommentStore::new();
        (0..3).for_each(|i| {
            post(&s, &format!("t{i}"));
        });
        s.publish(3);
        let v = s.version();
        let ok = |_: ()| Ok::<(), ()>(());
        assert_eq!(s.delete(2, "b", || ok(())), Ok(DeleteOutcome::NotAuthor));
        assert_eq!(s.delete(2, "a", || ok(())), Ok(DeleteOutcome::Deleted));
        assert_eq!(s.delete(2, "a", || ok(())), Ok(DeleteOutcome::NotFound));
        assert_eq!(s.delete(9, "a", || ok(())), Ok(DeleteOutcome::NotFound));
        assert_ne!(s.version(), v);
        assert_eq!(ids(&s.page(0, 10)), [1, 3]);
        assert_eq!(ids(&s.page_before(Some(4), 2)), [1, 3]);
        assert_eq!(s.delete(3, "a", || ok(())), Ok(DeleteOutcome::Deleted));
        assert_eq!(post(&s, "again"), 4);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn failed_persist_adds_nothing() {
        let s = CommentStore::new();
        assert!(s.post("a", "x", 0, |_| Err::<(), _>(())).is_err());
        assert_eq!(post(&s, "y"), 1);
    }

    #[test]
    fn json_is_escaped() {
        let c = Comment {
            id: 7,
            author: "bob".into(),
            text: "<b>\"hi\"\n".into(),
            created_at: 784_111_777,
        };
        assert_eq!(
            c.json(),
            r#"{"id":7,"author":"bob","text":"\u003cb\u003e\"hi\"\n","created_at":"1994-11-06T08:49:37Z"}"#
        );
    }

    #[test]
    fn restore_sets_next_id() {
        let s = CommentStore::new();
        s.restore(1, "a", "a", 0);
        s.restore(2, "a", "b", 0);
        s.restore(2, "a", "dup", 0);
        s.restored();
        assert_eq!(ids(&s.page(0, 10)), [1, 2]);
        assert_eq!(post(&s, "c"), 3);
    }
}
