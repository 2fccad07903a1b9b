//! Several instances on one real Redis, behind a real nginx (upstream round
//! robin): what a login, a logout, the throttle, a signup race and comment
//! ids look like across instances, and what a stopped, killed, restarted
//! or password-protected Redis does to requests. Skipped, with a SKIPPED
//! line, without redis-server or nginx.

#[path = "support/nginx.rs"]
mod nginx;
#[path = "support/redis.rs"]
mod redis;
#[path = "support/server.rs"]
mod server;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use nginx::Nginx;
use redis::{find_program, free_port, redis_server_or_skip, Redis};
use server::{comment_body, credentials, read_response, Resp, Server};

const PASSWORD: &str = "correct horse";

struct Cluster {
    instances: Vec<Server>,
    nginx: Nginx,
    redis: Redis,
}

/// Redis (with `redis_args`), three instances with `--redis URL` plus
/// `flags`, and nginx; `None` (after a SKIPPED line) when a program is
/// missing.
fn cluster(
    test: &str,
    redis_args: &[&str],
    url: impl Fn(u16) -> String,
    flags: &[&str],
) -> Option<Cluster> {
    let redis_bin = redis_server_or_skip(test)?;
    let Some(nginx_bin) = find_program("nginx", "/usr/sbin/nginx") else {
        eprintln!("SKIPPED: {test}: nginx not found (apt-get install nginx)");
        return None;
    };
    let redis = Redis::start(&redis_bin, redis_args);
    let url = url(redis.port);
    let mut args = vec!["--redis", url.as_str()];
    args.extend_from_slice(flags);
    let instances: Vec<Server> = (0..3).map(|_| Server::start(&args)).collect();
    let upstreams: Vec<SocketAddr> = instances.iter().map(|s| s.addr).collect();
    let nginx = Nginx::start(&nginx_bin, &upstreams, free_port());
    Some(Cluster {
        instances,
        nginx,
        redis,
    })
}

fn plain(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
}

/// One request on a new connection; `None` when the connection fails.
fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    cookie: Option<&str>,
) -> Option<Resp> {
    let cookie = cookie
        .map(|c| format!("Cookie: sessionid={c}\r\n"))
        .unwrap_or_default();
    send_with(addr, method, path, body, &cookie)
}

/// [`send`] with `fields` (whole lines, CRLF-ended) in the head.
fn send_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    fields: &str,
) -> Option<Resp> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let body_head = body
        .map(|b| {
            format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            )
        })
        .unwrap_or_default();
    let raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{fields}{body_head}\r\n{}",
        body.unwrap_or("")
    );
    s.write_all(raw.as_bytes()).ok()?;
    read_response(&mut s, method == "HEAD")
}

fn get(addr: SocketAddr, path: &str, cookie: Option<&str>) -> Resp {
    send(addr, "GET", path, None, cookie).expect("a response")
}

fn post(addr: SocketAddr, path: &str, body: &str, cookie: Option<&str>) -> Resp {
    send(addr, "POST", path, Some(body), cookie).expect("a response")
}

fn session_of(r: &Resp) -> String {
    let sc = r.header("set-cookie").expect("Set-Cookie");
    let value = sc.strip_prefix("sessionid=").expect("sessionid");
    value.split(';').next().unwrap().to_string()
}

fn signup_and_login(addr: SocketAddr, name: &str) -> String {
    assert_eq!(
        post(addr, "/signup", &credentials(name, PASSWORD), None).status,
        201
    );
    let r = post(addr, "/login", &credentials(name, PASSWORD), None);
    assert_eq!(r.status, 200, "{}", r.text());
    session_of(&r)
}

/// The `access_token` of a `POST /token` answer.
fn access_token(r: &Resp) -> String {
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    let start = text.find("\"access_token\":\"").expect("access_token") + 16;
    text[start..].split('"').next().unwrap().to_string()
}

/// Polls `f` until it is true (10 s at most).
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Every comment's (id, text) through `addr`, by pages of 1000.
fn all_comments(addr: SocketAddr) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let r = get(addr, &format!("/comments?after={after}&limit=1000"), None);
        assert_eq!(r.status, 200, "{}", r.text());
        let page = parse_comments(&r.text());
        let Some(&(last, _)) = page.last() else {
            return out;
        };
        after = last;
        out.extend(page);
    }
}

