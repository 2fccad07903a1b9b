//! Threads that must never wait, and the check that they do not.
//!
//! An event loop owns hundreds of connections: one call there that waits on
//! Redis or on an fsync stalls all of them for as long as the call takes
//! (up to `--redis-timeout` when Redis hangs). Routes that may wait run on
//! the worker pool or hand their work to another thread and defer; getting
//! that wrong is easy (a wrapper store that does not pass a deferred call
//! on falls back to a blocking one) and shows only as a rare latency spike.
//!
//! So each event loop marks its thread, and the code that waits says so
//! first. In debug builds, which every test runs, waiting on a marked
//! thread panics: the route answers 500 and the test that reached it fails
//! at once. Release builds skip the check.

use std::cell::Cell;

thread_local! {
    static FORBIDDEN: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread as one that must never wait (an event loop).
pub fn forbid_waits_on_this_thread() {
    FORBIDDEN.with(|f| f.set(true));
}

/// Called before waiting on `what` (a Redis round trip, a journal fsync).
/// Panics in debug builds on a thread marked by
/// [`forbid_waits_on_this_thread`], whether or not this particular wait
/// would have been short: a call that may wait does not belong on a loop.
#[inline]
pub fn about_to_wait(what: &'static str) {
    if cfg!(debug_assertions) && FORBIDDEN.with(Cell::get) {
        panic!("an event loop was about to wait on {what}: this call must run on a worker or be deferred");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_marked_threads_are_refused() {
        about_to_wait("nothing, on an unmarked thread");
        let refused = std::thread::spawn(|| {
            forbid_waits_on_this_thread();
            about_to_wait("redis");
        })
        .join()
        .is_err();
        assert_eq!(refused, cfg!(debug_assertions));
        about_to_wait("nothing: the mark is per thread");
    }
}
