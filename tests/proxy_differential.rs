//! Differential test with a front proxy: nginx (Debian's `/usr/sbin/nginx`,
//! started here with its own prefix and config on a free 127.0.0.1 port)
//! proxies over HTTP/1.1 keep-alive to `stateful` on port 0. Every case of
//! the conformance data (`tests/data/http_cases.json`) and every smuggling
//! case of the attack suite is sent raw to nginx, and two counts are
//! compared: the requests nginx says it forwarded (its access log, lines
//! with an upstream address) and the requests `stateful` answered (its
//! access log on stderr, one line per response). Where they differ, the two
//! parsers cut the same bytes into different requests: a smuggling bug.
//!
//! Without nginx the test prints why it skipped and passes; `.ci/run`
//! installs nginx first.

#[path = "support/json_value.rs"]
mod json_value;
#[path = "support/server.rs"]
mod server;
#[path = "attacks/smuggling_cases.rs"]
#[allow(dead_code)]
mod smuggling_cases;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use json_value::{latin1_bytes, Json};
use server::Server;

/// Where Debian puts nginx; the `NGINX` environment variable overrides it
/// (and a path that does not exist there makes the test skip).
const NGINX: &str = "/usr/sbin/nginx";

/// Longest a case may take before its counts are compared anyway.
const CASE_DEADLINE: Duration = Duration::from_secs(5);

/// The nginx binary, if there is one.
fn nginx_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NGINX") {
        return Some(PathBuf::from(p)).filter(|p| p.exists());
    }
    if Path::new(NGINX).exists() {
        return Some(PathBuf::from(NGINX));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("nginx"))
        .find(|p| p.exists())
}

