//! `RedisStore` against a real redis-server: two stores on one Redis stand
//! for two instances. Skipped (with a SKIPPED line) without redis-server.

#[path = "support/redis.rs"]
mod redis;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use redis::{redis_server_or_skip, Redis};
use stateful::app::redis_store::RedisStore;
use stateful::app::store::{DeleteOutcome, Store, StoreError, TokenStatus, UserRecord};
use stateful::redis::{Client, RedisUrl};

const TTL: Duration = Duration::from_secs(1_209_600);

fn store(url: &str, timeout_ms: u64, cache: bool) -> RedisStore {
    let client = Arc::new(Client::new(
        RedisUrl::parse(url).unwrap(),
        Duration::from_millis(timeout_ms),
    ));
    RedisStore::new(client, "t:", 1_000_000, cache).unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn user(hash: &str) -> UserRecord {
    UserRecord {
        password_hash: hash.into(),
        created_at: 1,
    }
}

fn post(s: &RedisStore, author: &str, text: &str) -> u64 {
    let (tx, rx) = std::sync::mpsc::channel();
    s.post_comment(author, text, now(), Box::new(move |r| tx.send(r).unwrap()));
    rx.recv().unwrap().expect("posted").id
}

/// `find_session_user`, waited for.
fn find(s: &RedisStore, ids: &[&str]) -> Result<Option<String>, StoreError> {
    let (tx, rx) = std::sync::mpsc::channel();
    s.find_session_user(ids, now(), Box::new(move |r| tx.send(r).unwrap()));
    let found = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("done is called");
    found.map(|u| u.map(|u| u.to_string()))
}

/// `find_token_status`, waited for.
fn find_token(s: &RedisStore, sub: &str, jti: &str, iat: i64) -> Result<TokenStatus, StoreError> {
    let (tx, rx) = std::sync::mpsc::channel();
    s.find_token_status(sub, jti, iat, Box::new(move |r| tx.send(r).unwrap()));
    rx.recv_timeout(Duration::from_secs(5))
        .expect("done is called")
}

/// Waits (polling) until the session cache has heard from Redis, so the
/// cross-instance checks below exercise it.
fn wait_cache_warm(s: &RedisStore, id: &str) {
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        let _ = s.session(id, now());
        std::thread::sleep(Duration::from_millis(5));
        if s.cache_stats().0 > 0 {
            return;
        }
    }
    panic!("the session cache never answered");
}

