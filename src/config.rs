//! The command line: flags of `API.md` into a [`Config`], with clear errors.
//!
//! ```
//! use stateful::config::{parse_args, Command};
//! let Ok(Command::Run(c)) = parse_args(["--port", "0", "--idle-timeout=1.5"]) else { panic!() };
//! assert_eq!(c.port, 0);
//! assert_eq!(c.timeouts.idle.as_millis(), 1500);
//! assert!(parse_args(["--nope"]).is_err());
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::limits;
use crate::redis::{RedisConfig, RedisUrl, DEFAULT_PREFIX, DEFAULT_TIMEOUT};
use crate::server::Timeouts;

pub const USAGE: &str = "\
usage: stateful [--bind ADDR] [--port N] [--threads N] [--pbkdf2-iterations N]
                [--max-sessions N] [--max-connections N]
                [--data-dir DIR | --redis URL [--redis-prefix P] [--redis-timeout S]
                                              [--redis-cache on|off]]
                [--metrics-bind ADDR:PORT] [--token-key-file FILE]
                [--header-timeout S] [--body-timeout S] [--idle-timeout S]

An HTTP/1.1 server that keeps state with cookies and a server-side session table.

  --bind ADDR              address to listen on (default 127.0.0.1)
  --port N                 TCP port, 0 for an ephemeral one (default 8080)
  --threads N              worker threads for blocking requests (password
                           hashing, Redis calls); default 2 per CPU, at least
                           4 (with --redis, at least 16). Network I/O runs on
                           one event loop per CPU.
  --pbkdf2-iterations N    password hashing cost (default 600000)
  --max-sessions N         most sessions held at once (default 1000000)
  --max-connections N      most connections open at once; more get 503
                           (default 60000)
  --data-dir DIR           keep users and comments in a journal in DIR
                           (default: memory only)
  --redis URL              keep everything in Redis, shared by any number of
                           instances: redis://[[user]:password@]host[:port][/db]
  --redis-prefix P         what every Redis key starts with (default stateful:)
  --redis-timeout S        longest wait for Redis per call (default 1); past
                           it, or with Redis down, requests get 503
  --redis-cache on|off     serve sessions from a local copy that Redis keeps
                           current (CLIENT TRACKING; default on)
  --metrics-bind ADDR:PORT serve GET /metrics (Prometheus text format) on a
                           listener of its own (default: off)
  --token-key-file FILE    keys for bearer tokens (POST /token), one a line,
                           kid:base64url of 32 or more bytes; the first
                           signs, all verify (default: DIR/token.key with
                           --data-dir, created once; else random at start)
  --header-timeout S       seconds for a request head to arrive (default 10)
  --body-timeout S         seconds a request body may stall (default 10)
  --idle-timeout S         seconds a kept-alive connection may idle (default 5)
  --help                   print this and exit

The first line on stdout is `listening on http://ADDR:PORT`.
";

/// Everything the server needs to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub bind: IpAddr,
    pub port: u16,
    pub threads: usize,
    pub pbkdf2_iterations: u32,
    pub max_sessions: usize,
    pub max_connections: usize,
    pub data_dir: Option<PathBuf>,
    /// Boxed: most runs have none, and it is the largest field.
    pub redis: Option<Box<RedisConfig>>,
    pub metrics_bind: Option<SocketAddr>,
    pub token_key_file: Option<PathBuf>,
    pub timeouts: Timeouts,
}

