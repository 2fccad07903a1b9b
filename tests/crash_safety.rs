//! Crash safety (issues 5 and 16): what was acknowledged survives SIGKILL,
//! also in the middle of a compaction.
//!
//! - `acknowledged_writes_survive_sigkill_at_random_moments`: client
//!   threads sign up, log in and out, post and delete comments; the server
//!   is killed with SIGKILL at a pseudo-random moment (seeded xorshift; the
//!   seed is printed and `STATEFUL_SEED` replays it), restarted on the same
//!   `--data-dir`, and every acknowledged user must log in, every
//!   acknowledged comment appear exactly once (a deleted one never), every
//!   acknowledged login still be valid and every acknowledged logout still
//!   hold. One directory accumulates over all kill points, so each restart
//!   also replays what the earlier kills left. `STATEFUL_KILL_POINTS` sets
//!   the number of kill points (default 50). With the `fault-injection`
//!   feature the state journal is compacted every few KB, so compactions
//!   run nearly all the time and many kills land inside one (counted: a
//!   kill is inside when its server's stderr shows a compaction point after
//!   the last finished compaction).
//! - `a_kill_at_each_point_of_a_compaction_loses_nothing` (needs
//!   `fault-injection`): the compactors (of the state journal, and of the
//!   comment log, which the writers' many deletions here set off) pause at
//!   each of their named points and say so on stderr; the test kills the
//!   server during the pause at each point in turn (and checks from stderr that the next point was
//!   never reached, so the kill did land there), then restarts and checks
//!   everything acknowledged.
//! - `a_log_cut_at_any_byte_of_its_last_records_replays_the_rest`: a
//!   directory written by the server, its comment log and its state
//!   journal each cut at every byte offset of their last records, each copy
//!   started on: the replayed state is exactly the records before the cut.

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
    comment_body, credentials, get_request, login, post_json_request, session_id, signup, Server,
    XorShift,
};

/// Client threads writing during each kill point.
const WRITERS: usize = 4;
/// Most writes one thread makes before a kill point (a bound; the kill
/// comes long before).
const MAX_WRITES_PER_THREAD: usize = 2000;
/// The named points of a compaction of the state journal, in order
/// (`storage::state_log`).
const POINTS: &[&str] = &[
    "start",
    "rotated",
    "folded",
    "snapshot-synced",
    "snapshot-renamed",
    "manifest-written",
    "old-removed",
];
/// The same for the comment log (`storage::comment_log`).
const COMMENT_POINTS: &[&str] = &[
    "comments-start",
    "comments-copied",
    "comments-synced",
    "comments-manifest-written",
    "comments-old-removed",
];

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stateful-crash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the data dir");
    dir
}

/// Starts a server on `dir` (with `env`) and waits for its replay line;
/// the server and the replayed (users, sessions, comments) counts.
fn start_on(dir: &Path, env: &[(&str, &str)]) -> (Server, usize, usize, usize) {
    let s = Server::start_with_env(
        &[
            "--pbkdf2-iterations",
            "1",
            "--data-dir",
            dir.to_str().unwrap(),
        ],
        env,
    );
    assert!(
        s.wait_stderr(" comments (format", Duration::from_secs(10)),
        "no replay line: {}",
        s.stderr()
    );
    let log = s.stderr();
    let line = log
        .lines()
        .find(|l| l.contains(": replayed "))
        .expect("the replay line");
    // "... replayed U users, S sessions and C comments (format 2; ..."
    let words: Vec<&str> = line
        .rsplit(": replayed ")
        .next()
        .unwrap()
        .split(' ')
        .collect();
    let number = |i: usize| words[i].parse().expect("a count");
    (s, number(0), number(2), number(5))
}

/// The knobs for runs with the `fault-injection` feature: compactions every
/// few KB of journal, each pausing `pause_ms` at each named point.
fn compaction_knobs(pause_ms: &'static str) -> Vec<(&'static str, &'static str)> {
    if cfg!(feature = "fault-injection") {
        vec![
            ("STATEFUL_FAULT_COMPACT_BYTES", "6000"),
            ("STATEFUL_FAULT_COMPACT_PAUSE_MS", pause_ms),
        ]
    } else {
        Vec::new()
    }
}

