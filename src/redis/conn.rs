//! One connection to Redis: a blocking `TcpStream` with a deadline on
//! every exchange, `AUTH` and `SELECT` on connect, and pipelining (write
//! N commands at once, read N replies).
//!
//! A connection is only ever in step with the server or dropped: any
//! failure while a reply is owed (a timeout, a reset, bytes that are not
//! RESP) makes the exchange return an error, and the caller must drop the
//! connection rather than reuse it ([`super::client`] does).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::resp::{encode_command, parse_reply, Reply, RespError, Status};
use super::url::RedisUrl;

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;
/// Largest buffered reply; a larger one is refused (and the connection
/// dropped). Far above a page of 1,000 comments of 4 KiB each.
pub const MAX_REPLY_BYTES: usize = 32 * 1024 * 1024;
/// A socket timeout this much above the time left is lowered first, so a
/// blocked read never outlives the deadline by more than this.
const TIMEOUT_SLACK: Duration = Duration::from_millis(5);

/// Why an exchange with Redis failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisError {
    /// Connecting, reading or writing failed (refused, reset, unreachable).
    Io(String),
    /// The deadline passed with a reply still owed.
    Timeout,
    /// The server closed the connection with a reply still owed.
    Closed,
    /// The server sent bytes that are not RESP.
    Protocol(RespError),
    /// `AUTH`, `SELECT` or `HELLO` was refused.
    Handshake(String),
    /// The client is failing fast: Redis failed moments ago and another
    /// call is finding out whether it is back.
    Down,
}

impl RedisError {
    /// Whether the connection (and Redis) is in doubt, rather than one
    /// command having been refused.
    pub fn is_connection_failure(&self) -> bool {
        !matches!(self, RedisError::Down)
    }
}

impl std::fmt::Display for RedisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RedisError::Io(m) => write!(f, "redis: {m}"),
            RedisError::Timeout => f.write_str("redis: timed out"),
            RedisError::Closed => f.write_str("redis: connection closed by the server"),
            RedisError::Protocol(e) => write!(f, "redis: {e}"),
            RedisError::Handshake(m) => write!(f, "redis: connection set-up refused: {m}"),
            RedisError::Down => f.write_str("redis: down (failing fast until it answers again)"),
        }
    }
}

impl From<RespError> for RedisError {
    fn from(e: RespError) -> Self {
        RedisError::Protocol(e)
    }
}

fn io_error(e: io::Error) -> RedisError {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => RedisError::Timeout,
        io::ErrorKind::UnexpectedEof => RedisError::Closed,
        _ => RedisError::Io(e.to_string()),
    }
}

/// Commands encoded back to back, sent in one write.
#[derive(Debug, Default, Clone)]
pub struct Pipeline {
    bytes: Vec<u8>,
    count: usize,
}

impl Pipeline {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one command.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> &mut Self {
        encode_command(args, &mut self.bytes);
        self.count += 1;
        self
    }

    /// Adds every command of `other`.
    pub fn append(&mut self, other: &Pipeline) -> &mut Self {
        self.bytes.extend_from_slice(&other.bytes);
        self.count += other.count;
        self
    }

    /// How many replies it owes.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// A connection in step with its server.
pub struct Connection {
    stream: TcpStream,
    /// `buf[start..end]` holds bytes received and not yet parsed.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The read and write timeouts currently set on the socket.
    socket_timeout: Duration,
    /// Set by the pool: when the connection was last handed back.
    pub(crate) idle_since: Instant,
    /// Set by the pool: the pool generation it was opened in.
    pub(crate) generation: u64,
}

/// What to send once connected: the URL's credentials and database, and
/// whether to switch to RESP3 (`HELLO 3`).
pub struct Handshake<'a> {
    pub url: &'a RedisUrl,
    pub resp3: bool,
}