#[test]
fn users_sessions_comments_throttle_and_tokens_across_two_instances() {
    let Some(bin) =
        redis_server_or_skip("users_sessions_comments_throttle_and_tokens_across_two_instances")
    else {
        return;
    };
    let redis = Redis::start(&bin, &[]);
    let a = store(&redis.url(), 1000, true);
    let b = store(&redis.url(), 1000, true);
    assert!(a.ping().is_ok() && a.is_remote());

    // Users.
    assert_eq!(a.user("alice"), Ok(None));
    assert_eq!(a.create_user("alice", user("h1")), Ok(true));
    assert_eq!(b.create_user("alice", user("h2")), Ok(false));
    assert_eq!(b.user("alice").unwrap().unwrap().password_hash, "h1");
    assert_eq!(b.replace_password_hash("alice", "nope", "h3"), Ok(false));
    assert_eq!(b.replace_password_hash("alice", "h1", "h3"), Ok(true));
    assert_eq!(a.user("alice").unwrap().unwrap().password_hash, "h3");

    // A session made on one instance is valid on the other, and a logout
    // on either ends it on both, at once, with both caches on.
    let t = now();
    let s1 = a.create_session("alice", "curl/8", t, TTL).unwrap();
    assert_eq!(s1.id.len(), 32);
    let seen = b.session(&s1.id, t).unwrap().expect("valid on b");
    assert_eq!(
        (&*seen.username, seen.user_agent.as_str()),
        ("alice", "curl/8")
    );
    assert_eq!(seen.expires_at, t + TTL.as_secs() as i64);
    // Redis forgets it by itself at its expiry, and never holds the id.
    let ttl = redis.command(&["TTL", &format!("t:session:{{{}}}", s1.info.id_hash)]);
    let ttl: i64 = ttl.trim().trim_start_matches(':').parse().unwrap();
    assert!(
        (TTL.as_secs() as i64 - 5..=TTL.as_secs() as i64).contains(&ttl),
        "TTL {ttl}"
    );
    let everything = redis.command(&["KEYS", "*"])
        + &redis.command(&["HGETALL", &format!("t:session:{{{}}}", s1.info.id_hash)]);
    assert!(
        !everything.contains(&s1.id),
        "the raw session id is nowhere in Redis"
    );
    wait_cache_warm(&b, &s1.id);
    wait_cache_warm(&a, &s1.id);
    for round in 0..200 {
        let s = a.create_session("alice", "", t, TTL).unwrap();
        assert!(b.session(&s.id, t).unwrap().is_some(), "round {round}");
        assert!(
            b.session(&s.id, t).unwrap().is_some(),
            "round {round}: cached"
        );
        a.end_session(&s.id).unwrap();
        assert_eq!(
            b.session(&s.id, t),
            Ok(None),
            "round {round}: logout on a seen by b"
        );
    }
    assert!(
        b.cache_stats().0 >= 200,
        "b's cache answered: {:?}",
        b.cache_stats()
    );

    // GET /me's lookup: the first cookie naming a live session wins, cached
    // or not, with or without a cache, batched with other lookups.
    let uncached = store(&redis.url(), 1000, false);
    let live = a.create_session("alice", "", t, TTL).unwrap().id;
    let dead = a.create_session("alice", "", t, TTL).unwrap().id;
    a.end_session(&dead).unwrap();
    let unknown = "abcdefghijklmnopqrstuvwxyz012345";
    for s in [&a, &b, &uncached] {
        assert_eq!(find(s, &[&live]), Ok(Some("alice".into())));
        assert_eq!(
            find(s, &[unknown, "bad id", &dead, &live]),
            Ok(Some("alice".into()))
        );
        assert_eq!(find(s, &[&dead, unknown]), Ok(None));
        assert_eq!(find(s, &[]), Ok(None));
    }
    let many: Vec<_> = (0..200)
        .map(|i| {
            let (tx, rx) = std::sync::mpsc::channel();
            let id = if i % 2 == 0 {
                live.clone()
            } else {
                dead.clone()
            };
            uncached.find_session_user(&[&id], now(), Box::new(move |r| tx.send(r).unwrap()));
            (i, rx)
        })
        .collect();
    for (i, rx) in many {
        let want = if i % 2 == 0 {
            Some(Arc::from("alice"))
        } else {
            None
        };
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(5)).unwrap(),
            Ok(want),
            "lookup {i}"
        );
    }
    a.end_session(&live).unwrap();
    assert_eq!(
        find(&b, &[&live]),
        Ok(None),
        "logged out on a, seen by b's batched lookup"
    );
    assert_eq!(b.session("not-a-session-id", t), Ok(None));

    // Listing, logout-all, password change keeping the caller's session.
    let s2 = b.create_session("alice", "firefox", t + 1, TTL).unwrap();
    let listed = a.sessions_of("alice", t + 1).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].id_hash, s2.info.id_hash, "newest first");
    a.change_password("alice", "h4", Some(&s2.info.id_hash), t + 2)
        .unwrap();
    assert_eq!(b.session(&s1.id, t + 2), Ok(None));
    assert!(
        a.session(&s2.id, t + 2).unwrap().is_some(),
        "the caller's session stays"
    );
    assert_eq!(b.user("alice").unwrap().unwrap().password_hash, "h4");
    b.end_all_sessions("alice", t + 3).unwrap();
    assert_eq!(a.session(&s2.id, t + 3), Ok(None));
    assert!(a.sessions_of("alice", t + 3).unwrap().is_empty());

    // Tokens: the deny list and "revoked before".
    assert_eq!(
        a.token_status("alice", "j1", t + 10),
        Ok(TokenStatus::Valid)
    );
    assert_eq!(
        a.token_status("alice", "j1", t + 3),
        Ok(TokenStatus::Revoked)
    );
    assert_eq!(
        a.token_status("nobody", "j1", t + 10),
        Ok(TokenStatus::NoSuchUser)
    );
    a.revoke_token("j1", now() + 900).unwrap();
    assert_eq!(
        b.token_status("alice", "j1", t + 10),
        Ok(TokenStatus::Revoked)
    );

    // Through b's token caches: once an answer is cached, a revocation, a
    // logout-all or a new user on a reaches b at once (the caches track
    // every key under their prefixes, absent ones included).
    let iat = now() + 100;
    let end = Instant::now() + Duration::from_secs(5);
    while b.token_cache_stats().0 == 0 {
        assert!(Instant::now() < end, "the token caches never answered");
        let _ = b.token_status("alice", "warm", iat);
        std::thread::sleep(Duration::from_millis(5));
    }
    let hits = b.token_cache_stats().0;
    for round in 0..100 {
        let jti = format!("round-{round}");
        for _ in 0..2 {
            assert_eq!(
                b.token_status("alice", &jti, iat),
                Ok(TokenStatus::Valid),
                "round {round}"
            );
            assert_eq!(find_token(&b, "alice", &jti, iat), Ok(TokenStatus::Valid));
        }
        a.revoke_token(&jti, now() + 900).unwrap();
        assert_eq!(
            b.token_status("alice", &jti, iat),
            Ok(TokenStatus::Revoked),
            "round {round}: revoked on a, seen by b"
        );
        assert_eq!(
            find_token(&b, "alice", &jti, iat),
            Ok(TokenStatus::Revoked),
            "round {round}: revoked on a, seen by b's GET /me"
        );
    }
    assert!(
        b.token_cache_stats().0 >= hits + 200,
        "b's token caches answered: {:?}",
        b.token_cache_stats()
    );
    assert_eq!(b.token_status("alice", "kept", iat), Ok(TokenStatus::Valid));
    assert_eq!(b.token_status("alice", "kept", iat), Ok(TokenStatus::Valid));
    a.end_all_sessions("alice", iat).unwrap();
    assert_eq!(
        find_token(&b, "alice", "kept", iat),
        Ok(TokenStatus::Revoked),
        "logout-all on a, seen by b"
    );
    assert_eq!(
        b.token_status("carol", "c1", iat),
        Ok(TokenStatus::NoSuchUser)
    );
    assert_eq!(
        b.token_status("carol", "c1", iat),
        Ok(TokenStatus::NoSuchUser)
    );
    a.create_user("carol", user("hc")).unwrap();
    assert_eq!(
        find_token(&b, "carol", "c1", iat),
        Ok(TokenStatus::Valid),
        "a user created on a, seen by b"
    );

    // Comments: ids increase across instances, pages in order, deletes.
    let v0 = a.comments_version().unwrap();
    let ids: Vec<u64> = (0..10)
        .map(|i| {
            post(
                if i % 2 == 0 { &a } else { &b },
                "alice",
                &format!("c{i}: a:b\nc"),
            )
        })
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let page = b.comments_after(0, 100).unwrap();
    assert_eq!(page.iter().map(|c| c.id).collect::<Vec<_>>(), ids);
    assert_eq!(page[3].text, "c3: a:b\nc");
    assert_eq!(&*page[3].author, "alice");
    assert_eq!(
        a.comments_after(ids[7], 100)
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        ids[8..]
    );
    assert_eq!(
        a.comments_before(Some(ids[5]), 2)
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect::<Vec<_>>(),
        ids[3..5]
    );
    assert_eq!(a.comments_before(None, 1).unwrap()[0].id, ids[9]);
    assert_eq!(
        b.delete_comment(ids[2], "mallory"),
        Ok(DeleteOutcome::NotAuthor)
    );
    assert_eq!(
        b.delete_comment(ids[2], "alice"),
        Ok(DeleteOutcome::Deleted)
    );
    assert_eq!(
        a.delete_comment(ids[2], "alice"),
        Ok(DeleteOutcome::NotFound)
    );
    assert_eq!(
        a.delete_comment(999_999, "alice"),
        Ok(DeleteOutcome::NotFound)
    );
    assert_eq!(a.comments_after(0, 100).unwrap().len(), 9);
    assert_eq!(a.comments_version().unwrap(), v0 + 11);

    // The throttle counts failures from every instance.
    for i in 0..5 {
        assert_eq!(a.throttle_check("bob", t), Ok(None), "failure {i}");
        let s = if i % 2 == 0 { &a } else { &b };
        s.throttle_failure("bob", t + i).unwrap();
    }
    let wait = b.throttle_check("bob", t + 10).unwrap().expect("locked");
    assert_eq!(wait, Duration::from_secs(900 - 10));
    assert_eq!(
        b.throttle_check("bob", t + 900),
        Ok(None),
        "the window passed"
    );
    a.throttle_clear("bob").unwrap();
    assert_eq!(b.throttle_check("bob", t + 10), Ok(None));

    assert_eq!(a.session_count(), Ok(0), "every session of the test ended");
    b.create_session("alice", "", t, TTL).unwrap();
    assert_eq!(a.session_count(), Ok(1));
}

