use super::*;
use crate::storage::frame::{decode_frame, Decoded};

pub(crate) fn samples() -> Vec<Entry> {
    let k = [7u8; 32];
    vec![
        Entry::User {
            username: "ann".into(),
            password_hash: "pbkdf2_sha256$1$s$h=".into(),
            created_at: 1_700_000_000,
            tokens_before: i64::MIN,
        },
        Entry::Session {
            key: k,
            username: "ann".into(),
            created_at: 1,
            expires_at: 1_209_601,
            last_seen_at: 5,
            user_agent: "curl/8 ✓".into(),
        },
        Entry::EndSession { key: k },
        Entry::EndSessions {
            username: "ann".into(),
            at: 9,
            keep: None,
        },
        Entry::PasswordChange {
            username: "ann".into(),
            password_hash: "x".into(),
            at: 10,
            keep: Some(k),
        },
        Entry::Seen {
            sessions: vec![(k, 1), ([0; 32], -1)],
        },
        Entry::Seen { sessions: vec![] },
        Entry::RevokeToken {
            jti: "abc".into(),
            expires_at: i64::MAX,
        },
        Entry::Comment {
            id: u64::MAX,
            created_at: -5,
            author: "bob".into(),
            text: "hi \"there\"\n".into(),
        },
        Entry::DeleteComment { id: 3 },
        Entry::CommentsStart { next_id: 42 },
        Entry::SnapshotEnd { entries: 3 },
    ]
}

#[test]
fn round_trips_through_frames() {
    for e in samples() {
        let frame = e.frame().expect("small");
        match decode_frame(&frame) {
            Ok(Decoded::Complete { kind, payload, len }) => {
                assert_eq!(len, frame.len());
                assert_eq!(Entry::decode(kind, payload).as_ref(), Ok(&e));
            }
            other => panic!("{e:?}: {other:?}"),
        }
    }
}

#[test]
fn exactness() {
    for e in samples() {
        let p = e.payload();
        for cut in 0..p.len() {
            assert!(
                Entry::decode(e.kind(), &p[..cut]).is_err(),
                "{e:?} cut {cut}"
            );
        }
        let mut longer = p.clone();
        longer.push(0);
        assert!(Entry::decode(e.kind(), &longer).is_err(), "{e:?} longer");
    }
    let bad_flag = [&3u32.to_le_bytes()[..], b"ann", &[0; 8], &[2]].concat();
    assert_eq!(
        Entry::decode(KIND_END_SESSIONS, &bad_flag),
        Err(EntryError::BadFlag(2))
    );
    let bad_utf8 = [&1u32.to_le_bytes()[..], &[0xFF], &[0; 4], &[0; 16]].concat();
    assert_eq!(
        Entry::decode(KIND_USER, &bad_utf8),
        Err(EntryError::InvalidUtf8)
    );
    let huge_count = u32::MAX.to_le_bytes();
    assert_eq!(
        Entry::decode(KIND_SEEN, &huge_count),
        Err(EntryError::Truncated)
    );
}

#[test]
fn comment_payload_matches_the_entry() {
    let p = comment_payload(5, 6, "a", "b");
    let e = Entry::Comment {
        id: 5,
        created_at: 6,
        author: "a".into(),
        text: "b".into(),
    };
    assert_eq!(p, e.payload());
    let v = decode_comment(&p).expect("valid");
    assert_eq!((v.id, v.created_at, v.author, v.text), (5, 6, "a", "b"));
}
