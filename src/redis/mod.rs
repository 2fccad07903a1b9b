//! A Redis client of our own, on `std::net::TcpStream`.
//!
//! - [`resp`]: the RESP2/RESP3 codec, pure functions over bytes.
//! - [`url`]: the `--redis` URL (user, password, host, port, database).
//! - [`conn`]: one connection: deadlines, `AUTH`/`SELECT`, pipelining.
//! - [`client`]: the pool, with fail-fast while Redis is down.
//! - [`batch`]: read-only commands of many requests in one round trip.
//! - [`tracking`]: a local cache that Redis keeps current (`CLIENT TRACKING`).
//!
//! Out of scope, deliberately: TLS (`rediss://`), Sentinel, Cluster
//! redirections (`MOVED`/`ASK`; our key layout keeps Cluster's shape, see
//! ARCHITECTURE.md, but we talk to one server), Unix sockets, pub/sub
//! beyond the session cache's invalidation pushes.

pub mod batch;
pub mod client;
pub mod conn;
pub mod resp;
pub mod tracking;
pub mod url;

pub use client::{Client, Effect};
pub use conn::{Pipeline, RedisError};
pub use resp::Reply;
pub use url::RedisUrl;

use std::time::Duration;

/// Default `--redis-prefix`.
pub const DEFAULT_PREFIX: &str = "stateful:";
/// Default `--redis-timeout`: every call to Redis ends within it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// The `--redis*` flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    pub url: RedisUrl,
    /// What every key starts with; never contains `{` or `}` (the key
    /// layout's hash tags must be the keys' only ones).
    pub prefix: String,
    pub timeout: Duration,
    /// Keep sessions in a local cache invalidated by Redis
    /// (`CLIENT TRACKING`); `--redis-cache off` reads Redis every time.
    pub cache: bool,
}
