//! The application: accounts, sessions and the comment board, as plain
//! functions from a [`Request`] to a [`Response`] over [`App`]. Nothing here
//! sees a socket or a raw byte buffer; every lock is held for one map
//! operation and never across hashing or a disk write.
//!
//! - [`users`], [`sessions`], [`comments`], [`throttle`]: the state, each a
//!   type that owns its lock.
//! - [`body`]: request bodies by media type.
//! - `routes`: one function per route; the table below maps paths to them.

pub mod body;
pub mod comments;
mod routes;
pub mod sessions;
pub mod store;
pub mod throttle;
pub mod users;

use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Instant;

use crate::crypto::{check_random_source, hash_password, must_update, new_salt};
use crate::http::{Method, Request, RequestHead, Response};
use crate::limits::{SESSION_SWEEP_INTERVAL, SESSION_TTL};
use crate::server::{Handler, Reply};
use crate::storage::{Journal, Record, Ticket};
use comments::{Comment, CommentStore};
use sessions::SessionStore;
use throttle::LoginThrottle;
use users::{User, UserStore};

/// What the application needs from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    pub pbkdf2_iterations: u32,
    pub max_sessions: usize,
    pub data_dir: Option<PathBuf>,
}

/// The state shared by every request.
pub struct App {
    users: UserStore,
    sessions: SessionStore,
    comments: Arc<CommentStore>,
    throttle: LoginThrottle,
    journal: Option<Arc<Journal>>,
    iterations: u32,
    /// Verified against when the username is unknown, so that path costs
    /// the same hashing as a wrong password.
    dummy_hash: String,
}

impl App {
    /// Checks the random source, opens and replays the journal (with a data
    /// directory), and says on stderr where data lives.
    pub fn open(config: &AppConfig) -> io::Result<App> {
        check_random_source()?;
        let dummy_hash = hash_password(
            "not a real password",
            &new_salt()?,
            config.pbkdf2_iterations,
        );
        let app_without_journal = |journal| App {
            users: UserStore::new(),
            sessions: SessionStore::new(config.max_sessions, SESSION_TTL),
            comments: Arc::new(CommentStore::new()),
            throttle: LoginThrottle::new(),
            journal,
            iterations: config.pbkdf2_iterations,
            dummy_hash: dummy_hash.clone(),
        };
        let Some(dir) = &config.data_dir else {
            eprintln!(
                "data lives in memory only (no --data-dir): a restart forgets users and comments"
            );
            return Ok(app_without_journal(None));
        };
        let (journal, records) = Journal::open(dir)?;
        let journal = Arc::new(journal);
        Journal::spawn_flusher(&journal)?;
        let app = app_without_journal(Some(journal));
        let mut comments = Vec::new();
        for record in records {
            match record {
                Record::User {
                    username,
                    password_hash,
                    created_at,
                } => app.users.restore(
                    username,
                    User {
                        password_hash,
                        created_at,
                    },
                ),
                Record::Comment {
                    id,
                    author,
                    text,
                    created_at,
                } => comments.push(Comment::new(id, author, text, created_at)),
            }
        }
        let n_comments = comments.len();
        app.comments.restore(comments);
        eprintln!(
            "data directory {}: replayed {} users and {} comments",
            dir.display(),
            app.users.len(),
            n_comments
        );
        Ok(app)
    }

    /// Starts the background sweep of expired sessions and stale throttle
    /// entries; it ends when the app is dropped.
    pub fn start_sweeper(app: &Arc<App>) -> io::Result<()> {
        let weak: Weak<App> = Arc::downgrade(app);
        std::thread::Builder::new()
            .name("session-sweep".into())
            .spawn(move || loop {
                std::thread::sleep(SESSION_SWEEP_INTERVAL);
                let Some(app) = weak.upgrade() else { return };
                app.sweep(Instant::now());
            })?;
        Ok(())
    }

    /// Removes expired sessions and throttle entries; returns how many
    /// sessions went.
    pub fn sweep(&self, now: Instant) -> usize {
        self.throttle.sweep(now);
        self.sessions.sweep(now)
    }

    /// Queues `record` in the journal (if there is one) without waiting.
    fn enqueue(&self, record: &Record) -> io::Result<Option<Ticket>> {
        match &self.journal {
            Some(j) => j.enqueue(record).map(Some),
            None => Ok(None),
        }
    }

