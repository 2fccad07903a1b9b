//! Auto-pipelining: read-only commands from many requests, sent to Redis
//! together. Callers hand a [`Pipeline`] and a callback to the [`Batcher`]
//! and return at once (an event loop never waits on Redis); a few
//! dispatcher threads each take everything queued, send it as one pipeline
//! on one connection, and give each caller its own replies. Under load, one
//! round trip then serves dozens of requests, and no request holds a
//! thread while it waits.
//!
//! A failed batch (Redis down, past the timeout) fails each of its callers
//! with the same error; the client's fail-fast switch then fails the next
//! batches at once, so a queued request waits at most about one timeout.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;

use super::client::{Client, Effect};
use super::conn::{Pipeline, RedisError};
use super::resp::Reply;

/// Called once with the replies to a submitted pipeline.
pub type BatchDone = Box<dyn FnOnce(Result<Vec<Reply>, RedisError>) + Send>;

/// Most callers one round trip serves.
pub const MAX_BATCH: usize = 256;

pub struct Batcher {
    state: Mutex<Queue>,
    ready: Condvar,
}

struct Queue {
    jobs: Vec<(Pipeline, BatchDone)>,
    closed: bool,
}

impl Batcher {
    /// Starts `dispatchers` threads sending batches through `client`.
    pub fn start(client: Arc<Client>, dispatchers: usize) -> std::io::Result<Arc<Batcher>> {
        let batcher = Arc::new(Batcher {
            state: Mutex::new(Queue {
                jobs: Vec::new(),
                closed: false,
            }),
            ready: Condvar::new(),
        });
        for i in 0..dispatchers.max(1) {
            let (b, c) = (Arc::clone(&batcher), Arc::clone(&client));
            thread::Builder::new()
                .name(format!("redis-batch-{i}"))
                .spawn(move || b.run(&c))?;
        }
        Ok(batcher)
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues read-only commands; `done` is called once, on a dispatcher
    /// thread, with their replies in order.
    pub fn submit(&self, p: Pipeline, done: BatchDone) {
        let mut q = self.lock();
        if q.closed {
            drop(q);
            done(Err(RedisError::Down));
            return;
        }
        q.jobs.push((p, done));
        let first = q.jobs.len() == 1;
        drop(q);
        if first {
            self.ready.notify_one();
        }
    }

    /// Ends the dispatchers once the queue is empty.
    pub fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    fn run(&self, client: &Client) {
        loop {
            let jobs = {
                let mut q = self.lock();
                while q.jobs.is_empty() && !q.closed {
                    q = self.ready.wait(q).unwrap_or_else(|p| p.into_inner());
                }
                if q.jobs.is_empty() {
                    return;
                }
                let take = q.jobs.len().min(MAX_BATCH);
                let jobs: Vec<_> = q.jobs.drain(..take).collect();
                // Others are waiting: wake another dispatcher for them.
                if !q.jobs.is_empty() {
                    self.ready.notify_one();
                }
                jobs
            };
            let mut all = Pipeline::new();
            for (p, _) in &jobs {
                all.append(p);
            }
            match client.call(&all, Effect::Read) {
                Ok(replies) => {
                    let mut replies = replies.into_iter();
                    for (p, done) in jobs {
                        let mine: Vec<Reply> = replies.by_ref().take(p.len()).collect();
                        let r = if mine.len() == p.len() {
                            Ok(mine)
                        } else {
                            Err(RedisError::Closed)
                        };
                        finish(done, r);
                    }
                }
                Err(e) => {
                    for (_, done) in jobs {
                        finish(done, Err(e.clone()));
                    }
                }
            }
        }
    }
}

/// Calls `done`; a callback that panics must not take the dispatcher (and
/// every later caller) with it.
fn finish(done: BatchDone, r: Result<Vec<Reply>, RedisError>) {
    let _ = catch_unwind(AssertUnwindSafe(|| done(r)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redis::RedisUrl;
    use std::sync::mpsc::channel;
    use std::time::Duration;

    #[test]
    fn an_unreachable_redis_fails_every_caller() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = RedisUrl::parse(&format!("redis://127.0.0.1:{port}")).unwrap();
        let client = Arc::new(Client::new(url, Duration::from_millis(200)));
        let b = Batcher::start(client, 2).unwrap();
        let (tx, rx) = channel();
        for i in 0..10 {
            let tx = tx.clone();
            let mut p = Pipeline::new();
            p.cmd(&["GET", &i.to_string()]);
            b.submit(p, Box::new(move |r| tx.send(r.is_err()).unwrap()));
        }
        let failed: Vec<bool> = (0..10)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        assert!(failed.iter().all(|&f| f));
        b.close();
    }
}
