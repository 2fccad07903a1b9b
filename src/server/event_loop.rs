//! One event loop: an epoll instance, the connections it owns, and the
//! thread that runs them. There is one loop per CPU; each registers the
//! shared listener with `EPOLLEXCLUSIVE`, so the kernel wakes one loop per
//! incoming connection and that loop owns the connection for its lifetime.
//!
//! A loop answers fast requests inline and hands blocking ones (password
//! hashing, waiting for fsync) to the worker pool; the worker's answer comes
//! back through the loop's mailbox. Idle connections sit in epoll
//! (registered once, edge-triggered) and cost no thread.

use crate::metrics::METRICS;
use std::io;
use std::net::TcpListener;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::clock::Clock;
use super::conn::{refuse_overloaded, Conn, LoopCtx, Offload, Outcome, Wake, READ_CHUNK};
use super::log::AccessLog;
use super::pool::{Job, Mailbox, WorkQueue};
use super::slab::{Slab, Token};
use super::sys::{
    self, EpollEvent, EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP,
};
use super::{Handler, Timeouts};
use crate::limits::{BACKGROUND_POLL, SHUTDOWN_GRACE};

/// Tokens of the loop's own descriptors (connection tokens stay far below).
const LISTENER: Token = u64::MAX;
const MAILBOX: Token = u64::MAX - 1;
/// How often the loop checks deadlines and the stop flag.
const TICK: Duration = Duration::from_millis(100);
/// Events taken from epoll per wait.
const EVENTS_PER_WAIT: usize = 256;

/// What every loop shares with the others and with the pool.
pub struct Shared {
    pub listener: TcpListener,
    pub handler: Arc<dyn Handler>,
    pub queue: Arc<WorkQueue<Job>>,
    pub timeouts: Timeouts,
    pub max_connections: usize,
    /// Connections open across all loops.
    pub open: AtomicUsize,
    /// Set by the stop signal: no new connections, finish what is in flight.
    pub draining: AtomicBool,
}

/// A connection and whether epoll knows it yet.
struct Entry {
    conn: Conn,
    in_epoll: bool,
    /// Registered for `EPOLLOUT` too.
    wants_out: bool,
}

pub struct EventLoop {
    shared: Arc<Shared>,
    epoll: OwnedFd,
    mailbox: Arc<Mailbox>,
    conns: Slab<Entry>,
    scratch: Vec<u8>,
    clock: Clock,
    log: AccessLog,
    listening: bool,
    /// Accepting failed (out of descriptors): resume at the next tick.
    accept_paused: bool,
    /// Connections to run again at once (they yielded with input waiting).
    again: Vec<Token>,
    /// The time of the current batch of events.
    now: Instant,
}

impl EventLoop {
    pub fn new(shared: Arc<Shared>, log_sink: SyncSender<String>) -> io::Result<EventLoop> {
        let epoll = sys::epoll_new()?;
        let mailbox = Arc::new(Mailbox::new()?);
        sys::epoll_add(
            &epoll,
            shared.listener.as_raw_fd(),
            EPOLLIN | EPOLLEXCLUSIVE,
            LISTENER,
        )?;
        sys::epoll_add(&epoll, mailbox.fd(), EPOLLIN, MAILBOX)?;
        Ok(EventLoop {
            shared,
            epoll,
            mailbox,
            conns: Slab::new(),
            scratch: vec![0; READ_CHUNK],
            clock: Clock::new(),
            log: AccessLog::new(log_sink),
            listening: true,
            accept_paused: false,
            again: Vec::new(),
            now: Instant::now(),
        })
    }

    /// Runs until the server stops and this loop's connections are done
    /// (or the shutdown grace has passed).
    pub fn run(mut self) -> io::Result<()> {
        crate::no_wait::forbid_waits_on_this_thread();
        let mut events = vec![EpollEvent::ZERO; EVENTS_PER_WAIT];
        let mut next_tick = Instant::now() + TICK;
        let mut stop_by: Option<Instant> = None;
        // Whether the last wait found events (see `poll_briefly`).
        let mut busy = false;
        loop {
            // Connections that yielded mid-input run again without waiting.
            let timeout = if self.again.is_empty() {
                (next_tick
                    .saturating_duration_since(Instant::now())
                    .as_millis() as i32)
                    .max(1)
            } else {
                0
            };
            let mut n = 0;
            if timeout > 0 && busy && super::background_running() {
                n = self.poll_briefly(&mut events)?;
            }
            if n == 0 {
                n = sys::epoll_wait_into(&self.epoll, &mut events, timeout)?;
            }
            busy = n > 0;
            self.now = Instant::now();
            self.clock.refresh();
            for token in std::mem::take(&mut self.again) {
                self.run_conn(token, Wake::Ready { hangup: false });
            }
            for ev in &events[..n] {
                match ev.token() {
                    LISTENER => self.accept_all(),
                    MAILBOX => {
                        for c in self.mailbox.take() {
                            let token = c.token;
                            self.run_conn(token, Wake::Completed(c));
                        }
                    }
                    token => {
                        let hangup = ev.events() & (EPOLLRDHUP | EPOLLHUP | EPOLLERR) != 0;
                        self.run_conn(token, Wake::Ready { hangup });
                    }
                }
            }
            let now = self.now;
            if now < next_tick {
                continue;
            }
            next_tick = now + TICK;
            // Log lines go to the writer thread once per tick (or per 64 KiB):
            // waking it for every batch of events cost two context switches
            // per batch.
            self.log.flush();
            for token in self.conns.tokens_where(|e| e.conn.deadline() <= now) {
                self.run_conn(token, Wake::Timeout);
            }
            if self.accept_paused && !self.shared.draining.load(Ordering::SeqCst) {
                self.accept_paused = false;
                self.start_listening();
            }
            if stop_by.is_none() && self.shared.draining.load(Ordering::SeqCst) {
                stop_by = Some(now + SHUTDOWN_GRACE);
                self.stop_listening();
            }
            if let Some(deadline) = stop_by {
                // Idle connections close at once; busy ones close after the
                // response in flight (responses now say `Connection: close`).
                for token in self.conns.tokens_where(|e| e.conn.is_idle()) {
                    self.close(token);
                }
                if self.conns.is_empty() || now >= deadline {
                    self.log.flush();
                    return Ok(());
                }
            }
        }
    }

