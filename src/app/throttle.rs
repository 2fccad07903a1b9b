//! The login throttle: after [`LOGIN_THROTTLE_FAILURES`] failed logins for
//! one username within [`LOGIN_THROTTLE_WINDOW`], further attempts are
//! refused (429) until the oldest failure leaves the window, whatever the
//! password. It is consulted before any hashing, so guessing costs the
//! attacker time, not our CPU.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::limits::{LOGIN_THROTTLE_FAILURES, LOGIN_THROTTLE_WINDOW};

/// Most usernames tracked at once. Reaching it first drops expired entries,
/// then the entry whose last failure is oldest. At hashing speed an attacker
/// cannot fail logins for this many names within one window.
pub const MAX_TRACKED_USERNAMES: usize = 100_000;

pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new()
    }
}

impl LoginThrottle {
    pub fn new() -> Self {
        LoginThrottle {
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Some(wait)` when `username` is locked out at `now`.
    pub fn check(&self, username: &str, now: Instant) -> Option<Duration> {
        let mut map = self.lock();
        let times = map.get_mut(username)?;
        prune(times, now);
        if times.len() < LOGIN_THROTTLE_FAILURES {
            return None;
        }
        let oldest = *times.front()?;
        Some((oldest + LOGIN_THROTTLE_WINDOW).saturating_duration_since(now))
    }

    /// Records a failed login.
    pub fn record_failure(&self, username: &str, now: Instant) {
        let mut map = self.lock();
        if !map.contains_key(username) && map.len() >= MAX_TRACKED_USERNAMES {
            map.retain(|_, t| {
                prune(t, now);
                !t.is_empty()
            });
            if map.len() >= MAX_TRACKED_USERNAMES {
                let oldest = map
                    .iter()
                    .min_by_key(|(_, t)| t.back().copied())
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    map.remove(&k);
                }
            }
        }
        let times = map.entry(username.to_string()).or_default();
        prune(times, now);
        times.push_back(now);
        while times.len() > LOGIN_THROTTLE_FAILURES {
            times.pop_front();
        }
    }

    /// Forgets the failures of a user who just logged in.
    pub fn clear(&self, username: &str) {
        self.lock().remove(username);
    }

    /// Drops entries whose failures have all left the window.
    pub fn sweep(&self, now: Instant) {
        self.lock().retain(|_, t| {
            prune(t, now);
            !t.is_empty()
        });
    }
}

/// Unix seconds as `Instant`s for the throttle: the stores are given the
/// time in Unix seconds, the throttle counts in a clock that never goes
/// back. Fixed at creation; a time before it maps to it.
#[derive(Debug, Clone, Copy)]
pub struct UnixEpoch {
    base: Instant,
    base_unix: i64,
}

impl UnixEpoch {
    /// Now, in both clocks.
    pub fn now() -> UnixEpoch {
        UnixEpoch {
            base: Instant::now(),
            base_unix: crate::http::date::unix_now(),
        }
    }

    /// The `Instant` of Unix second `unix`.
    pub fn instant(&self, unix: i64) -> Instant {
        let delta = unix - self.base_unix;
        if delta >= 0 {
            self.base + Duration::from_secs(delta as u64)
        } else {
            self.base
                .checked_sub(Duration::from_secs(delta.unsigned_abs()))
                .unwrap_or(self.base)
        }
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|&t| now.saturating_duration_since(t) >= LOGIN_THROTTLE_WINDOW)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_until_the_window_passes() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        for i in 0..5 {
            assert_eq!(t.check("bob", now), None, "attempt {i}");
            t.record_failure("bob", now + Duration::from_secs(i));
        }
        let later = now + Duration::from_secs(10);
        let wait = t.check("bob", later).expect("locked");
        assert_eq!(wait, LOGIN_THROTTLE_WINDOW - Duration::from_secs(10));
        assert_eq!(t.check("alice", later), None, "per username");
        assert!(t
            .check(
                "bob",
                now + LOGIN_THROTTLE_WINDOW - Duration::from_millis(1)
            )
            .is_some());
        assert_eq!(t.check("bob", now + LOGIN_THROTTLE_WINDOW), None);
    }

    #[test]
    fn unix_seconds_map_to_instants() {
        let e = UnixEpoch::now();
        let base = e.instant(e.base_unix);
        assert_eq!(e.instant(e.base_unix + 90) - base, Duration::from_secs(90));
        assert!(e.instant(e.base_unix - 1) <= base);
        assert!(
            e.instant(i64::MIN / 2) <= base,
            "far back: clamped, no panic"
        );
    }

    #[test]
    fn clear_and_sweep() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        for _ in 0..5 {
            t.record_failure("bob", now);
        }
        t.clear("bob");
        assert_eq!(t.check("bob", now), None);
        t.record_failure("x", now);
        t.sweep(now + LOGIN_THROTTLE_WINDOW);
        assert!(t.lock().is_empty());
    }
}
