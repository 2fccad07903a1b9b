//! Benchmark peer: actix-web 4 (one single-threaded worker loop per CPU the
//! process may run on, plus the acceptor). `GET /healthz` answers 200 `ok`;
//! any other path 404 (actix's default). Usage: `peer-actix PORT`.
//! With `PEER_CONTRACT_FIELDS` set, it also sends the fields stateful's contract
//! requires of every response and actix leaves out (`Server`,
//! `X-Content-Type-Options`), so both put the same fields on the wire.

use std::sync::OnceLock;

use actix_web::{web, App, HttpResponse, HttpServer};

/// Whether to add the contract's fields (read once from the environment).
fn contract_fields() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PEER_CONTRACT_FIELDS").is_some())
}

async fn healthz() -> HttpResponse {
    let mut resp = HttpResponse::Ok();
    resp.content_type("text/plain");
    if contract_fields() {
        resp.insert_header(("Server", "actix"))
            .insert_header(("X-Content-Type-Options", "nosniff"));
    }
    resp.body("ok")
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: peer-actix PORT");
    let server = HttpServer::new(|| App::new().route("/healthz", web::get().to(healthz)))
        .backlog(4096)
        .max_connections(65_536)
        .bind(("127.0.0.1", port))?;
    for addr in server.addrs() {
        println!("listening on http://{addr}");
    }
    server.run().await
}