impl Connection {
    /// Connects to the URL's host (each address it resolves to in turn),
    /// then authenticates and selects the database, all before `deadline`.
    pub fn open(
        hs: &Handshake<'_>,
        timeout: Duration,
        deadline: Instant,
    ) -> Result<Connection, RedisError> {
        let addrs: Vec<SocketAddr> = (hs.url.host.as_str(), hs.url.port)
            .to_socket_addrs()
            .map_err(|e| RedisError::Io(format!("cannot resolve {}: {e}", hs.url.host)))?
            .collect();
        let mut last = RedisError::Io(format!("{} resolves to no address", hs.url.host));
        for addr in addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(RedisError::Timeout);
            }
            match TcpStream::connect_timeout(&addr, left) {
                Ok(stream) => return Connection::start(stream, hs, timeout, deadline),
                Err(e) => last = RedisError::Io(format!("connect to {addr}: {e}")),
            }
        }
        Err(last)
    }

    fn start(
        stream: TcpStream,
        hs: &Handshake<'_>,
        timeout: Duration,
        deadline: Instant,
    ) -> Result<Connection, RedisError> {
        stream.set_nodelay(true).map_err(io_error)?;
        stream.set_read_timeout(Some(timeout)).map_err(io_error)?;
        stream.set_write_timeout(Some(timeout)).map_err(io_error)?;
        let mut conn = Connection {
            stream,
            buf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            socket_timeout: timeout,
            idle_since: Instant::now(),
            generation: 0,
        };
        let mut p = Pipeline::new();
        let password = hs.url.password.as_deref();
        if hs.resp3 {
            // HELLO authenticates too, in one round trip.
            match (&hs.url.user, password) {
                (Some(u), Some(pw)) => p.cmd(&["HELLO", "3", "AUTH", u, pw]),
                (None, Some(pw)) => p.cmd(&["HELLO", "3", "AUTH", "default", pw]),
                _ => p.cmd(&["HELLO", "3"]),
            };
        } else {
            match (&hs.url.user, password) {
                (Some(u), Some(pw)) => p.cmd(&["AUTH", u, pw]),
                (None, Some(pw)) => p.cmd(&["AUTH", pw]),
                _ => &mut p,
            };
        }
        if hs.url.db != 0 {
            p.cmd(&["SELECT", &hs.url.db.to_string()]);
        }
        if p.is_empty() {
            return Ok(conn);
        }
        for reply in conn.exchange(&p, deadline)? {
            if let Reply::Error(e) = reply {
                return Err(RedisError::Handshake(e));
            }
        }
        Ok(conn)
    }

    /// Sends the pipeline and reads one reply per command. Error replies
    /// (`-ERR ...`) are values in the result: the connection is still in
    /// step. Any `Err` leaves it out of step: drop it.
    pub fn exchange(&mut self, p: &Pipeline, deadline: Instant) -> Result<Vec<Reply>, RedisError> {
        self.send(p.bytes(), deadline)?;
        let mut replies = Vec::with_capacity(p.len());
        for _ in 0..p.len() {
            replies.push(self.read_reply(deadline)?);
        }
        Ok(replies)
    }

    /// Writes all of `bytes` before `deadline`.
    pub fn send(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), RedisError> {
        let mut sent = 0;
        while sent < bytes.len() {
            self.fit_timeout(deadline)?;
            match self.stream.write(&bytes[sent..]) {
                Ok(0) => return Err(RedisError::Closed),
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e)),
            }
        }
        Ok(())
    }

    /// Reads one whole reply before `deadline`.
    pub fn read_reply(&mut self, deadline: Instant) -> Result<Reply, RedisError> {
        loop {
            if self.start < self.end {
                if let Status::Complete((reply, used)) =
                    parse_reply(&self.buf[self.start..self.end])?
                {
                    self.start += used;
                    if self.start == self.end {
                        self.start = 0;
                        self.end = 0;
                    }
                    return Ok(reply);
                }
            }
            self.fill(deadline)?;
        }
    }

    /// Whether a reply (or part of one) is buffered already.
    pub fn has_buffered(&self) -> bool {
        self.start < self.end
    }

    /// Reads more bytes into the buffer (at least one) before `deadline`.
    fn fill(&mut self, deadline: Instant) -> Result<(), RedisError> {
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.buf.len() < MAX_REPLY_BYTES {
                let grown = (self.buf.len() * 2).min(MAX_REPLY_BYTES);
                self.buf.resize(grown, 0);
            } else {
                return Err(RedisError::Io(format!(
                    "reply over {MAX_REPLY_BYTES} bytes"
                )));
            }
        }
        loop {
            self.fit_timeout(deadline)?;
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => return Err(RedisError::Closed),
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e)),
            }
        }
    }

    /// Lowers the socket's timeouts when they would outlast the deadline
    /// (a system call only then: a fast exchange makes none).
    fn fit_timeout(&mut self, deadline: Instant) -> Result<(), RedisError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(RedisError::Timeout);
        }
        if self.socket_timeout > left + TIMEOUT_SLACK {
            self.stream.set_read_timeout(Some(left)).map_err(io_error)?;
            self.stream
                .set_write_timeout(Some(left))
                .map_err(io_error)?;
            self.socket_timeout = left;
        }
        Ok(())
    }

    /// Puts the socket timeouts back to `timeout` if a late exchange
    /// lowered them (the pool does this before reuse).
    pub fn reset_timeout(&mut self, timeout: Duration) -> Result<(), RedisError> {
        if self.socket_timeout != timeout {
            self.stream
                .set_read_timeout(Some(timeout))
                .map_err(io_error)?;
            self.stream
                .set_write_timeout(Some(timeout))
                .map_err(io_error)?;
            self.socket_timeout = timeout;
        }
        Ok(())
    }

    /// For a connection that sat idle: `true` when the server has not
    /// closed it and sent nothing unasked (a non-blocking peek finds
    /// nothing to read).
    pub fn looks_alive(&self) -> bool {
        if self.has_buffered() || self.stream.set_nonblocking(true).is_err() {
            return false;
        }
        let mut byte = [0u8; 1];
        let alive =
            matches!(self.stream.peek(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        alive && self.stream.set_nonblocking(false).is_ok()
    }

    /// The socket and the bytes received but not parsed yet, for a reader
    /// of its own (the invalidation listener).
    pub fn into_parts(self) -> (TcpStream, Vec<u8>) {
        let leftover = self.buf[self.start..self.end].to_vec();
        (self.stream, leftover)
    }
}