#[test]
fn concurrent_signup_of_one_name_creates_one_user() {
    let Some(bin) = redis_server_or_skip("concurrent_signup_of_one_name_creates_one_user") else {
        return;
    };
    let redis = Redis::start(&bin, &[]);
    let stores: Vec<Arc<RedisStore>> = (0..3)
        .map(|_| Arc::new(store(&redis.url(), 1000, false)))
        .collect();
    for round in 0..20 {
        let name = format!("carol{round}");
        let barrier = Arc::new(Barrier::new(12));
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let s = Arc::clone(&stores[i % 3]);
                let (barrier, name) = (Arc::clone(&barrier), name.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    s.create_user(&name, user(&format!("hash{i}"))).unwrap()
                })
            })
            .collect();
        let created = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|&c| c)
            .count();
        assert_eq!(created, 1, "round {round}");
    }
}

#[test]
fn a_stopped_killed_or_restarted_redis_is_unavailable_then_recovers() {
    let Some(bin) =
        redis_server_or_skip("a_stopped_killed_or_restarted_redis_is_unavailable_then_recovers")
    else {
        return;
    };
    let mut redis = Redis::start(&bin, &[]);
    let s = store(&redis.url(), 300, true);
    assert_eq!(s.create_user("dave", user("h")), Ok(true));
    let sess = s.create_session("dave", "", now(), TTL).unwrap();
    wait_cache_warm(&s, &sess.id);

    // SIGSTOP: every call fails within the timeout (plus slack), the cached
    // session included, and none hangs.
    redis.pause();
    let start = Instant::now();
    let mut outcomes = Vec::new();
    while start.elapsed() < Duration::from_millis(1500) {
        let t = Instant::now();
        let r = s.session(&sess.id, now());
        assert!(
            t.elapsed() < Duration::from_millis(300 + 1000),
            "{:?}",
            t.elapsed()
        );
        outcomes.push(r.is_ok());
    }
    assert!(matches!(
        s.session(&sess.id, now()),
        Err(StoreError::Unavailable(_))
    ));
    assert!(s.ping().is_err());
    assert!(matches!(s.user("dave"), Err(StoreError::Unavailable(_))));
    redis.resume();
    assert!(
        wait_ok(|| s.user("dave").map(|u| u.is_some())),
        "recovers after SIGCONT"
    );
    assert!(s.session(&sess.id, now()).unwrap().is_some());

    // SIGKILL: unavailable; a restart on the same port brings the data
    // back (append-only file) without a new store.
    redis.kill();
    assert!(matches!(s.user("dave"), Err(StoreError::Unavailable(_))));
    let (tx, rx) = std::sync::mpsc::channel();
    s.post_comment(
        "dave",
        "lost?",
        now(),
        Box::new(move |r| tx.send(r).unwrap()),
    );
    assert!(
        rx.recv().unwrap().is_err(),
        "a write to a dead Redis is not reported done"
    );
    redis.restart();
    assert!(
        wait_ok(|| s.user("dave").map(|u| u.is_some())),
        "recovers after restart"
    );
    assert!(
        s.session(&sess.id, now()).unwrap().is_some(),
        "the session survived"
    );
    assert_eq!(post(&s, "dave", "after restart"), 1);
}

