//! Crash safety (issue 5): writes acknowledged with 201 survive SIGKILL.
//!
//! - `acknowledged_writes_survive_sigkill_at_random_moments`: client
//!   threads sign up and post comments; the server is killed with SIGKILL
//!   at a pseudo-random moment (seeded xorshift; the seed is printed and
//!   `STATEFUL_SEED` replays it), restarted on the same `--data-dir`, and
//!   every acknowledged user must log in and every acknowledged comment
//!   appear exactly once. The journal accumulates over all kill points, so
//!   each restart also replays the torn tails the earlier kills left.
//!   `STATEFUL_KILL_POINTS` sets the number of kill points (default 50).
//! - `a_journal_cut_at_any_byte_of_its_last_record_replays_the_rest`: a
//!   journal written by the server, cut at every byte offset of its last
//!   two records (a user, then a comment), each copy started on: the
//!   replayed state is exactly the records before the cut.

#[path = "support/board.rs"]
mod board;
#[path = "support/json_value.rs"]
mod json_value;
#[path = "support/server.rs"]
mod server;

use std::collections::{HashMap, HashSet};

use board::all_comments;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use json_value::Json;
use server::{
    comment_body, credentials, login, post_json_request, session_id, signup, Server, XorShift,
};

/// Client threads writing during each kill point.
const WRITERS: usize = 4;
/// Most writes one thread makes before a kill point (a bound; the kill
/// comes long before).
const MAX_WRITES_PER_THREAD: usize = 2000;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stateful-crash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the data dir");
    dir
}

