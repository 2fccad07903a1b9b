//! Benchmark peer: actix-web 4 (one single-threaded worker loop per CPU the
//! process may run on, plus the acceptor). `GET /healthz` answers 200 `ok`;
//! any other path 404 (actix's default). Usage: `peer-actix PORT`.

use actix_web::{web, App, HttpResponse, HttpServer};

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
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
