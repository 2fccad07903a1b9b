//! Counters for operators, served in the Prometheus text exposition format
//! (version 0.0.4) on `--metrics-bind`, a listener of its own: never on the
//! main port.
//!
//! Every figure is an atomic in one process-wide [`METRICS`], so counting
//! costs a relaxed add on the request path and no lock. Routes are counted
//! by a small index the [`crate::server::Handler`] gives each request (its
//! endpoint), never by the raw path, so a scan of random paths cannot grow
//! the output.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `stateful_http_requests_total` | counter | `route`, `class` (`1xx`..`5xx`) |
//! | `stateful_http_request_duration_seconds` | histogram | `route` |
//! | `stateful_open_connections` | gauge | |
//! | `stateful_sessions` | gauge | |
//! | `stateful_logins_total` | counter | |
//! | `stateful_login_failures_total` | counter | |
//! | `stateful_store_call_duration_seconds` | histogram | `store` |
//! | `stateful_store_errors_total` | counter | `store` |
//! | `stateful_access_log_dropped_lines_total` | counter | |

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Most distinct route labels; a route index at or past it counts as the
/// last one ("other").
pub const MAX_ROUTES: usize = 24;

/// Upper bounds of the duration histograms, in seconds (`+Inf` follows).
pub const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A histogram of durations: a count per bucket, a total count and a sum
/// in nanoseconds.
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicU64 = AtomicU64::new(0);

impl Histogram {
    pub const fn new() -> Histogram {
        Histogram {
            buckets: [ZERO; BUCKETS.len()],
            count: ZERO,
            sum_nanos: ZERO,
        }
    }

    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&b| secs <= b) {
            self.buckets[i].fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_nanos
            .fetch_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX), Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i].load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Relaxed) as f64 / 1e9;
        let braces = |s: &str| {
            if s.is_empty() {
                String::new()
            } else {
                format!("{{{s}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {count}", braces(labels));
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

struct RouteStats {
    /// By status class: 1xx, 2xx, 3xx, 4xx, 5xx.
    by_class: [AtomicU64; 5],
    duration: Histogram,
}

#[allow(clippy::declare_interior_mutable_const)]
const ROUTE: RouteStats = RouteStats {
    by_class: [ZERO; 5],
    duration: Histogram::new(),
};

/// Every figure of the process.
pub struct Metrics {
    routes: [RouteStats; MAX_ROUTES],
    open_connections: AtomicI64,
    logins: AtomicU64,
    login_failures: AtomicU64,
    store_calls: Histogram,
    store_errors: AtomicU64,
    dropped_log_lines: AtomicU64,
}

/// The process's metrics.
pub static METRICS: Metrics = Metrics {
    routes: [ROUTE; MAX_ROUTES],
    open_connections: AtomicI64::new(0),
    logins: AtomicU64::new(0),
    login_failures: AtomicU64::new(0),
    store_calls: Histogram::new(),
    store_errors: AtomicU64::new(0),
    dropped_log_lines: AtomicU64::new(0),
};

/// What a scrape needs from outside this module: route names (by index)
/// and the figures only the store knows.
pub struct Scrape<'a> {
    pub route_names: &'a [&'a str],
    pub sessions: Option<u64>,
    pub store: &'a str,
}

impl Metrics {
    /// One answered request of route `route` (an index into the handler's
    /// route names).
    pub fn request(&self, route: usize, status: u16, took: Duration) {
        let r = &self.routes[route.min(MAX_ROUTES - 1)];
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        r.by_class[class].fetch_add(1, Relaxed);
        r.duration.observe(took);
    }

    pub fn connection_opened(&self) {
        self.open_connections.fetch_add(1, Relaxed);
    }

    pub fn connection_closed(&self) {
        self.open_connections.fetch_sub(1, Relaxed);
    }

    pub fn login(&self, ok: bool) {
        if ok {
            self.logins.fetch_add(1, Relaxed);
        } else {
            self.login_failures.fetch_add(1, Relaxed);
        }
    }

    /// One call into the store, and whether it failed.
    pub fn store_call(&self, took: Duration, failed: bool) {
        self.store_calls.observe(took);
        if failed {
            self.store_errors.fetch_add(1, Relaxed);
        }
    }

    pub fn dropped_log_lines(&self, n: u64) {
        self.dropped_log_lines.fetch_add(n, Relaxed);
    }

