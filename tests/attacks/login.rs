//! Attacks on login: telling unknown users from wrong passwords (by answer
//! or by time), brute force against one account, and filling the throttle's
//! memory with huge usernames.

use std::time::{Duration, Instant};

use crate::server::{credentials, ms, percentile, post_json_request, signup, Client, Resp, Server};
use crate::{assert_alive, exclusive, figure, Ledger};

/// One timed login attempt on `c`.
fn attempt(c: &mut Client, user: &str, password: &str) -> (Resp, Duration) {
    let raw = post_json_request("/login", &credentials(user, password), None);
    let start = Instant::now();
    let r = c.request(&raw).expect("an answer to a login");
    (r, start.elapsed())
}

/// Headers apart from Date, in order.
fn without_date(r: &Resp) -> Vec<(String, String)> {
    r.headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("date"))
        .cloned()
        .collect()
}

#[test]
fn unknown_user_and_wrong_password_look_and_take_the_same() {
    let _x = exclusive();
    let iterations = "20000";
    let mut s = Server::start_ready(&["--pbkdf2-iterations", iterations]);
    // 5 wrong passwords per account stay under the throttle (the 6th
    // would be a 429), so 40 wrong-password attempts need 8 accounts.
    let per_account = 5;
    let pairs = 40;
    let accounts: Vec<String> = (0..pairs / per_account)
        .map(|a| format!("known{a}"))
        .chain(["warm".to_string()])
        .collect();
    for a in &accounts {
        assert_eq!(signup(&s, a, "right password").status, 201);
    }
    let mut c = s.client();
    // One of each first, not timed (warm caches and code paths).
    let (first_unknown, _) = attempt(&mut c, "ghost-warm", "wrong password");
    let (first_wrong, _) = attempt(&mut c, "warm", "wrong password");
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    for i in 0..pairs {
        // Alternate which kind goes first, so drift in load hits both.
        let mut pair = [
            ("unknown", format!("ghost{i}")),
            ("wrong", format!("known{}", i / per_account)),
        ];
        if i % 2 == 1 {
            pair.swap(0, 1);
        }
        for (kind, user) in &pair {
            let (r, took) = attempt(&mut c, user, "wrong password");
            assert_eq!(r.status, 401, "{kind} {user}: {}", r.text());
            let like = if *kind == "unknown" {
                &first_unknown
            } else {
                &first_wrong
            };
            assert_eq!(r.body, like.body, "{kind} {user}");
            assert_eq!(without_date(&r), without_date(like), "{kind} {user}");
            if *kind == "unknown" {
                unknown.push(took);
            } else {
                wrong.push(took);
            }
        }
    }
    assert_eq!(first_unknown.status, first_wrong.status);
    assert_eq!(first_unknown.body, first_wrong.body, "the same body");
    assert_eq!(
        without_date(&first_unknown),
        without_date(&first_wrong),
        "the same headers apart from Date"
    );
    let (mu, mw) = (percentile(&unknown, 50), percentile(&wrong, 50));
    // Judged pair by pair: the two attempts of a pair ran back to back, so a
    // burst of load from outside the test slows both, where it could move
    // one median of 40 and not the other.
    let mut per_pair: Vec<f64> = unknown
        .iter()
        .zip(&wrong)
        .map(|(u, w)| u.as_secs_f64() / w.as_secs_f64())
        .collect();
    per_pair.sort_by(f64::total_cmp);
    let ratio = per_pair[per_pair.len() / 2];
    figure(
        "user-enumeration",
        format!(
            "--pbkdf2-iterations {iterations}, {pairs} interleaved pairs: both 401 with the same \
             body {:?} and the same headers apart from Date; median ratio within a pair \
             {ratio:.3} (middle half {:.3}..{:.3}); median unknown user {} vs wrong password {} \
             (p90 {} vs {})",
            first_wrong.text(),
            per_pair[per_pair.len() / 4],
            per_pair[per_pair.len() * 3 / 4],
            ms(mu),
            ms(mw),
            ms(percentile(&unknown, 90)),
            ms(percentile(&wrong, 90))
        ),
    );
    assert!((0.8..=1.25).contains(&ratio), "timing ratio {ratio:.3}");
    // The accounts are throttled now, but still there.
    for a in &accounts {
        assert_eq!(signup(&s, a, "another password").status, 409, "{a}");
    }
    assert_alive(&mut s);
}

