//! Every size, count and time limit of the server, in one place, each with
//! what happens when it is exceeded. The HTTP contract (`API.md`) fixes most
//! of them; the command line can change the timeouts and the session cap.

use std::time::Duration;

// ---- request head (RFC 9112 §2-§5) ----

/// Longest request line, CRLF excluded. Longer: 414 URI Too Long, then close.
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// Largest header section (all field lines and their line ends, the request
/// line not included). Reaching it: 431, then close.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Most header fields in one request. More: 431, then close.
pub const MAX_HEADER_FIELDS: usize = 100;
/// Empty lines accepted (and ignored) before a request line (RFC 9112 §2.2).
/// More: 400.
pub const MAX_LEADING_EMPTY_LINES: usize = 8;

// ---- request body ----

/// Largest request body, after chunked decoding. A larger `Content-Length` is
/// refused with 413 before a byte of the body is read; a chunked body that
/// grows past it gets 413 as soon as it does. Either way the connection closes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest chunk-size line (size and extensions; the line end not counted).
/// Longer: 400.
pub const MAX_CHUNK_LINE: usize = 4096;
/// Largest chunked trailer section. Larger: 431.
pub const MAX_TRAILER_BYTES: usize = 16 * 1024;

// ---- connections ----

/// The header section of a request must be complete within this time of its
/// first byte (`--header-timeout`). Otherwise: 408, then close.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A keep-alive connection with no request in progress is closed after this
/// (`--idle-timeout`), silently.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// A body that stops arriving for this long (`--body-timeout`) gets 408, then
/// close.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// After an error response the server stops writing and reads (and discards)
/// what the client still sends for at most this long, so the client sees the
/// response instead of a reset.
pub const LINGER_TIMEOUT: Duration = Duration::from_secs(2);
/// ... and at most this many bytes.
pub const LINGER_MAX_BYTES: usize = 256 * 1024;
/// A response that cannot be written within this time (the client stopped
/// reading) is abandoned and the connection closed.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `--max-connections`: most connections open at once. Beyond it
/// new connections get 503 with `Retry-After` and are closed.
pub const MAX_CONNECTIONS: usize = 60_000;
/// Ready connections waiting for a worker, per worker thread. When the queue
/// is full, the connection that became ready gets 503 with `Retry-After` and
/// is closed instead of waiting without bound.
pub const WORK_QUEUE_PER_WORKER: usize = 256;
/// A ready connection that waited longer than this for a worker gets 503
/// with `Retry-After` and is closed: the queue is bounded in time as well as
/// in length, since a short queue of slow requests (logins) can still be too
/// slow.
pub const QUEUE_MAX_WAIT: Duration = Duration::from_secs(2);
/// The journal file grows in steps of this many bytes, written as zeros
/// ahead of the records (see `storage::journal`): a flush then overwrites
/// space the file already has, and its `fdatasync` need not commit a new
/// file size. At most this much disk goes unused.
pub const JOURNAL_PREALLOCATE: u64 = 1024 * 1024;
/// Longest the journal's flusher holds a flush back, after answering the
/// clients of the last one, for their next records (group commit; see
/// `storage::journal`). A comment whose clients' peers do not come back is
/// acknowledged up to this much later.
pub const JOURNAL_GATHER_MAX: Duration = Duration::from_millis(1);
/// Seconds a client is asked to wait in `Retry-After` on 503.
pub const RETRY_AFTER_SECS: u64 = 1;
/// How long a graceful stop (SIGINT/SIGTERM) waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

// ---- bodies of the application ----

/// Deepest nesting of JSON arrays/objects the JSON reader follows before it
/// refuses the body with 400 (so no input can exhaust the stack).
pub const MAX_JSON_DEPTH: usize = 32;
/// Most fields in a JSON object or a form body. More: 400.
pub const MAX_BODY_FIELDS: usize = 64;

// ---- accounts, sessions, comments ----

/// Username length in characters (ASCII letters, digits, `@ . + - _`).
pub const USERNAME_MAX: usize = 150;
/// Password length in bytes of UTF-8.
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 1024;
/// Comment text length in bytes of UTF-8.
pub const COMMENT_MAX: usize = 4096;
/// Default and largest `limit` of `GET /comments`.
pub const COMMENTS_PAGE_DEFAULT: usize = 100;
pub const COMMENTS_PAGE_MAX: usize = 1000;
/// Comments on one page of the board at `GET /`; older ones are a link
/// (`/?before=ID`) away.
pub const BOARD_PAGE: usize = 50;
/// Seconds the `signed_up` cookie lives: from a browser's signup to the
/// page that offers the login form (the page clears it at once).
pub const SIGNED_UP_COOKIE_MAX_AGE: i64 = 60;
/// Most bytes of a login's `User-Agent` kept with its session.
pub const USER_AGENT_MAX: usize = 200;
/// Lifetime of a session after login (Django's SESSION_COOKIE_AGE).
pub const SESSION_TTL: Duration = Duration::from_secs(1_209_600);
/// How often expired sessions are swept from memory.
pub const SESSION_SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// How far a session's `last_seen_at` may lag: a store writes it at most
/// this often per session, so a request costs no write.
pub const LAST_SEEN_GRANULARITY: Duration = Duration::from_secs(60);
/// Default `--max-sessions`; a login beyond it gets 503.
pub const MAX_SESSIONS: usize = 1_000_000;
/// Failed logins for one username within [`LOGIN_THROTTLE_WINDOW`] after
/// which further logins get 429 with `Retry-After`.
pub const LOGIN_THROTTLE_FAILURES: usize = 5;
pub const LOGIN_THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Default PBKDF2-HMAC-SHA256 cost (`--pbkdf2-iterations`).
pub const PBKDF2_ITERATIONS: u32 = 600_000;

