//! Responses: a plain value built by handlers, and the encoder that frames it
//! on the wire with the fields every response carries.
//!
//! ```
//! use stateful::http::{Response, ResponseFraming};
//! let r = Response::text(200, "ok");
//! let mut out = Vec::new();
//! let framing = ResponseFraming { keep_alive: true, http10: false, head: false };
//! r.encode(&framing, "Sun, 06 Nov 1994 08:49:37 GMT", &mut out);
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(text.contains("\r\nContent-Length: 2\r\n"));
//! assert!(text.ends_with("\r\n\r\nok"));
//! ```

use std::borrow::Cow;

use super::status::{is_bodyless, reason_phrase};

/// The `Server` field of every response.
pub const SERVER_NAME: &str = "stateful";

/// Fields only the encoder writes (and `Transfer-Encoding`, never written).
const ENCODER_FIELDS: [&str; 6] = [
    "Date",
    "Server",
    "Content-Length",
    "Connection",
    "X-Content-Type-Options",
    "Transfer-Encoding",
];

/// The interim response to `Expect: 100-continue`.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// A response as handlers build it. Field names are static and values are
/// produced by the server, so no request data can reach a response header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: u16,
    headers: Vec<(&'static str, Cow<'static, str>)>,
    body: Vec<u8>,
    close: bool,
}

/// How the response is framed for the request it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseFraming {
    /// The connection stays open after this response.
    pub keep_alive: bool,
    /// The request was HTTP/1.0 (so keep-alive must be said explicitly).
    pub http10: bool,
    /// The request was HEAD: fields as for GET, no body.
    pub head: bool,
}

impl Response {
    /// A response with no body and no extra fields.
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            close: false,
        }
    }

    /// A `text/plain` response. US-ASCII is text/plain's default charset
    /// (RFC 2046 section 4.1.2, kept by RFC 6657), so an ASCII body goes
    /// without the parameter: `/healthz` is the hottest response there is,
    /// and every byte of it is parsed by the client.
    pub fn text(status: u16, body: &str) -> Response {
        let media_type = if body.is_ascii() {
            "text/plain"
        } else {
            "text/plain; charset=utf-8"
        };
        Response::empty(status)
            .with_header("Content-Type", media_type)
            .with_body(body.as_bytes().to_vec())
    }

    /// An `application/json` response with an already encoded body.
    pub fn json(status: u16, body: String) -> Response {
        Response::empty(status)
            .with_header("Content-Type", "application/json")
            .with_body(body.into_bytes())
    }

    /// Adds a field. A value holding CR, LF or NUL would split the head, so
    /// such a value is a bug: it is dropped (and trips a debug assertion).
    /// So is a field the encoder writes itself (`Date`, `Content-Length`,
    /// ...), `Transfer-Encoding` (bodies are always length-delimited), and a
    /// second field of one name other than `Set-Cookie` (RFC 9110 §5.3: a
    /// sender MUST NOT repeat a field that is not a list).
    pub fn with_header(mut self, name: &'static str, value: impl Into<Cow<'static, str>>) -> Self {
        let value = value.into();
        let safe = !value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0);
        debug_assert!(safe, "header value with CR/LF/NUL for {name}");
        let owned = ENCODER_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name));
        debug_assert!(!owned, "{name} is written by the encoder");
        let repeated = !name.eq_ignore_ascii_case("set-cookie") && self.header(name).is_some();
        debug_assert!(!repeated, "a second {name} field");
        if safe && !owned && !repeated {
            self.headers.push((name, value));
        }
        self
    }

    pub fn with_body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// Asks for the connection to be closed after this response.
    pub fn with_close(mut self) -> Self {
        self.close = true;
        self
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }

    pub fn wants_close(&self) -> bool {
        self.close
    }

    /// The value of the first field named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| &**v)
    }

    /// Appends the response to `out`: status line, `Date`, `Server`,
    /// `Content-Length` (not for 1xx/204/304), `Connection` where needed,
    /// `X-Content-Type-Options`, the handler's fields, and the body unless
    /// the request was HEAD.
    pub fn encode(&self, framing: &ResponseFraming, date: &str, out: &mut Vec<u8>) {
        let keep_alive = framing.keep_alive && !self.close;
        out.extend_from_slice(b"HTTP/1.1 ");
        push_u64(out, u64::from(self.status));
        out.push(b' ');
        out.extend_from_slice(reason_phrase(self.status).as_bytes());
        out.extend_from_slice(b"\r\nDate: ");
        out.extend_from_slice(date.as_bytes());
        out.extend_from_slice(b"\r\nServer: ");
        out.extend_from_slice(SERVER_NAME.as_bytes());
        let bodyless = is_bodyless(self.status);
        if !bodyless {
            out.extend_from_slice(b"\r\nContent-Length: ");
            push_u64(out, self.body.len() as u64);
        }
        if !keep_alive {
            out.extend_from_slice(b"\r\nConnection: close");
        } else if framing.http10 {
            out.extend_from_slice(b"\r\nConnection: keep-alive");
        }
        out.extend_from_slice(b"\r\nX-Content-Type-Options: nosniff");
        for (name, value) in &self.headers {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
        }
        out.extend_from_slice(b"\r\n\r\n");
        if !framing.head && !bodyless {
            out.extend_from_slice(&self.body);
        }
    }
}