/// `(id, text)` of each comment in a `{"comments":[...]}` body (our own
/// output: the text has no escaped quote in these tests).
fn parse_comments(body: &str) -> Vec<(u64, String)> {
    body.split("{\"id\":")
        .skip(1)
        .map(|c| {
            let id = c[..c.find(',').unwrap()].parse().unwrap();
            let t = &c[c.find("\"text\":\"").unwrap() + 8..];
            (id, t[..t.find('"').unwrap()].to_string())
        })
        .collect()
}

#[test]
fn login_logout_throttle_signup_and_ids_across_instances() {
    let Some(c) = cluster(
        "login_logout_throttle_signup_and_ids_across_instances",
        &[],
        plain,
        &[],
    ) else {
        return;
    };
    let [a, b, d] = [
        c.instances[0].addr,
        c.instances[1].addr,
        c.instances[2].addr,
    ];
    let lb = c.nginx.addr;

    // nginx spreads requests over all three.
    for _ in 0..6 {
        assert_eq!(get(lb, "/readyz", None).text(), "ready");
    }
    for s in &c.instances {
        assert!(
            s.wait_stderr("GET /readyz", Duration::from_secs(5)),
            "round robin reaches every instance"
        );
    }

    // A login on one instance is valid on all; a logout on one ends it on
    // all, at once (each instance caches sessions).
    let id = signup_and_login(a, "alice");
    for addr in [a, b, d, lb, lb, lb] {
        assert_eq!(get(addr, "/me", Some(&id)).status, 200);
    }
    assert_eq!(post(d, "/logout", "{}", Some(&id)).status, 200);
    for addr in [a, b, d, lb, lb, lb] {
        assert_eq!(
            get(addr, "/me", Some(&id)).status,
            401,
            "logged out everywhere"
        );
    }
    for round in 0..30 {
        let addrs = [a, b, d];
        let r = post(
            addrs[round % 3],
            "/login",
            &credentials("alice", PASSWORD),
            None,
        );
        let id = session_of(&r);
        assert_eq!(get(addrs[(round + 1) % 3], "/me", Some(&id)).status, 200);
        assert_eq!(get(addrs[(round + 1) % 3], "/me", Some(&id)).status, 200);
        assert_eq!(
            post(addrs[(round + 2) % 3], "/logout", "{}", Some(&id)).status,
            200
        );
        assert_eq!(
            get(addrs[(round + 1) % 3], "/me", Some(&id)).status,
            401,
            "round {round}"
        );
    }

    // Logout-all on one instance ends sessions made on the others.
    let s1 = post(a, "/login", &credentials("alice", PASSWORD), None);
    let s2 = post(b, "/login", &credentials("alice", PASSWORD), None);
    let (s1, s2) = (session_of(&s1), session_of(&s2));
    assert_eq!(get(d, "/me", Some(&s1)).status, 200);
    assert_eq!(get(d, "/me", Some(&s2)).status, 200);
    assert_eq!(
        post(d, "/logout", "{\"all\":\"true\"}", Some(&s1)).status,
        200
    );
    assert_eq!(get(a, "/me", Some(&s2)).status, 401);
    assert_eq!(get(b, "/me", Some(&s1)).status, 401);

    // Five failed logins spread over the instances lock the name on all.
    assert_eq!(
        post(lb, "/signup", &credentials("bob", PASSWORD), None).status,
        201
    );
    for _ in 0..5 {
        assert_eq!(
            post(lb, "/login", &credentials("bob", "wrong password"), None).status,
            401
        );
    }
    for addr in [a, b, d] {
        let r = post(addr, "/login", &credentials("bob", PASSWORD), None);
        assert_eq!(r.status, 429, "locked on every instance");
        assert!(r.header("retry-after").is_some());
    }

    // One name signed up from every instance at the same instant: one 201.
    for round in 0..5 {
        let name = format!("carol{round}");
        let barrier = Arc::new(Barrier::new(12));
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let addr = [a, b, d][i % 3];
                let (barrier, name) = (Arc::clone(&barrier), name.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    post(addr, "/signup", &credentials(&name, PASSWORD), None).status
                })
            })
            .collect();
        let mut statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        statuses.sort();
        assert_eq!(
            statuses.iter().filter(|&&s| s == 201).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|&s| s == 201 || s == 409),
            "{statuses:?}"
        );
    }

    // Comment ids increase across instances; pages list them in order.
    let id = session_of(&post(lb, "/login", &credentials("alice", PASSWORD), None));
    let posted: Vec<(u64, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|t| {
                let id = id.clone();
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    for i in 0..15 {
                        let text = format!("t{t}n{i}");
                        let r = post(lb, "/comments", &comment_body(&text), Some(&id));
                        assert_eq!(r.status, 201, "{}", r.text());
                        let (cid, ctext) =
                            parse_comments(&format!("{{\"comments\":[{}]}}", r.text()))[0].clone();
                        assert_eq!(ctext, text);
                        mine.push((cid, text));
                    }
                    assert!(
                        mine.windows(2).all(|w| w[0].0 < w[1].0),
                        "one client's ids increase"
                    );
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut want = posted.clone();
    want.sort();
    for addr in [a, b, d] {
        assert_eq!(
            all_comments(addr),
            want,
            "every instance lists them all, in id order"
        );
    }
    let page =
        parse_comments(&get(b, &format!("/comments?after={}&limit=5", want[9].0), None).text());
    assert_eq!(page, want[10..15]);
}

/// One POST's status (0: no answer), the comment if 201, how long it
/// took, and when it started.
type Outcome = (u16, Option<(u64, String)>, Duration, Instant);

/// Posts comments through nginx from `threads` clients until `stop`,
/// recording every outcome: (status, id and text if 201, took, started).
fn writers(
    lb: SocketAddr,
    cookie: String,
    threads: usize,
    stop: Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<Vec<Outcome>>> {
    (0..threads)
        .map(|t| {
            let (cookie, stop) = (cookie.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut out = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let text = format!("w{t}n{i}");
                    i += 1;
                    let started = Instant::now();
                    let Some(r) = send(
                        lb,
                        "POST",
                        "/comments",
                        Some(&comment_body(&text)),
                        Some(&cookie),
                    ) else {
                        out.push((0, None, started.elapsed(), started));
                        continue;
                    };
                    let took = started.elapsed();
                    if r.status == 503 {
                        assert_eq!(r.header("retry-after"), Some("1"));
                    }
                    let posted = (r.status == 201).then(|| {
                        let (id, back) =
                            parse_comments(&format!("{{\"comments\":[{}]}}", r.text()))[0].clone();
                        assert_eq!(back, text);
                        (id, text)
                    });
                    out.push((r.status, posted, took, started));
                }
                out
            })
        })
        .collect()
}