// ---- bearer tokens (JWT) ----

/// Longest bearer token accepted, in bytes. Longer: 401 `invalid token`
/// before a byte of it is decoded.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Lifetime of a token from `POST /token`: its `exp` is `iat` plus this.
pub const TOKEN_TTL: Duration = Duration::from_secs(900);
/// Clock skew forgiven when checking `exp`, `nbf` and `iat`: a token is
/// refused once `exp + leeway` has passed, or while `nbf` or `iat` is more
/// than this in the future.
pub const TOKEN_LEEWAY: Duration = Duration::from_secs(60);
/// Shortest signing key, in bytes (RFC 7518 §3.2: at least the hash
/// output). A shorter key in `--token-key-file`: exit status 2.
pub const TOKEN_KEY_MIN: usize = 32;
/// Longest `jti` claim accepted, in bytes (ours are 22). Longer: 401.
pub const TOKEN_JTI_MAX: usize = 128;
/// Longest key id (`kid`) in a key file, in bytes. Longer: exit status 2.
pub const TOKEN_KID_MAX: usize = 64;

// ---- cookies ----

/// Most bytes of name plus value that `SetCookie::encode` writes (RFC 6265bis).
pub const COOKIE_NAME_VALUE_MAX: usize = 4096;
/// Longest Domain or Path attribute value accepted when parsing (RFC 6265bis).
pub const COOKIE_ATTRIBUTE_MAX: usize = 1024;

/// Longest the metrics port waits for a scrape's request or for its
/// answer to be taken; then the connection is dropped.
pub const METRICS_IO_TIMEOUT: Duration = Duration::from_secs(2);
/// Largest request head the metrics port reads (it answers 400 past it).
pub const METRICS_REQUEST_MAX: usize = 8 * 1024;

// ---- the data directory (`--data-dir`) ----

/// The state journal (users, sessions, revoked tokens) is compacted into a
/// new snapshot once the segments written since the last snapshot hold
/// more than this many bytes *and* more than
/// [`STATE_COMPACT_LIVE_RATIO`] times the size of the live state. So the
/// directory holds at most about the live state twice over plus this much
/// (plus one preallocation step): a million logins and logouts leave a few
/// MiB, not hundreds.
pub const STATE_COMPACT_MIN_BYTES: u64 = 4 * 1024 * 1024;
/// See [`STATE_COMPACT_MIN_BYTES`].
pub const STATE_COMPACT_LIVE_RATIO: u64 = 1;
/// The comment log's index is checkpointed to `comments-H.idx` once this
/// many bytes of log follow the last checkpoint, so a start scans (and
/// checksums) at most this much of the log; the rest of the index is read
/// from the checkpoint.
pub const COMMENT_INDEX_CHECKPOINT_BYTES: u64 = 16 * 1024 * 1024;
/// The comment log is rewritten without deleted comments once their bytes
/// pass this many *and* [`COMMENT_COMPACT_DEAD_PERCENT`] per cent of the log.
pub const COMMENT_COMPACT_MIN_DEAD_BYTES: u64 = 16 * 1024 * 1024;
/// See [`COMMENT_COMPACT_MIN_DEAD_BYTES`].
pub const COMMENT_COMPACT_DEAD_PERCENT: u64 = 50;
/// Background work of the storage (a compaction's fold or copy) starts at
/// the lowest priority (`SCHED_IDLE`: it runs when the request threads
/// leave the CPU, and a waking event loop preempts it at once). Past this
/// long it continues at nice 19, which a CPU that is never idle still gives
/// about 1.5 % of its time, so a compaction always finishes.
pub const BACKGROUND_RAISE_AFTER: Duration = Duration::from_secs(2);
/// While background work runs, an event loop whose last wait found events
/// polls (`epoll_wait` with no timeout) this long before it sleeps, so that
/// the next request rarely has to take the CPU back from that work (see
/// `server::background_started`). Never while no background work runs:
/// an idle server spends nothing on it.
pub const BACKGROUND_POLL: Duration = Duration::from_micros(50);