/// Appends the decimal digits of `n`.
pub fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "Thu, 01 Jan 1970 00:00:00 GMT";
    const KA: ResponseFraming = ResponseFraming {
        keep_alive: true,
        http10: false,
        head: false,
    };

    fn encode(r: &Response, f: ResponseFraming) -> String {
        let mut out = Vec::new();
        r.encode(&f, DATE, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_response_has_date_server_length_nosniff() {
        let s = encode(&Response::text(200, "ok"), KA);
        assert_eq!(
            s,
            "HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nServer: stateful\r\n\
             Content-Length: 2\r\nX-Content-Type-Options: nosniff\r\n\
             Content-Type: text/plain\r\n\r\nok"
        );
    }

    #[test]
    fn text_names_its_charset_only_when_the_body_is_not_ascii() {
        let ascii = Response::text(200, "ok");
        assert_eq!(ascii.header("content-type"), Some("text/plain"));
        let utf8 = Response::text(200, "caf\u{e9}");
        assert_eq!(
            utf8.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }

    #[test]
    fn head_has_length_but_no_body() {
        let s = encode(
            &Response::text(200, "ok"),
            ResponseFraming { head: true, ..KA },
        );
        assert!(s.contains("Content-Length: 2\r\n"));
        assert!(s.ends_with("\r\n\r\n"));
    }

    #[test]
    fn connection_field() {
        let close = ResponseFraming {
            keep_alive: false,
            ..KA
        };
        assert!(encode(&Response::empty(404), close).contains("\r\nConnection: close\r\n"));
        let ka10 = ResponseFraming { http10: true, ..KA };
        assert!(encode(&Response::empty(200), ka10).contains("\r\nConnection: keep-alive\r\n"));
        assert!(!encode(&Response::empty(200), KA).contains("Connection"));
        let r = Response::empty(200).with_close();
        assert!(encode(&r, KA).contains("\r\nConnection: close\r\n"));
    }

    #[test]
    fn bodyless_statuses_have_no_length() {
        assert!(!encode(&Response::empty(204), KA).contains("Content-Length"));
        assert!(encode(&Response::empty(404), KA).contains("Content-Length: 0"));
        // RFC 9110 section 6.4.1: no content in 1xx, 204 or 304, whatever
        // the handler put in the value.
        for status in [100, 204, 304] {
            assert!(encode(&Response::text(status, "x"), KA).ends_with("\r\n\r\n"));
        }
    }

    #[test]
    fn header_injection_is_dropped() {
        if cfg!(debug_assertions) {
            let r = std::panic::catch_unwind(|| Response::empty(200).with_header("X", "a\r\nb"));
            assert!(r.is_err());
        } else {
            let r = Response::empty(200).with_header("X", "a\r\nb");
            assert_eq!(r.header("X"), None);
        }
    }

    /// RFC 9110 §5.3 (no repeated field unless a list; Set-Cookie is the
    /// exception), RFC 9112 §6.1-§6.2 (no Transfer-Encoding, one
    /// Content-Length): fields the encoder owns or that would repeat are
    /// refused.
    #[test]
    fn owned_and_repeated_fields_are_refused() {
        let cases: &[fn() -> Response] = &[
            || Response::empty(200).with_header("Content-Length", "5"),
            || Response::empty(200).with_header("transfer-encoding", "chunked"),
            || Response::empty(200).with_header("Date", "x"),
            || Response::empty(200).with_header("Connection", "close"),
            || Response::text(200, "ok").with_header("Content-Type", "text/html"),
            || {
                Response::empty(405)
                    .with_header("Allow", "GET")
                    .with_header("allow", "POST")
            },
        ];
        for make in cases {
            if cfg!(debug_assertions) {
                assert!(std::panic::catch_unwind(make).is_err());
            } else {
                let s = encode(&make(), KA);
                assert_eq!(s.matches("Content-Length").count(), 1, "{s}");
                assert!(
                    !s.contains("ransfer-") && s.matches("Date:").count() == 1,
                    "{s}"
                );
            }
        }
        let r = Response::empty(200)
            .with_header("Set-Cookie", "a=1")
            .with_header("Set-Cookie", "b=2");
        assert_eq!(encode(&r, KA).matches("Set-Cookie").count(), 2);
    }

    /// RFC 9112 §4: the space after the status code is sent even when the
    /// reason phrase is empty; RFC 9110 §6.6.1: every 2xx, 3xx and 4xx
    /// response has a Date (here every response does).
    #[test]
    fn status_line_and_date_for_every_status() {
        assert!(encode(&Response::empty(299), KA).starts_with("HTTP/1.1 299 \r\nDate: "));
        for status in [
            200, 201, 204, 304, 400, 401, 403, 404, 405, 408, 413, 414, 421, 431, 500, 503,
        ] {
            let s = encode(&Response::empty(status), KA);
            let line = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
            assert!(s.starts_with(&line), "{s}");
            assert!(!reason_phrase(status).is_empty(), "{status}");
            assert!(s.contains(&format!("\r\nDate: {DATE}\r\n")), "{s}");
            assert!(!s.contains("Transfer-Encoding"), "{s}");
        }
    }

    #[test]
    fn digits() {
        for n in [0u64, 7, 10, 1048576, u64::MAX] {
            let mut out = Vec::new();
            push_u64(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }
}
