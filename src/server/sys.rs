//! The few Linux calls std does not expose: epoll, `listen` with a larger
//! backlog, and a signal handler for SIGINT/SIGTERM. This is the only module
//! with `unsafe`; each block says why it is sound. The functions are those
//! of the C library that std already links, declared here by hand.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

#[allow(non_camel_case_types)]
type c_int = i32;

const EPOLL_CLOEXEC: c_int = 0o2_000_000;
const EPOLL_CTL_ADD: c_int = 1;
const EPOLL_CTL_DEL: c_int = 2;
const EPOLL_CTL_MOD: c_int = 3;
pub const EPOLLIN: u32 = 0x001;
pub const EPOLLOUT: u32 = 0x004;
pub const EPOLLERR: u32 = 0x008;
pub const EPOLLHUP: u32 = 0x010;
pub const EPOLLRDHUP: u32 = 0x2000;
pub const EPOLLET: u32 = 1 << 31;
/// Wake only one of the epoll instances waiting on the same descriptor
/// (Linux 4.5): each event loop registers the listener with it.
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
const EFD_CLOEXEC: c_int = 0o2_000_000;
const EFD_NONBLOCK: c_int = 0o4_000;

const SIGINT: c_int = 2;
const SIGTERM: c_int = 15;
const SIGPIPE: c_int = 13;
/// `SIG_IGN` as the C library spells it: the handler value 1.
const SIG_IGN: usize = 1;

/// `struct epoll_event`: packed on x86_64 (the kernel ABI), natural layout
/// elsewhere.
#[cfg_attr(target_arch = "x86_64", repr(C, packed))]
#[cfg_attr(not(target_arch = "x86_64"), repr(C))]
#[derive(Clone, Copy)]
pub struct EpollEvent {
    events: u32,
    data: u64,
}

impl EpollEvent {
    pub const ZERO: EpollEvent = EpollEvent { events: 0, data: 0 };

    pub fn events(&self) -> u32 {
        self.events
    }

    pub fn token(&self) -> u64 {
        self.data
    }
}

extern "C" {
    fn epoll_create1(flags: c_int) -> c_int;
    fn epoll_ctl(epfd: c_int, op: c_int, fd: c_int, event: *mut EpollEvent) -> c_int;
    fn epoll_wait(epfd: c_int, events: *mut EpollEvent, maxevents: c_int, timeout: c_int) -> c_int;
    fn listen(fd: c_int, backlog: c_int) -> c_int;
    fn eventfd(initval: u32, flags: c_int) -> c_int;
    fn shutdown(fd: c_int, how: c_int) -> c_int;
    fn accept4(fd: c_int, addr: *mut SockaddrStorage, len: *mut u32, flags: c_int) -> c_int;
    fn signal(signum: c_int, handler: usize) -> usize;
    fn setsockopt(fd: c_int, level: c_int, name: c_int, value: *const c_int, len: u32) -> c_int;
    fn setpriority(which: c_int, who: u32, prio: c_int) -> c_int;
    fn sched_setscheduler(pid: c_int, policy: c_int, param: *const SchedParam) -> c_int;
}

fn check(ret: c_int) -> io::Result<c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// A new epoll instance.
pub fn epoll_new() -> io::Result<OwnedFd> {
    // SAFETY: epoll_create1 takes no pointers; a non-negative result is a
    // fresh descriptor that nothing else owns, so OwnedFd may take it.
    let fd = check(unsafe { epoll_create1(EPOLL_CLOEXEC) })?;
    // SAFETY: see above: `fd` is open and owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn ctl(epoll: &OwnedFd, op: c_int, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
    let mut ev = EpollEvent {
        events,
        data: token,
    };
    // SAFETY: `ev` is a valid, initialised epoll_event that lives across the
    // call; the kernel only reads it. Bad descriptors are reported as errors.
    check(unsafe { epoll_ctl(epoll.as_raw_fd(), op, fd, &mut ev) })?;
    Ok(())
}

