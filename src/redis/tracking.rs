//! Client-side caching (Redis 6+ `CLIENT TRACKING`): a local copy of
//! values read from Redis, kept only while Redis tells us about every
//! change to them.
//!
//! One dedicated connection speaks RESP3 (`HELLO 3`) and asks for
//! `CLIENT TRACKING ON BCAST PREFIX <prefix>`: whenever any client changes,
//! deletes or expires a key under the prefix, Redis pushes
//! `>2 invalidate [key]` on it. The cache drops those keys; a null key list
//! (a `FLUSHDB`) or a lost connection drops everything.
//!
//! What makes an entry trustworthy:
//! - **Drained first.** The connection is non-blocking; every lookup
//!   first reads whatever pushes have reached our socket (one `recv`, which
//!   says `EAGAIN` when there are none). Redis writes the push in the same
//!   event-loop pass as the reply to the command that caused it, but not
//!   always before that reply; so the instance that made the change sends
//!   one more `PING` before it answers (`RedisStore::fence`), which Redis
//!   serves only after that pass (Redis waits for its I/O threads too).
//!   On one machine, by the time the client that logged out elsewhere has
//!   its answer, the push is in our socket buffer, and the next lookup
//!   honours it; over a network it is ahead of that client by its own trip
//!   to this instance. A listener so far behind that Redis has to queue
//!   its pushes is not covered; it reads every 10 ms.
//! - **Heard from recently.** A background thread pings every
//!   [`PING_EVERY`]; entries are used only while the last answer is at most
//!   [`FRESH_FOR`] old. A hung Redis (SIGSTOP) therefore stops the cache
//!   within that time, and lookups go to Redis (and fail with it).
//! - **No stale insert.** A value read from Redis is inserted with the
//!   ticket taken before the read; an invalidation of its stripe (or a
//!   reconnect) since then refuses the insert, so a push that overtakes
//!   the reply cannot be undone by it.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread;
use std::time::{Duration, Instant};

use super::client::Client;
use super::conn::Pipeline;
use super::resp::{encode_command, parse_reply, Reply, Status};

/// How often the listener pings Redis (from lookups when they are frequent,
/// else from the background thread).
pub const PING_EVERY: Duration = Duration::from_millis(10);
/// Entries are used only while Redis answered the listener this recently:
/// a Redis that hangs stops the cache within this time.
pub const FRESH_FOR: Duration = Duration::from_millis(50);
/// How often the background thread drains pushes when no lookup does.
const TICK: Duration = Duration::from_millis(10);
/// Longest wait between attempts to open the listener.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(1);
/// Invalidation stripes (a power of two).
const STRIPES: usize = 256;

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<V> {
    Hit(V),
    /// Not cached: read Redis, then offer the value to
    /// [`TrackedCache::insert`] with this ticket.
    Miss(Ticket),
    /// The cache cannot be trusted now (no listener, or Redis silent):
    /// read Redis and do not insert.
    Off,
}

/// The state of a key's stripe when it was found missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    stripe: usize,
    stripe_count: u64,
    generation: u64,
}

/// The listener connection: a non-blocking socket and its unparsed bytes.
struct Listener {
    stream: TcpStream,
    buf: Vec<u8>,
    end: usize,
}

/// Redis keys (under the tracked prefix) to values, kept in step with
/// Redis by invalidation pushes.
pub struct TrackedCache<V> {
    /// The full key prefix Redis tracks, e.g. `stateful:session:`.
    prefix: Vec<u8>,
    map: Mutex<HashMap<Vec<u8>, V>>,
    max_entries: usize,
    stripes: Vec<AtomicU64>,
    /// Bumped whenever everything is dropped (a flush, a lost listener).
    generation: AtomicU64,
    listener: Mutex<Option<Listener>>,
    /// Milliseconds since `epoch` when Redis last answered the listener;
    /// 0: never (or not connected).
    last_heard: AtomicU64,
    /// Milliseconds since `epoch` when the last `PING` was sent.
    last_ping: AtomicU64,
    epoch: Instant,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<V: Clone + Send + 'static> TrackedCache<V> {
    /// A cache for keys under `prefix`, with its listener thread (which
    /// connects through `client`'s URL and ends when the cache is dropped).
    pub fn start(client: Arc<Client>, prefix: &str, max_entries: usize) -> io::Result<Arc<Self>> {
        let cache = Arc::new(TrackedCache {
            prefix: prefix.as_bytes().to_vec(),
            map: Mutex::new(HashMap::new()),
            max_entries,
            stripes: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            generation: AtomicU64::new(0),
            listener: Mutex::new(None),
            last_heard: AtomicU64::new(0),
            last_ping: AtomicU64::new(0),
            epoch: Instant::now(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        });
        let weak = Arc::downgrade(&cache);
        thread::Builder::new()
            .name("redis-tracking".into())
            .spawn(move || run_listener(weak, client))?;
        Ok(cache)
    }

    /// Looks `key` up, after honouring every invalidation that has arrived.
    pub fn get(&self, key: &[u8]) -> Lookup<V> {
        if !self.sync() {
            return Lookup::Off;
        }
        let stripe = stripe_of(key);
        let ticket = Ticket {
            stripe,
            stripe_count: self.stripes[stripe].load(Ordering::SeqCst),
            generation: self.generation.load(Ordering::SeqCst),
        };
        match self.lock_map().get(key) {
            Some(v) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Lookup::Hit(v.clone())
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                Lookup::Miss(ticket)
            }
        }
    }

