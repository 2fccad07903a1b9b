//! The application: accounts, sessions and the comment board, as plain
//! functions from a [`Request`] to a [`Response`] over [`App`]. Nothing here
//! sees a socket or a raw byte buffer; every lock is held for one map
//! operation and never across hashing or a disk write.
//!
//! - [`users`], [`sessions`], [`comments`], [`throttle`]: the state, each a
//!   type that owns its lock.
//! - [`body`]: request bodies by media type.
//! - [`auth`]: the session cookie or a bearer token, resolved to one
//!   [`Principal`](auth::Principal).
//! - `browser`: the board at `GET /`, and the 303-or-page answer to a
//!   browser's form post; [`html`] renders the page, [`assets`] serves
//!   `/static/`.
//! - `routes`: one function per route; the table below maps paths to them.

pub mod assets;
pub mod auth;
pub mod body;
mod browser;
pub mod comments;
pub mod html;
pub mod redis_store;
mod routes;
pub mod sessions;
pub mod store;
pub mod throttle;
mod tokens;
pub mod users;

use std::io;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, Weak};

use crate::crypto::{check_random_source, hash_password, must_update, new_salt};
use crate::http::date::unix_now;
use crate::http::{Method, Request, RequestHead, Response};
use crate::jwt::{load_keys, KeySet};
use crate::limits::SESSION_SWEEP_INTERVAL;
use crate::metrics::{Scrape, METRICS};
use crate::redis::{Client, RedisConfig};
use crate::server::{Handler, Reply};
use redis_store::RedisStore;
use store::{JournalStore, MemoryStore, MeteredStore, Store};

/// What the application needs from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    pub pbkdf2_iterations: u32,
    pub max_sessions: usize,
    pub data_dir: Option<PathBuf>,
    /// `--redis`: the store lives in Redis (never with `data_dir`).
    pub redis: Option<RedisConfig>,
}

/// The state shared by every request: the store, the token keys, and what
/// hashing needs.
pub struct App {
    /// Shared with deferred answers, which may present a page later.
    store: Arc<dyn Store>,
    /// Signs the tokens of `POST /token` (the first key) and verifies
    /// bearer tokens (every key).
    tokens: KeySet,
    iterations: u32,
    /// Verified against when the username is unknown, so that path costs
    /// the same hashing as a wrong password.
    dummy_hash: String,
}

impl App {
    /// Checks the random source, opens the store the flags ask for (Redis
    /// with `--redis`, the journal in `--data-dir`, else memory), and says
    /// on stderr where data lives. An unreachable Redis is not an error:
    /// the server starts, and `/readyz` says 503 until Redis answers.
    pub fn open(config: &AppConfig) -> io::Result<App> {
        let store: Box<dyn Store> = match (&config.redis, &config.data_dir) {
            (Some(r), _) => {
                let client = Arc::new(Client::new(r.url.clone(), r.timeout));
                let store = RedisStore::new(client, &r.prefix, config.max_sessions, r.cache)?;
                eprintln!(
                    "data lives in Redis at {} under keys {}* (session cache {})",
                    r.url,
                    r.prefix,
                    if r.cache { "on" } else { "off" }
                );
                if let Err(e) = store.ping() {
                    eprintln!("{e:?}: starting anyway; /readyz says 503 until Redis answers");
                }
                Box::new(MeteredStore::new(Box::new(store)))
            }
            (None, Some(dir)) => Box::new(MeteredStore::new(Box::new(JournalStore::open(
                dir,
                config.max_sessions,
            )?))),
            (None, None) => {
                eprintln!(
                    "data lives in memory only (no --data-dir): a restart forgets users, sessions and comments"
                );
                Box::new(MemoryStore::new(config.max_sessions))
            }
        };
        App::with_store(store, config.pbkdf2_iterations)
    }

    /// An app over `store`, hashing new passwords at `iterations`, with a
    /// random token key (see [`App::with_token_keys`]).
    pub fn with_store(store: Box<dyn Store>, iterations: u32) -> io::Result<App> {
        check_random_source()?;
        let dummy_hash = hash_password("not a real password", &new_salt()?, iterations);
        Ok(App {
            store: Arc::from(store),
            tokens: load_keys(None, None).map_err(io::Error::other)?.keys,
            iterations,
            dummy_hash,
        })
    }

    /// The same app, signing and verifying tokens with `keys`.
    pub fn with_token_keys(mut self, keys: KeySet) -> App {
        self.tokens = keys;
        self
    }

    /// The store the routes use.
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// The Prometheus exposition of this process's metrics.
    pub fn metrics_text(&self) -> String {
        METRICS.render(&Scrape {
            route_names: self.route_names(),
            sessions: self.store.session_count().ok(),
            store: self.store.kind(),
        })
    }

