//! The comment log at the storage level (no server): posts, pages,
//! deletions, the index checkpoint, and what a reopen finds, checkpoint or
//! not. The end-to-end checks over TCP are in `tests/data_dir.rs`.

use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;

use stateful::storage::comment_log::{CommentLog, Deleted, StoredComment};
use stateful::storage::{self, Storage};

struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "stateful-commentlog-{label}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn open(dir: &TempDir) -> Storage {
    storage::open(&dir.0, 1000).expect("open the data directory")
}

/// Posts and waits for the comment to be durable; its id.
fn post(log: &Arc<CommentLog>, author: &str, text: &str) -> u64 {
    let (tx, rx) = mpsc::channel();
    log.post(
        author,
        text,
        1_700_000_000,
        Box::new(move |r| tx.send(r).expect("the test waits")),
    );
    rx.recv().expect("a callback").expect("durable").id
}

fn ids(page: &[StoredComment]) -> Vec<u64> {
    page.iter().map(|c| c.id).collect()
}

#[test]
fn pages_deletions_and_a_reopen_with_and_without_checkpoint() {
    let dir = TempDir::new("reopen");
    let texts: Vec<String> = (1..=300).map(|i| format!("comment number {i} ✓")).collect();
    {
        let s = open(&dir);
        let log = &s.comments;
        for (i, t) in texts.iter().enumerate() {
            let author = if i % 2 == 0 { "ann" } else { "bob" };
            assert_eq!(post(log, author, t), i as u64 + 1);
        }
        assert_eq!(log.delete(2, "ann").unwrap(), Deleted::NotAuthor);
        assert_eq!(log.delete(2, "bob").unwrap(), Deleted::Deleted);
        assert_eq!(log.delete(2, "bob").unwrap(), Deleted::NotFound);
        assert_eq!(log.delete(999, "bob").unwrap(), Deleted::NotFound);
        let page = log.page_after(0, 3).unwrap();
        assert_eq!(ids(&page), [1, 3, 4]);
        assert_eq!(page[1].text, texts[2]);
        assert_eq!(&*page[1].author, "ann");
        // The checkpoint covers the first 300; more follow it.
        log.checkpoint().unwrap();
        for t in ["after the checkpoint", "and one more"] {
            post(log, "cy", t);
        }
        for id in [300, 301] {
            assert_eq!(
                log.delete(id, if id == 300 { "bob" } else { "cy" })
                    .unwrap(),
                Deleted::Deleted
            );
        }
    }
    let check = |s: &Storage| {
        let log = &s.comments;
        let all = log.page_after(0, 1000).unwrap();
        assert_eq!(all.len(), 299, "302 posted, 3 deleted");
        assert_eq!(ids(&all[..2]), [1, 3]);
        assert_eq!(all.last().unwrap().text, "and one more");
        let newest = log.page_before(None, 2).unwrap();
        assert_eq!(ids(&newest), [299, 302]);
        assert_eq!(ids(&log.page_before(Some(299), 1).unwrap()), [298]);
        assert_eq!(log.next_id(), 303);
    };
    {
        let s = open(&dir);
        assert!(
            s.summary
                .contains("the rest read from its index checkpoint"),
            "{}",
            s.summary
        );
        check(&s);
    }
    // Without the checkpoint: the whole log is scanned, same result.
    std::fs::remove_file(dir.0.join("comments-1.idx")).unwrap();
    let s = open(&dir);
    assert!(!s.summary.contains("checkpoint"), "{}", s.summary);
    check(&s);
    assert_eq!(post(&s.comments, "ann", "next"), 303, "ids continue");
}

#[test]
fn a_damaged_checkpoint_is_ignored_not_trusted() {
    let dir = TempDir::new("badidx");
    {
        let s = open(&dir);
        for i in 0..10 {
            post(&s.comments, "ann", &format!("c{i}"));
        }
        s.comments.checkpoint().unwrap();
    }
    let idx = dir.0.join("comments-1.idx");
    let mut bytes = std::fs::read(&idx).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0xFF;
    std::fs::write(&idx, &bytes).unwrap();
    let s = open(&dir);
    assert_eq!(s.comments.page_after(0, 100).unwrap().len(), 10);
    assert!(!s.summary.contains("checkpoint"), "{}", s.summary);
}

#[test]
fn compaction_drops_deleted_comments_and_keeps_everything_else() {
    let dir = TempDir::new("compact");
    let big = "x".repeat(1000);
    {
        let s = open(&dir);
        let log = &s.comments;
        for i in 1..=200u64 {
            post(
                log,
                if i % 2 == 0 { "ann" } else { "bob" },
                &format!("{i} {big}"),
            );
        }
        // Every odd comment, and the newest five.
        for id in (1..=200u64).filter(|i| i % 2 == 1).chain([196, 198, 200]) {
            let by = if id % 2 == 0 { "ann" } else { "bob" };
            assert_eq!(log.delete(id, by).unwrap(), Deleted::Deleted, "{id}");
        }
        let before = std::fs::metadata(dir.0.join("comments-1.log"))
            .unwrap()
            .len();
        let r = log.compact().unwrap();
        assert_eq!((r.generation, r.kept), (2, 97));
        assert!(!dir.0.join("comments-1.log").exists());
        let after = std::fs::metadata(dir.0.join("comments-2.log"))
            .unwrap()
            .len();
        assert!(after * 2 < before, "{before} -> {after} bytes");
        // Still served, posted to, deleted from, after the switch.
        assert_eq!(ids(&log.page_after(0, 3).unwrap()), [2, 4, 6]);
        assert_eq!(post(log, "cy", "after the compaction"), 201);
        assert_eq!(log.delete(2, "ann").unwrap(), Deleted::Deleted);
        assert_eq!(log.delete(1, "bob").unwrap(), Deleted::NotFound);
    }
    let s = open(&dir);
    let all = s.comments.page_after(0, 1000).unwrap();
    assert_eq!(all.len(), 97, "96 even ones below 196, and the new one");
    assert_eq!(ids(&all[..2]), [4, 6]);
    assert!(all[0].text.starts_with("4 x"));
    assert_eq!(all.last().unwrap().id, 201);
    assert_eq!(post(&s.comments, "ann", "next"), 202, "ids never reused");
}

#[test]
fn a_compaction_of_a_log_whose_newest_comments_are_all_deleted_keeps_the_next_id() {
    let dir = TempDir::new("compact-newest");
    {
        let s = open(&dir);
        for i in 1..=10 {
            post(&s.comments, "ann", &format!("c{i}"));
        }
        for id in 1..=10 {
            s.comments.delete(id, "ann").unwrap();
        }
        s.comments.compact().unwrap();
        assert!(s.comments.page_after(0, 100).unwrap().is_empty());
    }
    let s = open(&dir);
    assert_eq!(s.comments.next_id(), 11);
    assert_eq!(post(&s.comments, "ann", "eleven"), 11);
}
