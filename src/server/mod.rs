//! The only code that touches a socket: the listener, the readiness poller
//! (epoll), the thread pool and the connection state machine.
//!
//! One poller thread owns the epoll instance's waiting side. It accepts new
//! connections and, when a parked connection becomes ready (or its deadline
//! passes), moves it into a bounded work queue. Worker threads take ready
//! connections, run one non-blocking turn of each (read, decode, handle,
//! write) and park them again with a one-shot epoll registration. An idle
//! keep-alive connection therefore costs a registry slot and a socket, not a
//! thread. When the queue is full, the connection gets 503 with
//! `Retry-After` and is closed rather than waiting without bound.

pub mod clock;
pub mod conn;
mod log;
pub mod pool;
pub mod registry;
mod sys;

use std::io;
use std::net::TcpListener;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::http::{Request, Response};
use crate::limits::{QUEUE_MAX_WAIT, SHUTDOWN_GRACE, WORK_QUEUE_PER_WORKER};
use clock::Clock;
use conn::{refuse_overloaded, Conn, Outcome, Wake, Worker, READ_CHUNK};
use pool::WorkQueue;
use registry::{Registry, Token};
use sys::{EpollEvent, EPOLLIN, EPOLLONESHOT, EPOLLRDHUP};

/// What the server calls for every complete request. Implementations must
/// not block on the network; they may take locks briefly and hash passwords.
pub trait Handler: Send + Sync {
    fn handle(&self, request: &Request) -> Response;
}

/// The three connection timeouts (see `limits` for their defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From a request's first byte to the end of its header section.
    pub header: Duration,
    /// Longest pause while a body is arriving.
    pub body: Duration,
    /// Longest wait for the next request on a kept-alive connection.
    pub idle: Duration,
}

/// How the server runs: workers, timeouts, connection cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerOptions {
    pub threads: usize,
    pub timeouts: Timeouts,
    pub max_connections: usize,
}

/// Poller token of the listening socket.
const LISTENER: Token = u64::MAX;
/// How often the poller wakes to check deadlines and the stop flag.
const TICK: Duration = Duration::from_millis(100);
/// Events taken from epoll per wait.
const EVENTS_PER_WAIT: usize = 1024;

struct Job {
    token: Token,
    conn: Box<Conn>,
    wake: Wake,
    queued: Instant,
}

struct Shared {
    epoll: OwnedFd,
    registry: Registry,
    queue: WorkQueue<Job>,
    handler: Arc<dyn Handler>,
    timeouts: Timeouts,
    max_connections: usize,
    draining: AtomicBool,
}

/// Installs the SIGINT/SIGTERM handlers that end [`serve`].
pub fn install_signal_handlers() {
    sys::install_signal_handlers();
}

/// Serves `listener` until SIGINT or SIGTERM, then stops accepting, lets
/// requests in flight finish (at most [`SHUTDOWN_GRACE`]) and returns.
pub fn serve(
    listener: TcpListener,
    handler: Arc<dyn Handler>,
    options: ServerOptions,
) -> io::Result<()> {
    let threads = options.threads.max(1);
    listener.set_nonblocking(true)?;
    sys::set_backlog(listener.as_raw_fd(), 4096)?;
    let epoll = sys::epoll_new()?;
    sys::epoll_add(&epoll, listener.as_raw_fd(), EPOLLIN, LISTENER)?;
    let shared = Arc::new(Shared {
        epoll,
        registry: Registry::new(),
        queue: WorkQueue::new(WORK_QUEUE_PER_WORKER * threads),
        handler,
        timeouts: options.timeouts,
        max_connections: options.max_connections,
        draining: AtomicBool::new(false),
    });
    let workers: Vec<_> = (0..threads)
        .map(|i| {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || work(&shared))
        })
        .collect::<io::Result<_>>()?;

    let mut poller = Poller {
        shared: &shared,
        clock: Clock::new(),
        listener: Some(listener),
    };
    let result = poller.run();
    shared.queue.close();
    for w in workers {
        let _ = w.join();
    }
    result
}