    /// Starts the background sweep of expired sessions, throttle entries
    /// and deny-list entries; it ends when the app is dropped.
    pub fn start_sweeper(app: &Arc<App>) -> io::Result<()> {
        let weak: Weak<App> = Arc::downgrade(app);
        std::thread::Builder::new()
            .name("session-sweep".into())
            .spawn(move || loop {
                std::thread::sleep(SESSION_SWEEP_INTERVAL);
                let Some(app) = weak.upgrade() else { return };
                app.store.sweep(unix_now());
            })?;
        Ok(())
    }

    fn hash_new_password(&self, password: &str) -> io::Result<String> {
        Ok(hash_password(password, &new_salt()?, self.iterations))
    }

    /// After a successful login: a hash made at another cost (or with a
    /// short salt) is made again from the password just checked, as Django
    /// does, so raising `--pbkdf2-iterations` strengthens each account at
    /// its next login. The store writes the new hash durably before the
    /// login answers; if the random source or the store fails, the old
    /// hash, which still opens the account, stays.
    fn upgrade_hash(&self, username: &str, old_hash: &str, password: &str) {
        if !must_update(old_hash, self.iterations) {
            return;
        }
        let Ok(new_hash) = self.hash_new_password(password) else {
            return;
        };
        let _ = self
            .store
            .replace_password_hash(username, old_hash, &new_hash);
    }
}

/// A route answers at once, or (`Deferred`) may answer later.
#[derive(Clone, Copy)]
enum Route {
    Now(fn(&App, &Request) -> Response),
    Deferred(fn(&App, &Request) -> Reply),
}

/// A path pattern, the `Allow` value for it, and its handlers (HEAD uses
/// GET's). In a pattern, `*` stands for one path segment (a comment id).
struct Endpoint {
    path: &'static str,
    allow: &'static str,
    get: Option<Route>,
    post: Option<Route>,
    delete: Option<Route>,
    /// The pattern has a `*`: matched segment by segment, else by equality.
    wildcard: bool,
}

/// Whether `s` holds a `*` (at compile time, for the endpoint table).
const fn has_star(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'*' {
            return true;
        }
        i += 1;
    }
    false
}

impl Endpoint {
    const fn new(path: &'static str, allow: &'static str) -> Endpoint {
        Endpoint {
            path,
            allow,
            wildcard: has_star(path),
            get: None,
            post: None,
            delete: None,
        }
    }

    const fn get(mut self, route: Route) -> Endpoint {
        self.get = Some(route);
        self
    }

    const fn post(mut self, route: Route) -> Endpoint {
        self.post = Some(route);
        self
    }

    const fn delete(mut self, route: Route) -> Endpoint {
        self.delete = Some(route);
        self
    }

    fn matches(&self, path: &str) -> bool {
        if !self.wildcard {
            // Every request is matched against the table twice (route and
            // metrics), so the common case is one comparison.
            return self.path == path;
        }
        let mut want = self.path.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return true,
                (Some("*"), Some(seg)) if !seg.is_empty() => {}
                (Some(w), Some(g)) if w == g => {}
                _ => return false,
            }
        }
    }
}

const ENDPOINTS: &[Endpoint] = &[
    Endpoint::new("/", "GET, HEAD").get(Route::Now(browser::board)),
    Endpoint::new("/static/*", "GET, HEAD").get(Route::Now(assets::serve)),
    Endpoint::new("/healthz", "GET, HEAD").get(Route::Now(routes::healthz)),
    Endpoint::new("/readyz", "GET, HEAD").get(Route::Now(routes::readyz)),
    Endpoint::new("/signup", "POST").post(Route::Now(routes::signup)),
    Endpoint::new("/login", "POST").post(Route::Now(routes::login)),
    Endpoint::new("/token", "POST").post(Route::Now(tokens::issue)),
    Endpoint::new("/logout", "POST").post(Route::Now(routes::logout)),
    Endpoint::new("/password", "POST").post(Route::Now(routes::change_password)),
    Endpoint::new("/me", "GET, HEAD").get(Route::Deferred(routes::me)),
    Endpoint::new("/sessions", "GET, HEAD").get(Route::Now(routes::list_sessions)),
    Endpoint::new("/comments", "GET, HEAD, POST")
        .get(Route::Now(routes::list_comments))
        .post(Route::Deferred(routes::post_comment)),
    Endpoint::new("/comments/*", "DELETE").delete(Route::Now(routes::delete_comment)),
    Endpoint::new("/comments/*/delete", "POST").post(Route::Now(routes::delete_comment_form)),
];

// Every endpoint has its own metrics slot, with one left for "other".
const _: () = assert!(ENDPOINTS.len() < crate::metrics::MAX_ROUTES);

/// Paths whose POST hashes a password: always on the worker pool.
const HASHING_PATHS: &[&str] = &["/signup", "/login", "/password", "/token"];