pub fn epoll_add(epoll: &OwnedFd, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
    ctl(epoll, EPOLL_CTL_ADD, fd, events, token)
}

pub fn epoll_modify(epoll: &OwnedFd, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
    ctl(epoll, EPOLL_CTL_MOD, fd, events, token)
}

pub fn epoll_delete(epoll: &OwnedFd, fd: RawFd) -> io::Result<()> {
    ctl(epoll, EPOLL_CTL_DEL, fd, 0, 0)
}

/// Waits up to `timeout_ms` for events; fills the front of `events` and
/// returns how many. An interrupted wait returns 0.
pub fn epoll_wait_into(
    epoll: &OwnedFd,
    events: &mut [EpollEvent],
    timeout_ms: i32,
) -> io::Result<usize> {
    let max = c_int::try_from(events.len()).unwrap_or(c_int::MAX);
    // SAFETY: the pointer and length describe `events`, a live mutable
    // slice of plain-old-data structs; the kernel writes at most `max` of
    // them.
    let n = unsafe { epoll_wait(epoll.as_raw_fd(), events.as_mut_ptr(), max, timeout_ms) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(0)
        } else {
            Err(e)
        };
    }
    Ok(n as usize)
}

/// A non-blocking eventfd: a counter other threads write to wake an epoll
/// loop. Reading or writing its 8 bytes goes through std's `File`.
pub fn eventfd_new() -> io::Result<OwnedFd> {
    // SAFETY: eventfd takes no pointers; a non-negative result is a fresh
    // descriptor owned by no one else.
    let fd = check(unsafe { eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) })?;
    // SAFETY: see above.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `struct sockaddr_storage`: room for any socket address.
#[repr(C, align(8))]
struct SockaddrStorage {
    bytes: [u8; 128],
}

const SOCK_NONBLOCK: c_int = 0o4_000;
const SOCK_CLOEXEC: c_int = 0o2_000_000;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// Accepts a connection that is already non-blocking (`accept4` with
/// `SOCK_NONBLOCK`: one system call where std's `accept` then
/// `set_nonblocking` take two), with the peer's address.
pub fn accept_nonblocking(listener: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
    let mut addr = SockaddrStorage { bytes: [0; 128] };
    let mut len = addr.bytes.len() as u32;
    // SAFETY: `addr` and `len` are live, writable locals and `len` holds the
    // size of `addr`, so the kernel writes at most that many bytes into it.
    let fd = check(unsafe {
        accept4(
            listener.as_raw_fd(),
            &mut addr,
            &mut len,
            SOCK_NONBLOCK | SOCK_CLOEXEC,
        )
    })?;
    // SAFETY: a non-negative result is a new descriptor for a connected TCP
    // socket that nothing else owns.
    let stream = unsafe { TcpStream::from_raw_fd(fd) };
    let b = &addr.bytes;
    let port = u16::from_be_bytes([b[2], b[3]]);
    let peer = match u16::from_ne_bytes([b[0], b[1]]) {
        AF_INET => SocketAddr::new(IpAddr::V4(Ipv4Addr::new(b[4], b[5], b[6], b[7])), port),
        AF_INET6 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&b[8..24]);
            SocketAddr::new(IpAddr::V6(Ipv6Addr::from(octets)), port)
        }
        _ => stream.peer_addr()?,
    };
    Ok((stream, peer))
}

/// Sets `TCP_DEFER_ACCEPT` on a listening socket: the kernel hands a
/// connection to `accept` only once its first data has arrived (or, for a
/// client that sends nothing, after about `seconds`), so the request is
/// there to read when the connection is accepted.
pub fn set_defer_accept(fd: RawFd, seconds: c_int) -> io::Result<()> {
    const IPPROTO_TCP: c_int = 6;
    const TCP_DEFER_ACCEPT: c_int = 9;
    // SAFETY: `value` points to a live c_int for the duration of the call
    // and `len` is its size; an invalid descriptor is only an error.
    check(unsafe {
        setsockopt(
            fd,
            IPPROTO_TCP,
            TCP_DEFER_ACCEPT,
            &seconds,
            std::mem::size_of::<c_int>() as u32,
        )
    })?;
    Ok(())
}