fn wait_ok(mut f: impl FnMut() -> Result<bool, StoreError>) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if f() == Ok(true) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn auth_by_password_and_by_acl_user() {
    let Some(bin) = redis_server_or_skip("auth_by_password_and_by_acl_user") else {
        return;
    };
    let redis = Redis::start(&bin, &["--requirepass", "s3cret"]);
    let port = redis.port;
    let refused = store(&format!("redis://:wrong@127.0.0.1:{port}"), 500, true);
    assert!(matches!(refused.user("x"), Err(StoreError::Unavailable(_))));
    assert!(refused.ping().is_err());
    let none = store(&format!("redis://127.0.0.1:{port}"), 500, false);
    assert!(
        matches!(none.user("x"), Err(StoreError::Unavailable(_))),
        "NOAUTH is unavailable"
    );
    let good = store(&format!("redis://:s3cret@127.0.0.1:{port}/2"), 500, true);
    assert_eq!(good.create_user("erin", user("h")), Ok(true));
    assert!(good.ping().is_ok());

    // An ACL user with its own password (Redis 6+).
    let acl = std::process::Command::new("redis-cli")
        .args(["-p", &port.to_string(), "-a", "s3cret", "--no-auth-warning"])
        .args(["ACL", "SETUSER", "app", "on", ">app%pw", "~t:*", "+@all"])
        .output();
    let Ok(acl) = acl else {
        eprintln!("SKIPPED: ACL part of auth_by_password_and_by_acl_user: redis-cli not found");
        return;
    };
    assert!(
        String::from_utf8_lossy(&acl.stdout).contains("OK"),
        "{acl:?}"
    );
    let app = store(
        &format!("redis://app:app%25pw@127.0.0.1:{port}/2"),
        500,
        true,
    );
    assert_eq!(app.user("erin").unwrap().unwrap().password_hash, "h");
    let wrong = store(&format!("redis://app:nope@127.0.0.1:{port}"), 500, false);
    assert!(matches!(
        wrong.user("erin"),
        Err(StoreError::Unavailable(_))
    ));
}

