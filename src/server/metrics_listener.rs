//! The operator port of `--metrics-bind`: `GET /metrics` in the Prometheus
//! text format, everything else 404. One thread answers one connection at
//! a time and closes it: scrapes are rare, and this port must never take
//! anything from the main one.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::SystemTime;

use crate::http::date::imf_fixdate;
use crate::http::{parse_request_head, Method, Parsed, Response, ResponseFraming};
use crate::limits::{METRICS_IO_TIMEOUT, METRICS_REQUEST_MAX};

/// Makes the exposition text for one scrape.
pub type Render = Arc<dyn Fn() -> String + Send + Sync>;

/// Binds `addr` and answers scrapes on a thread of its own; the bound
/// address (its real port when `addr` asked for port 0).
pub fn serve_metrics(addr: SocketAddr, render: Render) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let local = listener.local_addr()?;
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = answer(stream, &render);
            }
        })?;
    Ok(local)
}

fn answer(mut stream: TcpStream, render: &Render) -> io::Result<()> {
    stream.set_read_timeout(Some(METRICS_IO_TIMEOUT))?;
    stream.set_write_timeout(Some(METRICS_IO_TIMEOUT))?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let response = loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        match parse_request_head(&buf) {
            Ok(Parsed::Complete(head, _)) => {
                let wanted = matches!(head.method(), Method::Get | Method::Head)
                    && head.path() == "/metrics";
                let r = if wanted {
                    Response::empty(200)
                        .with_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                        .with_body(render().into_bytes())
                } else {
                    Response::text(404, "not found")
                };
                break (r, head.method() == Method::Head);
            }
            Ok(Parsed::Partial) if buf.len() < METRICS_REQUEST_MAX => continue,
            _ => break (Response::text(400, "bad request"), false),
        }
    };
    let (r, head) = response;
    let mut out = Vec::new();
    let framing = ResponseFraming {
        keep_alive: false,
        http10: false,
        head,
    };
    r.encode(&framing, &imf_fixdate(SystemTime::now()), &mut out);
    stream.write_all(&out)
}