#[test]
fn brute_force_is_throttled_after_five_failures_and_stays_throttled() {
    let _x = exclusive();
    let mut s = Server::start_ready(&["--pbkdf2-iterations", "20000"]);
    let mut ledger = Ledger::default();
    assert_eq!(signup(&s, "target", "right password").status, 201);
    assert_eq!(ledger.signup(&s, "bystander", "right password").status, 201);
    let mut c = s.client();
    let mut failed = Vec::new();
    for i in 0..5 {
        let (r, took) = attempt(&mut c, "target", &format!("guess number {i}"));
        assert_eq!(r.status, 401, "attempt {i}");
        failed.push(took);
    }
    let mut throttled = Vec::new();
    let mut waits = Vec::new();
    for i in 0..20 {
        // Every fourth attempt has the right password: still refused.
        let password = if i % 4 == 3 {
            "right password".to_string()
        } else {
            format!("guess number {}", i + 5)
        };
        let (r, took) = attempt(&mut c, "target", &password);
        assert_eq!(r.status, 429, "attempt {} ({password})", i + 5);
        assert!(r.header("set-cookie").is_none());
        let wait: u64 = r
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("Retry-After in {r:?}"));
        assert!((1..=900).contains(&wait), "Retry-After {wait}");
        waits.push(wait);
        throttled.push(took);
    }
    // Other users are not affected, and their own failures count apart.
    let (r, _) = attempt(&mut c, "bystander", "right password");
    assert_eq!(r.status, 200, "bystander");
    for _ in 0..4 {
        assert_eq!(attempt(&mut c, "bystander", "nope nope").0.status, 401);
    }
    assert_eq!(attempt(&mut c, "bystander", "right password").0.status, 200);
    let (m401, m429) = (percentile(&failed, 50), percentile(&throttled, 50));
    figure(
        "brute-force",
        format!(
            "5 wrong passwords 401 (median {}), then 20 more attempts (5 with the right \
             password) all 429 with Retry-After {}..{} s (median {}: refused before hashing); \
             another user logs in, fails 4 times and logs in again unaffected",
            ms(m401),
            waits.iter().min().unwrap(),
            waits.iter().max().unwrap(),
            ms(m429)
        ),
    );
    assert!(
        m429 * 3 < m401,
        "a throttled login costs hashing: {m429:?} vs {m401:?}"
    );
    assert_eq!(
        signup(&s, "target", "x-password").status,
        409,
        "still there"
    );
    ledger.assert_readable(&s);
    assert_alive(&mut s);
}

/// Failed logins are remembered per username for 15 minutes; names that
/// no account can have must not be remembered, or 100 logins with 512 KiB
/// names pin 50 MiB (and 100,000 of them, the throttle's cap, 50 GiB).
/// The first 20 attempts warm the workers' buffers (each holds one body);
/// the 100 after them must not grow the server at all.
#[test]
fn failed_logins_with_huge_usernames_do_not_fill_memory() {
    let _x = exclusive();
    let mut s = Server::start_ready(&["--pbkdf2-iterations", "1"]);
    let rss_start = s.rss_kib();
    let mut statuses = std::collections::BTreeSet::new();
    let mut c = s.client();
    let mut fail = |i: usize| {
        let name = format!("u{i:03}{}", "x".repeat(512 * 1024));
        statuses.insert(attempt(&mut c, &name, "wrong password").0.status);
    };
    (0..20).for_each(&mut fail);
    let rss_warm = s.rss_kib();
    (20..120).for_each(&mut fail);
    let rss_end = s.rss_kib();
    let grew = rss_end.saturating_sub(rss_warm);
    figure(
        "throttle-memory",
        format!(
            "120 failed logins with 512 KiB usernames: statuses {statuses:?}; RSS {rss_start} KiB \
             at start, {rss_warm} after 20 (buffers warm), {rss_end} after 120 (+{grew} KiB for \
             the last 100; before the fix it was +56 MiB)"
        ),
    );
    assert_eq!(statuses.into_iter().collect::<Vec<_>>(), [400]);
    assert!(
        grew < 8 * 1024,
        "RSS grew {grew} KiB over 100 failed logins"
    );
    assert_alive(&mut s);
}