    /// Waits for events without sleeping, for at most `BACKGROUND_POLL`:
    /// while background work runs, sleeping would hand the CPU to it.
    fn poll_briefly(&self, events: &mut [EpollEvent]) -> io::Result<usize> {
        let until = Instant::now() + BACKGROUND_POLL;
        loop {
            let n = sys::epoll_wait_into(&self.epoll, events, 0)?;
            if n > 0 || Instant::now() >= until {
                return Ok(n);
            }
            std::hint::spin_loop();
        }
    }

    fn run_conn(&mut self, token: Token, wake: Wake) {
        let Some(Entry {
            conn,
            in_epoll,
            wants_out,
        }) = self.conns.get_mut(token)
        else {
            return; // stale: the connection closed since
        };
        let mut ctx = LoopCtx {
            handler: &*self.shared.handler,
            offload: Offload {
                queue: &self.shared.queue,
                mailbox: &self.mailbox,
            },
            timeouts: &self.shared.timeouts,
            draining: &self.shared.draining,
            scratch: &mut self.scratch,
            clock: &mut self.clock,
            log: &mut self.log,
            token,
            now: self.now,
        };
        match conn.run(&mut ctx, wake) {
            outcome @ (Outcome::Park { .. } | Outcome::Yield) => {
                // Registered once, edge-triggered; EPOLLOUT is added the
                // first time a write blocks and kept from then on.
                let writable = matches!(outcome, Outcome::Park { writable: true });
                let fd = conn.stream().as_raw_fd();
                let events = EPOLLIN
                    | EPOLLRDHUP
                    | EPOLLET
                    | if writable || *wants_out { EPOLLOUT } else { 0 };
                let armed = if !*in_epoll {
                    sys::epoll_add(&self.epoll, fd, events, token)
                } else if writable && !*wants_out {
                    sys::epoll_modify(&self.epoll, fd, events, token)
                } else {
                    Ok(())
                };
                *in_epoll = true;
                *wants_out |= writable;
                if armed.is_err() {
                    self.close(token);
                } else if outcome == Outcome::Yield {
                    self.again.push(token);
                }
            }
            Outcome::Await => {}
            Outcome::Close => self.close(token),
        }
    }

    fn start_listening(&mut self) {
        if !self.listening {
            let fd = self.shared.listener.as_raw_fd();
            self.listening =
                sys::epoll_add(&self.epoll, fd, EPOLLIN | EPOLLEXCLUSIVE, LISTENER).is_ok();
        }
    }

    fn stop_listening(&mut self) {
        if self.listening {
            let _ = sys::epoll_delete(&self.epoll, self.shared.listener.as_raw_fd());
            self.listening = false;
        }
    }

    fn close(&mut self, token: Token) {
        if self.conns.remove(token).is_some() {
            // Dropping the stream closes it, which also removes it from epoll.
            self.shared.open.fetch_sub(1, Ordering::Relaxed);
            METRICS.connection_closed();
        }
    }

    fn accept_all(&mut self) {
        loop {
            let (stream, peer) = match sys::accept_nonblocking(&self.shared.listener) {
                Ok(pair) => pair,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) if self.shared.draining.load(Ordering::SeqCst) => {
                    // The listener was shut down for the stop.
                    self.stop_listening();
                    return;
                }
                Err(e) => {
                    // Out of descriptors (or another failure): stop
                    // watching the listener until the next tick, so the
                    // level-triggered listener does not spin the loop; the
                    // clients wait in the backlog meanwhile.
                    eprintln!("accept: {e}; pausing accepts for {} ms", TICK.as_millis());
                    self.stop_listening();
                    self.accept_paused = true;
                    return;
                }
            };
            if self.shared.open.load(Ordering::Relaxed) >= self.shared.max_connections {
                refuse_overloaded(&stream, &mut self.clock, &mut self.log);
                continue;
            }
            let conn = Conn::new(stream, peer.ip(), self.now, &self.shared.timeouts);
            let token = self.conns.insert(Entry {
                conn,
                in_epoll: false,
                wants_out: false,
            });
            self.shared.open.fetch_add(1, Ordering::Relaxed);
            METRICS.connection_opened();
            // The request often arrives with the connection: serve it now
            // rather than after a trip through epoll.
            self.run_conn(token, Wake::Ready { hangup: false });
        }
    }
}