/// Starts a server on `dir` and waits for its replay line; the server and
/// the replayed (users, comments) counts.
fn start_on(dir: &Path) -> (Server, usize, usize) {
    let s = Server::start(&[
        "--pbkdf2-iterations",
        "1",
        "--data-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(
        s.wait_stderr(" comments\n", Duration::from_secs(10)),
        "no replay line: {}",
        s.stderr()
    );
    let log = s.stderr();
    let line = log
        .lines()
        .find(|l| l.contains(": replayed "))
        .expect("the replay line");
    let words: Vec<&str> = line
        .rsplit(": replayed ")
        .next()
        .unwrap()
        .split(' ')
        .collect();
    let users = words[0].parse().expect("user count");
    let comments = words[3].parse().expect("comment count");
    (s, users, comments)
}

/// What the server acknowledged.
#[derive(Default)]
struct Acked {
    users: Vec<(String, String)>,
    comments: Vec<(i64, String, String)>,
}

/// Checks the restarted server against everything acknowledged: each
/// comment listed exactly once with its id, author and text; no text twice;
/// ids increasing; the given users log in.
fn check(s: &Server, acked: &Acked, users_to_log_in: &[(String, String)]) -> usize {
    let listed = all_comments(s);
    assert!(
        listed.windows(2).all(|w| w[0].0 < w[1].0),
        "ids not increasing"
    );
    let mut texts = HashSet::new();
    for (_, _, t) in &listed {
        assert!(texts.insert(t.as_str()), "comment {t:?} listed twice");
    }
    let by_id: HashMap<i64, &(i64, String, String)> = listed.iter().map(|c| (c.0, c)).collect();
    for c in &acked.comments {
        assert_eq!(
            by_id.get(&c.0).copied(),
            Some(c),
            "acknowledged comment {c:?} lost or changed"
        );
    }
    for (u, p) in users_to_log_in {
        assert!(
            login(s, u, p).is_some(),
            "acknowledged user {u} cannot log in"
        );
    }
    listed.len()
}

/// One writer: its own user, then signups and comments until the server
/// dies (or the bound); records what was acknowledged.
fn writer(s: &Server, tag: &str, seed: u64, acked: &Mutex<Acked>, started: &AtomicUsize) {
    let mut rng = XorShift::new(seed);
    let me = tag.to_string();
    let password = "right password";
    if signup(s, &me, password).status != 201 {
        return;
    }
    acked
        .lock()
        .unwrap()
        .users
        .push((me.clone(), password.into()));
    let Some(id) = login(s, &me, password) else {
        return;
    };
    started.fetch_add(1, Ordering::SeqCst);
    let mut c = s.client();
    for k in 0..MAX_WRITES_PER_THREAD {
        if rng.range(0, 4) == 0 {
            let name = format!("{tag}u{k}");
            let raw = post_json_request("/signup", &credentials(&name, password), None);
            match c.request(&raw) {
                Some(r) if r.status == 201 => {
                    acked.lock().unwrap().users.push((name, password.into()))
                }
                Some(r) => panic!("signup {name}: {} {}", r.status, r.text()),
                None => return,
            }
        } else {
            let text = format!("{tag}c{k}");
            let raw = post_json_request("/comments", &comment_body(&text), Some(&id));
            match c.request(&raw) {
                Some(r) if r.status == 201 => {
                    let j = Json::parse(&r.text());
                    acked.lock().unwrap().comments.push((
                        j.at("id").i64(),
                        me.clone(),
                        j.at("text").str().to_string(),
                    ));
                }
                Some(r) => panic!("comment {text}: {} {}", r.status, r.text()),
                None => return,
            }
        }
    }
}

#[test]
fn acknowledged_writes_survive_sigkill_at_random_moments() {
    let kill_points: usize = std::env::var("STATEFUL_KILL_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let seed = XorShift::seed_from_env();
    eprintln!(
        "crash safety: seed {seed} (STATEFUL_SEED={seed} replays it), {kill_points} kill points"
    );
    let mut rng = XorShift::new(seed);
    let dir = temp_dir("kill");
    let acked = Mutex::new(Acked::default());
    let started_at = Instant::now();
    let mut delays = Vec::new();
    let mut per_round = Vec::new();
    for round in 0..kill_points {
        let (mut s, replayed_users, replayed_comments) = start_on(&dir);
        {
            let a = acked.lock().unwrap();
            assert!(replayed_users >= a.users.len(), "round {round}: users lost");
            assert!(
                replayed_comments >= a.comments.len(),
                "round {round}: comments lost"
            );
            // The previous round's users log in; all comments are checked.
            let recent: Vec<(String, String)> = a
                .users
                .iter()
                .filter(|(u, _)| round > 0 && u.starts_with(&format!("r{}w", round - 1)))
                .cloned()
                .collect();
            check(&s, &a, &recent);
        }
        let count = |a: &Mutex<Acked>| {
            let a = a.lock().unwrap();
            a.comments.len() + a.users.len()
        };
        let before = count(&acked);
        // The kill point: 0 to 80 ms after every writer is writing.
        let delay = Duration::from_micros(rng.range(0, 80_000));
        delays.push(delay);
        let started = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for w in 0..WRITERS {
                let (s, acked, started) = (&s, &acked, &started);
                let seed = rng.next_u64();
                scope.spawn(move || writer(s, &format!("r{round}w{w}"), seed, acked, started));
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while started.load(Ordering::SeqCst) < WRITERS && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            assert_eq!(
                started.load(Ordering::SeqCst),
                WRITERS,
                "writers never started"
            );
            std::thread::sleep(delay);
            s.signal("KILL");
        });
        assert!(
            s.wait_exit(Duration::from_secs(5)).is_some(),
            "SIGKILL did not kill"
        );
        per_round.push(count(&acked) - before);
    }
    // The last restart: everything, every user.
    let (mut s, users, comments) = start_on(&dir);
    let a = acked.into_inner().unwrap();
    let listed = check(&s, &a, &a.users);
    assert!(s.is_running());
    let journal = journal_len(&dir);
    per_round.sort();
    eprintln!(
        "ATTACK crash-sigkill: {kill_points} SIGKILLs at 0..80 ms into the load of {WRITERS} \
         writers (seed {seed}), one journal across all of them ({journal} bytes of records): {} users and \
         {} comments acknowledged, all there exactly once after every restart ({users} users and \
         {comments} comments replayed at the end, {listed} listed; the extra ones were in flight \
         at a kill); acknowledged writes per kill point {}..{} (median {}); {:.1}s in all",
        a.users.len(),
        a.comments.len(),
        per_round[0],
        per_round[per_round.len() - 1],
        per_round[per_round.len() / 2],
        started_at.elapsed().as_secs_f64()
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Where the records of the journal in `dir` end (the file goes on with
/// preallocated zeros).
fn journal_len(dir: &Path) -> u64 {
    let bytes = std::fs::read(dir.join("journal.log")).expect("the journal");
    stateful::storage::decode_journal(&bytes).valid_len as u64
}

#[test]
fn a_journal_cut_at_any_byte_of_its_last_record_replays_the_rest() {
    let dir = temp_dir("cut-source");
    let (base, with_user, full) = {
        let (s, _, _) = start_on(&dir);
        assert_eq!(signup(&s, "cutter", "right password").status, 201);
        let id = login(&s, "cutter", "right password").unwrap();
        for text in ["first", "second"] {
            let r = s
                .client()
                .request(&post_json_request(
                    "/comments",
                    &comment_body(text),
                    Some(&id),
                ))
                .unwrap();
            assert_eq!(r.status, 201);
        }
        let base = journal_len(&dir);
        assert_eq!(signup(&s, "lastuser", "right password").status, 201);
        let with_user = journal_len(&dir);
        let r = s
            .client()
            .request(&post_json_request(
                "/comments",
                &comment_body("last ✓"),
                Some(&id),
            ))
            .unwrap();
        assert_eq!(r.status, 201);
        (base, with_user, journal_len(&dir))
    };
    let bytes = std::fs::read(dir.join("journal.log")).unwrap();
    assert_eq!(
        stateful::storage::decode_journal(&bytes).valid_len as u64,
        full
    );
    let bytes = &bytes[..full as usize]; // the cuts are of the records
    let start = Instant::now();
    let offsets: Vec<u64> = (base..=full).collect();
    let checked = AtomicUsize::new(0);
    // Two threads share the offsets: each a fresh copy, a start, a check.
    std::thread::scope(|scope| {
        for half in 0..2 {
            let (offsets, bytes, checked) = (&offsets, &bytes, &checked);
            scope.spawn(move || {
                for &cut in offsets.iter().skip(half).step_by(2) {
                    check_cut(bytes, cut, base, with_user, full);
                    checked.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    eprintln!(
        "ATTACK crash-torn-journal: journal of 4 records cut at each of the {} byte offsets \
         {base}..={full} (a user record of {} bytes, then a comment record of {} bytes): every \
         copy started, replayed exactly the records before the cut, truncated the torn tail and \
         took a new write that a second restart replays; {:.1}s",
        checked.load(Ordering::Relaxed),
        with_user - base,
        full - with_user,
        start.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts a server on a copy of `bytes` cut to `cut` bytes and checks the
/// replayed state, the truncation of the torn tail, and that a write after
/// it is replayed by the next start.
fn check_cut(bytes: &[u8], cut: u64, base: u64, with_user: u64, full: u64) {
    let dir = temp_dir(&format!("cut-{cut}"));
    std::fs::write(dir.join("journal.log"), &bytes[..cut as usize]).unwrap();
    let (users, texts, good): (usize, &[&str], u64) = if cut < with_user {
        (1, &["first", "second"], base)
    } else if cut < full {
        (2, &["first", "second"], with_user)
    } else {
        (2, &["first", "second", "last ✓"], full)
    };
    {
        let (s, u, c) = start_on(&dir);
        assert_eq!((u, c), (users, texts.len()), "cut at {cut}");
        let listed: Vec<String> = all_comments(&s).into_iter().map(|c| c.2).collect();
        assert_eq!(listed, texts, "cut at {cut}");
        let file_len = std::fs::metadata(dir.join("journal.log")).unwrap().len();
        assert_eq!(file_len, good, "cut at {cut}: torn tail not truncated");
        assert!(
            login(&s, "cutter", "right password").is_some(),
            "cut at {cut}"
        );
        let r = s
            .client()
            .request(&post_json_request(
                "/signup",
                &credentials("afterwards", "right password"),
                None,
            ))
            .unwrap();
        assert_eq!(r.status, 201, "cut at {cut}: a write after the replay");
    }
    let (s, u, c) = start_on(&dir);
    assert_eq!(
        (u, c),
        (users + 1, texts.len()),
        "cut at {cut}, second start"
    );
    let r = s
        .client()
        .request(&post_json_request(
            "/login",
            &credentials("afterwards", "right password"),
            None,
        ))
        .unwrap();
    assert!(session_id(&r).is_some(), "cut at {cut}: {}", r.text());
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}
