//! Test harness: starts the real `stateful` binary on 127.0.0.1:0, reads the
//! port from its first stdout line, and speaks raw bytes to it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

/// Flags every test server gets unless the test gives its own.
const FAST_HASHING: &[&str] = &["--pbkdf2-iterations", "1000"];

impl Server {
    pub fn start(args: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stateful"));
        cmd.args(["--bind", "127.0.0.1", "--port", "0"]);
        if !args.contains(&"--pbkdf2-iterations") {
            cmd.args(FAST_HASHING);
        }
        cmd.args(args);
        Server::spawn(cmd)
    }

    /// Like [`Server::start`], with environment variables set (the
    /// test-only knobs of the `fault-injection` feature).
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stateful"));
        cmd.args(["--bind", "127.0.0.1", "--port", "0"]);
        if !args.contains(&"--pbkdf2-iterations") {
            cmd.args(FAST_HASHING);
        }
        cmd.args(args);
        cmd.envs(env.iter().copied());
        Server::spawn(cmd)
    }

    /// Like [`Server::start`], with the process's open-file limit lowered
    /// to `nofile` (the shell's `ulimit -n`, then `exec`, so the pid is the
    /// server's own).
    pub fn start_with_fd_limit(nofile: u32, args: &[&str]) -> Server {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            &format!("ulimit -n {nofile} && exec \"$0\" \"$@\""),
            env!("CARGO_BIN_EXE_stateful"),
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
        ]);
        if !args.contains(&"--pbkdf2-iterations") {
            cmd.args(FAST_HASHING);
        }
        cmd.args(args);
        Server::spawn(cmd)
    }

    fn spawn(mut cmd: Command) -> Server {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start stateful");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        lines.read_line(&mut first).expect("read first stdout line");
        let addr = first
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .parse()
            .expect("address in first line");
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while lines.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                sink.clear();
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("stderr piped");
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Server {
            child,
            addr,
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        s
    }

    /// Sends `raw` on a new connection and reads one response.
    pub fn send(&self, raw: &[u8]) -> Resp {
        let mut s = self.connect();
        s.write_all(raw).expect("write request");
        read_response(&mut s, raw.starts_with(b"HEAD")).expect("a response")
    }

    /// A GET/POST with the usual fields, one connection.
    pub fn get(&self, path: &str) -> Resp {
        self.send(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stderr contains `needle` (or the timeout passes).
    pub fn wait_stderr(&self, needle: &str, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.stderr().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status();
        assert!(ok.map(|s| s.success()).unwrap_or(false), "kill -{sig}");
    }

    /// Waits for the process to exit; its exit code, or None on timeout.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// VmRSS of the server process in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One parsed response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one response (skipping 1xx interim responses unless `keep_interim`)
/// from `s`. `None` if the connection closed before a status line.
pub fn read_response(s: &mut TcpStream, head_request: bool) -> Option<Resp> {
    loop {
        let r = read_response_raw(s, head_request)?;
        if !(100..200).contains(&r.status) {
            return Some(r);
        }
    }
}

/// The bytes of one response head, up to and including its empty line;
/// `None` if the connection closes first.
fn read_head(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(head)
}

/// Reads exactly one response, 1xx included.
pub fn read_response_raw(s: &mut TcpStream, head_request: bool) -> Option<Resp> {
    let head = read_head(s)?;
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let status = status_line.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            l.split_once(':')
                .map(|(n, v)| (n.to_string(), v.trim().to_string()))
        })
        .collect();
    let mut resp = Resp {
        status,
        headers,
        body: Vec::new(),
    };
    if head_request || (100..200).contains(&status) || status == 204 || status == 304 {
        return Some(resp);
    }
    let len: usize = resp
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .expect("Content-Length");
    resp.body = vec![0; len];
    s.read_exact(&mut resp.body).ok()?;
    Some(resp)
}

/// Whether the peer has closed `s` (reads EOF, or reset) within `timeout`.
pub fn closed_within(s: &mut TcpStream, timeout: Duration) -> bool {
    s.set_read_timeout(Some(timeout)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
}

// ---- helpers for the attack, crash and shutdown suites ----

impl Server {
    /// Like [`Server::start`], and returns once a `/healthz` has been
    /// answered: the `listening` line comes before the server raises its
    /// listen backlog (std binds with 128) and starts its poller, so a
    /// burst of connections right after it can see SYNs dropped.
    pub fn start_ready(args: &[&str]) -> Server {
        let s = Server::start(args);
        assert_eq!(s.get("/healthz").status, 200, "the server is serving");
        s
    }

    /// Whether the process is still running (has not exited).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Like [`Server::send`], but `None` instead of a panic when the server
    /// closes without answering (or cannot be reached).
    pub fn try_send(&self, raw: &[u8]) -> Option<Resp> {
        let mut s = TcpStream::connect(self.addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        s.write_all(raw).ok()?;
        read_response(&mut s, raw.starts_with(b"HEAD"))
    }

    /// VmHWM (the peak resident set size so far) of the server in KiB.
    pub fn rss_peak_kib(&self) -> u64 {
        proc_status_kib(self.pid(), "VmHWM:")
    }

    /// A keep-alive connection to this server.
    pub fn client(&self) -> Client {
        Client {
            stream: self.connect(),
        }
    }
}

/// A field of `/proc/<pid>/status` given in kB, or 0 if absent.
pub fn proc_status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// One kept-alive connection that sends requests and reads their responses
/// in turn.
pub struct Client {
    pub stream: TcpStream,
}

impl Client {
    /// Sends `raw` and reads the response; `None` if the server closed.
    pub fn request(&mut self, raw: &[u8]) -> Option<Resp> {
        self.stream.write_all(raw).ok()?;
        read_response(&mut self.stream, raw.starts_with(b"HEAD"))
    }
}

/// `text` as a JSON string literal (quotes included), escaping what JSON
/// requires.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The bytes of a keep-alive `POST` of a JSON body, with a session cookie
/// if given.
pub fn post_json_request(path: &str, body: &str, session: Option<&str>) -> Vec<u8> {
    let cookie = session
        .map(|id| format!("Cookie: sessionid={id}\r\n"))
        .unwrap_or_default();
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n{cookie}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The bytes of a keep-alive `GET`, with a session cookie if given.
pub fn get_request(path: &str, session: Option<&str>) -> Vec<u8> {
    let cookie = session
        .map(|id| format!("Cookie: sessionid={id}\r\n"))
        .unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{cookie}\r\n").into_bytes()
}

/// The JSON body of a signup or login.
pub fn credentials(username: &str, password: &str) -> String {
    format!(
        "{{\"username\":{},\"password\":{}}}",
        json_string(username),
        json_string(password)
    )
}

/// The JSON body of a comment.
pub fn comment_body(text: &str) -> String {
    format!("{{\"text\":{}}}", json_string(text))
}

/// The session id a login response sets, if any.
pub fn session_id(r: &Resp) -> Option<String> {
    r.header("set-cookie")?
        .strip_prefix("sessionid=")?
        .split(';')
        .next()
        .map(str::to_string)
}

/// Signs up `username` (on a new connection); the response.
pub fn signup(s: &Server, username: &str, password: &str) -> Resp {
    s.client()
        .request(&post_json_request(
            "/signup",
            &credentials(username, password),
            None,
        ))
        .expect("a response to signup")
}

/// Logs in (on a new connection); the session id, or `None` if refused.
pub fn login(s: &Server, username: &str, password: &str) -> Option<String> {
    let r = s.client().request(&post_json_request(
        "/login",
        &credentials(username, password),
        None,
    ))?;
    if r.status != 200 {
        return None;
    }
    session_id(&r)
}

/// Reads one response keeping its raw head bytes (status line and fields,
/// up to and including the empty line) and body bytes.
pub fn read_raw_response(s: &mut TcpStream) -> Option<(Vec<u8>, Vec<u8>)> {
    let head = read_head(s)?;
    let text = String::from_utf8_lossy(&head).into_owned();
    let len: usize = text
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())?;
    let mut body = vec![0; len];
    s.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// The `p`-th percentile (0..=100, nearest rank) of `samples`.
pub fn percentile(samples: &[Duration], p: usize) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len()).div_ceil(100).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Milliseconds with one decimal, for figures.
pub fn ms(d: Duration) -> String {
    format!("{:.1}ms", d.as_secs_f64() * 1000.0)
}

/// Times one `GET /healthz` on a new connection: connect, send, full
/// response. Panics if it is not a 200.
pub fn probe_healthz(s: &Server) -> Duration {
    let start = Instant::now();
    let r = s.get("/healthz");
    let took = start.elapsed();
    assert_eq!(r.status, 200, "healthz probe");
    took
}

/// A small deterministic pseudo-random generator (xorshift64*), so runs
/// can be repeated from a printed seed.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed.max(1))
    }

    /// A seed from the clock, or from `STATEFUL_SEED` if set.
    pub fn seed_from_env() -> u64 {
        std::env::var("STATEFUL_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `lo..hi` (`hi > lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
}
