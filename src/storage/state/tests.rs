use super::*;

fn user(name: &str) -> Entry {
    Entry::User {
        username: name.into(),
        password_hash: format!("hash-of-{name}"),
        created_at: 1,
        tokens_before: i64::MIN,
    }
}

fn login(key: u8, name: &str, expires_at: i64) -> Entry {
    Entry::Session {
        key: [key; 32],
        username: name.into(),
        created_at: 10,
        expires_at,
        last_seen_at: 10,
        user_agent: "ua".into(),
    }
}

fn state(entries: Vec<Entry>, now: i64) -> LiveState {
    let mut s = LiveState::new();
    for e in entries {
        s.apply(e, now).expect("state entries");
    }
    s
}

#[test]
fn logins_logouts_and_expiry() {
    let s = state(
        vec![
            user("ann"),
            user("bob"),
            login(1, "ann", 100),
            login(2, "ann", 50),
            login(3, "bob", 100),
            login(4, "nobody", 100),
            Entry::EndSession { key: [3; 32] },
        ],
        60,
    );
    assert!(s.session(&[1; 32]).is_some());
    assert!(s.session(&[2; 32]).is_none(), "expired at replay");
    assert!(s.session(&[3; 32]).is_none(), "logged out");
    assert!(s.session(&[4; 32]).is_none(), "no such user");
    assert_eq!(s.sessions_of("ann"), [[1; 32]]);
    assert_eq!(s.sessions_of("bob"), &[] as &[Key]);
}

#[test]
fn logout_all_and_password_change_keep_one() {
    let mut s = state(
        vec![
            user("ann"),
            login(1, "ann", 100),
            login(2, "ann", 100),
            login(3, "ann", 100),
        ],
        0,
    );
    s.apply(
        Entry::PasswordChange {
            username: "ann".into(),
            password_hash: "new".into(),
            at: 20,
            keep: Some([2; 32]),
        },
        0,
    )
    .unwrap();
    assert_eq!(s.sessions_of("ann"), [[2; 32]]);
    let u = s.user("ann").unwrap();
    assert_eq!((u.password_hash.as_str(), u.tokens_before), ("new", 20));
    s.apply(
        Entry::EndSessions {
            username: "ann".into(),
            at: 30,
            keep: None,
        },
        0,
    )
    .unwrap();
    assert_eq!(s.session_count(), 0);
    assert_eq!(s.user("ann").unwrap().tokens_before, 30);
}

#[test]
fn live_bytes_follow_the_snapshot() {
    let mut s = state(vec![user("ann"), login(1, "ann", 100)], 0);
    s.apply(
        Entry::RevokeToken {
            jti: "j".into(),
            expires_at: 70,
        },
        0,
    )
    .unwrap();
    let mut snapshot = 0u64;
    s.for_each_entry(|e| snapshot += e.frame().unwrap().len() as u64);
    assert_eq!(s.live_bytes(), snapshot);
    s.sweep(80);
    s.apply(Entry::EndSession { key: [1; 32] }, 0).unwrap();
    let mut after = 0u64;
    s.for_each_entry(|e| after += e.frame().unwrap().len() as u64);
    assert_eq!(s.live_bytes(), after);
    assert_eq!((s.session_count(), s.revoked_count()), (0, 0));
}

#[test]
fn seen_never_goes_back() {
    let mut s = state(vec![user("ann"), login(1, "ann", 100)], 0);
    for at in [40, 30] {
        s.apply(
            Entry::Seen {
                sessions: vec![([1; 32], at)],
            },
            0,
        )
        .unwrap();
    }
    assert_eq!(s.session(&[1; 32]).unwrap().last_seen_at, 40);
}

#[test]
fn comments_do_not_belong_here() {
    let mut s = LiveState::new();
    assert_eq!(
        s.apply(Entry::DeleteComment { id: 1 }, 0),
        Err(ApplyError::WrongLog(9))
    );
}
