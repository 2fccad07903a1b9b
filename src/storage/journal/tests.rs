use super::*;

fn comment(id: u64) -> Record {
    Record::Comment {
        id,
        author: "ann".into(),
        text: "hi".into(),
        created_at: 0,
    }
}

/// `/dev/full` refuses every write with ENOSPC: the journal fails the
/// waiter, then stays failed.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_fails_every_later_append() {
    let Ok(file) = OpenOptions::new().write(true).open("/dev/full") else {
        return; // no /dev/full in this sandbox
    };
    let journal = Journal::resume(PathBuf::from("/dev/full"), file, 0, 0);
    let queued = journal.enqueue(&comment(1)).expect("not failed yet");
    let first = journal.append(&comment(2)).expect_err("/dev/full is full");
    assert_eq!(first.kind(), io::ErrorKind::StorageFull);
    assert!(
        journal.wait_durable(queued).is_err(),
        "its bytes were in the failed batch"
    );
    assert!(journal.enqueue(&comment(3)).is_err());
    assert!(journal.append(&comment(4)).is_err());
    assert_eq!(journal.stats(), JournalStats::default());
}

#[cfg(target_os = "linux")]
#[test]
fn concurrent_waiters_all_fail() {
    let Ok(file) = OpenOptions::new().write(true).open("/dev/full") else {
        return;
    };
    let journal = &Journal::resume(PathBuf::from("/dev/full"), file, 0, 0);
    let failures = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| s.spawn(move || journal.append(&comment(i)).is_err()))
            .collect();
        let joined = handles.into_iter().map(|h| h.join().expect("no panic"));
        joined.filter(|&failed| failed).count()
    });
    assert_eq!(failures, 8);
}

#[test]
fn foreign_ticket_is_refused() {
    let Ok(file) = File::open(std::env::temp_dir()) else {
        return;
    };
    let journal = Journal::resume(std::env::temp_dir(), file, 0, 0);
    let err = journal.wait_durable(Ticket(1)).expect_err("never issued");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}