/// What the server acknowledged.
#[derive(Default)]
struct Acked {
    users: Vec<(String, String)>,
    /// (id, author, text)
    comments: Vec<(i64, String, String)>,
    deleted: HashSet<i64>,
    /// Comments whose deletion was sent but not answered (a kill may have
    /// taken it or not): not checked.
    maybe_deleted: HashSet<i64>,
    /// Sessions whose login was answered and no logout was sent.
    live: Vec<String>,
    /// Sessions whose logout was answered.
    ended: Vec<String>,
}

/// Checks a restarted server against everything acknowledged: each
/// comment listed exactly once with its id, author and text, deleted ones
/// never; ids increasing; the given users log in; live sessions are valid
/// and ended ones not (a sample of each, at most `sample`).
fn check(s: &Server, acked: &Acked, users_to_log_in: &[(String, String)], sample: usize) -> usize {
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
        if acked.maybe_deleted.contains(&c.0) {
            continue;
        }
        if acked.deleted.contains(&c.0) {
            assert!(!by_id.contains_key(&c.0), "deleted comment {c:?} is back");
        } else {
            assert_eq!(
                by_id.get(&c.0).copied(),
                Some(c),
                "acknowledged comment {c:?} lost or changed"
            );
        }
    }
    for (u, p) in users_to_log_in {
        assert!(
            login(s, u, p).is_some(),
            "acknowledged user {u} cannot log in"
        );
    }
    let mut c = s.client();
    let status = |c: &mut server::Client, id: &str| {
        c.request(&get_request("/me", Some(id)))
            .expect("an answer to /me")
            .status
    };
    let step = |n: usize| (n / sample.max(1)).max(1);
    for id in acked.live.iter().step_by(step(acked.live.len())) {
        assert_eq!(status(&mut c, id), 200, "acknowledged login {id} lost");
    }
    for id in acked.ended.iter().step_by(step(acked.ended.len())) {
        assert_eq!(
            status(&mut c, id),
            401,
            "acknowledged logout of {id} undone"
        );
    }
    listed.len()
}

/// One writer: its own user, then signups, logins, logouts, comments and
/// deletions until the server dies (or the bound); records what was
/// acknowledged.
fn writer(
    s: &Server,
    tag: &str,
    seed: u64,
    acked: &Mutex<Acked>,
    started: &AtomicUsize,
    deletes: u64,
) {
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
    let mut mine: Vec<String> = Vec::new();
    let mut my_comments: Vec<i64> = Vec::new();
    for k in 0..MAX_WRITES_PER_THREAD {
        let roll = rng.range(0, 20);
        let raw = match roll {
            0..=3 => post_json_request(
                "/signup",
                &credentials(&format!("{tag}u{k}"), password),
                None,
            ),
            4..=7 => post_json_request("/login", &credentials(&me, password), None),
            8..=10 if !mine.is_empty() => {
                let i = rng.range(0, mine.len() as u64) as usize;
                let victim = mine.swap_remove(i);
                // Unknown until answered: a kill may take the logout or not.
                acked.lock().unwrap().live.retain(|s| s != &victim);
                let raw = post_json_request("/logout", "{}", Some(&victim));
                match c.request(&raw) {
                    Some(r) if r.status == 200 => acked.lock().unwrap().ended.push(victim),
                    Some(r) => panic!("logout: {} {}", r.status, r.text()),
                    None => return,
                }
                continue;
            }
            r if (11..11 + deletes).contains(&r) && !my_comments.is_empty() => {
                let i = rng.range(0, my_comments.len() as u64) as usize;
                let victim = my_comments.swap_remove(i);
                acked.lock().unwrap().maybe_deleted.insert(victim);
                let raw = format!(
                    "DELETE /comments/{victim} HTTP/1.1\r\nHost: localhost\r\n\
                     Cookie: sessionid={id}\r\n\r\n"
                );
                match c.request(raw.as_bytes()) {
                    Some(r) if r.status == 204 => {
                        let mut a = acked.lock().unwrap();
                        a.maybe_deleted.remove(&victim);
                        a.deleted.insert(victim);
                    }
                    Some(r) => panic!("delete {victim}: {} {}", r.status, r.text()),
                    None => return,
                }
                continue;
            }
            _ => post_json_request("/comments", &comment_body(&format!("{tag}c{k}")), Some(&id)),
        };
        let Some(r) = c.request(&raw) else { return };
        let mut a = acked.lock().unwrap();
        match (roll, r.status) {
            (0..=3, 201) => a.users.push((format!("{tag}u{k}"), password.into())),
            (4..=7, 200) => {
                let sid = session_id(&r).expect("a session cookie");
                mine.push(sid.clone());
                a.live.push(sid);
            }
            (_, 201) if roll > 7 => {
                let j = Json::parse(&r.text());
                let cid = j.at("id").i64();
                my_comments.push(cid);
                a.comments
                    .push((cid, me.clone(), j.at("text").str().to_string()));
            }
            (_, status) => panic!("op {roll}: {status} {}", r.text()),
        }
    }
}