fn work(shared: &Shared) {
    let mut scratch = vec![0u8; READ_CHUNK];
    let mut clock = Clock::new();
    while let Some(Job {
        token,
        mut conn,
        wake,
        queued,
    }) = shared.queue.pop()
    {
        if queued.elapsed() > QUEUE_MAX_WAIT {
            refuse_overloaded(conn.stream(), &mut clock);
            shared.registry.remove(token);
            continue;
        }
        let mut w = Worker {
            handler: &*shared.handler,
            timeouts: &shared.timeouts,
            draining: &shared.draining,
            scratch: &mut scratch,
            clock: &mut clock,
        };
        match conn.run(&mut w, wake) {
            Outcome::Park(events) => {
                let parked = shared.registry.park(token, conn, |c| {
                    sys::epoll_modify(&shared.epoll, c.stream().as_raw_fd(), events, token)
                });
                drop(parked);
            }
            Outcome::Close => {
                shared.registry.remove(token);
                drop(conn);
            }
        }
    }
}

struct Poller<'a> {
    shared: &'a Shared,
    clock: Clock,
    listener: Option<TcpListener>,
}

impl Poller<'_> {
    fn run(&mut self) -> io::Result<()> {
        let mut events = vec![EpollEvent::ZERO; EVENTS_PER_WAIT];
        let mut next_sweep = Instant::now() + TICK;
        let mut stop_by: Option<Instant> = None;
        loop {
            let n = sys::epoll_wait_into(&self.shared.epoll, &mut events, TICK.as_millis() as i32)?;
            for ev in &events[..n] {
                if ev.token() == LISTENER {
                    self.accept_all();
                } else if let Some(conn) = self.shared.registry.take(ev.token()) {
                    self.dispatch(ev.token(), conn, Wake::Ready);
                }
            }
            let now = Instant::now();
            if now >= next_sweep {
                next_sweep = now + TICK;
                for (token, conn) in self.shared.registry.take_expired(now) {
                    self.dispatch(token, conn, Wake::Timeout);
                }
            }
            if stop_by.is_none() && sys::stop_requested() {
                stop_by = Some(now + SHUTDOWN_GRACE);
                self.begin_drain();
            }
            if let Some(deadline) = stop_by {
                // Idle connections close at once; busy ones are closed by
                // their worker after the response in flight.
                for (token, conn) in self.shared.registry.take_where(|c| c.is_idle()) {
                    self.shared.registry.remove(token);
                    drop(conn);
                }
                if self.shared.registry.open() == 0 || now >= deadline {
                    return Ok(());
                }
            }
        }
    }

    fn begin_drain(&mut self) {
        self.shared.draining.store(true, Ordering::SeqCst);
        if let Some(listener) = self.listener.take() {
            let _ = sys::epoll_delete(&self.shared.epoll, listener.as_raw_fd());
            drop(listener);
        }
        eprintln!("stopping: no new connections; finishing requests in flight");
    }

    fn dispatch(&mut self, token: Token, conn: Box<Conn>, wake: Wake) {
        let job = Job {
            token,
            conn,
            wake,
            queued: Instant::now(),
        };
        if let Err(job) = self.shared.queue.try_push(job) {
            refuse_overloaded(job.conn.stream(), &mut self.clock);
            self.shared.registry.remove(job.token);
        }
    }

    fn accept_all(&mut self) {
        let Some(listener) = &self.listener else {
            return;
        };
        loop {
            let (stream, peer) = match listener.accept() {
                Ok(pair) => pair,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept:
                    // try again on the next readiness report.
                    eprintln!("accept: {e}");
                    return;
                }
            };
            if self.shared.registry.open() >= self.shared.max_connections {
                refuse_overloaded(&stream, &mut self.clock);
                continue;
            }
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            let _ = stream.set_nodelay(true);
            let token = self.shared.registry.insert_busy();
            let conn = Box::new(Conn::new(
                stream,
                peer.ip(),
                Instant::now(),
                &self.shared.timeouts,
            ));
            let epoll = &self.shared.epoll;
            let registered = self.shared.registry.park(token, conn, |c| {
                sys::epoll_add(
                    epoll,
                    c.stream().as_raw_fd(),
                    EPOLLIN | EPOLLRDHUP | EPOLLONESHOT,
                    token,
                )
            });
            drop(registered);
        }
    }
}
