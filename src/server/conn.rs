//! One client connection: its socket, buffers and state machine. A worker
//! calls [`Conn::run`] when the poller saw the socket ready (or its deadline
//! pass); `run` reads, decodes, calls the handler, writes, and returns
//! whether to park the connection again (and for what) or close it.
//!
//! States: *serving* (requests in, responses out), *closing* (the last
//! response is still being written), *lingering* (our side is shut down for
//! writing; what the client still sends is read and dropped for a short
//! while, so closing does not reset the connection before the client has
//! read the final response).

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::log::access_line;
use super::sys::{EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLRDHUP};
use super::{Handler, Timeouts};
use crate::http::{
    Decoded, HttpError, Method, Phase, Request, RequestDecoder, Response, ResponseFraming, Version,
    CONTINUE,
};
use crate::limits::{
    LINGER_MAX_BYTES, LINGER_TIMEOUT, MAX_HEADER_BYTES, MAX_REQUEST_LINE, RETRY_AFTER_SECS,
    WRITE_TIMEOUT,
};

/// Bytes read from the socket at a time (the worker's scratch buffer).
pub const READ_CHUNK: usize = 64 * 1024;
/// Reads per turn before the connection yields its worker to others.
const MAX_READS_PER_TURN: usize = 8;
/// Pipelined responses are buffered up to this much before being written.
const OUT_HIGH_WATER: usize = 256 * 1024;
/// The input buffer never grows past this: a head at its limits plus one
/// read.
const MAX_INBUF: usize = MAX_REQUEST_LINE + MAX_HEADER_BYTES + 2 * READ_CHUNK;

/// Why a worker is running a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The poller reported the socket readable or writable.
    Ready,
    /// The connection's deadline passed while it was parked.
    Timeout,
}

/// What to do with the connection after a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Wait in the poller for these epoll events.
    Park(u32),
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Serving,
    Closing,
    Lingering { until: Instant, budget: usize },
}

/// What a worker lends the connections it runs.
pub struct Worker<'a> {
    pub handler: &'a dyn Handler,
    pub timeouts: &'a Timeouts,
    /// Set when the server is stopping: answer what is in flight, then
    /// close. Read after the handler returns, so a long request started
    /// before the stop still ends its connection.
    pub draining: &'a AtomicBool,
    /// A zeroed buffer of [`READ_CHUNK`] bytes, lent to a connection for
    /// its turn so idle connections hold no buffer of their own.
    pub scratch: &'a mut Vec<u8>,
    pub clock: &'a mut super::clock::Clock,
}

pub struct Conn {
    stream: TcpStream,
    peer: IpAddr,
    decoder: RequestDecoder,
    /// `inbuf[start..filled]` are received bytes not yet decoded.
    inbuf: Vec<u8>,
    start: usize,
    filled: usize,
    out: Vec<u8>,
    written: usize,
    mode: Mode,
    idle_since: Instant,
    head_started: Option<Instant>,
    last_read: Instant,
    last_write: Instant,
    deadline: Instant,
}

