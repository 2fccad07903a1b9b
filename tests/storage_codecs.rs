//! The format 2 codecs of the data directory as properties: entries,
//! frames, snapshots, the comment index and the manifest round-trip, and
//! every proper prefix of a valid file is refused (or, for a journal, read
//! as a torn tail) rather than read as something else.
//!
//! `STATEFUL_WRITE_FUZZ_SEEDS=1 cargo test --test storage_codecs
//! write_fuzz_seeds -- --ignored` rewrites the seed corpora of the fuzz
//! targets `data_frames`, `snapshot`, `comment_index` and `manifest`.

use proptest::prelude::*;
use stateful::storage::entry::{Entry, Key};
use stateful::storage::frame::{scan_frames, Tail};
use stateful::storage::index::{decode_index, encode_index, Checkpoint, Slot};
use stateful::storage::manifest::{decode_manifest, Manifest};
use stateful::storage::snapshot::{decode_snapshot, encode_snapshot};

fn key() -> impl Strategy<Value = Key> {
    any::<[u8; 32]>()
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,40}"
}

fn any_entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        (text(), text(), any::<i64>(), any::<i64>()).prop_map(|(u, h, c, t)| Entry::User {
            username: u,
            password_hash: h,
            created_at: c,
            tokens_before: t,
        }),
        (
            key(),
            text(),
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
            text()
        )
            .prop_map(|(key, u, c, e, l, ua)| Entry::Session {
                key,
                username: u,
                created_at: c,
                expires_at: e,
                last_seen_at: l,
                user_agent: ua,
            }),
        key().prop_map(|key| Entry::EndSession { key }),
        (text(), any::<i64>(), proptest::option::of(key())).prop_map(|(u, at, keep)| {
            Entry::EndSessions {
                username: u,
                at,
                keep,
            }
        }),
        (text(), text(), any::<i64>(), proptest::option::of(key())).prop_map(|(u, h, at, keep)| {
            Entry::PasswordChange {
                username: u,
                password_hash: h,
                at,
                keep,
            }
        }),
        proptest::collection::vec((key(), any::<i64>()), 0..5)
            .prop_map(|sessions| Entry::Seen { sessions }),
        (text(), any::<i64>()).prop_map(|(jti, e)| Entry::RevokeToken { jti, expires_at: e }),
        (any::<u64>(), any::<i64>(), text(), text()).prop_map(|(id, c, a, t)| Entry::Comment {
            id,
            created_at: c,
            author: a,
            text: t,
        }),
        any::<u64>().prop_map(|id| Entry::DeleteComment { id }),
        any::<u64>().prop_map(|next_id| Entry::CommentsStart { next_id }),
    ]
}

fn snapshot_entry() -> impl Strategy<Value = Entry> {
    any_entry().prop_filter("snapshot kinds", |e| matches!(e.kind(), 1 | 2 | 7))
}

fn checkpoint() -> impl Strategy<Value = Checkpoint> {
    (
        proptest::collection::vec("[a-z]{1,8}", 1..4),
        proptest::collection::vec((1u32..200, any::<bool>(), any::<bool>()), 0..20),
        1u64..1000,
        0u64..5,
    )
        .prop_map(|(authors, shapes, first_id, spare)| {
            let mut offset = 24u64;
            let mut slots = Vec::new();
            for (i, (len, deleted, hole)) in shapes.into_iter().enumerate() {
                if hole {
                    slots.push(Slot::hole());
                    continue;
                }
                let mut s = Slot::new(offset, 16 + len, (i % authors.len()) as u32);
                if deleted {
                    s.delete();
                }
                offset += u64::from(16 + len) + u64::from(len % 3) * 9;
                slots.push(s);
            }
            Checkpoint {
                generation: first_id % 7,
                covered_end: offset,
                first_id,
                next_id: first_id + slots.len() as u64 + spare,
                authors,
                slots,
            }
        })
}

