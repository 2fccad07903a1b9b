//! A connection's inbound byte stream, decoded into requests: the head
//! parser and the body framings put together, still without any I/O.
//!
//! The caller keeps the unread bytes; [`RequestDecoder::decode`] says how
//! many it used and what they made. Pipelined requests come out one at a
//! time, in order, however the stream was cut.
//!
//! ```
//! use stateful::http::{RequestDecoder, Decoded};
//! let mut d = RequestDecoder::new();
//! let mut buf = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
//! let mut paths = Vec::new();
//! loop {
//!     let (used, event) = d.decode(&buf).unwrap();
//!     buf.drain(..used);
//!     match event {
//!         Decoded::Request(r) => paths.push(r.head.path().to_string()),
//!         Decoded::NeedMore => break,
//!         Decoded::SendContinue => {}
//!     }
//! }
//! assert_eq!(paths, ["/a", "/b"]);
//! ```

use super::chunked::ChunkedDecoder;
use super::error::HttpError;
use super::request::{parse_request_head, BodyFraming, Method, Parsed, RequestHead};

/// A complete request: its head and its decoded body.
#[derive(Debug, Clone)]
pub struct Request {
    pub head: RequestHead,
    pub body: Vec<u8>,
}

/// What a call to [`RequestDecoder::decode`] produced.
#[derive(Debug)]
pub enum Decoded {
    /// A complete request.
    Request(Request),
    /// The head asked for `100 Continue` and the body has not arrived:
    /// write [`crate::http::CONTINUE`] now, then call `decode` again.
    SendContinue,
    /// Nothing more can be decoded until more bytes arrive.
    NeedMore,
}

/// Where the decoder is, for the caller's timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Between requests, no byte of the next one seen.
    Idle,
    /// Inside a request head.
    Head,
    /// Reading a request body.
    Body,
}

#[derive(Debug)]
enum State {
    Head,
    Length {
        head: RequestHead,
        body: Vec<u8>,
        remaining: usize,
    },
    Chunked {
        head: RequestHead,
        body: Vec<u8>,
        decoder: ChunkedDecoder,
    },
}

/// Decodes successive requests from one connection's byte stream.
#[derive(Debug)]
pub struct RequestDecoder {
    state: State,
    continue_due: bool,
    /// Bytes of the current head the parser has already seen without
    /// finishing it. The parser starts from the head's first byte each
    /// time, so it is called again only when a line may have completed (a
    /// new LF) or [`RESCAN_STEP`] more bytes arrived: a head trickling in
    /// one byte at a time costs a bounded number of scans, not one per byte.
    scanned: usize,
}

/// New bytes without an LF after which the head is scanned again anyway
/// (so the size limits are enforced while a long line trickles in).
pub const RESCAN_STEP: usize = 4096;

impl Default for RequestDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestDecoder {
    pub fn new() -> Self {
        RequestDecoder {
            state: State::Head,
            continue_due: false,
            scanned: 0,
        }
    }

    /// Where the decoder stands, given the bytes the caller still holds.
    pub fn phase(&self, unread: &[u8]) -> Phase {
        match self.state {
            State::Head if unread.is_empty() => Phase::Idle,
            State::Head => Phase::Head,
            _ => Phase::Body,
        }
    }

    /// Whether the request now being decoded was made with `HEAD`, so that
    /// the answer to its error or timeout carries no content either
    /// (RFC 9110 §9.3.2). `unread` is what the caller still holds; while
    /// the head is incomplete or refused, its request line says.
    pub fn is_head_request(&self, unread: &[u8]) -> bool {
        match &self.state {
            State::Head => {
                let start = unread
                    .iter()
                    .position(|&b| b != b'\r' && b != b'\n')
                    .unwrap_or(unread.len());
                unread[start..].starts_with(b"HEAD ")
            }
            State::Length { head, .. } | State::Chunked { head, .. } => {
                head.method() == Method::Head
            }
        }
    }

    /// Decodes from `buf` (the bytes not yet used). After an error the
    /// stream cannot be trusted and the connection must close.
    pub fn decode(&mut self, buf: &[u8]) -> Result<(usize, Decoded), HttpError> {
        let mut used = 0;
        if let State::Head = self.state {
            let fresh = buf.get(self.scanned..).unwrap_or_default();
            if self.scanned > 0 && fresh.len() < RESCAN_STEP && !fresh.contains(&b'\n') {
                return Ok((0, Decoded::NeedMore));
            }
            let (head, n) = match parse_request_head(buf)? {
                Parsed::Partial => {
                    self.scanned = buf.len();
                    return Ok((0, Decoded::NeedMore));
                }
                Parsed::Complete(head, n) => (head, n),
            };
            self.scanned = 0;
            used = n;
            let wants_continue = head.expect_continue();
            self.state = match head.framing() {
                BodyFraming::None => {
                    return Ok((
                        used,
                        Decoded::Request(Request {
                            head,
                            body: Vec::new(),
                        }),
                    ))
                }
                BodyFraming::Length(len) => {
                    // The head parser already refused lengths over the limit.
                    let len = usize::try_from(len).unwrap_or(usize::MAX);
                    State::Length {
                        head,
                        // Capacity grows with the bytes that arrive, not with
                        // what the client announced.
                        body: Vec::with_capacity(len.min(64 * 1024)),
                        remaining: len,
                    }
                }
                BodyFraming::Chunked => State::Chunked {
                    head,
                    body: Vec::new(),
                    decoder: ChunkedDecoder::new(),
                },
            };
            self.continue_due = wants_continue;
        }
        let rest = &buf[used..];
        let complete = match &mut self.state {
            State::Head => false,
            State::Length {
                body, remaining, ..
            } => {
                let n = (*remaining).min(rest.len());
                body.extend_from_slice(&rest[..n]);
                *remaining -= n;
                used += n;
                *remaining == 0
            }
            State::Chunked { body, decoder, .. } => {
                let (n, done) = decoder.decode(rest, body)?;
                used += n;
                done
            }
        };
        if complete {
            self.continue_due = false;
            let request = match std::mem::replace(&mut self.state, State::Head) {
                State::Length { head, body, .. } | State::Chunked { head, body, .. } => {
                    Request { head, body }
                }
                State::Head => unreachable!("complete is false in State::Head"),
            };
            return Ok((used, Decoded::Request(request)));
        }
        if self.continue_due && used == buf.len() {
            // Every byte after the head is consumed and the body is not
            // there: the client is waiting for our go-ahead.
            self.continue_due = false;
            return Ok((used, Decoded::SendContinue));
        }
        Ok((used, Decoded::NeedMore))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_a_head_request_whose_head_or_body_failed() {
        #[rustfmt::skip]
        let cases: &[(&[u8], bool)] = &[
            (b"HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n", true),
            (b"\r\nHEAD / HTTP/1.1\r\nHost: a:b\r\n\r\n", true),
            (b"HEAD /\0 HTTP/1.1\r\n", true),
            (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n", false),
            (b"HEADX / HTTP/1.1\r\n\r\n", false),
            (b"head / HTTP/1.1\r\n\r\n", false),
            (b"", false),
        ];
        for (raw, head) in cases {
            let mut d = RequestDecoder::new();
            let _ = d.decode(raw);
            assert_eq!(d.is_head_request(raw), *head, "{raw:?}");
        }
        // A refused chunked body of a HEAD request.
        let raw = b"HEAD / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\na\r\n";
        let mut d = RequestDecoder::new();
        let err = d.decode(raw);
        assert!(err.is_err(), "{err:?}");
        assert!(d.is_head_request(b"1\na\r\n"));
    }
}
