//! Session attacks: fixation, replay after logout, forged, truncated and
//! extended ids, and the ids of 1,000 logins.

use std::collections::HashSet;

use crate::server::{
    credentials, get_request, login, post_json_request, session_id, signup, Client, Server,
    XorShift,
};
use crate::{assert_alive, exclusive, figure, Ledger};

const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The status of `GET /me` with `id` as the session cookie.
fn me(c: &mut Client, id: &str) -> u16 {
    c.request(&get_request("/me", Some(id)))
        .expect("an answer to /me")
        .status
}

/// Logs in carrying `carried` as the session cookie; the new id.
fn login_carrying(s: &Server, user: &str, carried: &str) -> String {
    let r = s
        .client()
        .request(&post_json_request(
            "/login",
            &credentials(user, "right password"),
            Some(carried),
        ))
        .unwrap();
    assert_eq!(r.status, 200);
    session_id(&r).expect("a session cookie")
}

#[test]
fn fixation_replay_and_forged_ids_get_401() {
    let mut s = Server::start_ready(&[]);
    let mut ledger = Ledger::default();
    for u in ["victim", "attacker"] {
        assert_eq!(ledger.signup(&s, u, "right password").status, 201);
    }
    let mut c = s.client();
    // Fixation with an id the attacker made up: not adopted, not valid.
    let planted = "fixfixfixfixfixfixfixfixfixfix00";
    let got = login_carrying(&s, "victim", planted);
    assert_ne!(got, planted);
    assert_eq!(me(&mut c, planted), 401, "a planted id is not adopted");
    // Fixation with the attacker's own live session: the victim's login
    // drops it, so the attacker cannot ride along.
    let attackers = login(&s, "attacker", "right password").unwrap();
    let victims = login_carrying(&s, "victim", &attackers);
    assert_ne!(victims, attackers);
    assert_eq!(
        me(&mut c, &attackers),
        401,
        "the carried session is dropped"
    );
    assert_eq!(me(&mut c, &victims), 200);
    // Replay after logout; other sessions of the same user live on.
    let other = login(&s, "victim", "right password").unwrap();
    let r = c
        .request(&post_json_request("/logout", "", Some(&victims)))
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(me(&mut c, &victims), 401, "replay after logout");
    let posted = c
        .request(&post_json_request(
            "/comments",
            "{\"text\":\"replayed\"}",
            Some(&victims),
        ))
        .unwrap();
    assert_eq!(posted.status, 401, "a replayed cookie cannot post");
    assert_eq!(me(&mut c, &other), 200, "logout ends one session only");
    // Forged ids of the right shape.
    let seed = XorShift::seed_from_env();
    let mut rng = XorShift::new(seed);
    let forged = 300;
    for _ in 0..forged {
        let id: String = (0..32)
            .map(|_| ID_ALPHABET[rng.range(0, 36) as usize] as char)
            .collect();
        assert_eq!(me(&mut c, &id), 401, "forged {id}");
    }
    // Every truncation and a few extensions and twists of a live id.
    let mut twisted: Vec<String> = (0..32).map(|n| other[..n].to_string()).collect();
    // (Whitespace around the value and a trailing `;` are cookie syntax,
    // not part of the id, so they are not twists.)
    for tail in ["0", "a", "00", "zzz", "%00", "\\"] {
        twisted.push(format!("{other}{tail}"));
    }
    twisted.push(other.to_uppercase());
    twisted.push(format!("x{other}"));
    twisted.push(format!("\"{other}\""));
    twisted.push(other.chars().rev().collect());
    for n in 0..32 {
        let mut b = other.clone().into_bytes();
        b[n] = if b[n] == b'a' { b'b' } else { b'a' };
        twisted.push(String::from_utf8(b).unwrap());
    }
    for id in &twisted {
        assert_eq!(me(&mut c, id), 401, "twisted id {id:?}");
    }
    assert_eq!(me(&mut c, &other), 200);
    figure(
        "sessions",
        format!(
            "fixation: a planted id and the attacker's live session carried into the victim's \
             login are both dropped (401 afterwards); replay after logout 401 (GET /me and POST \
             /comments), the user's other session still 200; {forged} forged [a-z0-9]{{32}} ids \
             (seed {seed}) all 401; {} truncated/extended/case-changed/one-char-changed ids all \
             401",
            twisted.len()
        ),
    );
    ledger.assert_readable(&s);
    assert_alive(&mut s);
}

#[test]
fn a_thousand_logins_give_a_thousand_distinct_full_length_ids() {
    let _x = exclusive();
    let mut s = Server::start_ready(&["--pbkdf2-iterations", "1"]);
    assert_eq!(signup(&s, "many", "right password").status, 201);
    let logins = 1000;
    let threads = 4;
    let ids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut c = s.client();
                    (0..logins / threads)
                        .map(|_| {
                            let r = c
                                .request(&post_json_request(
                                    "/login",
                                    &credentials("many", "right password"),
                                    None,
                                ))
                                .unwrap();
                            assert_eq!(r.status, 200);
                            session_id(&r).unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), logins, "every id distinct");
    for id in &ids {
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.bytes().all(|b| ID_ALPHABET.contains(&b)), "{id}");
    }
    // Every character equally likely: 32,000 draws over 36 symbols.
    let mut counts = [0usize; 36];
    for b in ids.iter().flat_map(|id| id.bytes()) {
        counts[ID_ALPHABET.iter().position(|a| *a == b).unwrap()] += 1;
    }
    let expected = (logins * 32) as f64 / 36.0;
    let chi2: f64 = counts
        .iter()
        .map(|&n| (n as f64 - expected).powi(2) / expected)
        .sum();
    // Longest prefix two ids share (random ids share ~2 characters).
    let mut sorted = ids.clone();
    sorted.sort();
    let shared = sorted
        .windows(2)
        .map(|w| {
            w[0].bytes()
                .zip(w[1].bytes())
                .take_while(|(a, b)| a == b)
                .count()
        })
        .max()
        .unwrap_or(0);
    let live = ids
        .iter()
        .step_by(50)
        .filter(|id| {
            s.client()
                .request(&get_request("/me", Some(id)))
                .is_some_and(|r| r.status == 200)
        })
        .count();
    figure(
        "session-ids",
        format!(
            "{logins} logins: {} distinct ids, all 32 chars of [a-z0-9]; character counts {}..{} \
             (expected {expected:.0}), chi-square {chi2:.1} on 35 degrees of freedom; longest \
             shared prefix {shared}; {live}/20 sampled ids live",
            distinct.len(),
            counts.iter().min().unwrap(),
            counts.iter().max().unwrap()
        ),
    );
    // 35 degrees of freedom: chi-square above 90 has probability 1e-6.
    assert!(chi2 < 90.0, "ids are not uniform: chi-square {chi2:.1}");
    assert!(shared <= 8, "two ids share a prefix of {shared}");
    assert_eq!(live, 20);
    assert_alive(&mut s);
}