proptest! {
    #[test]
    fn a_journal_of_entries_replays_them_and_every_cut_is_torn_or_clean(
        entries in proptest::collection::vec(any_entry(), 1..6),
        cut in any::<proptest::sample::Index>(),
    ) {
        let mut file = Vec::new();
        let mut ends = vec![0usize];
        for e in &entries {
            e.append_to(&mut file).unwrap();
            ends.push(file.len());
        }
        let mut got = Vec::new();
        let scan = scan_frames(&file, |_, kind, p| {
            got.push(Entry::decode(kind, p).unwrap());
            Ok::<(), ()>(())
        }).unwrap();
        prop_assert_eq!(&got, &entries);
        prop_assert_eq!((scan.valid_len, scan.tail), (file.len(), Tail::Clean));
        let at = cut.index(file.len() + 1);
        let mut n = 0;
        let scan = scan_frames(&file[..at], |_, _, _| { n += 1; Ok::<(), ()>(()) }).unwrap();
        let whole = ends.iter().filter(|&&e| e <= at).count() - 1;
        prop_assert_eq!(n, whole);
        prop_assert_eq!(scan.valid_len, ends[whole]);
        let expected = if at == ends[whole] { Tail::Clean } else { Tail::Torn { dropped: at - ends[whole] } };
        prop_assert_eq!(scan.tail, expected);
    }

    #[test]
    fn snapshots_round_trip_and_no_prefix_decodes(
        entries in proptest::collection::vec(snapshot_entry(), 0..6),
        cut in any::<proptest::sample::Index>(),
    ) {
        let bytes = encode_snapshot(entries.clone()).unwrap();
        let mut got = Vec::new();
        prop_assert_eq!(decode_snapshot(&bytes, |e| got.push(e)), Ok(entries.len() as u64));
        prop_assert_eq!(got, entries);
        let at = cut.index(bytes.len());
        let refused = decode_snapshot(&bytes[..at], |_| ()).is_err();
        prop_assert!(refused);
    }

    #[test]
    fn checkpoints_round_trip_and_no_prefix_decodes(
        cp in checkpoint(),
        cut in any::<proptest::sample::Index>(),
    ) {
        let bytes = encode_index(&cp);
        prop_assert_eq!(decode_index(&bytes), Ok(cp));
        let at = cut.index(bytes.len());
        prop_assert!(decode_index(&bytes[..at]).is_err());
    }

    #[test]
    fn manifests_round_trip(state in any::<u64>(), comments in any::<u64>()) {
        let m = Manifest { state, comments };
        prop_assert_eq!(decode_manifest(&m.encode()), Ok(m));
    }
}

/// Writes the seed corpora of the storage fuzz targets (see the module
/// docs); ignored in normal runs.
#[test]
#[ignore]
fn write_fuzz_seeds() {
    if std::env::var("STATEFUL_WRITE_FUZZ_SEEDS").is_err() {
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    let user = Entry::User {
        username: "ann".into(),
        password_hash: "pbkdf2_sha256$1$c2FsdA$aGFzaA==".into(),
        created_at: 1_700_000_000,
        tokens_before: i64::MIN,
    };
    let session = Entry::Session {
        key: [0x5a; 32],
        username: "ann".into(),
        created_at: 1_700_000_000,
        expires_at: 1_701_209_600,
        last_seen_at: 1_700_000_060,
        user_agent: "curl/8.5".into(),
    };
    let revoked = Entry::RevokeToken {
        jti: "4f1c".into(),
        expires_at: 1_700_000_900,
    };
    let mut journal = Vec::new();
    for e in [
        user.clone(),
        session.clone(),
        Entry::Seen {
            sessions: vec![([0x5a; 32], 1_700_000_120)],
        },
        Entry::PasswordChange {
            username: "ann".into(),
            password_hash: "x".into(),
            at: 1_700_000_200,
            keep: Some([0x5a; 32]),
        },
        Entry::EndSessions {
            username: "ann".into(),
            at: 1_700_000_300,
            keep: None,
        },
        Entry::EndSession { key: [0x5a; 32] },
        revoked.clone(),
    ] {
        e.append_to(&mut journal).unwrap();
    }
    write("data_frames", "seed-state-journal", &journal);
    write("data_frames", "seed-torn", &journal[..journal.len() - 5]);
    let mut zeros = journal.clone();
    zeros.extend([0u8; 64]);
    write("data_frames", "seed-preallocated", &zeros);
    let mut comments = Vec::new();
    Entry::CommentsStart { next_id: 1 }
        .append_to(&mut comments)
        .unwrap();
    Entry::Comment {
        id: 1,
        created_at: 1_700_000_000,
        author: "ann".into(),
        text: "hello ✓ \"quoted\"".into(),
    }
    .append_to(&mut comments)
    .unwrap();
    Entry::DeleteComment { id: 1 }
        .append_to(&mut comments)
        .unwrap();
    write("data_frames", "seed-comment-log", &comments);
    let mut corrupt = comments.clone();
    corrupt[20] ^= 1;
    write("data_frames", "seed-corrupt", &corrupt);

    let snap = encode_snapshot([user, session, revoked]).unwrap();
    write("snapshot", "seed-three", &snap);
    write("snapshot", "seed-empty", &encode_snapshot([]).unwrap());
    write("snapshot", "seed-cut", &snap[..snap.len() - 3]);

    let mut gone = Slot::new(81, 60, 1);
    gone.delete();
    let cp = Checkpoint {
        generation: 1,
        covered_end: 300,
        first_id: 1,
        next_id: 5,
        authors: vec!["ann".into(), "bob".into()],
        slots: vec![
            Slot::new(24, 57, 0),
            gone,
            Slot::hole(),
            Slot::new(141, 70, 0),
        ],
    };
    write("comment_index", "seed-four", &encode_index(&cp));
    let empty = Checkpoint {
        generation: 1,
        covered_end: 24,
        first_id: 1,
        next_id: 1,
        authors: vec![],
        slots: vec![],
    };
    write("comment_index", "seed-empty", &encode_index(&empty));

    write(
        "manifest",
        "seed-current",
        &Manifest {
            state: 7,
            comments: 1,
        }
        .encode(),
    );
    write(
        "manifest",
        "seed-newer",
        b"stateful data directory\nformat 3\nstate 1\ncomments 1\ncrc32 00000000\n",
    );
}
