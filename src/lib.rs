//! stateful: an HTTP/1.1 server on the Rust standard library alone.
//!
//! HTTP is stateless; this crate shows how a cookie and a server-side session
//! table make it stateful. Every byte from the network is parsed by our own
//! code:
//!
//! - [`http`]: pure, I/O-free HTTP/1.1: request head, body framing, chunked
//!   decoding, responses, dates, cookies, and the one mapping from protocol
//!   errors to status codes.
//! - [`json`], [`form`]: the small body codecs the routes accept.
//! - [`jwt`]: HS256 JSON Web Tokens: a pure verifier and signer, and the
//!   token keys.
//! - [`crypto`]: SHA-256, HMAC, PBKDF2, Django-format password hashes, OS
//!   randomness.
//! - [`server`]: listener, poller, thread pool and the connection state
//!   machine: the only code that touches a socket.
//! - [`app`]: the routes over the application state.
//! - [`storage`]: the append-only journal behind `--data-dir`.
//! - [`no_wait`]: the check that an event loop never waits on Redis or a
//!   disk.
//!
//! Out of scope, deliberately: TLS, HTTP/2, compression, range requests,
//! request bodies larger than [`limits::MAX_BODY_BYTES`].

pub mod app;
pub mod config;
pub mod crypto;
pub mod form;
pub mod http;
pub mod json;
pub mod jwt;
pub mod limits;
pub mod metrics;
pub mod no_wait;
pub mod redis;
pub mod server;
pub mod storage;

/// The cookie codec, also reachable as `stateful::http::cookie`.
pub use http::cookie;

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;

/// The token keys of `config`, said on stderr. A key file that is refused
/// is an error carrying a [`config::ConfigError`], which the binary answers
/// with exit status 2 (see [`exit_status`]).
fn load_token_keys(config: &config::Config) -> io::Result<jwt::LoadedKeys> {
    let loaded = jwt::load_keys(config.token_key_file.as_deref(), config.data_dir.as_deref())
        .map_err(|e| {
            if e.is_usage_error() {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    config::ConfigError(e.to_string()),
                )
            } else {
                io::Error::other(e)
            }
        })?;
    eprintln!("{loaded}");
    if let Some(warning) = &loaded.warning {
        eprintln!("{warning}");
    }
    if config.redis.is_some() && config.token_key_file.is_none() {
        eprintln!(
            "warning: --redis without --token-key-file: this instance signs with a key of its \
             own, so other instances refuse its tokens (give them all the same key file)"
        );
    }
    Ok(loaded)
}

/// The exit status for an error of [`run`]: 2 when the command line asked
/// for something unusable (a refused key file), 1 otherwise.
pub fn exit_status(error: &io::Error) -> u8 {
    match error.get_ref() {
        Some(inner) if inner.is::<config::ConfigError>() => 2,
        _ => 1,
    }
}

/// Binds, says where it listens on stdout, and serves until SIGINT/SIGTERM.
pub fn run(config: config::Config) -> io::Result<()> {
    // First, so a stop asked for during start-up is a clean stop too.
    server::install_signal_handlers();
    storage::set_background_hooks(storage::BackgroundHooks {
        start: server::background_started,
        raise: server::low_thread_priority,
        end: server::background_ended,
    });
    // Loaded before anything binds, so a refused key file exits at once.
    let token_keys = load_token_keys(&config)?;
    let app = Arc::new(
        app::App::open(&app::AppConfig {
            pbkdf2_iterations: config.pbkdf2_iterations,
            max_sessions: config.max_sessions,
            data_dir: config.data_dir.clone(),
            redis: config.redis.as_deref().cloned(),
        })?
        .with_token_keys(token_keys.keys),
    );
    app::App::start_sweeper(&app)?;
    if let Some(addr) = config.metrics_bind {
        let scraped = Arc::clone(&app);
        let bound = server::serve_metrics(addr, Arc::new(move || scraped.metrics_text()))?;
        eprintln!("metrics on http://{bound}/metrics");
    }
    let listener = server::bind(SocketAddr::new(config.bind, config.port))?;
    let addr = listener.local_addr()?;
    let mut out = io::stdout().lock();
    writeln!(out, "listening on http://{addr}")?;
    out.flush()?;
    drop(out);
    let mut max_connections = config.max_connections;
    if let Some(budget) = server::connection_budget().filter(|&b| b < max_connections) {
        eprintln!("at most {budget} connections: the open-file limit leaves room for no more");
        max_connections = budget;
    }
    let options = server::ServerOptions {
        threads: config.threads,
        event_loops: std::thread::available_parallelism().map_or(1, |n| n.get()),
        timeouts: config.timeouts,
        max_connections,
    };
    server::serve(listener, app, options)
}
