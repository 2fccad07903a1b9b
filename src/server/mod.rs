//! The only code that touches a socket: the listener, the event loops
//! (epoll), the worker pool and the connection state machine.
//!
//! One event loop per CPU owns its connections from accept to close: it
//! reads, decodes, answers fast requests inline and writes, with no lock and
//! no thread hand-off on the way. Requests that block (the [`Handler`] says
//! which: password hashing, waiting for fsync) go to a bounded queue served
//! by a pool of worker threads; a full queue or a long wait answers 503 with
//! `Retry-After` rather than queueing without bound. An idle keep-alive
//! connection is a slab entry and a socket in epoll, not a thread.

pub mod clock;
pub mod conn;
mod event_loop;
mod log;
mod metrics_listener;
pub mod pool;
mod responses;
pub mod slab;
mod sys;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::http::{Request, RequestHead, Response};
use crate::limits::WORK_QUEUE_PER_WORKER;
use event_loop::{EventLoop, Shared};
pub use metrics_listener::{serve_metrics, Render};
use pool::WorkQueue;

/// A response now, or one that another thread will give later.
pub enum Reply {
    Now(Response),
    /// The handler has started work that ends elsewhere (a journal write
    /// waiting for its fsync). The server calls the function with a
    /// [`Respond`] that must be called exactly once with the response; until
    /// then the connection reads nothing more, so responses stay in order.
    Later(Box<dyn FnOnce(Respond) + Send>),
}

/// Delivers a deferred response to the connection's event loop.
pub type Respond = Box<dyn FnOnce(Response) + Send>;

/// What the server calls for every complete request.
pub trait Handler: Send + Sync {
    fn handle(&self, request: &Request) -> Response;

    /// Like [`Handler::handle`], but may defer the response instead of
    /// blocking for it. The event loops call this one.
    fn reply(&self, request: &Request) -> Reply {
        Reply::Now(self.handle(request))
    }

    /// Whether answering this request may take long (hashing a password,
    /// waiting for the disk). Such requests run on the worker pool so the
    /// event loops stay free; all others are answered inline.
    fn blocks(&self, _head: &RequestHead) -> bool {
        false
    }

    /// Which route `head` is, as an index into [`Handler::route_names`],
    /// for the metrics; anything past the names counts as "other".
    fn route_index(&self, _head: &RequestHead) -> usize {
        usize::MAX
    }

    /// The names of the routes [`Handler::route_index`] counts.
    fn route_names(&self) -> &[&'static str] {
        &[]
    }
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

/// How the server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerOptions {
    /// Worker threads for blocking requests.
    pub threads: usize,
    /// Event loops (one per CPU is right).
    pub event_loops: usize,
    pub timeouts: Timeouts,
    pub max_connections: usize,
}

/// How often the main thread looks for the stop signal.
const STOP_POLL: Duration = Duration::from_millis(50);

/// Installs the SIGINT/SIGTERM handlers that end [`serve`].
pub fn install_signal_handlers() {
    sys::install_signal_handlers();
}

/// Pieces of background work running now (see [`background_started`]).
static BACKGROUND_RUNNING: AtomicUsize = AtomicUsize::new(0);

/// A piece of background work that must not delay requests starts on the
/// calling thread: it goes to the lowest scheduling priority
/// (`SCHED_IDLE`, nice 19; a failure is said once on stderr and otherwise
/// ignored), and until [`background_ended`] the event loops poll for
/// [`crate::limits::BACKGROUND_POLL`] before they sleep. A loop that sleeps
/// hands its CPU to that work, and taking it back costs a reschedule
/// interrupt, far dearer on a virtual CPU than on bare metal (measured:
/// `benches/README.md`, "Compaction pauses").
pub fn background_started() {
    said_once(sys::lowest_thread_priority());
    BACKGROUND_RUNNING.fetch_add(1, Ordering::Relaxed);
}

/// The piece of background work of [`background_started`] is over.
pub fn background_ended() {
    BACKGROUND_RUNNING.fetch_sub(1, Ordering::Relaxed);
}

/// Whether background work is running now.
pub(crate) fn background_running() -> bool {
    BACKGROUND_RUNNING.load(Ordering::Relaxed) > 0
}