impl App {
    /// The route for a request, or the response that refuses it: 501 for a
    /// method implemented nowhere, 404, 405 with `Allow`, 403 for a
    /// cross-site POST or DELETE.
    fn route(&self, req: &Request) -> Result<Route, Response> {
        let method = req.head.method();
        if !matches!(
            method,
            Method::Get | Method::Head | Method::Post | Method::Delete
        ) {
            return Err(error(501, "method not implemented"));
        }
        let path = req.head.path();
        let Some(endpoint) = ENDPOINTS.iter().find(|e| e.matches(path)) else {
            return Err(error(404, "not found"));
        };
        let route = match method {
            Method::Post => endpoint.post,
            Method::Delete => endpoint.delete,
            _ => endpoint.get,
        };
        let Some(route) = route else {
            return Err(error(405, "method not allowed").with_header("Allow", endpoint.allow));
        };
        if matches!(method, Method::Post | Method::Delete) && !same_origin(req) {
            return Err(error(
                403,
                "cross-site request refused (Origin does not match Host)",
            ));
        }
        Ok(route)
    }
}

impl Handler for App {
    /// Answers, waiting for a deferred response if the route defers.
    fn handle(&self, req: &Request) -> Response {
        match self.reply(req) {
            Reply::Now(response) => response,
            Reply::Later(start) => {
                let (tx, rx) = std::sync::mpsc::channel();
                start(Box::new(move |response| {
                    let _ = tx.send(response);
                }));
                rx.recv()
                    .unwrap_or_else(|_| error(500, "the deferred response was lost"))
            }
        }
    }

    fn reply(&self, req: &Request) -> Reply {
        #[cfg(feature = "fault-injection")]
        if let Some(r) = fault_injection(req) {
            return Reply::Now(r);
        }
        let reply = match self.route(req) {
            Ok(Route::Now(f)) => Reply::Now(f(self, req)),
            Ok(Route::Deferred(f)) => f(self, req),
            Err(refusal) => Reply::Now(refusal),
        };
        // A browser's form post gets a 303 or the page in words instead.
        let Some(ctx) = browser::Context::of_form_post(req) else {
            return reply;
        };
        match reply {
            Reply::Now(r) => Reply::Now(ctx.present(self.store(), r)),
            Reply::Later(start) => {
                let store = Arc::clone(&self.store);
                Reply::Later(Box::new(move |respond| {
                    start(Box::new(move |r| respond(ctx.present(&*store, r))))
                }))
            }
        }
    }

    /// What runs on the worker pool rather than inline on an event loop:
    /// routes that hash a password; with a store whose calls wait on the
    /// network, every route that uses it; with one whose writes wait for a
    /// disk, every write but a comment (which defers its response to the
    /// fsync instead of holding a thread).
    fn route_index(&self, head: &RequestHead) -> usize {
        let path = head.path();
        ENDPOINTS
            .iter()
            .position(|e| e.matches(path))
            .unwrap_or(usize::MAX)
    }

    fn route_names(&self) -> &[&'static str] {
        static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
        NAMES.get_or_init(|| ENDPOINTS.iter().map(|e| e.path).collect())
    }

    fn blocks(&self, head: &RequestHead) -> bool {
        #[cfg(feature = "fault-injection")]
        if head.path() == "/__sleep" {
            return true;
        }
        let method = head.method();
        let path = head.path();
        if method == Method::Post && HASHING_PATHS.contains(&path) {
            return true;
        }
        if self.store.is_remote() {
            // GET /me defers instead of blocking, by cookie or by token
            // (see routes::me).
            return path != "/healthz" && !path.starts_with(assets::PREFIX) && path != "/me";
        }
        self.store.writes_block()
            && matches!(method, Method::Post | Method::Delete)
            && path != "/comments"
    }
}

/// A POST without `Origin` (curl, telnet) is allowed; with one, it must be
/// `http://` + the request's own `Host` (RFC 6454 serialisation; `null`
/// never matches).
fn same_origin(req: &Request) -> bool {
    let Some(origin) = req.head.header("origin") else {
        return true;
    };
    let Some(host) = req.head.host() else {
        return false;
    };
    origin.len() == "http://".len() + host.len()
        && origin[..7].eq_ignore_ascii_case(b"http://")
        && origin[7..].eq_ignore_ascii_case(host.as_bytes())
        && !host.is_empty()
}

/// A JSON error response.
fn error(status: u16, message: &str) -> Response {
    Response::json(status, crate::json::error_body(message))
}

/// Test-only routes, compiled in only with the `fault-injection` feature:
/// `GET /__panic` panics inside the handler; `GET /__sleep` holds its worker
/// for 300 ms (a request in flight, for shutdown and overload tests).
#[cfg(feature = "fault-injection")]
fn fault_injection(req: &Request) -> Option<Response> {
    match req.head.path() {
        "/__panic" => panic!("fault injection: /__panic"),
        "/__sleep" => {
            std::thread::sleep(std::time::Duration::from_millis(300));
            Some(Response::text(200, "slept"))
        }
        _ => None,
    }
}