#[test]
fn a_redis_restart_under_load_keeps_every_acknowledged_comment() {
    let Some(mut c) = cluster(
        "a_redis_restart_under_load_keeps_every_acknowledged_comment",
        &[],
        plain,
        &[],
    ) else {
        return;
    };
    let lb = c.nginx.addr;
    let cookie = signup_and_login(lb, "dora");
    let stop = Arc::new(AtomicBool::new(false));
    let handles = writers(lb, cookie.clone(), 4, Arc::clone(&stop));
    std::thread::sleep(Duration::from_millis(400));
    c.redis.kill();
    std::thread::sleep(Duration::from_millis(200));
    c.redis.restart();
    let restarted = Instant::now();
    std::thread::sleep(Duration::from_millis(600));
    stop.store(true, Ordering::SeqCst);
    let outcomes: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();

    let statuses: Vec<u16> = outcomes.iter().map(|o| o.0).collect();
    assert!(
        statuses.iter().all(|&s| s == 201 || s == 503),
        "only 201 and 503: {statuses:?}"
    );
    assert!(statuses.contains(&503), "the restart was noticed");
    assert!(
        outcomes.iter().any(|o| o.0 == 201 && o.3 > restarted),
        "writes work again after the restart, without restarting stateful"
    );
    let mut acknowledged: Vec<(u64, String)> =
        outcomes.iter().filter_map(|o| o.1.clone()).collect();
    acknowledged.sort();
    let stored = all_comments(lb);
    for comment in &acknowledged {
        assert!(
            stored.binary_search(comment).is_ok(),
            "acknowledged {comment:?} is still there"
        );
    }
    eprintln!(
        "restart under load: {} comments acknowledged, all {} still there; {} answered 503",
        acknowledged.len(),
        acknowledged.len(),
        statuses.iter().filter(|&&s| s == 503).count()
    );
    assert_eq!(
        get(lb, "/me", Some(&cookie)).status,
        200,
        "the session survived the restart"
    );
}

