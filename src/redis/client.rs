//! The pool: connections to one Redis shared by every thread, a deadline
//! on every call, and a fail-fast switch while Redis is down.
//!
//! - A connection goes back to the pool only after a whole exchange; one
//!   whose reply was not fully read (a timeout, a reset, garbage) is
//!   dropped, never reused.
//! - A connection failure drops every idle connection too (they were
//!   opened to the same server and are likely dead) and starts failing
//!   fast: for [`RETRY_INTERVAL`], calls return [`RedisError::Down`] at
//!   once, then one call at a time goes to Redis to find out whether it is
//!   back. So while Redis hangs (SIGSTOP), one request waits the timeout
//!   and the others get their 503 at once, instead of every worker
//!   waiting in turn. The first call that succeeds ends it: the server
//!   recovers by itself.
//! - A call that only reads is retried once on a new connection when a
//!   reused one turns out dead (Redis restarted since it was last used); a
//!   call that writes is never sent twice, since the first may have been
//!   done.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::conn::{Connection, Handshake, Pipeline, RedisError};
use super::resp::Reply;
use super::url::RedisUrl;

/// Idle connections kept for reuse; more are closed when handed back.
pub const MAX_IDLE: usize = 64;
/// While Redis is down, how long calls fail fast before the next probe.
pub const RETRY_INTERVAL: Duration = Duration::from_millis(100);
/// A connection idle longer than this is checked (a non-blocking peek)
/// before reuse, so that one left over from before a Redis restart is not
/// handed a command.
pub const CHECK_IDLE_AFTER: Duration = Duration::from_millis(50);

/// Whether a call changes data (and so must not be sent twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Read,
    Write,
}

/// Counters and timings the pool reports (for `/metrics`).
pub trait CallObserver: Send + Sync {
    fn call(&self, elapsed: Duration, ok: bool);
}

struct NoObserver;

impl CallObserver for NoObserver {
    fn call(&self, _: Duration, _: bool) {}
}

pub struct Client {
    url: RedisUrl,
    timeout: Duration,
    idle: Mutex<Vec<Connection>>,
    /// Bumped on every connection failure; older connections are dropped
    /// instead of reused.
    generation: AtomicU64,
    breaker: Breaker,
    observer: Box<dyn CallObserver>,
}

impl Client {
    /// A pool for `url`; nothing is connected until the first call.
    pub fn new(url: RedisUrl, timeout: Duration) -> Client {
        Client {
            url,
            timeout,
            idle: Mutex::new(Vec::new()),
            generation: AtomicU64::new(0),
            breaker: Breaker::new(),
            observer: Box::new(NoObserver),
        }
    }

    pub fn with_observer(mut self, observer: Box<dyn CallObserver>) -> Client {
        self.observer = observer;
        self
    }

