//! One client connection: its socket, buffers and state machine. Its event
//! loop calls [`Conn::run`] when epoll reports the socket ready, when its
//! deadline passes, or when a worker has answered its request; `run` never
//! blocks: it reads, decodes, answers (inline, or by handing a blocking
//! request to the pool), writes, and says what to wait for next.
//!
//! Modes: *serving* (requests in, responses out), *awaiting* (a worker has
//! the request; nothing else is read until its answer is written, so
//! pipelined responses stay in order), *closing* (the last response is being
//! written), *lingering* (our side is shut down for writing; what the client
//! still sends is read and dropped for a short while, so closing does not
//! reset the connection before the client has read the final response).

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::clock::Clock;
use super::log::AccessLog;
use super::pool::{reply, Completion, Job, Mailbox, WorkQueue};
use super::slab::Token;
use super::{responses, Handler, Reply, Timeouts};
use crate::http::{
    Decoded, HttpError, Method, Phase, Request, RequestDecoder, RequestHead, Response,
    ResponseFraming, Version, CONTINUE,
};
use crate::limits::{
    LINGER_MAX_BYTES, LINGER_TIMEOUT, MAX_HEADER_BYTES, MAX_REQUEST_LINE, WRITE_TIMEOUT,
};
use crate::metrics::METRICS;

/// Bytes read from the socket at a time (the loop's scratch buffer).
pub const READ_CHUNK: usize = 64 * 1024;
/// Reads per turn before the connection yields its loop to others.
const MAX_READS_PER_TURN: usize = 8;
/// Pipelined responses are buffered up to this much before being written.
const OUT_HIGH_WATER: usize = 256 * 1024;
/// The input buffer never grows past this: a head at its limits plus reads.
const MAX_INBUF: usize = MAX_REQUEST_LINE + MAX_HEADER_BYTES + 2 * READ_CHUNK;
/// Deadline of a connection whose request is with a worker: the worker
/// always answers (within the queue's wait bound plus the handler's time).
const AWAITING_DEADLINE: Duration = Duration::from_secs(24 * 3600);

/// Why the loop is running a connection.
pub enum Wake {
    /// epoll reported the socket readable or writable; `hangup` when the
    /// event also said the peer closed (or the socket failed). Then a short
    /// read does not mean the socket is drained: the end of stream is still
    /// to be read, and no further edge will announce it.
    Ready { hangup: bool },
    /// The connection's deadline passed.
    Timeout,
    /// A worker answered the request the connection was awaiting.
    Completed(Completion),
}

/// What to do with the connection after a turn. The loop's epoll is
/// edge-triggered: a turn reads until a short read or `WouldBlock`, so the
/// next new byte (or freed send space) brings the next event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Wait for epoll; `writable` when output is blocked on a full send
    /// buffer (so the loop must also watch for `EPOLLOUT`).
    Park {
        writable: bool,
    },
    /// The turn stopped early for fairness with input possibly still
    /// waiting: run it again soon without waiting for an edge.
    Yield,
    /// A worker has the request: wait for its completion, not for epoll.
    Await,
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Serving,
    Awaiting,
    /// The last response is written, then: `linger` after an error (the
    /// client may still be sending), else a plain close.
    Closing {
        linger: bool,
    },
    Lingering {
        until: Instant,
        budget: usize,
    },
}

/// Where blocking requests go.
pub struct Offload<'a> {
    pub queue: &'a WorkQueue<Job>,
    pub mailbox: &'a Arc<Mailbox>,
}

