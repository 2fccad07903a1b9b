//! The comment board: comments in id order, each with its JSON encoding
//! made once when it is posted. Readers see a comment only once it is
//! durable (the *published* watermark), so a page never shows a comment
//! that a crash could take back, and never has a gap that fills in later.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::http::date::{rfc3339, system_time_from_unix};
use crate::json::ObjectWriter;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: u64,
    pub author: String,
    pub text: String,
    /// Unix seconds.
    pub created_at: i64,
    /// `{"id":..,"author":..,"text":..,"created_at":..}`
    pub json: String,
}

impl Comment {
    pub fn new(id: u64, author: String, text: String, created_at: i64) -> Comment {
        let mut w = ObjectWriter::new();
        w.number("id", id)
            .string("author", &author)
            .string("text", &text)
            .string("created_at", &rfc3339(system_time_from_unix(created_at)));
        let json = w.finish();
        Comment {
            id,
            author,
            text,
            created_at,
            json,
        }
    }
}

struct Board {
    /// Sorted by id; ids are 1, 2, 3, ... without gaps.
    comments: Vec<Arc<Comment>>,
    next_id: u64,
}

pub struct CommentStore {
    board: Mutex<Board>,
    /// Highest id readers may see.
    published: AtomicU64,
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
                comments: Vec::new(),
                next_id: 1,
            }),
            published: AtomicU64::new(0),
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
    ) -> Result<(Arc<Comment>, T), E> {
        let mut board = self.lock();
        let comment = Arc::new(Comment::new(
            board.next_id,
            author.to_string(),
            text.to_string(),
            created_at,
        ));
        let t = persist(&comment)?;
        board.next_id += 1;
        board.comments.push(Arc::clone(&comment));
        Ok((comment, t))
    }

    /// Makes comments up to `id` visible. Durability is reached in journal
    /// order, so when `id` is durable every lower id is too.
    pub fn publish(&self, id: u64) {
        self.published.fetch_max(id, Ordering::SeqCst);
    }

    /// Up to `limit` published comments with ids above `after`, oldest
    /// first.
    pub fn page(&self, after: u64, limit: usize) -> Vec<Arc<Comment>> {
        let published = self.published.load(Ordering::SeqCst);
        let board = self.lock();
        let start = board.comments.partition_point(|c| c.id <= after);
        board.comments[start..]
            .iter()
            .take_while(|c| c.id <= published)
            .take(limit)
            .cloned()
            .collect()
    }

    /// Puts back comments read from the journal, all published.
    pub fn restore(&self, mut comments: Vec<Comment>) {
        comments.sort_by_key(|c| c.id);
        comments.dedup_by_key(|c| c.id);
        let mut board = self.lock();
        let last = comments.last().map_or(0, |c| c.id);
        board.next_id = last + 1;
        board.comments = comments.into_iter().map(Arc::new).collect();
        drop(board);
        self.publish(last);
    }

    pub fn len(&self) -> usize {
        self.lock().comments.len()
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

    #[test]
    fn ids_pages_and_publishing() {
        let s = CommentStore::new();
        let ids: Vec<u64> = (0..5).map(|i| post(&s, &format!("t{i}"))).collect();
        assert_eq!(ids, [1, 2, 3, 4, 5]);
        assert!(s.page(0, 10).is_empty(), "nothing published yet");
        s.publish(3);
        assert_eq!(
            s.page(0, 10).iter().map(|c| c.id).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        s.publish(2);
        s.publish(5);
        assert_eq!(
            s.page(1, 2).iter().map(|c| c.id).collect::<Vec<_>>(),
            [2, 3]
        );
        assert_eq!(s.page(5, 10).len(), 0);
    }

    #[test]
    fn failed_persist_adds_nothing() {
        let s = CommentStore::new();
        assert!(s.post("a", "x", 0, |_| Err::<(), _>(())).is_err());
        assert_eq!(post(&s, "y"), 1);
    }

    #[test]
    fn json_is_escaped_once() {
        let c = Comment::new(7, "bob".into(), "<b>\"hi\"\n".into(), 784_111_777);
        assert_eq!(
            c.json,
            r#"{"id":7,"author":"bob","text":"\u003cb\u003e\"hi\"\n","created_at":"1994-11-06T08:49:37Z"}"#
        );
    }

    #[test]
    fn restore_sets_next_id() {
        let s = CommentStore::new();
        s.restore(vec![
            Comment::new(2, "a".into(), "b".into(), 0),
            Comment::new(1, "a".into(), "a".into(), 0),
        ]);
        assert_eq!(
            s.page(0, 10).iter().map(|c| c.id).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(post(&s, "c"), 3);
    }
}