    /// Caches a value read from Redis after [`Lookup::Miss`], unless the
    /// key may have changed since the ticket was taken.
    pub fn insert(&self, ticket: Ticket, key: &[u8], value: V) {
        if !self.sync() {
            return;
        }
        let mut map = self.lock_map();
        // Checked under the map lock: invalidations take it too, so none
        // can slip between the check and the insert.
        let unchanged = self.stripes[ticket.stripe].load(Ordering::SeqCst) == ticket.stripe_count
            && self.generation.load(Ordering::SeqCst) == ticket.generation;
        if unchanged && (map.len() < self.max_entries || map.contains_key(key)) {
            map.insert(key.to_vec(), value);
        }
    }

    /// Changes a cached value in place (if still cached).
    pub fn update(&self, key: &[u8], f: impl FnOnce(&mut V)) {
        if let Some(v) = self.lock_map().get_mut(key) {
            f(v);
        }
    }

    /// Forgets `key` (our own write; Redis's push will say so too).
    pub fn remove(&self, key: &[u8]) {
        self.invalidate(key);
    }

    /// Drops entries `keep` says no to (expired ones).
    pub fn retain(&self, mut keep: impl FnMut(&V) -> bool) {
        self.lock_map().retain(|_, v| keep(v));
    }

    pub fn len(&self) -> usize {
        self.lock_map().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lookups answered from the cache, and not.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Whether the listener is connected and heard from Redis recently.
    pub fn is_fresh(&self) -> bool {
        let heard = self.last_heard.load(Ordering::SeqCst);
        heard != 0 && self.now_ms().saturating_sub(heard) <= FRESH_FOR.as_millis() as u64
    }

    fn now_ms(&self) -> u64 {
        (self.epoch.elapsed().as_millis() as u64).max(1)
    }

    fn lock_map(&self) -> MutexGuard<'_, HashMap<Vec<u8>, V>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_listener(&self) -> MutexGuard<'_, Option<Listener>> {
        self.listener.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads and applies every push that has arrived; `true` when the
    /// cache may be used.
    fn sync(&self) -> bool {
        let mut guard = self.lock_listener();
        let Some(listener) = guard.as_mut() else {
            return false;
        };
        if self
            .drain(listener)
            .and_then(|()| self.ping_if_due(listener))
            .is_err()
        {
            *guard = None;
            drop(guard);
            self.lost();
            return false;
        }
        drop(guard);
        self.is_fresh()
    }

    /// Applies every whole reply buffered, then reads without blocking,
    /// until `EAGAIN`.
    fn drain(&self, l: &mut Listener) -> io::Result<()> {
        loop {
            let mut start = 0;
            while let Status::Complete((reply, used)) =
                parse_reply(&l.buf[start..l.end]).map_err(|e| io::Error::other(e.to_string()))?
            {
                start += used;
                self.apply(reply)?;
            }
            l.buf.copy_within(start..l.end, 0);
            l.end -= start;
            if l.end == l.buf.len() {
                if l.buf.len() >= super::conn::MAX_REPLY_BYTES {
                    return Err(io::Error::other("invalidation reply too large"));
                }
                l.buf.resize(l.buf.len() * 2, 0);
            }
            match l.stream.read(&mut l.buf[l.end..]) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => l.end += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends a `PING` if the last was [`PING_EVERY`] ago. 14 bytes always
    /// fit a send buffer that Redis is draining; a short or blocked write
    /// means it is not, and the listener is given up.
    fn ping_if_due(&self, l: &mut Listener) -> io::Result<()> {
        let now = self.now_ms();
        if now.saturating_sub(self.last_ping.load(Ordering::Relaxed))
            < PING_EVERY.as_millis() as u64
        {
            return Ok(());
        }
        self.last_ping.store(now, Ordering::Relaxed);
        let mut ping = Vec::with_capacity(14);
        encode_command(&["PING"], &mut ping);
        match l.stream.write(&ping) {
            Ok(n) if n == ping.len() => Ok(()),
            Ok(_) => Err(io::ErrorKind::WriteZero.into()),
            Err(e) => Err(e),
        }
    }

    /// One reply on the listener: an invalidation push, or a `PONG`.
    fn apply(&self, reply: Reply) -> io::Result<()> {
        match reply {
            Reply::Push(items) => match items.as_slice() {
                [Reply::Bulk(kind), keys] if kind == b"invalidate" => match keys {
                    Reply::Array(keys) => {
                        for key in keys {
                            if let Reply::Bulk(k) = key {
                                self.invalidate(k);
                            }
                        }
                    }
                    _ => self.drop_all(),
                },
                // Other pushes (pub/sub) are not ours to act on.
                _ => {}
            },
            Reply::Simple(s) if s == "PONG" => {
                self.last_heard.store(self.now_ms(), Ordering::SeqCst);
            }
            Reply::Error(e) => return Err(io::Error::other(e)),
            _ => {}
        }
        Ok(())
    }

    fn invalidate(&self, key: &[u8]) {
        let mut map = self.lock_map();
        self.stripes[stripe_of(key)].fetch_add(1, Ordering::SeqCst);
        map.remove(key);
    }

    fn drop_all(&self) {
        let mut map = self.lock_map();
        self.generation.fetch_add(1, Ordering::SeqCst);
        map.clear();
    }

    /// The listener is gone: nothing cached can be trusted.
    fn lost(&self) {
        self.last_heard.store(0, Ordering::SeqCst);
        self.drop_all();
    }
}

fn stripe_of(key: &[u8]) -> usize {
    // FNV-1a: keys are hex digests, any mixing will do.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h as usize) & (STRIPES - 1)
}

/// The listener thread: (re)connects, pings, drains when idle, and gives up
/// on a connection that stays silent past the client's timeout.
fn run_listener<V: Clone + Send + 'static>(cache: Weak<TrackedCache<V>>, client: Arc<Client>) {
    let mut last_attempt: Option<Instant> = None;
    let mut failures: u32 = 0;
    let mut warned = false;
    loop {
        thread::sleep(TICK);
        let Some(cache) = cache.upgrade() else { return };
        let connected = cache.lock_listener().is_some();
        if !connected {
            // 100 ms after a failure, doubling up to a second: a Redis
            // without CLIENT TRACKING is not asked ten times a second.
            let wait = super::client::RETRY_INTERVAL * 2u32.pow(failures.min(4));
            if last_attempt.is_some_and(|t| t.elapsed() < wait.min(MAX_RETRY_WAIT)) {
                continue;
            }
            last_attempt = Some(Instant::now());
            // Connecting may wait up to the timeout: not under any lock.
            match open_listener(&client, &cache.prefix) {
                Ok(listener) => {
                    failures = 0;
                    cache.drop_all();
                    cache.last_heard.store(cache.now_ms(), Ordering::SeqCst);
                    *cache.lock_listener() = Some(listener);
                    if warned {
                        eprintln!("redis: session cache listening again");
                        warned = false;
                    }
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    if !warned {
                        eprintln!("redis: session cache off ({e}); sessions are read from Redis");
                        warned = true;
                    }
                }
            }
            continue;
        }
        cache.sync();
        let silent_ms = cache
            .now_ms()
            .saturating_sub(cache.last_heard.load(Ordering::SeqCst));
        if silent_ms > client.timeout().as_millis() as u64 {
            *cache.lock_listener() = None;
            cache.lost();
            continue;
        }
    }
}

/// A RESP3 connection with broadcast tracking of `prefix`, non-blocking.
fn open_listener(client: &Client, prefix: &[u8]) -> Result<Listener, String> {
    let mut conn = client.open_dedicated(true).map_err(|e| e.to_string())?;
    let mut p = Pipeline::new();
    p.cmd(&[
        b"CLIENT".as_slice(),
        b"TRACKING",
        b"ON",
        b"BCAST",
        b"PREFIX",
        prefix,
    ]);
    let deadline = Instant::now() + client.timeout();
    match conn
        .exchange(&p, deadline)
        .map_err(|e| e.to_string())?
        .pop()
    {
        Some(Reply::Simple(ok)) if ok == "OK" => {}
        other => return Err(format!("CLIENT TRACKING refused: {other:?}")),
    }
    let (stream, leftover) = conn.into_parts();
    stream.set_nonblocking(true).map_err(|e| e.to_string())?;
    let mut buf = vec![0; (16 * 1024).max(leftover.len() * 2)];
    buf[..leftover.len()].copy_from_slice(&leftover);
    Ok(Listener {
        stream,
        buf,
        end: leftover.len(),
    })
}