    /// The exposition text.
    pub fn render(&self, scrape: &Scrape<'_>) -> String {
        let mut out = String::with_capacity(8192);
        let name_of = |i: usize| -> &str { scrape.route_names.get(i).copied().unwrap_or("other") };
        out.push_str("# HELP stateful_http_requests_total Requests answered, by route and status class.\n# TYPE stateful_http_requests_total counter\n");
        for (i, r) in self.routes.iter().enumerate() {
            for (c, n) in r.by_class.iter().enumerate() {
                let n = n.load(Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "stateful_http_requests_total{{route=\"{}\",class=\"{}xx\"}} {n}",
                        name_of(i),
                        c + 1
                    );
                }
            }
        }
        out.push_str("# HELP stateful_http_request_duration_seconds From a request's arrival to its response, by route.\n# TYPE stateful_http_request_duration_seconds histogram\n");
        for (i, r) in self.routes.iter().enumerate() {
            if r.duration.count.load(Relaxed) > 0 {
                let labels = format!("route=\"{}\"", name_of(i));
                r.duration
                    .render(&mut out, "stateful_http_request_duration_seconds", &labels);
            }
        }
        let gauge = |out: &mut String, name: &str, help: &str, kind: &str, v: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
            );
        };
        gauge(
            &mut out,
            "stateful_open_connections",
            "Connections open now, idle keep-alive ones included.",
            "gauge",
            self.open_connections.load(Relaxed).max(0).to_string(),
        );
        if let Some(n) = scrape.sessions {
            gauge(
                &mut out,
                "stateful_sessions",
                "Sessions held by the store.",
                "gauge",
                n.to_string(),
            );
        }
        gauge(
            &mut out,
            "stateful_logins_total",
            "Successful logins (sessions and tokens).",
            "counter",
            self.logins.load(Relaxed).to_string(),
        );
        gauge(
            &mut out,
            "stateful_login_failures_total",
            "Failed logins: bad credentials or throttled.",
            "counter",
            self.login_failures.load(Relaxed).to_string(),
        );
        let store = format!("store=\"{}\"", scrape.store);
        out.push_str("# HELP stateful_store_call_duration_seconds Calls into the store (journal, Redis or memory).\n# TYPE stateful_store_call_duration_seconds histogram\n");
        self.store_calls
            .render(&mut out, "stateful_store_call_duration_seconds", &store);
        let _ = writeln!(
            out,
            "# HELP stateful_store_errors_total Store calls that failed.\n# TYPE stateful_store_errors_total counter\nstateful_store_errors_total{{{store}}} {}",
            self.store_errors.load(Relaxed)
        );
        gauge(
            &mut out,
            "stateful_access_log_dropped_lines_total",
            "Access-log lines dropped because stderr was not read fast enough.",
            "counter",
            self.dropped_log_lines.load(Relaxed).to_string(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_types_and_cumulative_buckets() {
        let m = Metrics {
            routes: [ROUTE; MAX_ROUTES],
            open_connections: AtomicI64::new(0),
            logins: AtomicU64::new(0),
            login_failures: AtomicU64::new(0),
            store_calls: Histogram::new(),
            store_errors: AtomicU64::new(0),
            dropped_log_lines: AtomicU64::new(0),
        };
        m.request(1, 200, Duration::from_micros(50));
        m.request(1, 404, Duration::from_millis(3));
        m.request(99, 503, Duration::from_secs(9));
        m.connection_opened();
        m.login(false);
        m.store_call(Duration::from_micros(300), true);
        let text = m.render(&Scrape {
            route_names: &["/healthz", "/me"],
            sessions: Some(7),
            store: "memory",
        });
        for line in [
            "stateful_http_requests_total{route=\"/me\",class=\"2xx\"} 1",
            "stateful_http_requests_total{route=\"/me\",class=\"4xx\"} 1",
            "stateful_http_requests_total{route=\"other\",class=\"5xx\"} 1",
            "stateful_http_request_duration_seconds_bucket{route=\"/me\",le=\"0.0001\"} 1",
            "stateful_http_request_duration_seconds_bucket{route=\"/me\",le=\"0.005\"} 2",
            "stateful_http_request_duration_seconds_bucket{route=\"other\",le=\"2.5\"} 0",
            "stateful_http_request_duration_seconds_bucket{route=\"other\",le=\"+Inf\"} 1",
            "stateful_http_request_duration_seconds_count{route=\"/me\"} 2",
            "stateful_open_connections 1",
            "stateful_sessions 7",
            "stateful_login_failures_total 1",
            "stateful_store_errors_total{store=\"memory\"} 1",
            "# TYPE stateful_store_call_duration_seconds histogram",
            "stateful_access_log_dropped_lines_total 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
    }
}