impl Default for Config {
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Config {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            threads: (cpus * 2).max(4),
            pbkdf2_iterations: limits::PBKDF2_ITERATIONS,
            max_sessions: limits::MAX_SESSIONS,
            max_connections: limits::MAX_CONNECTIONS,
            data_dir: None,
            redis: None,
            metrics_bind: None,
            token_key_file: None,
            timeouts: Timeouts {
                header: limits::HEADER_TIMEOUT,
                body: limits::BODY_TIMEOUT,
                idle: limits::IDLE_TIMEOUT,
            },
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run(Config),
    Help,
}

/// A command line that cannot be run; the message names the flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Parses the arguments after the program name. Flags take their value as
/// the next argument or after `=`.
pub fn parse_args<I, S>(args: I) -> Result<Command, ConfigError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut c = Config::default();
    let mut threads_given = false;
    let mut redis_url: Option<RedisUrl> = None;
    let mut redis_prefix: Option<String> = None;
    let mut redis_timeout: Option<Duration> = None;
    let mut redis_cache: Option<bool> = None;
    let mut args = args.into_iter().map(|s| s.as_ref().to_string());
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if flag == "--help" || flag == "-h" {
            return Ok(Command::Help);
        }
        const FLAGS: &[&str] = &[
            "--bind",
            "--port",
            "--threads",
            "--pbkdf2-iterations",
            "--max-sessions",
            "--max-connections",
            "--data-dir",
            "--redis",
            "--redis-prefix",
            "--redis-timeout",
            "--redis-cache",
            "--metrics-bind",
            "--token-key-file",
            "--header-timeout",
            "--body-timeout",
            "--idle-timeout",
        ];
        if !FLAGS.contains(&flag.as_str()) {
            return Err(ConfigError(format!("unknown argument {arg:?}")));
        }
        let value = match inline.or_else(|| args.next()) {
            Some(v) => v,
            None => return Err(ConfigError(format!("{flag} needs a value"))),
        };
        let bad = |what: &str| ConfigError(format!("{flag}: {value:?} is not {what}"));
        match flag.as_str() {
            "--bind" => {
                c.bind = if value == "localhost" {
                    IpAddr::V4(Ipv4Addr::LOCALHOST)
                } else {
                    value.parse().map_err(|_| bad("an IP address"))?
                }
            }
            "--port" => c.port = value.parse().map_err(|_| bad("a port number (0-65535)"))?,
            "--threads" => {
                c.threads = positive(&value).ok_or_else(|| bad("a positive number"))?;
                threads_given = true;
            }
            "--pbkdf2-iterations" => {
                c.pbkdf2_iterations = value
                    .parse()
                    .ok()
                    .filter(|&n: &u32| n > 0)
                    .ok_or_else(|| bad("a positive number"))?
            }
            "--max-sessions" => {
                c.max_sessions = positive(&value).ok_or_else(|| bad("a positive number"))?
            }
            "--max-connections" => {
                c.max_connections = positive(&value).ok_or_else(|| bad("a positive number"))?
            }
            "--data-dir" if value.is_empty() => return Err(bad("a directory")),
            "--data-dir" => c.data_dir = Some(PathBuf::from(value)),
            "--redis" => redis_url = Some(RedisUrl::parse(&value).map_err(|e| ConfigError(e.0))?),
            "--redis-prefix"
                if value.contains(['{', '}']) || value.chars().any(char::is_control) =>
            {
                return Err(bad("a key prefix (no { or }, no control characters)"))
            }
            "--redis-prefix" => redis_prefix = Some(value),
            "--redis-timeout" => {
                redis_timeout = Some(
                    seconds(&value)
                        .filter(|d| *d <= MAX_REDIS_TIMEOUT)
                        .ok_or_else(|| bad("a number of seconds from 0.001 to 60"))?,
                )
            }
            "--redis-cache" => {
                redis_cache = Some(match value.as_str() {
                    "on" => true,
                    "off" => false,
                    _ => return Err(bad("on or off")),
                })
            }
            "--metrics-bind" => {
                c.metrics_bind = Some(
                    value
                        .parse()
                        .map_err(|_| bad("an ADDR:PORT such as 127.0.0.1:9090"))?,
                )
            }
            "--token-key-file" if value.is_empty() => return Err(bad("a file")),
            "--token-key-file" => c.token_key_file = Some(PathBuf::from(value)),
            "--header-timeout" => {
                c.timeouts.header = seconds(&value).ok_or_else(|| bad("a number of seconds"))?
            }
            "--body-timeout" => {
                c.timeouts.body = seconds(&value).ok_or_else(|| bad("a number of seconds"))?
            }
            "--idle-timeout" => {
                c.timeouts.idle = seconds(&value).ok_or_else(|| bad("a number of seconds"))?
            }
            _ => unreachable!("every flag in FLAGS has an arm"),
        }
    }
    match redis_url {
        Some(_) if c.data_dir.is_some() => {
            return Err(ConfigError(
                "--redis and --data-dir exclude each other: data lives in one place".into(),
            ))
        }
        Some(url) => {
            c.redis = Some(Box::new(RedisConfig {
                url,
                prefix: redis_prefix.unwrap_or_else(|| DEFAULT_PREFIX.to_string()),
                timeout: redis_timeout.unwrap_or(DEFAULT_TIMEOUT),
                cache: redis_cache.unwrap_or(true),
            }));
            if !threads_given {
                // Every request but /healthz may wait on the network.
                c.threads = c.threads.max(REDIS_MIN_THREADS);
            }
        }
        None if redis_prefix.is_some() || redis_timeout.is_some() || redis_cache.is_some() => {
            return Err(ConfigError(
                "--redis-prefix, --redis-timeout and --redis-cache need --redis".into(),
            ))
        }
        None => {}
    }
    Ok(Command::Run(c))
}