/// nginx in front of `upstream_port`, killed (by its own pid) on drop.
struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Nginx {
    fn start(binary: &Path, upstream_port: u16) -> Nginx {
        let dir = std::env::temp_dir().join(format!(
            "stateful-nginx-{}-{}",
            std::process::id(),
            upstream_port
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("logs")).expect("create the nginx prefix");
        // A port that was free a moment ago; nginx binds it itself. If
        // another process takes it in between, nginx fails and we try again.
        for _ in 0..5 {
            let port = free_port();
            std::fs::write(dir.join("nginx.conf"), config(&dir, port, upstream_port))
                .expect("write nginx.conf");
            let mut child = Command::new(binary)
                .arg("-p")
                .arg(&dir)
                .arg("-c")
                .arg(dir.join("nginx.conf"))
                .arg("-e")
                .arg(dir.join("logs/error.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start nginx");
            if wait_listening(&mut child, port) {
                return Nginx { child, port, dir };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!(
            "nginx did not start:\n{}",
            std::fs::read_to_string(dir.join("logs/error.log")).unwrap_or_default()
        );
    }

    /// The upstream addresses of every request nginx logged, in order:
    /// `-` where nginx answered itself.
    fn upstreams(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("logs/access.log"))
            .unwrap_or_default()
            .lines()
            .map(|l| l.split('|').next().unwrap_or("").to_string())
            .collect()
    }

    /// Requests nginx says it forwarded: one per upstream address logged
    /// (several if it had retried, which the config forbids).
    fn forwarded(&self) -> usize {
        self.upstreams()
            .iter()
            .map(|u| u.split(", ").filter(|a| *a != "-" && !a.is_empty()).count())
            .sum()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether `child` (nginx) accepts connections on `port` within 10 s.
fn wait_listening(child: &mut Child, port: u16) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// A foreground, single-process nginx with everything under `dir`. The
/// upstream keeps connections alive, and a failed upstream request is never
/// retried, so each forwarded request is one logged upstream address. The
/// test closes its sending side after each case, so nginx must finish a
/// forwarded request even when its client has gone.
fn config(dir: &Path, port: u16, upstream_port: u16) -> String {
    let d = dir.display();
    format!(
        "daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/error.log info;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    client_max_body_size 2m;
    log_format upstream '$upstream_addr|$upstream_status|$status|$request';
    access_log {d}/logs/access.log upstream;
    upstream stateful {{
        server 127.0.0.1:{upstream_port} max_fails=0;
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://stateful;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_next_upstream off;
            proxy_ignore_client_abort on;
        }}
    }}
}}
"
    )
}

/// Responses `stateful` logged: its access-log lines on stderr.
fn answered(s: &Server) -> usize {
    s.stderr().lines().filter(|l| l.contains(" - - [")).count()
}

/// Sends `raw` to nginx, closes our sending side, and reads until nginx
/// closes (or the case deadline passes).
fn exchange(port: u16, raw: &[u8]) {
    let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = c.write_all(raw);
    let _ = c.shutdown(Shutdown::Write);
    let end = Instant::now() + CASE_DEADLINE;
    let mut buf = [0u8; 64 * 1024];
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() || c.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match c.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Waits until both logs have been quiet for a while (nginx writes its
/// line before it closes the connection; `stateful` hands its lines over
/// every 100 ms) with `stateful` having answered as many requests as nginx
/// forwarded, or until the deadline; returns the two counts since
/// `before`.
fn settle(n: &Nginx, s: &Server, before: (usize, usize)) -> (usize, usize) {
    let end = Instant::now() + CASE_DEADLINE;
    let mut last = None;
    let mut quiet_since = Instant::now();
    loop {
        let now = (n.forwarded() - before.0, answered(s) - before.1);
        if last != Some(now) {
            last = Some(now);
            quiet_since = Instant::now();
        }
        let quiet = quiet_since.elapsed() >= Duration::from_millis(200);
        if (quiet && now.0 == now.1) || Instant::now() >= end {
            return now;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `(name, raw bytes)` of every case compared.
fn cases() -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    for case in Json::load("tests/data/http_cases.json").arr() {
        let name = format!("conformance {}", case.at("name").str());
        all.push((name, latin1_bytes(case.at("raw"))));
    }
    for (name, raw, _) in smuggling_cases::CASES {
        all.push((format!("smuggling {name}"), smuggling_cases::expand(raw)));
    }
    for (name, raw, _) in smuggling_cases::well_framed_cases() {
        all.push((format!("well-framed {name}"), raw.into_bytes()));
    }
    all
}

#[test]
fn nginx_and_stateful_count_the_same_requests() {
    let Some(binary) = nginx_binary() else {
        // Straight to stderr, not through `eprintln!`, which the test
        // harness captures for a passing test: the skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: proxy_differential: nginx not found (looked for $NGINX, else {NGINX} and \
             nginx on PATH; apt-get install -y nginx, or run .ci/run, which installs it)"
        );
        return;
    };
    // A long idle timeout: an upstream connection nginx keeps must not be
    // closed under it between cases.
    let s = Server::start(&["--idle-timeout", "120"]);
    let n = Nginx::start(&binary, s.port());
    let cases = cases();
    let mut disagreements = Vec::new();
    let mut forwarded_total = 0;
    let mut refused_by_nginx = 0;
    for (name, raw) in &cases {
        let before = (n.forwarded(), answered(&s));
        exchange(n.port, raw);
        let (forwarded, got) = settle(&n, &s, before);
        forwarded_total += forwarded;
        refused_by_nginx += usize::from(forwarded == 0);
        if forwarded != got {
            disagreements.push(format!(
                "{name}: nginx forwarded {forwarded}, stateful answered {got}"
            ));
        }
        // The proxy must be set up to forward at all: a well-framed request
        // reaches stateful.
        if name.starts_with("well-framed") || name == "conformance chunked_basic" {
            assert!(forwarded >= 1, "{name}: nginx forwarded nothing");
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "proxy_differential: {} cases through nginx, {forwarded_total} requests forwarded \
         ({refused_by_nginx} cases answered by nginx alone), {} disagreements",
        cases.len(),
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "nginx and stateful disagree (smuggling):\n{}\nnginx log:\n{}",
        disagreements.join("\n"),
        std::fs::read_to_string(n.dir.join("logs/access.log")).unwrap_or_default()
    );
}
