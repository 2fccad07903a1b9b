//! Benchmark peer: tiny_http 0.12 (blocking I/O; its own threads read the
//! connections, and one handler thread per CPU takes requests from it).
//! `GET /healthz` answers 200 `ok`; any other path 404. Usage: `peer-tiny_http PORT`.
//! With `PEER_CONTRACT_FIELDS` set, it also sends `X-Content-Type-Options:
//! nosniff`, the one field of stateful's contract it leaves out (it always
//! sends `Server`).

use std::sync::Arc;
use std::thread;

use tiny_http::{Header, Response, Server};

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: peer-tiny_http PORT");
    let server = Arc::new(Server::http(("127.0.0.1", port)).expect("bind"));
    println!("listening on http://{}", server.server_addr());
    let handlers = thread::available_parallelism().map_or(1, |n| n.get());
    let text_plain = Header::from_bytes("Content-Type", "text/plain").expect("static header");
    let nosniff = std::env::var_os("PEER_CONTRACT_FIELDS")
        .map(|_| Header::from_bytes("X-Content-Type-Options", "nosniff").expect("static header"));
    let workers: Vec<_> = (0..handlers)
        .map(|_| {
            let server = Arc::clone(&server);
            let text_plain = text_plain.clone();
            let nosniff = nosniff.clone();
            thread::spawn(move || {
                for request in server.incoming_requests() {
                    let response = if request.url() == "/healthz" {
                        let ok = Response::from_string("ok").with_header(text_plain.clone());
                        match &nosniff {
                            Some(h) => ok.with_header(h.clone()),
                            None => ok,
                        }
                    } else {
                        Response::from_string("not found").with_status_code(404)
                    };
                    let _ = request.respond(response);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
}