/// Longest `--redis-timeout` accepted.
const MAX_REDIS_TIMEOUT: Duration = Duration::from_secs(60);
/// Default worker threads with `--redis` (calls wait on the network).
const REDIS_MIN_THREADS: usize = 16;

fn positive(s: &str) -> Option<usize> {
    s.parse().ok().filter(|&n: &usize| n > 0)
}

/// Seconds, fractional allowed, from 1 ms to a year.
fn seconds(s: &str) -> Option<Duration> {
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && (0.001..=31_536_000.0).contains(&v)).then(|| Duration::from_secs_f64(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Config {
        match parse_args(args) {
            Ok(Command::Run(c)) => c,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let c = run(&[]);
        assert_eq!((c.bind.to_string().as_str(), c.port), ("127.0.0.1", 8080));
        assert_eq!(c.pbkdf2_iterations, 600_000);
        assert_eq!(c.max_sessions, 1_000_000);
        assert_eq!(c.data_dir, None);
        assert_eq!(c.timeouts.header, Duration::from_secs(10));
        assert!(c.threads >= 4);
    }

    #[test]
    fn flags() {
        let c = run(&[
            "--bind",
            "::1",
            "--port=0",
            "--threads",
            "3",
            "--pbkdf2-iterations",
            "10",
            "--max-sessions",
            "5",
            "--data-dir",
            "/tmp/x",
            "--token-key-file",
            "/tmp/keys",
            "--header-timeout",
            "0.5",
            "--body-timeout",
            "2",
            "--idle-timeout",
            "120",
        ]);
        assert_eq!(c.bind.to_string(), "::1");
        assert_eq!(
            (c.port, c.threads, c.pbkdf2_iterations, c.max_sessions),
            (0, 3, 10, 5)
        );
        assert_eq!(c.data_dir, Some(PathBuf::from("/tmp/x")));
        assert_eq!(c.token_key_file, Some(PathBuf::from("/tmp/keys")));
        assert_eq!(c.timeouts.header, Duration::from_millis(500));
        assert_eq!(c.timeouts.idle, Duration::from_secs(120));
        assert_eq!(parse_args(["--port", "1", "--help"]), Ok(Command::Help));
    }

    #[test]
    fn errors_name_the_flag() {
        for bad in [
            &["--port", "70000"][..],
            &["--port"],
            &["--threads", "0"],
            &["--bind", "nowhere"],
            &["--idle-timeout", "-1"],
            &["--idle-timeout", "nan"],
            &["--frobnicate"],
            &["extra"],
            &["--pbkdf2-iterations", "0"],
            &["--data-dir="],
            &["--redis", "http://h"],
            &["--redis", "redis://h:0"],
            &["--redis", "redis://h", "--redis-timeout", "0"],
            &["--redis", "redis://h", "--redis-timeout", "61"],
            &["--redis", "redis://h", "--redis-prefix", "a{b}:"],
            &["--redis", "redis://h", "--redis-cache", "maybe"],
            &["--token-key-file="],
            &["--token-key-file"],
        ] {
            let e = parse_args(bad).unwrap_err();
            let flag = bad[0].split('=').next().unwrap_or_default();
            assert!(
                e.0.contains(flag) || e.0.contains("unknown"),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn redis_flags() {
        let c = run(&["--redis", "redis://:pw@cache:6380/2"]);
        let r = c.redis.expect("redis");
        assert_eq!(
            (r.url.host.as_str(), r.url.port, r.url.db),
            ("cache", 6380, 2)
        );
        assert_eq!(
            (r.prefix.as_str(), r.timeout, r.cache),
            ("stateful:", Duration::from_secs(1), true)
        );
        assert!(c.threads >= 16);
        let c = run(&[
            "--redis=redis://h",
            "--redis-prefix",
            "app1:",
            "--redis-timeout",
            "0.25",
            "--redis-cache",
            "off",
            "--threads",
            "3",
        ]);
        let r = c.redis.expect("redis");
        assert_eq!(
            (r.prefix.as_str(), r.timeout, r.cache),
            ("app1:", Duration::from_millis(250), false)
        );
        assert_eq!(c.threads, 3, "an explicit --threads wins");
    }

    #[test]
    fn redis_refusals_are_clear() {
        for (args, says) in [
            (
                &["--redis", "redis://h", "--data-dir", "/tmp/x"][..],
                "exclude",
            ),
            (&["--data-dir", "/tmp/x", "--redis", "redis://h"], "exclude"),
            (&["--redis-prefix", "x:"], "need --redis"),
            (&["--redis", "rediss://h"], "TLS"),
            (&["--redis", "redis://u@h"], "password"),
        ] {
            let e = parse_args(args).unwrap_err();
            assert!(e.0.contains(says), "{args:?}: {e}");
        }
    }
}
