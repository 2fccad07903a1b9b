//! Benchmark peer: tiny_http 0.12 (blocking I/O; its own threads read the
//! connections, and one handler thread per CPU takes requests from it).
//! `GET /healthz` answers 200 `ok`; any other path 404. Usage: `peer-tiny_http PORT`.

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
    let workers: Vec<_> = (0..handlers)
        .map(|_| {
            let server = Arc::clone(&server);
            let text_plain = text_plain.clone();
            thread::spawn(move || {
                for request in server.incoming_requests() {
                    let response = if request.url() == "/healthz" {
                        Response::from_string("ok").with_header(text_plain.clone())
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