impl Conn {
    pub fn new(stream: TcpStream, peer: IpAddr, now: Instant, timeouts: &Timeouts) -> Conn {
        Conn {
            stream,
            peer,
            decoder: RequestDecoder::new(),
            inbuf: Vec::new(),
            start: 0,
            filled: 0,
            out: Vec::new(),
            written: 0,
            mode: Mode::Serving,
            idle_since: now,
            head_started: None,
            last_read: now,
            last_write: now,
            deadline: now + timeouts.idle,
        }
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// When the poller must wake this connection if nothing else does.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Parked between requests with nothing buffered: safe to close at once
    /// on shutdown.
    pub fn is_idle(&self) -> bool {
        self.mode == Mode::Serving
            && self.written == self.out.len()
            && self.decoder.phase(&self.inbuf[self.start..self.filled]) == Phase::Idle
    }

    /// One turn of work. Never blocks: every socket call is non-blocking.
    pub fn run(&mut self, w: &mut Worker<'_>, wake: Wake) -> Outcome {
        let outcome = self.turn(w, wake);
        self.return_scratch(w);
        if let Outcome::Park(_) = outcome {
            self.deadline = self.compute_deadline(w.timeouts);
        }
        outcome
    }

    fn turn(&mut self, w: &mut Worker<'_>, wake: Wake) -> Outcome {
        if wake == Wake::Timeout {
            if self.written < self.out.len() || self.mode != Mode::Serving {
                return Outcome::Close;
            }
            let e = match self.decoder.phase(&self.inbuf[self.start..self.filled]) {
                Phase::Idle => return Outcome::Close,
                Phase::Head => HttpError::HeaderTimeout,
                Phase::Body => HttpError::BodyTimeout,
            };
            self.respond_error(w, e);
        }
        let mut reads = 0;
        loop {
            if self.written < self.out.len() {
                match self.flush() {
                    Ok(true) => {}
                    Ok(false) => return Outcome::Park(EPOLLOUT | EPOLLONESHOT),
                    Err(_) => return Outcome::Close,
                }
            }
            if self.mode == Mode::Closing {
                let _ = self.stream.shutdown(Shutdown::Write);
                self.mode = Mode::Lingering {
                    until: Instant::now() + LINGER_TIMEOUT,
                    budget: LINGER_MAX_BYTES,
                };
            }
            if let Mode::Lingering { .. } = self.mode {
                return self.linger(w);
            }
            if self.process(w) {
                continue;
            }
            if reads == MAX_READS_PER_TURN {
                // Level-triggered: the poller reports it again at once if
                // more bytes are waiting.
                return Outcome::Park(EPOLLIN | EPOLLRDHUP | EPOLLONESHOT);
            }
            match self.read_more(w) {
                Ok(0) => return Outcome::Close,
                Ok(_) => reads += 1,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Outcome::Park(EPOLLIN | EPOLLRDHUP | EPOLLONESHOT)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Outcome::Close,
            }
        }
    }

    /// Decodes and answers buffered requests. Returns whether it produced
    /// output or changed mode (so the caller flushes before reading).
    fn process(&mut self, w: &mut Worker<'_>) -> bool {
        let mut produced = false;
        while self.mode == Mode::Serving && self.out.len() < OUT_HIGH_WATER {
            match self.decoder.decode(&self.inbuf[self.start..self.filled]) {
                Ok((used, event)) => {
                    self.start += used;
                    match event {
                        Decoded::Request(req) => self.respond(w, req),
                        Decoded::SendContinue => self.out.extend_from_slice(CONTINUE),
                        Decoded::NeedMore => break,
                    }
                    produced = true;
                }
                Err(e) => {
                    self.respond_error(w, e);
                    produced = true;
                }
            }
        }
        if self.start == self.filled {
            self.start = 0;
            self.filled = 0;
        }
        produced
    }

    fn respond(&mut self, w: &mut Worker<'_>, req: Request) {
        let handler = w.handler;
        let response = match catch_unwind(AssertUnwindSafe(|| handler.handle(&req))) {
            Ok(r) => r,
            Err(_) => Response::json(500, crate::json::error_body("internal server error")),
        };
        let keep_alive =
            req.head.keep_alive() && !w.draining.load(Ordering::Relaxed) && !response.wants_close();
        let framing = ResponseFraming {
            keep_alive,
            http10: req.head.version() == Version::Http10,
            head: req.head.method() == Method::Head,
        };
        response.encode(&framing, w.clock.http_date(), &mut self.out);
        access_line(
            w.clock,
            self.peer,
            Some(&req.head),
            response.status(),
            response.body().len(),
        );
        if !keep_alive {
            self.mode = Mode::Closing;
        }
        let now = Instant::now();
        self.idle_since = now;
        self.head_started = None;
    }

    fn respond_error(&mut self, w: &mut Worker<'_>, e: HttpError) {
        let response =
            Response::json(e.status(), crate::json::error_body(e.message())).with_close();
        let framing = ResponseFraming {
            keep_alive: false,
            http10: false,
            head: false,
        };
        response.encode(&framing, w.clock.http_date(), &mut self.out);
        access_line(
            w.clock,
            self.peer,
            None,
            response.status(),
            response.body().len(),
        );
        self.mode = Mode::Closing;
    }

    /// Writes pending output. `Ok(true)` when all of it is out.
    fn flush(&mut self) -> io::Result<bool> {
        while self.written < self.out.len() {
            match self.stream.write(&self.out[self.written..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.written += n;
                    self.last_write = Instant::now();
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        self.written = 0;
        if self.out.capacity() > OUT_HIGH_WATER {
            self.out = Vec::new();
        }
        Ok(true)
    }

    /// Reads once into the input buffer; the byte count, 0 at end of
    /// stream.
    fn read_more(&mut self, w: &mut Worker<'_>) -> io::Result<usize> {
        if self.inbuf.is_empty() {
            std::mem::swap(&mut self.inbuf, w.scratch);
        } else if self.filled == self.inbuf.len() {
            if self.start > 0 {
                self.inbuf.copy_within(self.start..self.filled, 0);
                self.filled -= self.start;
                self.start = 0;
            } else if self.inbuf.len() < MAX_INBUF {
                let grown = (self.inbuf.len() + READ_CHUNK).min(MAX_INBUF);
                self.inbuf.resize(grown, 0);
            }
        }
        if self.filled == self.inbuf.len() {
            // Cannot happen: the head parser refuses a head before it fills
            // MAX_INBUF, and bodies are drained into the decoder.
            return Err(io::ErrorKind::OutOfMemory.into());
        }
        let n = self.stream.read(&mut self.inbuf[self.filled..])?;
        self.filled += n;
        if n > 0 {
            let now = Instant::now();
            self.last_read = now;
            if self.head_started.is_none() {
                self.head_started = Some(now);
            }
        }
        Ok(n)
    }

    /// Gives the worker its scratch buffer back, keeping only undecoded
    /// bytes (copied into a buffer of the connection's own).
    fn return_scratch(&mut self, w: &mut Worker<'_>) {
        if w.scratch.is_empty() {
            let pending = &self.inbuf[self.start..self.filled];
            let own = if pending.is_empty() {
                Vec::new()
            } else {
                let mut v = vec![0; pending.len().max(4096)];
                v[..pending.len()].copy_from_slice(pending);
                v
            };
            self.filled -= self.start;
            self.start = 0;
            *w.scratch = std::mem::replace(&mut self.inbuf, own);
        }
        if self.start == self.filled && self.inbuf.len() > READ_CHUNK {
            self.inbuf = Vec::new();
            self.start = 0;
            self.filled = 0;
        }
    }

    /// Reads and drops what the client still sends after our last response.
    fn linger(&mut self, w: &mut Worker<'_>) -> Outcome {
        let Mode::Lingering { until, mut budget } = self.mode else {
            return Outcome::Close;
        };
        loop {
            if budget == 0 || Instant::now() >= until {
                return Outcome::Close;
            }
            let chunk = budget.min(w.scratch.len().max(1));
            let buf: &mut [u8] = if w.scratch.is_empty() {
                &mut self.inbuf
            } else {
                &mut w.scratch[..chunk]
            };
            match self.stream.read(buf) {
                Ok(0) => return Outcome::Close,
                Ok(n) => budget = budget.saturating_sub(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.mode = Mode::Lingering { until, budget };
                    return Outcome::Park(EPOLLIN | EPOLLRDHUP | EPOLLONESHOT);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Outcome::Close,
            }
        }
    }

    fn compute_deadline(&mut self, t: &Timeouts) -> Instant {
        if let Mode::Lingering { until, .. } = self.mode {
            return until;
        }
        if self.written < self.out.len() {
            return self.last_write + WRITE_TIMEOUT;
        }
        match self.decoder.phase(&self.inbuf[self.start..self.filled]) {
            Phase::Idle => {
                self.head_started = None;
                self.idle_since + t.idle
            }
            Phase::Head => *self.head_started.get_or_insert_with(Instant::now) + t.header,
            Phase::Body => self.last_read + t.body,
        }
    }
}

/// Writes a 503 with `Retry-After` to a connection the server cannot take,
/// without blocking (best effort: the bytes fit any socket buffer), and
/// shuts it down.
pub fn refuse_overloaded(stream: &TcpStream, clock: &mut super::clock::Clock) {
    let response = Response::json(
        503,
        crate::json::error_body("server overloaded, retry later"),
    )
    .with_header("Retry-After", RETRY_AFTER_SECS.to_string())
    .with_close();
    let mut out = Vec::with_capacity(256);
    let framing = ResponseFraming {
        keep_alive: false,
        http10: false,
        head: false,
    };
    response.encode(&framing, clock.http_date(), &mut out);
    let _ = stream.set_nonblocking(true);
    let _ = (&*stream).write(&out);
    let _ = stream.shutdown(Shutdown::Write);
    if let Ok(peer) = stream.peer_addr() {
        access_line(clock, peer.ip(), None, 503, response.body().len());
    }
}