/// Puts the calling thread at a low priority that is never starved
/// (`SCHED_OTHER`, nice 19): for background work that has waited long
/// enough at the lowest.
pub fn low_thread_priority() {
    said_once(sys::low_thread_priority());
}

fn said_once(result: std::io::Result<()>) {
    if let Err(e) = result {
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| eprintln!("background threads keep normal priority: {e}"));
    }
}

/// Serves `listener` until SIGINT or SIGTERM, then refuses new connections,
/// lets requests in flight finish (at most `SHUTDOWN_GRACE`) and returns.
pub fn serve(
    listener: TcpListener,
    handler: Arc<dyn Handler>,
    options: ServerOptions,
) -> io::Result<()> {
    let threads = options.threads.max(1);
    let queue = Arc::new(WorkQueue::new(WORK_QUEUE_PER_WORKER * threads));
    let workers = pool::spawn_workers(threads, &queue, &handler)?;
    let shared = Arc::new(Shared {
        listener,
        handler,
        queue: Arc::clone(&queue),
        timeouts: options.timeouts,
        max_connections: options.max_connections,
        open: AtomicUsize::new(0),
        draining: AtomicBool::new(false),
    });
    let (log_sink, log_writer) = log::start_writer()?;
    let mut loops = Vec::new();
    for i in 0..options.event_loops.max(1) {
        let event_loop = EventLoop::new(Arc::clone(&shared), log_sink.clone())?;
        loops.push(
            thread::Builder::new()
                .name(format!("loop-{i}"))
                .spawn(move || event_loop.run())?,
        );
    }

    while !sys::stop_requested() && !loops.iter().any(|l| l.is_finished()) {
        thread::sleep(STOP_POLL);
    }
    shared.draining.store(true, Ordering::SeqCst);
    sys::shutdown_listener(shared.listener.as_raw_fd());
    eprintln!("stopping: no new connections; finishing requests in flight");
    let mut result = Ok(());
    for l in loops {
        match l.join() {
            Ok(Err(e)) => result = Err(e),
            Err(_) => result = Err(io::Error::other("an event loop panicked")),
            Ok(Ok(())) => {}
        }
    }
    queue.close();
    for w in workers {
        let _ = w.join();
    }
    // The loops' log buffers are flushed and their senders gone: the
    // writer ends once it has written everything.
    drop(log_sink);
    let _ = log_writer.join();
    result
}

/// Binds a listening socket ready for [`serve`]: non-blocking, with a
/// backlog of [`LISTEN_BACKLOG`] (std's `bind` uses 128, which drops SYNs in
/// a burst of new connections). Done before the `listening on` line, so that
/// line means connections are queued, not refused or dropped.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    sys::set_backlog(listener.as_raw_fd(), LISTEN_BACKLOG)?;
    sys::set_defer_accept(listener.as_raw_fd(), DEFER_ACCEPT_SECS)?;
    Ok(listener)
}

/// Pending connections the kernel queues before we accept them.
pub const LISTEN_BACKLOG: i32 = 4096;
/// `TCP_DEFER_ACCEPT`: a connection is accepted once its request has begun
/// to arrive, so the turn right after `accept` reads it instead of finding
/// nothing and registering with epoll first; a client that sends nothing is
/// accepted after about this long and then meets the idle timeout.
pub const DEFER_ACCEPT_SECS: i32 = 1;

/// Descriptors kept free of connections for everything else the process
/// opens (standard streams, listener, epolls, eventfds, journal, random
/// source, a connection being refused): an eighth of the limit, 16 to 64.
fn reserved_descriptors(limit: usize) -> usize {
    (limit / 8).clamp(16, 64)
}

/// How many connections the open-file limit leaves room for, if it can be
/// read (the soft `Max open files` of `/proc/self/limits`). Beyond it
/// `accept` would fail and clients would wait unanswered; capping
/// `--max-connections` there makes them get 503 instead.
pub fn connection_budget() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft: usize = line.split_whitespace().nth(3)?.parse().ok()?;
    Some(soft.saturating_sub(reserved_descriptors(soft)).max(1))
}
