//! The access log: one line per response on stderr, in Common Log Format
//! (`host ident user [time] "request line" status bytes`). Lines are
//! buffered per event loop and written once per loop iteration, so a busy
//! loop makes one write for many requests and no line waits longer than one
//! tick.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::IpAddr;

use super::clock::Clock;
use crate::http::RequestHead;

/// Above this many buffered bytes the log is written at once.
const FLUSH_AT: usize = 64 * 1024;

#[derive(Default)]
pub struct AccessLog {
    buf: String,
}

impl AccessLog {
    pub fn new() -> Self {
        Self::default()
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

    /// Writes the buffered lines to stderr.
    pub fn flush(&mut self) {
        if !self.buf.is_empty() {
            let _ = std::io::stderr().lock().write_all(self.buf.as_bytes());
            self.buf.clear();
        }
    }
}