/// Re-issues `listen` on a bound, listening socket to raise its backlog
/// (std uses a small fixed one).
pub fn set_backlog(fd: RawFd, backlog: i32) -> io::Result<()> {
    // SAFETY: listen takes no pointers; an invalid descriptor is an error.
    check(unsafe { listen(fd, backlog) })?;
    Ok(())
}

/// Stops a listening socket from accepting: new connection attempts are
/// refused from then on, and pending ones reset (Linux moves the socket out
/// of the LISTEN state). std's `TcpListener` has no such call.
pub fn shutdown_listener(fd: RawFd) {
    const SHUT_RDWR: c_int = 2;
    // SAFETY: shutdown takes no pointers; an invalid descriptor is only an
    // error, which is ignored (the socket is going away either way).
    unsafe {
        shutdown(fd, SHUT_RDWR);
    }
}

static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_signum: c_int) {
    // Only an atomic store: async-signal-safe.
    STOP_REQUESTED.store(true, Ordering::SeqCst);
}

/// Installs the SIGINT/SIGTERM handler that [`stop_requested`] reads, and
/// ignores SIGPIPE (a write to a closed socket is then an `EPIPE` error).
pub fn install_signal_handlers() {
    let handler = on_stop_signal as extern "C" fn(c_int) as usize;
    // SAFETY: `handler` is an `extern "C" fn(c_int)` that only performs an
    // atomic store, which is async-signal-safe; SIG_IGN is a valid
    // disposition. glibc's `signal` installs with SA_RESTART.
    unsafe {
        signal(SIGINT, handler);
        signal(SIGTERM, handler);
        signal(SIGPIPE, SIG_IGN);
    }
}

/// `PRIO_PROCESS`: with `who` 0, Linux applies a nice value to the calling
/// thread only (under NPTL the nice value is per thread).
const PRIO_PROCESS: c_int = 0;
/// The lowest nice value.
const NICE_LOWEST: c_int = 19;
/// `SCHED_IDLE` (Linux 2.6.23): the smallest share of a busy CPU, and a
/// waking thread of any other policy preempts it at once (a nice-19 thread
/// may first finish its time slice, about a millisecond or two).
const SCHED_IDLE: c_int = 5;
/// `SCHED_OTHER`, the default policy.
const SCHED_OTHER: c_int = 0;

/// `struct sched_param`.
#[repr(C)]
struct SchedParam {
    sched_priority: c_int,
}

/// Puts the calling thread at the lowest priority: nice 19, then
/// `SCHED_IDLE`. Background work (a compaction) then runs in the time the
/// request threads leave.
pub fn lowest_thread_priority() -> io::Result<()> {
    low_thread_priority()?;
    set_policy(SCHED_IDLE)
}

/// Puts the calling thread at nice 19 under `SCHED_OTHER`: low, but given
/// a small share of a CPU that is never idle. (Leaving `SCHED_IDLE` for
/// `SCHED_OTHER` needs no privilege since Linux 2.6.39 at nice 19.)
pub fn low_thread_priority() -> io::Result<()> {
    // SAFETY: setpriority takes plain integers and touches no memory of
    // ours.
    check(unsafe { setpriority(PRIO_PROCESS, 0, NICE_LOWEST) })?;
    set_policy(SCHED_OTHER)
}

fn set_policy(policy: c_int) -> io::Result<()> {
    let param = SchedParam { sched_priority: 0 };
    // SAFETY: `param` is a valid `struct sched_param` that outlives the
    // call, which only reads it; pid 0 is the calling thread.
    check(unsafe { sched_setscheduler(0, policy, &param) }).map(|_| ())
}

/// Whether SIGINT or SIGTERM has arrived.
pub fn stop_requested() -> bool {
    STOP_REQUESTED.load(Ordering::SeqCst)
}
