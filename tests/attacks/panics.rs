//! A handler that panics (the test-only `GET /__panic` route, compiled in
//! only with the `fault-injection` feature) many times, concurrently with
//! normal traffic: each panic is a 500, and the workers, the other
//! connections and the stored data carry on.

#![cfg(feature = "fault-injection")]

use std::sync::Mutex;

use crate::json_value::Json;
use crate::server::{comment_body, get_request, login, post_json_request, Server};
use crate::{all_comments, assert_alive, exclusive, figure, Ledger};

#[test]
fn panics_answer_500_and_everything_else_carries_on() {
    let _x = exclusive();
    let mut s = Server::start_ready(&["--threads", "2"]);
    let ledger = Mutex::new(Ledger::default());
    let mut users = Vec::new();
    for u in 0..2 {
        let name = format!("writer{u}");
        assert_eq!(
            ledger
                .lock()
                .unwrap()
                .signup(&s, &name, "right password")
                .status,
            201
        );
        users.push((name.clone(), login(&s, &name, "right password").unwrap()));
    }
    // Comments from before the panics.
    for (name, id) in &users {
        ledger
            .lock()
            .unwrap()
            .comment(&s, id, &format!("before, by {name}"));
    }
    let panickers = 3;
    let per_panicker = 40;
    let per_writer = 40;
    let (panics, other): (Vec<u16>, Vec<u16>) = std::thread::scope(|scope| {
        let panic_threads: Vec<_> = (0..panickers)
            .map(|p| {
                let s = &s;
                scope.spawn(move || {
                    // Half on a kept-alive connection (it must stay usable
                    // after a 500), half on fresh ones.
                    let mut c = s.client();
                    (0..per_panicker)
                        .map(|i| {
                            let raw = get_request("/__panic", None);
                            let r = if (i + p) % 2 == 0 {
                                c.request(&raw)
                            } else {
                                s.client().request(&raw)
                            };
                            r.map(|r| r.status).unwrap_or(0)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let writer_threads: Vec<_> = users
            .iter()
            .map(|(name, id)| {
                let (s, ledger) = (&s, &ledger);
                scope.spawn(move || {
                    let mut c = s.client();
                    let mut statuses = Vec::new();
                    for i in 0..per_writer {
                        let raw = post_json_request(
                            "/comments",
                            &comment_body(&format!("during, by {name}, #{i}")),
                            Some(id),
                        );
                        let r = c.request(&raw).expect("a comment answer");
                        ledger.lock().unwrap().record_comment(&r);
                        statuses.push(r.status);
                        let r = c.request(&get_request("/me", Some(id))).unwrap();
                        assert_eq!(Json::parse(&r.text()).at("username").str(), name);
                        statuses.push(r.status);
                    }
                    statuses
                })
            })
            .collect();
        let panics = panic_threads
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        let other = writer_threads
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        (panics, other)
    });
    let n500 = panics.iter().filter(|&&st| st == 500).count();
    assert_eq!(n500, panics.len(), "every panic a 500: {panics:?}");
    assert!(other.iter().all(|&st| st == 201 || st == 200), "{other:?}");
    // After: old and new comments readable, new posts work, sessions live.
    for (name, id) in &users {
        ledger
            .lock()
            .unwrap()
            .comment(&s, id, &format!("after, by {name}"));
    }
    let ledger = ledger.into_inner().unwrap();
    ledger.assert_readable(&s);
    let total = all_comments(&s).len();
    let logged = s.stderr().matches("fault injection: /__panic").count();
    figure(
        "panic",
        format!(
            "{} GET /__panic from {panickers} threads (half on kept-alive connections) beside \
             {} comment posts and as many /me reads on --threads 2: {n500}/{} answered 500 ({logged} \
             panic messages on stderr), every normal request answered 200/201; afterwards all \
             {total} acknowledged comments readable, new posts 201",
            panics.len(),
            other.len() / 2,
            panics.len()
        ),
    );
    assert_eq!(total, 2 + 2 * per_writer + 2);
    assert_alive(&mut s);
}
