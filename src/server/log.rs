//! The access log: one line per response on stderr, in Common Log Format
//! (`host ident user [time] "request line" status bytes`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::IpAddr;

use super::clock::Clock;
use crate::http::RequestHead;

/// Writes the access-log line of one response. The request line is
/// rebuilt from parsed (validated) parts, so it holds no control bytes; a
/// request that did not parse is logged as `"-"`.
pub fn access_line(
    clock: &mut Clock,
    peer: IpAddr,
    head: Option<&RequestHead>,
    status: u16,
    bytes: usize,
) {
    let mut line = String::with_capacity(128);
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
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
