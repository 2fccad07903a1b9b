//! Benchmark peer: may_minihttp (stackful coroutines of `may` over one epoll
//! worker thread per CPU the process may run on). `GET /healthz` answers 200
//! `ok`; any other path 404. may_minihttp never closes a connection itself, so
//! when a request says `Connection: close` the answer says so too and the
//! client (wrk) closes it: the "close" scenario still opens one connection per
//! request. Usage: `peer-may_minihttp PORT`. With `PEER_CONTRACT_FIELDS` set, it
//! also sends `X-Content-Type-Options: nosniff`, the one field of stateful's
//! contract it leaves out (it always sends `Server`).

use std::io;

use may_minihttp::{HttpServer, HttpService, Request, Response};

#[derive(Clone)]
struct Healthz {
    contract_fields: bool,
}

fn asks_to_close(req: &Request) -> bool {
    req.headers().iter().any(|h| {
        h.name.eq_ignore_ascii_case("connection") && h.value.eq_ignore_ascii_case(b"close")
    })
}

impl HttpService for Healthz {
    fn call(&mut self, req: Request, rsp: &mut Response) -> io::Result<()> {
        let close = asks_to_close(&req);
        if req.path() == "/healthz" {
            rsp.header("Content-Type: text/plain").body("ok");
            if self.contract_fields {
                rsp.header("X-Content-Type-Options: nosniff");
            }
        } else {
            rsp.status_code(404, "Not Found").body("not found");
        }
        if close {
            rsp.header("Connection: close");
        }
        Ok(())
    }
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: peer-may_minihttp PORT");
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    may::config().set_workers(workers);
    let contract_fields = std::env::var_os("PEER_CONTRACT_FIELDS").is_some();
    let server = HttpServer(Healthz { contract_fields })
        .start(("127.0.0.1", port))
        .expect("bind");
    println!("listening on http://127.0.0.1:{port}");
    server.join().expect("server coroutine");
}