#[test]
fn a_push_that_overtakes_a_read_keeps_the_stale_value_out_of_the_cache() {
    use stateful::redis::tracking::{Lookup, TrackedCache};
    use stateful::redis::Effect;
    let Some(bin) =
        redis_server_or_skip("a_push_that_overtakes_a_read_keeps_the_stale_value_out_of_the_cache")
    else {
        return;
    };
    let redis = Redis::start(&bin, &[]);
    let client = Arc::new(Client::new(
        RedisUrl::parse(&redis.url()).unwrap(),
        Duration::from_secs(1),
    ));
    let cache = TrackedCache::<String>::start(Arc::clone(&client), "c:", 100).unwrap();
    let miss = |key: &[u8]| {
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            match cache.get(key) {
                Lookup::Miss(t) => return t,
                _ if Instant::now() < end => std::thread::sleep(Duration::from_millis(5)),
                other => panic!("{other:?}"),
            }
        }
    };
    // A value cached normally is a hit until someone changes its key.
    let t = miss(b"c:2");
    cache.insert(t, b"c:2", "two".into());
    assert_eq!(cache.get(b"c:2"), Lookup::Hit("two".into()));

    // "Read" c:1 (its ticket is taken), then another client changes c:1
    // and c:2 in one command, before our read's value is inserted.
    let ticket = miss(b"c:1");
    client
        .call1(&["MSET", "c:1", "new", "c:2", "new"], Effect::Write)
        .unwrap();
    // Once c:2 (a hit until now) misses, its push is applied, and so is
    // c:1's: the same push, or one before it.
    miss(b"c:2");
    cache.insert(ticket, b"c:1", "old".into());
    assert!(
        matches!(cache.get(b"c:1"), Lookup::Miss(_)),
        "the stale value was refused"
    );
    // A read after the change is cached.
    let t = miss(b"c:1");
    cache.insert(t, b"c:1", "new".into());
    assert_eq!(cache.get(b"c:1"), Lookup::Hit("new".into()));
}
