//! A Redis client of our own, on `std::net::TcpStream`.
//!
//! - [`resp`]: the RESP2/RESP3 codec, pure functions over bytes.
//! - [`url`]: the `--redis` URL (user, password, host, port, database).
//! - [`conn`]: one connection: deadlines, `AUTH`/`SELECT`, pipelining.
//! - [`client`]: the pool, with fail-fast while Redis is down.
//!
//! Out of scope, deliberately: TLS (`rediss://`), Sentinel, Cluster
//! redirections (`MOVED`/`ASK`; our key layout keeps Cluster's shape, see
//! ARCHITECTURE.md, but we talk to one server), Unix sockets, pub/sub
//! beyond the session cache's invalidation pushes.

pub mod client;
pub mod conn;
pub mod resp;
pub mod tracking;
pub mod url;

pub use client::{Client, Effect};
pub use conn::{Pipeline, RedisError};
pub use resp::Reply;
pub use url::RedisUrl;