    /// Queues `username`'s record: a new user, or a new hash (replay keeps
    /// the last record of each user).
    fn enqueue_user(&self, username: &str, user: &User) -> io::Result<Option<Ticket>> {
        self.enqueue(&Record::User {
            username: username.to_string(),
            password_hash: user.password_hash.clone(),
            created_at: user.created_at,
        })
    }

    /// Waits until a queued record is on disk.
    fn wait_durable(&self, ticket: Option<Ticket>) -> io::Result<()> {
        match (&self.journal, ticket) {
            (Some(j), Some(t)) => j.wait_durable(t),
            _ => Ok(()),
        }
    }

    fn hash_new_password(&self, password: &str) -> io::Result<String> {
        Ok(hash_password(password, &new_salt()?, self.iterations))
    }

    /// After a successful login: a hash made at another cost (or with a
    /// short salt) is made again from the password just checked, as Django
    /// does, so raising `--pbkdf2-iterations` strengthens each account at
    /// its next login. The journal gets the new hash as a later `User`
    /// record, which replay lets win, and the login waits for its fsync as a
    /// signup does (one shared fsync, beside two hashes), so what a restart
    /// finds is what the login left. If the random source or the journal
    /// fails, the old hash, which still opens the account, stays.
    fn upgrade_hash(&self, username: &str, old_hash: &str, password: &str) {
        if !must_update(old_hash, self.iterations) {
            return;
        }
        let Ok(new_hash) = self.hash_new_password(password) else {
            return;
        };
        let replaced = self.users.replace_hash(username, old_hash, new_hash, |u| {
            self.enqueue_user(username, u)
        });
        if let Ok(Some(ticket)) = replaced {
            let _ = self.wait_durable(ticket);
        }
    }
}

/// A route answers at once, or (`Deferred`) may answer later.
#[derive(Clone, Copy)]
enum Route {
    Now(fn(&App, &Request) -> Response),
    Deferred(fn(&App, &Request) -> Reply),
}

/// A path, the `Allow` value for it, and its handlers (HEAD uses GET's).
struct Endpoint {
    path: &'static str,
    allow: &'static str,
    get: Option<Route>,
    post: Option<Route>,
}

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/healthz",
        allow: "GET, HEAD",
        get: Some(Route::Now(routes::healthz)),
        post: None,
    },
    Endpoint {
        path: "/signup",
        allow: "POST",
        get: None,
        post: Some(Route::Now(routes::signup)),
    },
    Endpoint {
        path: "/login",
        allow: "POST",
        get: None,
        post: Some(Route::Now(routes::login)),
    },
    Endpoint {
        path: "/logout",
        allow: "POST",
        get: None,
        post: Some(Route::Now(routes::logout)),
    },
    Endpoint {
        path: "/me",
        allow: "GET, HEAD",
        get: Some(Route::Now(routes::me)),
        post: None,
    },
    Endpoint {
        path: "/comments",
        allow: "GET, HEAD, POST",
        get: Some(Route::Now(routes::list_comments)),
        post: Some(Route::Deferred(routes::post_comment)),
    },
];

impl App {
    /// The route for a request, or the response that refuses it: 501 for a
    /// method implemented nowhere, 404, 405 with `Allow`, 403 for a
    /// cross-site POST.
    fn route(&self, req: &Request) -> Result<Route, Response> {
        let method = req.head.method();
        if !matches!(method, Method::Get | Method::Head | Method::Post) {
            return Err(error(501, "method not implemented"));
        }
        let Some(endpoint) = ENDPOINTS.iter().find(|e| e.path == req.head.path()) else {
            return Err(error(404, "not found"));
        };
        let route = match method {
            Method::Post => endpoint.post,
            _ => endpoint.get,
        };
        let Some(route) = route else {
            return Err(error(405, "method not allowed").with_header("Allow", endpoint.allow));
        };
        if method == Method::Post && !same_origin(req) {
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
        match self.route(req) {
            Ok(Route::Now(f)) => Reply::Now(f(self, req)),
            Ok(Route::Deferred(f)) => f(self, req),
            Err(refusal) => Reply::Now(refusal),
        }
    }

    /// Signup and login hash a password: they run on the worker pool. (A
    /// comment with a data directory waits for its fsync without a thread:
    /// it defers its response instead.)
    fn blocks(&self, head: &RequestHead) -> bool {
        #[cfg(feature = "fault-injection")]
        if head.path() == "/__sleep" {
            return true;
        }
        head.method() == Method::Post && matches!(head.path(), "/signup" | "/login")
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