/// What the event loop lends the connection it runs.
pub struct LoopCtx<'a> {
    pub handler: &'a dyn Handler,
    pub offload: Offload<'a>,
    pub timeouts: &'a Timeouts,
    /// Set when the server is stopping: answer what is in flight, then
    /// close.
    pub draining: &'a AtomicBool,
    /// A zeroed buffer of [`READ_CHUNK`] bytes, lent to a connection for
    /// its turn, so idle connections hold no buffer of their own.
    pub scratch: &'a mut Vec<u8>,
    pub clock: &'a mut Clock,
    pub log: &'a mut AccessLog,
    /// The token of the connection being run.
    pub token: Token,
    /// The time of this batch of events, read once per `epoll_wait`.
    pub now: Instant,
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
    /// When the request being answered was dispatched (for the metrics).
    request_started: Instant,
    last_read: Instant,
    last_write: Instant,
    deadline: Instant,
    /// epoll has reported that the peer closed its side.
    hangup_seen: bool,
    /// The socket may hold bytes not read yet: false only after a short
    /// read, until epoll reports the socket again. Lets the turn after a
    /// completion skip a read that would only say `WouldBlock`.
    unread: bool,
    /// `TCP_NODELAY` is set.
    nodelay: bool,
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
            request_started: now,
            last_read: now,
            last_write: now,
            deadline: now + timeouts.idle,
            hangup_seen: false,
            unread: true,
            nodelay: false,
        }
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// When the loop must wake this connection if nothing else does.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Between requests with nothing buffered: safe to close at once on
    /// shutdown.
    pub fn is_idle(&self) -> bool {
        self.mode == Mode::Serving
            && self.written == self.out.len()
            && self.decoder.phase(&self.inbuf[self.start..self.filled]) == Phase::Idle
    }

    /// One turn of work. Every socket call is non-blocking.
    pub fn run(&mut self, ctx: &mut LoopCtx<'_>, wake: Wake) -> Outcome {
        let outcome = self.turn(ctx, wake);
        self.return_scratch(ctx);
        if let Outcome::Park { .. } | Outcome::Yield | Outcome::Await = outcome {
            self.deadline = self.compute_deadline(ctx.timeouts, ctx.now);
        }
        outcome
    }

    fn turn(&mut self, ctx: &mut LoopCtx<'_>, wake: Wake) -> Outcome {
        // Once the peer's close was reported, read to the end of stream:
        // no further edge will come for it.
        self.hangup_seen |= matches!(wake, Wake::Ready { hangup: true });
        match wake {
            Wake::Ready { .. } => self.unread = true,
            Wake::Completed(c) => self.finish(ctx, &c.head, c.response),
            Wake::Timeout => match self.mode {
                Mode::Awaiting => return Outcome::Await,
                Mode::Serving if self.written == self.out.len() => {
                    let e = match self.decoder.phase(&self.inbuf[self.start..self.filled]) {
                        Phase::Idle => return Outcome::Close,
                        Phase::Head => HttpError::HeaderTimeout,
                        Phase::Body => HttpError::BodyTimeout,
                    };
                    self.respond_error(ctx, e);
                }
                // A response that cannot be written, or a linger that ran
                // out.
                _ => return Outcome::Close,
            },
        }
        let mut reads = 0;
        loop {
            if self.written < self.out.len() {
                match self.flush(ctx.now) {
                    Ok(true) => {}
                    Ok(false) => return Outcome::Park { writable: true },
                    Err(_) => return Outcome::Close,
                }
            }
            match self.mode {
                Mode::Awaiting => return Outcome::Await,
                Mode::Closing { linger } => {
                    if !linger {
                        // A plain close sends FIN after the response.
                        return Outcome::Close;
                    }
                    let _ = self.stream.shutdown(Shutdown::Write);
                    self.mode = Mode::Lingering {
                        until: ctx.now + LINGER_TIMEOUT,
                        budget: LINGER_MAX_BYTES,
                    };
                }
                Mode::Lingering { .. } => return self.linger(ctx),
                Mode::Serving => {}
            }
            if let Mode::Lingering { .. } = self.mode {
                return self.linger(ctx);
            }
            if self.process(ctx) {
                continue;
            }
            if !self.unread {
                // A short read emptied the socket's receive queue: the next
                // byte to arrive brings a new edge.
                return Outcome::Park { writable: false };
            }
            if reads == MAX_READS_PER_TURN {
                return Outcome::Yield;
            }
            let room = self.read_room(ctx);
            match self.read_more(room, ctx.now) {
                Ok(0) => return Outcome::Close,
                Ok(n) => {
                    reads += 1;
                    self.unread = n == room || self.hangup_seen;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Outcome::Park { writable: false }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Outcome::Close,
            }
        }
    }

    /// Decodes and answers buffered requests. Returns whether it produced
    /// output or changed mode (so the caller flushes before reading).
    fn process(&mut self, ctx: &mut LoopCtx<'_>) -> bool {
        let mut produced = false;
        while self.mode == Mode::Serving && self.out.len() < OUT_HIGH_WATER {
            match self.decoder.decode(&self.inbuf[self.start..self.filled]) {
                Ok((used, event)) => {
                    self.start += used;
                    match event {
                        Decoded::Request(req) => self.dispatch(ctx, req),
                        Decoded::SendContinue => self.out.extend_from_slice(CONTINUE),
                        Decoded::NeedMore => break,
                    }
                    produced = true;
                }
                Err(e) => {
                    self.respond_error(ctx, e);
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

    /// Answers inline (at once, or later when the handler defers), or hands
    /// a blocking request to the pool.
    fn dispatch(&mut self, ctx: &mut LoopCtx<'_>, req: Request) {
        self.request_started = ctx.now;
        if !ctx.handler.blocks(&req.head) {
            match reply(ctx.handler, &req) {
                Reply::Now(response) => self.finish(ctx, &req.head, response),
                Reply::Later(start) => {
                    let mailbox = Arc::clone(ctx.offload.mailbox);
                    let token = ctx.token;
                    let head = req.head;
                    self.mode = Mode::Awaiting;
                    start(Box::new(move |response| {
                        mailbox.post(Completion {
                            token,
                            head,
                            response,
                        })
                    }));
                }
            }
            return;
        }
        let job = Job {
            token: ctx.token,
            request: req,
            reply_to: Arc::clone(ctx.offload.mailbox),
            queued: ctx.now,
        };
        match ctx.offload.queue.try_push(job) {
            Ok(()) => self.mode = Mode::Awaiting,
            Err(job) => self.finish(ctx, &job.request.head, responses::overloaded()),
        }
    }

    /// Encodes the response to `head`, logs it, and decides whether the
    /// connection stays open.
    fn finish(&mut self, ctx: &mut LoopCtx<'_>, head: &RequestHead, response: Response) {
        let keep_alive =
            head.keep_alive() && !ctx.draining.load(Ordering::Relaxed) && !response.wants_close();
        let framing = ResponseFraming {
            keep_alive,
            http10: head.version() == Version::Http10,
            head: head.method() == Method::Head,
        };
        response.encode(&framing, ctx.clock.http_date(), &mut self.out);
        // Timed on the loop's clock (read once per batch of events): an
        // inline answer counts as taking no time, a deferred or pooled one
        // as long as it waited.
        METRICS.request(
            ctx.handler.route_index(head),
            response.status(),
            ctx.now.saturating_duration_since(self.request_started),
        );
        ctx.log.record(
            ctx.clock,
            self.peer,
            Some(head),
            response.status(),
            response.body().len(),
        );
        if keep_alive && !self.nodelay {
            // Only a connection that stays open writes again while earlier
            // data may be unacknowledged, which is when Nagle's algorithm
            // would hold a response back; a closing one is flushed by its
            // FIN. So the option is set on the first kept-alive response.
            let _ = self.stream.set_nodelay(true);
            self.nodelay = true;
        }
        // Linger unless the client itself asked to close and has sent
        // nothing more: bytes after such a request, or a close the client
        // did not ask for (shutdown, overload), mean it may still be
        // talking, and closing with unread input would reset the connection.
        let client_closes = !head.keep_alive();
        self.mode = if keep_alive {
            Mode::Serving
        } else {
            Mode::Closing {
                linger: !client_closes || self.start < self.filled,
            }
        };
        self.idle_since = ctx.now;
        self.head_started = None;
    }

    fn respond_error(&mut self, ctx: &mut LoopCtx<'_>, e: HttpError) {
        let response = responses::protocol_error(e);
        let framing = ResponseFraming {
            keep_alive: false,
            http10: false,
            head: self
                .decoder
                .is_head_request(&self.inbuf[self.start..self.filled]),
        };
        response.encode(&framing, ctx.clock.http_date(), &mut self.out);
        METRICS.request(usize::MAX, response.status(), Duration::ZERO);
        ctx.log.record(
            ctx.clock,
            self.peer,
            None,
            response.status(),
            response.body().len(),
        );
        self.mode = Mode::Closing { linger: true };
    }

    /// Writes pending output. `Ok(true)` when all of it is out.
    fn flush(&mut self, now: Instant) -> io::Result<bool> {
        while self.written < self.out.len() {
            match self.stream.write(&self.out[self.written..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.written += n;
                    self.last_write = now;
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

    /// Makes room in the input buffer (borrowing the loop's scratch buffer
    /// when the connection holds none) and returns how many bytes fit.
    fn read_room(&mut self, ctx: &mut LoopCtx<'_>) -> usize {
        if self.inbuf.is_empty() {
            std::mem::swap(&mut self.inbuf, ctx.scratch);
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
        self.inbuf.len() - self.filled
    }

    /// Reads once into the input buffer; the byte count, 0 at end of
    /// stream.
    fn read_more(&mut self, room: usize, now: Instant) -> io::Result<usize> {
        if room == 0 {
            // Cannot happen: the head parser refuses a head before it fills
            // MAX_INBUF, and bodies are drained into the decoder.
            return Err(io::ErrorKind::OutOfMemory.into());
        }
        let n = self.stream.read(&mut self.inbuf[self.filled..])?;
        self.filled += n;
        if n > 0 {
            self.last_read = now;
            self.head_started.get_or_insert(now);
        }
        Ok(n)
    }

    /// Gives the loop its scratch buffer back, keeping only undecoded bytes
    /// (copied into a buffer of the connection's own).
    fn return_scratch(&mut self, ctx: &mut LoopCtx<'_>) {
        if ctx.scratch.is_empty() {
            let pending = &self.inbuf[self.start..self.filled];
            let own = if pending.is_empty() {
                Vec::new()
            } else {
                let mut v = vec![0; pending.len().max(1024)];
                v[..pending.len()].copy_from_slice(pending);
                v
            };
            self.filled -= self.start;
            self.start = 0;
            *ctx.scratch = std::mem::replace(&mut self.inbuf, own);
        }
        if self.start == self.filled && self.inbuf.len() > READ_CHUNK {
            self.inbuf = Vec::new();
            self.start = 0;
            self.filled = 0;
        }
    }

    /// Reads and drops what the client still sends after our last response.
    fn linger(&mut self, ctx: &mut LoopCtx<'_>) -> Outcome {
        let Mode::Lingering { until, mut budget } = self.mode else {
            return Outcome::Close;
        };
        loop {
            if budget == 0 || ctx.now >= until {
                return Outcome::Close;
            }
            let buf: &mut [u8] = if ctx.scratch.is_empty() {
                &mut self.inbuf
            } else {
                ctx.scratch
            };
            if buf.is_empty() {
                return Outcome::Close;
            }
            match self.stream.read(buf) {
                Ok(0) => return Outcome::Close,
                Ok(n) => budget = budget.saturating_sub(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.mode = Mode::Lingering { until, budget };
                    return Outcome::Park { writable: false };
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Outcome::Close,
            }
        }
    }

    fn compute_deadline(&mut self, t: &Timeouts, now: Instant) -> Instant {
        match self.mode {
            Mode::Lingering { until, .. } => return until,
            Mode::Awaiting => return now + AWAITING_DEADLINE,
            _ => {}
        }
        if self.written < self.out.len() {
            return self.last_write + WRITE_TIMEOUT;
        }
        match self.decoder.phase(&self.inbuf[self.start..self.filled]) {
            Phase::Idle => {
                self.head_started = None;
                self.idle_since + t.idle
            }
            Phase::Head => *self.head_started.get_or_insert(now) + t.header,
            Phase::Body => self.last_read + t.body,
        }
    }
}

/// Writes a 503 with `Retry-After` to a connection the server cannot take,
/// without blocking (best effort: the bytes fit any socket buffer), and
/// shuts it down.
pub fn refuse_overloaded(stream: &TcpStream, clock: &mut Clock, log: &mut AccessLog) {
    let response = responses::overloaded();
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
        log.record(clock, peer.ip(), None, 503, response.body().len());
    }
}