/// Removes the ended sessions from the live list (a logout answered after
/// its login was recorded as live).
fn settle(a: &mut Acked) {
    let ended: HashSet<&String> = a.ended.iter().collect();
    let live: Vec<String> = a
        .live
        .iter()
        .filter(|s| !ended.contains(s))
        .cloned()
        .collect();
    a.live = live;
}

/// Whether the server whose stderr is `log` was killed inside a compaction
/// of the state journal or of the comment log: a point of it after the
/// last finished one.
fn inside_compaction(log: &str) -> Option<String> {
    let mut inside = None;
    for (done, comments) in [
        ("state journal compacted", false),
        ("comment log compacted", true),
    ] {
        let tail = &log[log.rfind(done).unwrap_or(0)..];
        let found = tail
            .match_indices("compaction point ")
            .filter_map(|(at, _)| tail[at + "compaction point ".len()..].lines().next())
            .filter(|p| p.starts_with("comments-") == comments)
            .last();
        if let Some(p) = found {
            inside = Some(p.to_string());
        }
    }
    inside
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
    let env = compaction_knobs("1");
    let mut rng = XorShift::new(seed);
    let dir = temp_dir("kill");
    let acked = Mutex::new(Acked::default());
    let started_at = Instant::now();
    let mut per_round = Vec::new();
    let mut inside: Vec<String> = Vec::new();
    for round in 0..kill_points {
        let (mut s, replayed_users, _, replayed_comments) = start_on(&dir, &env);
        {
            let mut a = acked.lock().unwrap();
            settle(&mut a);
            assert!(replayed_users >= a.users.len(), "round {round}: users lost");
            let kept = a.comments.len() - a.deleted.len() - a.maybe_deleted.len();
            assert!(replayed_comments >= kept, "round {round}: comments lost");
            // The previous round's users log in; all comments are checked.
            let recent: Vec<(String, String)> = a
                .users
                .iter()
                .filter(|(u, _)| round > 0 && u.starts_with(&format!("r{}w", round - 1)))
                .cloned()
                .collect();
            check(&s, &a, &recent, 40);
        }
        let count = |a: &Mutex<Acked>| {
            let a = a.lock().unwrap();
            a.comments.len() + a.users.len() + a.live.len() + a.ended.len() + a.deleted.len()
        };
        let before = count(&acked);
        // The kill point: 0 to 80 ms after every writer is writing.
        let delay = Duration::from_micros(rng.range(0, 80_000));
        let started = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for w in 0..WRITERS {
                let (s, acked, started) = (&s, &acked, &started);
                let seed = rng.next_u64();
                scope.spawn(move || writer(s, &format!("r{round}w{w}"), seed, acked, started, 1));
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
        if let Some(point) = inside_compaction(&s.stderr()) {
            inside.push(point);
        }
        per_round.push(count(&acked) - before);
    }
    // The last restart: everything, every user, every session.
    let (mut s, users, sessions, comments) = start_on(&dir, &env);
    let mut a = acked.into_inner().unwrap();
    settle(&mut a);
    let listed = check(&s, &a, &a.users, usize::MAX);
    assert!(s.is_running());
    per_round.sort();
    let compactions = if env.is_empty() {
        "compactions at the default threshold (build with --all-features to have them \
         run all the time)"
            .to_string()
    } else {
        let mut points: Vec<&String> = inside.iter().collect();
        points.sort();
        points.dedup();
        format!(
            "{} of the {kill_points} kills landed inside a compaction (at points {points:?})",
            inside.len()
        )
    };
    eprintln!(
        "ATTACK crash-sigkill: {kill_points} SIGKILLs at 0..80 ms into the load of {WRITERS} \
         writers (seed {seed}), one data directory across all of them: {} users, {} comments \
         ({} deleted), {} logins still live and {} logouts acknowledged, all as acknowledged \
         after every restart ({users} users, {sessions} sessions and {comments} comments \
         replayed at the end, {listed} listed; the extra ones were in flight at a kill); {}; \
         acknowledged writes per kill point {}..{} (median {}); {:.1}s in all",
        a.users.len(),
        a.comments.len(),
        a.deleted.len(),
        a.live.len(),
        a.ended.len(),
        compactions,
        per_round[0],
        per_round[per_round.len() - 1],
        per_round[per_round.len() / 2],
        started_at.elapsed().as_secs_f64()
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_kill_at_each_point_of_a_compaction_loses_nothing() {
    if !cfg!(feature = "fault-injection") {
        eprintln!(
            "SKIPPED: a_kill_at_each_point_of_a_compaction_loses_nothing: needs the \
             fault-injection feature (cargo test --all-features)"
        );
        return;
    }
    let env = compaction_knobs("300");
    let dir = temp_dir("points");
    let acked = Mutex::new(Acked::default());
    let started_at = Instant::now();
    let mut landed = Vec::new();
    let points = POINTS
        .iter()
        .map(|p| (p, POINTS))
        .chain(COMMENT_POINTS.iter().map(|p| (p, COMMENT_POINTS)));
    for (round, (point, series)) in points.enumerate() {
        let (mut s, _, _, _) = start_on(&dir, &env);
        {
            let mut a = acked.lock().unwrap();
            settle(&mut a);
            check(&s, &a, &a.users, usize::MAX);
        }
        let needle = format!("compaction point {point}\n");
        // A compaction may already be under way (one that was due when
        // the server opened the directory runs at once): only a point
        // reached from here on counts.
        let from = s.stderr().len();
        let reached = |log: &str| log[from..].find(&needle).map(|i| from + i);
        let started = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for w in 0..2 {
                let (s, acked, started) = (&s, &acked, &started);
                scope.spawn(move || writer(s, &format!("p{round}w{w}"), 7 + w, acked, started, 6));
            }
            let end = Instant::now() + Duration::from_secs(60);
            while reached(&s.stderr()).is_none() {
                assert!(
                    Instant::now() < end,
                    "no compaction reached {point}: {}",
                    s.stderr()
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            s.signal("KILL");
        });
        assert!(s.wait_exit(Duration::from_secs(5)).is_some());
        let log = s.stderr();
        let at = reached(&log).expect("seen above");
        let i = series
            .iter()
            .position(|p| p == point)
            .expect("in its series");
        let next = series.get(i + 1).map(|p| format!("compaction point {p}\n"));
        let done = if series == POINTS {
            "state journal compacted"
        } else {
            "comment log compacted"
        };
        let went_on = next.is_some_and(|n| log[at..].contains(&n)) || log[at..].contains(done);
        assert!(!went_on, "the kill came after {point}: {log}");
        landed.push(*point);
    }
    let (s, users, sessions, comments) = start_on(&dir, &[]);
    let mut a = acked.into_inner().unwrap();
    settle(&mut a);
    check(&s, &a, &a.users, usize::MAX);
    eprintln!(
        "ATTACK crash-compaction-points: SIGKILL while the compactor paused at each of its \
         points {landed:?} (stderr showed each point and not the next): after each restart \
         every acknowledged user, comment, login and logout was there ({users} users, \
         {sessions} sessions and {comments} comments at the end); {:.1}s",
        started_at.elapsed().as_secs_f64()
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Where the frames of the log at `path` end (the file goes on with
/// preallocated zeros).
fn frames_len(path: &Path) -> u64 {
    let bytes = std::fs::read(path).expect("the log");
    let scan = stateful::storage::frame::scan_frames(&bytes, |_, _, _| Ok::<(), ()>(()))
        .expect("never fails");
    scan.valid_len as u64
}

/// Copies every file of `from` into a fresh directory.
fn copy_dir(from: &Path, label: &str) -> PathBuf {
    let to = temp_dir(label);
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    to
}

#[test]
fn a_log_cut_at_any_byte_of_its_last_records_replays_the_rest() {
    let dir = temp_dir("cut-source");
    let comments_log = "comments-1.log";
    let state_log = "state-1.log";
    // (comment log: before "second", before "last", full), (state log:
    // before the last signup, full)
    let (c_marks, s_marks) = {
        let (s, _, _, _) = start_on(&dir, &[]);
        assert_eq!(signup(&s, "cutter", "right password").status, 201);
        let id = login(&s, "cutter", "right password").unwrap();
        let post = |text: &str| {
            let r = s
                .client()
                .request(&post_json_request(
                    "/comments",
                    &comment_body(text),
                    Some(&id),
                ))
                .unwrap();
            assert_eq!(r.status, 201);
        };
        post("first");
        let c0 = frames_len(&dir.join(comments_log));
        post("second");
        let c1 = frames_len(&dir.join(comments_log));
        post("last ✓");
        let c2 = frames_len(&dir.join(comments_log));
        let s0 = frames_len(&dir.join(state_log));
        assert_eq!(signup(&s, "lastuser", "right password").status, 201);
        let s1 = frames_len(&dir.join(state_log));
        ((c0, c1, c2), (s0, s1))
    };
    let start = Instant::now();
    let checked = AtomicUsize::new(0);
    let cuts: Vec<(&str, u64)> = (c_marks.0..=c_marks.2)
        .map(|c| (comments_log, c))
        .chain((s_marks.0..=s_marks.1).map(|c| (state_log, c)))
        .collect();
    // Two threads share the cuts: each a fresh copy, a start, a check.
    std::thread::scope(|scope| {
        for half in 0..2 {
            let (cuts, dir, checked) = (&cuts, &dir, &checked);
            scope.spawn(move || {
                for &(file, cut) in cuts.iter().skip(half).step_by(2) {
                    check_cut(dir, file, cut, c_marks, s_marks);
                    checked.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    eprintln!(
        "ATTACK crash-torn-log: the comment log cut at each of the {} byte offsets of its last \
         two records and the state journal at each of the {} of its last one (a signup): every \
         copy started, replayed exactly the records before the cut, truncated the torn tail \
         and took a new write that a second restart replays ({} starts); {:.1}s",
        c_marks.2 - c_marks.0 + 1,
        s_marks.1 - s_marks.0 + 1,
        checked.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts a server on a copy of `source` with `file` cut to `cut` bytes
/// and checks the replayed state, the truncation of the torn tail, and
/// that a write after it is replayed by the next start.
fn check_cut(source: &Path, file: &str, cut: u64, c: (u64, u64, u64), s: (u64, u64)) {
    let dir = copy_dir(source, &format!("cut-{file}-{cut}"));
    let bytes = std::fs::read(dir.join(file)).unwrap();
    std::fs::write(dir.join(file), &bytes[..cut as usize]).unwrap();
    let (texts, good): (&[&str], u64) = if file.starts_with("comments") {
        if cut < c.1 {
            (&["first"], c.0)
        } else if cut < c.2 {
            (&["first", "second"], c.1)
        } else {
            (&["first", "second", "last ✓"], c.2)
        }
    } else {
        (
            &["first", "second", "last ✓"],
            if cut < s.1 { s.0 } else { s.1 },
        )
    };
    let lastuser = file.starts_with("comments") || cut >= s.1;
    let users = 1 + usize::from(lastuser);
    {
        let (srv, u, _, n) = start_on(&dir, &[]);
        assert_eq!((u, n), (users, texts.len()), "{file} cut at {cut}");
        let listed: Vec<String> = all_comments(&srv).into_iter().map(|c| c.2).collect();
        assert_eq!(listed, texts, "{file} cut at {cut}");
        let file_len = std::fs::metadata(dir.join(file)).unwrap().len();
        assert_eq!(
            file_len, good,
            "{file} cut at {cut}: torn tail not truncated"
        );
        assert!(login(&srv, "cutter", "right password").is_some());
        assert_eq!(
            login(&srv, "lastuser", "right password").is_some(),
            lastuser,
            "{file} cut at {cut}"
        );
        let r = srv
            .client()
            .request(&post_json_request(
                "/signup",
                &credentials("afterwards", "right password"),
                None,
            ))
            .unwrap();
        assert_eq!(
            r.status, 201,
            "{file} cut at {cut}: a write after the replay"
        );
    }
    let (srv, u, _, n) = start_on(&dir, &[]);
    assert_eq!(
        (u, n),
        (users + 1, texts.len()),
        "{file} cut at {cut}, second start"
    );
    assert!(
        login(&srv, "afterwards", "right password").is_some(),
        "{file} cut at {cut}"
    );
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
}