#[test]
fn a_stopped_redis_gets_503_within_the_timeout_and_sigcont_recovers() {
    stopped_redis(
        "a_stopped_redis_gets_503_within_the_timeout_and_sigcont_recovers",
        &[],
    );
}

#[test]
fn a_stopped_redis_without_the_session_cache_gets_503_too() {
    stopped_redis(
        "a_stopped_redis_without_the_session_cache_gets_503_too",
        &["--redis-cache", "off"],
    );
}

/// Traffic (comments and `/me`) through nginx, SIGSTOP, checks, SIGCONT.
fn stopped_redis(test: &str, flags: &[&str]) {
    let Some(c) = cluster(test, &[], plain, flags) else {
        return;
    };
    let lb = c.nginx.addr;
    let cookie = signup_and_login(lb, "erin");
    let stop = Arc::new(AtomicBool::new(false));
    let handles = writers(lb, cookie.clone(), 2, Arc::clone(&stop));
    // Readers of /me, including the instances' cached sessions, and one
    // by bearer token (from the instance that signed it, whose token
    // caches hold its deny-list facts).
    let token = access_token(&post(
        c.instances[0].addr,
        "/token",
        &credentials("erin", PASSWORD),
        None,
    ));
    let me_outcomes = Arc::new(Mutex::new(Vec::new()));
    let readers: Vec<_> = (0..3)
        .map(|i| {
            let (stop, out) = (Arc::clone(&stop), Arc::clone(&me_outcomes));
            let (to, fields) = match i {
                2 => (
                    c.instances[0].addr,
                    format!("Authorization: Bearer {token}\r\n"),
                ),
                _ => (lb, format!("Cookie: sessionid={cookie}\r\n")),
            };
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let started = Instant::now();
                    let r = send_with(to, "GET", "/me", None, &fields).map_or(0, |r| r.status);
                    out.lock().unwrap().push((r, started.elapsed(), started));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    c.redis.pause();
    let paused = Instant::now();
    std::thread::sleep(Duration::from_millis(1200));
    let t = Instant::now();
    let ready = get(lb, "/readyz", None);
    assert_eq!(ready.status, 503, "/readyz while Redis is stopped");
    assert!(t.elapsed() <= Duration::from_secs(2));
    let health = get(c.instances[0].addr, "/healthz", None);
    assert_eq!((health.status, health.text().as_str()), (200, "ok"));
    std::thread::sleep(Duration::from_millis(1300));
    let resumed = Instant::now();
    c.redis.resume();
    assert!(
        eventually(|| get(lb, "/me", Some(&cookie)).status == 200),
        "recovers after SIGCONT"
    );
    assert!(eventually(|| post(
        lb,
        "/comments",
        &comment_body("back"),
        Some(&cookie)
    )
    .status
        == 201));
    stop.store(true, Ordering::SeqCst);
    let mut outcomes: Vec<(u16, Duration, Instant)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .map(|o| (o.0, o.2, o.3))
        .collect();
    for r in readers {
        r.join().unwrap();
    }
    outcomes.extend(me_outcomes.lock().unwrap().iter().copied());

    let limit = Duration::from_secs(2); // --redis-timeout (1 s) plus 1 s
    let slowest = outcomes.iter().map(|o| o.1).max().unwrap();
    assert!(
        slowest <= limit,
        "every answer within the timeout plus 1 s: slowest {slowest:?}"
    );
    assert!(
        outcomes.iter().all(|o| matches!(o.0, 200 | 201 | 503)),
        "never a 500 or a hang"
    );
    let during: Vec<u16> = outcomes
        .iter()
        .filter(|o| o.2 > paused + Duration::from_millis(200) && o.2 + o.1 < resumed)
        .map(|o| o.0)
        .collect();
    assert!(!during.is_empty());
    assert!(
        during.iter().all(|&s| s == 503),
        "while stopped, 503 (no cached session honoured): {during:?}"
    );
    eprintln!(
        "SIGSTOP: {} requests while stopped, all 503; slowest answer {slowest:?}",
        during.len()
    );
}

#[test]
fn a_killed_redis_gets_503_and_a_restart_recovers() {
    killed_redis("a_killed_redis_gets_503_and_a_restart_recovers", &[]);
}

#[test]
fn a_killed_redis_without_the_session_cache_gets_503_too() {
    killed_redis(
        "a_killed_redis_without_the_session_cache_gets_503_too",
        &["--redis-cache", "off"],
    );
}

/// `/me`, comments and `/readyz` on each instance with Redis killed, then
/// restarted.
fn killed_redis(test: &str, flags: &[&str]) {
    let Some(mut c) = cluster(test, &[], plain, flags) else {
        return;
    };
    let lb = c.nginx.addr;
    let cookie = signup_and_login(lb, "fay");
    for _ in 0..3 {
        assert_eq!(get(lb, "/me", Some(&cookie)).status, 200);
    }
    c.redis.kill();
    for addr in [
        c.instances[0].addr,
        c.instances[1].addr,
        c.instances[2].addr,
    ] {
        let t = Instant::now();
        let me = get(addr, "/me", Some(&cookie));
        assert_eq!(me.status, 503, "a killed Redis: no cached session honoured");
        assert_eq!(me.text(), "{\"error\":\"store unavailable\"}");
        assert_eq!(me.header("retry-after"), Some("1"));
        assert_eq!(get(addr, "/readyz", None).status, 503);
        assert_eq!(get(addr, "/comments", None).status, 503);
        assert_eq!(
            post(addr, "/comments", &comment_body("x"), Some(&cookie)).status,
            503
        );
        assert_eq!(get(addr, "/healthz", None).status, 200);
        assert!(t.elapsed() < Duration::from_secs(2));
    }
    c.redis.restart();
    for addr in [
        c.instances[0].addr,
        c.instances[1].addr,
        c.instances[2].addr,
    ] {
        assert!(
            eventually(|| get(addr, "/readyz", None).status == 200),
            "recovers by itself"
        );
        assert_eq!(
            get(addr, "/me", Some(&cookie)).status,
            200,
            "the session is still there"
        );
    }
    assert_eq!(
        post(lb, "/comments", &comment_body("after"), Some(&cookie)).status,
        201
    );
}

#[test]
fn a_redis_that_refuses_our_auth_is_unavailable_and_acl_users_work() {
    let Some(c) = cluster(
        "a_redis_that_refuses_our_auth_is_unavailable_and_acl_users_work",
        &["--requirepass", "s3cret"],
        |port| format!("redis://:wrong@127.0.0.1:{port}"),
        &[],
    ) else {
        return;
    };
    for s in &c.instances {
        assert_eq!(get(s.addr, "/readyz", None).status, 503);
        assert_eq!(get(s.addr, "/comments", None).status, 503);
        assert_eq!(
            post(s.addr, "/signup", &credentials("gus", PASSWORD), None).status,
            503
        );
        assert_eq!(get(s.addr, "/healthz", None).status, 200);
    }
    assert_eq!(get(c.nginx.addr, "/readyz", None).status, 503);

    // The right password, and an ACL user with its own.
    let port = c.redis.port.to_string();
    let good = Server::start(&["--redis", &format!("redis://:s3cret@127.0.0.1:{port}/1")]);
    assert_eq!(get(good.addr, "/readyz", None).status, 200);
    assert_eq!(
        post(good.addr, "/signup", &credentials("gus", PASSWORD), None).status,
        201
    );
    let Some(cli) = find_program("redis-cli", "/usr/bin/redis-cli") else {
        eprintln!("SKIPPED: the ACL part: redis-cli not found (apt-get install redis-tools)");
        return;
    };
    let acl = std::process::Command::new(cli)
        .args(["-p", &port, "-a", "s3cret", "--no-auth-warning"])
        .args([
            "ACL",
            "SETUSER",
            "app",
            "on",
            ">app:p@ss",
            "~*",
            "&*",
            "+@all",
        ])
        .output()
        .expect("redis-cli");
    assert!(
        String::from_utf8_lossy(&acl.stdout).contains("OK"),
        "{acl:?}"
    );
    let app = Server::start(&[
        "--redis",
        &format!("redis://app:app%3Ap%40ss@127.0.0.1:{port}/1"),
    ]);
    assert_eq!(get(app.addr, "/readyz", None).status, 200);
    let r = post(app.addr, "/login", &credentials("gus", PASSWORD), None);
    assert_eq!(
        r.status, 200,
        "the ACL user sees the user made with the password"
    );
    assert_eq!(get(good.addr, "/me", Some(&session_of(&r))).status, 200);
}
