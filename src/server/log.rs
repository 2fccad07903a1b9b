//! The access log: one line per response on stderr, in Common Log Format
//! (`host ident user [time] "request line" status bytes`).
//!
//! Each event loop buffers its lines and hands them, once per tick (100 ms)
//! or per 64 KiB, to one writer thread through a bounded channel. A loop therefore
//! never blocks on stderr: if nobody reads it (a paused pager, a full pipe)
//! and the channel fills up, batches are dropped and counted, and the count
//! is logged once writing works again.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::IpAddr;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::thread::{self, JoinHandle};

use super::clock::Clock;
use crate::http::RequestHead;

/// Above this many buffered bytes a loop hands its lines over at once.
const FLUSH_AT: usize = 64 * 1024;
/// Batches waiting for the writer before new ones are dropped.
const QUEUED_BATCHES: usize = 1024;

/// Starts the writer thread; returns the sender the loops log through.
pub fn start_writer() -> std::io::Result<(SyncSender<String>, JoinHandle<()>)> {
    let (tx, rx) = sync_channel(QUEUED_BATCHES);
    let handle = thread::Builder::new()
        .name("access-log".into())
        .spawn(move || write_batches(rx))?;
    Ok((tx, handle))
}

/// Writes batches to stderr until every sender is gone.
fn write_batches(rx: Receiver<String>) {
    for batch in rx {
        let _ = std::io::stderr().lock().write_all(batch.as_bytes());
    }
}

/// One event loop's buffer of log lines.
pub struct AccessLog {
    buf: String,
    sink: SyncSender<String>,
    dropped: u64,
}

impl AccessLog {
    pub fn new(sink: SyncSender<String>) -> Self {
        AccessLog {
            buf: String::new(),
            sink,
            dropped: 0,
        }
    }

    /// Adds the line of one response. The request line is rebuilt from
    /// parsed (validated) parts, with `"` and `\` escaped, so it holds no
    /// control bytes; a request that did not parse is logged as `"-"`.
    pub fn record(
        &mut self,
        clock: &mut Clock,
        peer: IpAddr,
        head: Option<&RequestHead>,
        status: u16,
        bytes: usize,
    ) {
        let line = &mut self.buf;
        let _ = write!(line, "{peer} - - [{}] ", clock.log_date());
        match head {
            Some(h) => {
                let _ = write!(line, "\"{} ", h.method_str());
                for c in h.target().chars() {
                    if c == '"' || c == '\\' {
                        line.push('\\');
                    }
                    line.push(c);
                }
                let _ = write!(line, " {}\"", h.version().as_str());
            }
            None => line.push_str("\"-\""),
        }
        let _ = writeln!(line, " {status} {bytes}");
        if self.buf.len() >= FLUSH_AT {
            self.flush();
        }
    }

    /// Hands the buffered lines to the writer, or drops (and counts) them
    /// if it is that far behind.
    pub fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let mut batch = std::mem::take(&mut self.buf);
        if self.dropped > 0 {
            batch.insert_str(
                0,
                &format!(
                    "access log: {} lines dropped (stderr was not read)\n",
                    self.dropped
                ),
            );
        }
        match self.sink.try_send(batch) {
            Ok(()) => self.dropped = 0,
            Err(TrySendError::Full(batch)) | Err(TrySendError::Disconnected(batch)) => {
                let lines = batch
                    .lines()
                    .filter(|l| !l.starts_with("access log:"))
                    .count() as u64;
                self.dropped += lines;
                crate::metrics::METRICS.dropped_log_lines(lines);
            }
        }
    }
}

impl Drop for AccessLog {
    fn drop(&mut self) {
        self.flush();
    }
}
