//! The thread-pool executor for requests that block: password hashing
//! (signup, login) and waiting for the journal's fsync. Event loops hand
//! such requests to a bounded [`WorkQueue`]; workers answer them and post
//! the response back to the loop's [`Mailbox`]. A full queue, or a job that
//! waited too long, is answered 503 instead of waiting without bound.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use super::slab::Token;
use super::{responses, sys, Handler, Reply};
use crate::http::{Request, RequestHead, Response};
use crate::limits::QUEUE_MAX_WAIT;

/// A bounded multi-producer, multi-consumer FIFO.
pub struct WorkQueue<T> {
    state: Mutex<QueueState<T>>,
    ready: Condvar,
    capacity: usize,
}

struct QueueState<T> {
    items: VecDeque<T>,
    closed: bool,
}

impl<T> WorkQueue<T> {
    pub fn new(capacity: usize) -> Self {
        WorkQueue {
            state: Mutex::new(QueueState {
                items: VecDeque::new(),
                closed: false,
            }),
            ready: Condvar::new(),
            capacity,
        }
    }

    /// Adds `item`, or gives it back when the queue is full or closed.
    pub fn try_push(&self, item: T) -> Result<(), T> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.closed || s.items.len() >= self.capacity {
            return Err(item);
        }
        s.items.push_back(item);
        drop(s);
        self.ready.notify_one();
        Ok(())
    }

    /// Takes the oldest item, waiting for one; `None` once the queue is
    /// closed and empty.
    pub fn pop(&self) -> Option<T> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(item) = s.items.pop_front() {
                return Some(item);
            }
            if s.closed {
                return None;
            }
            s = self.ready.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Refuses further pushes and wakes every waiting worker; items already
    /// queued are still handed out.
    pub fn close(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).closed = true;
        self.ready.notify_all();
    }
}

/// A request handed to the pool, and where to send its response.
pub struct Job {
    pub token: Token,
    pub request: Request,
    pub reply_to: Arc<Mailbox>,
    pub queued: Instant,
}

/// A worker's answer, back to the connection's event loop.
pub struct Completion {
    pub token: Token,
    pub head: RequestHead,
    pub response: Response,
}

/// An event loop's inbox of completions, with the eventfd that wakes it.
pub struct Mailbox {
    items: Mutex<Vec<Completion>>,
    wake: File,
}

impl Mailbox {
    pub fn new() -> std::io::Result<Mailbox> {
        Ok(Mailbox {
            items: Mutex::new(Vec::new()),
            wake: File::from(sys::eventfd_new()?),
        })
    }

    /// The descriptor the event loop watches.
    pub fn fd(&self) -> RawFd {
        self.wake.as_raw_fd()
    }

    /// Queues `c` and wakes the loop, unless earlier posts are still
    /// queued: their wake-up is pending and [`Mailbox::take`] takes them
    /// all, so one `write` serves a whole burst (the journal's flusher
    /// answers every comment of an fsync at once).
    pub fn post(&self, c: Completion) {
        let mut items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        let was_empty = items.is_empty();
        items.push(c);
        drop(items);
        if was_empty {
            // Adds 1 to the eventfd counter; it cannot block or fail short
            // of counter overflow, which 2^64 posts do not reach.
            let _ = (&self.wake).write(&1u64.to_ne_bytes());
        }
    }

    /// Everything posted so far; resets the wake-up first, so a post that
    /// lands after the reset either is taken now or wakes the loop again.
    pub fn take(&self) -> Vec<Completion> {
        let mut counter = [0u8; 8];
        let _ = (&self.wake).read(&mut counter);
        std::mem::take(&mut *self.items.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Starts `n` workers taking jobs from `queue` until it is closed.
pub fn spawn_workers(
    n: usize,
    queue: &Arc<WorkQueue<Job>>,
    handler: &Arc<dyn Handler>,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    (0..n)
        .map(|i| {
            let queue = Arc::clone(queue);
            let handler = Arc::clone(handler);
            thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || {
                    while let Some(job) = queue.pop() {
                        let response = if job.queued.elapsed() > QUEUE_MAX_WAIT {
                            responses::overloaded()
                        } else {
                            answer(&*handler, &job.request)
                        };
                        let Job {
                            token,
                            request,
                            reply_to,
                            ..
                        } = job;
                        reply_to.post(Completion {
                            token,
                            head: request.head,
                            response,
                        });
                    }
                })
        })
        .collect()
}

/// Runs the handler; a panic becomes a 500 and costs nothing else.
pub fn answer(handler: &dyn Handler, request: &Request) -> Response {
    catch_unwind(AssertUnwindSafe(|| handler.handle(request)))
        .unwrap_or_else(|_| responses::internal_error())
}

/// [`Handler::reply`], with the same panic guard.
pub fn reply(handler: &dyn Handler, request: &Request) -> Reply {
    catch_unwind(AssertUnwindSafe(|| handler.reply(request)))
        .unwrap_or_else(|_| Reply::Now(responses::internal_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_fifo() {
        let q = WorkQueue::new(2);
        assert!(q.try_push(1).is_ok());
        assert!(q.try_push(2).is_ok());
        assert_eq!(q.try_push(3), Err(3));
        assert_eq!(q.pop(), Some(1));
        q.close();
        assert_eq!(q.try_push(4), Err(4));
        assert_eq!(q.pop(), Some(2));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn workers_all_wake_on_close() {
        let q = Arc::new(WorkQueue::<u32>::new(8));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let q = Arc::clone(&q);
                std::thread::spawn(move || q.pop())
            })
            .collect();
        q.close();
        for h in handles {
            assert_eq!(h.join().unwrap(), None);
        }
    }
}