    pub fn url(&self) -> &RedisUrl {
        &self.url
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends the pipeline and returns one reply per command, within the
    /// timeout. Error replies are values; `Err` means the exchange failed.
    pub fn call(&self, p: &Pipeline, effect: Effect) -> Result<Vec<Reply>, RedisError> {
        let started = Instant::now();
        let result = self.call_inner(p, effect, started + self.timeout);
        self.observer.call(started.elapsed(), result.is_ok());
        result
    }

    /// One command.
    pub fn call1<A: AsRef<[u8]>>(&self, args: &[A], effect: Effect) -> Result<Reply, RedisError> {
        let mut p = Pipeline::new();
        p.cmd(args);
        let mut replies = self.call(&p, effect)?;
        replies.pop().ok_or(RedisError::Closed)
    }

    /// `PING`, with no fail-fast: `/readyz` asks Redis itself.
    pub fn ping(&self) -> Result<(), RedisError> {
        let mut p = Pipeline::new();
        p.cmd(&["PING"]);
        let deadline = Instant::now() + self.timeout;
        let replies = self.exchange(&p, Effect::Read, deadline)?;
        self.breaker.succeeded();
        match replies.first() {
            Some(Reply::Simple(s)) if s == "PONG" => Ok(()),
            Some(Reply::Error(e)) => Err(RedisError::Handshake(e.clone())),
            other => Err(RedisError::Io(format!("unexpected PING reply {other:?}"))),
        }
    }

    fn call_inner(
        &self,
        p: &Pipeline,
        effect: Effect,
        deadline: Instant,
    ) -> Result<Vec<Reply>, RedisError> {
        let probe = self.breaker.admit()?;
        let result = self.exchange(p, effect, deadline);
        match &result {
            Ok(_) => self.breaker.succeeded(),
            Err(_) => self.breaker.failed(),
        }
        if probe {
            self.breaker.probe_done();
        }
        result
    }

    /// One exchange, on a pooled connection or a new one, retried once on
    /// a new connection when a reused one fails on a read-only call.
    fn exchange(
        &self,
        p: &Pipeline,
        effect: Effect,
        deadline: Instant,
    ) -> Result<Vec<Reply>, RedisError> {
        crate::no_wait::about_to_wait("a Redis round trip");
        let mut tries = 0;
        loop {
            tries += 1;
            let (mut conn, reused) = match self.take_idle() {
                Some(c) => (c, true),
                None => (self.connect(deadline)?, false),
            };
            match conn.exchange(p, deadline) {
                Ok(replies) => {
                    self.give_back(conn);
                    return Ok(replies);
                }
                Err(e) => {
                    drop(conn);
                    self.purge();
                    let retry =
                        reused && tries == 1 && effect == Effect::Read && e != RedisError::Timeout;
                    if !retry || Instant::now() >= deadline {
                        return Err(e);
                    }
                }
            }
        }
    }

    fn connect(&self, deadline: Instant) -> Result<Connection, RedisError> {
        let generation = self.generation.load(Ordering::SeqCst);
        let hs = Handshake {
            url: &self.url,
            resp3: false,
        };
        let mut conn = Connection::open(&hs, self.timeout, deadline)?;
        conn.generation = generation;
        Ok(conn)
    }

    /// A dedicated connection outside the pool (the invalidation listener
    /// of the session cache), set up before `deadline`.
    pub fn open_dedicated(&self, resp3: bool) -> Result<Connection, RedisError> {
        let hs = Handshake {
            url: &self.url,
            resp3,
        };
        Connection::open(&hs, self.timeout, Instant::now() + self.timeout)
    }

    fn lock_idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The most recently used idle connection of the current generation
    /// that still looks alive.
    fn take_idle(&self) -> Option<Connection> {
        let generation = self.generation.load(Ordering::SeqCst);
        loop {
            let mut conn = self.lock_idle().pop()?;
            if conn.generation != generation {
                continue;
            }
            if conn.idle_since.elapsed() > CHECK_IDLE_AFTER && !conn.looks_alive() {
                self.purge();
                continue;
            }
            if conn.reset_timeout(self.timeout).is_err() {
                continue;
            }
            return Some(conn);
        }
    }

    fn give_back(&self, mut conn: Connection) {
        if conn.has_buffered() || conn.generation != self.generation.load(Ordering::SeqCst) {
            return;
        }
        conn.idle_since = Instant::now();
        let mut idle = self.lock_idle();
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    /// Drops every idle connection: the server they were opened to failed
    /// one of them.
    fn purge(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let stale = std::mem::take(&mut *self.lock_idle());
        drop(stale);
    }

    /// Whether calls are failing fast right now.
    pub fn is_down(&self) -> bool {
        self.breaker.is_open()
    }
}

/// The fail-fast switch (a circuit breaker): closed while Redis answers;
/// open for [`RETRY_INTERVAL`] after a failure; then one probe at a time.
struct Breaker {
    /// Milliseconds since `epoch` until which calls fail fast; 0: closed.
    open_until: AtomicU64,
    probing: AtomicBool,
    epoch: Instant,
}

impl Breaker {
    fn new() -> Breaker {
        Breaker {
            open_until: AtomicU64::new(0),
            probing: AtomicBool::new(false),
            epoch: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        // At least 1, so 0 keeps meaning "closed".
        (self.epoch.elapsed().as_millis() as u64).max(1)
    }

    /// `Ok(false)`: go ahead; `Ok(true)`: go ahead as the probe (call
    /// [`Breaker::probe_done`] after); `Err(Down)`: fail fast.
    fn admit(&self) -> Result<bool, RedisError> {
        let until = self.open_until.load(Ordering::SeqCst);
        if until == 0 {
            return Ok(false);
        }
        if self.now_ms() < until {
            return Err(RedisError::Down);
        }
        match self
            .probing
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => Ok(true),
            Err(_) => Err(RedisError::Down),
        }
    }

    fn succeeded(&self) {
        if self.open_until.load(Ordering::Relaxed) != 0 {
            self.open_until.store(0, Ordering::SeqCst);
        }
    }

    fn failed(&self) {
        let until = self.now_ms() + RETRY_INTERVAL.as_millis() as u64;
        self.open_until.store(until, Ordering::SeqCst);
    }

    fn probe_done(&self) {
        self.probing.store(false, Ordering::SeqCst);
    }

    fn is_open(&self) -> bool {
        self.open_until.load(Ordering::SeqCst) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_fails_fast_then_lets_one_probe_through() {
        let b = Breaker::new();
        assert_eq!(b.admit(), Ok(false));
        b.failed();
        assert_eq!(b.admit(), Err(RedisError::Down));
        b.open_until.store(1, Ordering::SeqCst); // the interval has passed
        assert_eq!(b.admit(), Ok(true));
        assert_eq!(b.admit(), Err(RedisError::Down), "one probe at a time");
        b.failed();
        b.probe_done();
        assert_eq!(b.admit(), Err(RedisError::Down));
        b.succeeded();
        assert_eq!(b.admit(), Ok(false));
        assert!(!b.is_open());
    }

    #[test]
    fn unreachable_redis_fails_within_the_timeout() {
        // A port nothing listens on: refused at once.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = RedisUrl::parse(&format!("redis://127.0.0.1:{port}")).unwrap();
        let c = Client::new(url, Duration::from_millis(300));
        let t = Instant::now();
        assert!(matches!(
            c.call1(&["PING"], Effect::Read),
            Err(RedisError::Io(_))
        ));
        assert_eq!(c.call1(&["PING"], Effect::Read), Err(RedisError::Down));
        assert!(c.ping().is_err());
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_connection_with_a_reply_half_read_is_never_reused() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = RedisUrl::parse(&format!("redis://{}", listener.local_addr().unwrap())).unwrap();
        let server = std::thread::spawn(move || {
            // First connection: half a reply, then silence; it must see no
            // second command.
            let (mut first, _) = listener.accept().unwrap();
            let mut buf = [0u8; 256];
            let n = first.read(&mut buf).unwrap();
            assert!(buf[..n].ends_with(b"GET\r\n$1\r\nk\r\n"));
            first.write_all(b"$10\r\nhel").unwrap();
            // Second connection: a whole reply.
            let (mut second, _) = listener.accept().unwrap();
            let n = second.read(&mut buf).unwrap();
            assert!(buf[..n].ends_with(b"GET\r\n$1\r\nk\r\n"));
            second.write_all(b"$5\r\nhello\r\n").unwrap();
            first
                .set_read_timeout(Some(Duration::from_millis(300)))
                .unwrap();
            matches!(first.read(&mut buf), Ok(0) | Err(_))
        });
        let c = Client::new(url, Duration::from_millis(200));
        assert_eq!(
            c.call1(&["GET", "k"], Effect::Read),
            Err(RedisError::Timeout)
        );
        c.breaker.succeeded(); // skip the fail-fast pause
        assert_eq!(
            c.call1(&["GET", "k"], Effect::Read),
            Ok(Reply::Bulk(b"hello".to_vec()))
        );
        assert!(
            server.join().unwrap(),
            "the first connection got nothing more"
        );
    }

    #[test]
    fn a_silent_server_times_out() {
        // Accepts (the kernel does) but never answers: a stopped Redis.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = RedisUrl::parse(&format!("redis://{}", listener.local_addr().unwrap())).unwrap();
        let c = Client::new(url, Duration::from_millis(200));
        let t = Instant::now();
        assert_eq!(c.call1(&["PING"], Effect::Read), Err(RedisError::Timeout));
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_millis(600),
            "{took:?}"
        );
        drop(listener);
    }
}
