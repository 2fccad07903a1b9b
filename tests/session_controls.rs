//! The session controls and comment deletion of the contract, end to end
//! over TCP against the real binary: `GET /sessions`, `POST /logout
//! {"all":"true"}`, `POST /password`, `DELETE /comments/ID` and its form
//! twin `POST /comments/ID/delete`. The same checks run in memory and with
//! a data directory (the store behind the routes must not matter).

#[path = "support/json_value.rs"]
mod json_value;
#[path = "support/server.rs"]
mod server;

use json_value::Json;
use server::{comment_body, credentials, session_id, Resp, Server};

const PW: &str = "correct-horse";

fn request(
    s: &Server,
    method: &str,
    path: &str,
    body: &str,
    cookie: Option<&str>,
    extra: &str,
) -> Resp {
    let cookie = cookie
        .map(|c| format!("Cookie: sessionid={c}\r\n"))
        .unwrap_or_default();
    let typ = if body.starts_with('{') {
        "Content-Type: application/json\r\n"
    } else if body.is_empty() {
        ""
    } else {
        "Content-Type: application/x-www-form-urlencoded\r\n"
    };
    s.send(
        format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{typ}{cookie}{extra}\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

fn login_as(s: &Server, user: &str, password: &str, agent: &str) -> String {
    let r = request(
        s,
        "POST",
        "/login",
        &credentials(user, password),
        None,
        &format!("User-Agent: {agent}\r\n"),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    session_id(&r).expect("a session cookie")
}

fn me(s: &Server, id: &str) -> u16 {
    request(s, "GET", "/me", "", Some(id), "").status
}

fn sessions(s: &Server, id: &str) -> Vec<Json> {
    let r = request(s, "GET", "/sessions", "", Some(id), "");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    Json::parse(&r.text()).at("sessions").arr().to_vec()
}

fn servers() -> Vec<(Server, Option<std::path::PathBuf>)> {
    let dir = std::env::temp_dir().join(format!(
        "stateful-session-controls-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    vec![
        (Server::start(&[]), None),
        (
            Server::start(&["--data-dir", dir.to_str().unwrap()]),
            Some(dir),
        ),
    ]
}

#[test]
fn sessions_are_listed_newest_first_with_the_current_one_marked() {
    for (s, _dir) in servers() {
        assert_eq!(server::signup(&s, "alice", PW).status, 201);
        assert_eq!(server::signup(&s, "bob", PW).status, 201);
        let first = login_as(&s, "alice", PW, "first-agent/1");
        let second = login_as(&s, "alice", PW, &"x".repeat(300));
        let _bob = login_as(&s, "bob", PW, "bob-agent");
        let list = sessions(&s, &first);
        assert_eq!(list.len(), 2, "only alice's sessions");
        let agents: Vec<&str> = list.iter().map(|x| x.at("user_agent").str()).collect();
        assert!(agents.contains(&"first-agent/1"));
        assert!(
            agents.contains(&"x".repeat(200).as_str()),
            "cut to 200 bytes"
        );
        let current: Vec<bool> = list.iter().map(|x| x.at("current").bool()).collect();
        assert_eq!(current.iter().filter(|c| **c).count(), 1);
        for x in &list {
            let h = x.at("id_hash").str();
            assert_eq!(h.len(), 12);
            assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
            for t in ["created_at", "expires_at", "last_seen_at"] {
                assert!(x.at(t).str().ends_with('Z'), "{t}");
            }
            assert!(
                !first.contains(h) && !second.contains(h),
                "a hash, not the id"
            );
        }
        // Newest first: created_at never increases down the list.
        let created: Vec<&str> = list.iter().map(|x| x.at("created_at").str()).collect();
        assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
        assert_eq!(request(&s, "GET", "/sessions", "", None, "").status, 401);
        assert_eq!(
            request(&s, "GET", "/sessions", "", Some("nonsense"), "").status,
            401
        );
    }
}

#[test]
fn logout_all_ends_every_session_of_the_user_only() {
    for (s, _dir) in servers() {
        server::signup(&s, "alice", PW);
        server::signup(&s, "bob", PW);
        let a1 = login_as(&s, "alice", PW, "a");
        let a2 = login_as(&s, "alice", PW, "b");
        let bob = login_as(&s, "bob", PW, "c");
        // Without a session: 401 (a plain logout stays 200).
        let r = request(&s, "POST", "/logout", r#"{"all":"true"}"#, None, "");
        assert_eq!(r.status, 401);
        assert_eq!(request(&s, "POST", "/logout", "", None, "").status, 200);
        let r = request(&s, "POST", "/logout", r#"{"all":"maybe"}"#, Some(&a1), "");
        assert_eq!(r.status, 400);
        let r = request(&s, "POST", "/logout", "all=true", Some(&a1), "");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.text(), "{}");
        assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
        assert_eq!(me(&s, &a1), 401);
        assert_eq!(me(&s, &a2), 401);
        assert_eq!(me(&s, &bob), 200, "another user's session stays");
    }
}

#[test]
fn password_change_keeps_this_session_and_ends_the_others() {
    for (s, _dir) in servers() {
        server::signup(&s, "alice", PW);
        let here = login_as(&s, "alice", PW, "here");
        let there = login_as(&s, "alice", PW, "there");
        let change = |old: &str, new: &str, id: Option<&str>| {
            request(
                &s,
                "POST",
                "/password",
                &format!(r#"{{"old_password":"{old}","new_password":"{new}"}}"#),
                id,
                "",
            )
        };
        assert_eq!(change(PW, "new-password-1", None).status, 401);
        assert_eq!(change(PW, "short", Some(&here)).status, 400);
        let r = request(&s, "POST", "/password", "{}", Some(&here), "");
        assert_eq!(r.status, 400, "missing fields");
        let r = change("wrong-password", "new-password-1", Some(&here));
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(me(&s, &there), 200, "a refused change ends nothing");
        let r = change(PW, "new-password-1", Some(&here));
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.text(), "{}");
        assert_eq!(me(&s, &here), 200, "this session stays");
        assert_eq!(me(&s, &there), 401, "every other one ends");
        let r = request(&s, "POST", "/login", &credentials("alice", PW), None, "");
        assert_eq!(
            r.status, 401,
            "the old password no longer opens the account"
        );
        login_as(&s, "alice", "new-password-1", "again");
    }
}

#[test]
fn wrong_old_passwords_count_toward_the_login_throttle() {
    let s = Server::start(&[]);
    server::signup(&s, "alice", PW);
    let id = login_as(&s, "alice", PW, "a");
    for i in 0..5 {
        let r = request(
            &s,
            "POST",
            "/password",
            r#"{"old_password":"wrong-wrong","new_password":"new-password-1"}"#,
            Some(&id),
            "",
        );
        assert_eq!(r.status, 403, "attempt {i}");
    }
    let r = request(
        &s,
        "POST",
        "/password",
        &format!(r#"{{"old_password":"{PW}","new_password":"new-password-1"}}"#),
        Some(&id),
        "",
    );
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
    let r = request(&s, "POST", "/login", &credentials("alice", PW), None, "");
    assert_eq!(r.status, 429, "the same throttle as /login");
}

#[test]
fn deleting_your_own_comment() {
    for (s, _dir) in servers() {
        server::signup(&s, "alice", PW);
        server::signup(&s, "bob", PW);
        let alice = login_as(&s, "alice", PW, "a");
        let bob = login_as(&s, "bob", PW, "b");
        let post = |id: &str, text: &str| -> i64 {
            let r = request(&s, "POST", "/comments", &comment_body(text), Some(id), "");
            assert_eq!(r.status, 201, "{}", r.text());
            Json::parse(&r.text()).at("id").i64()
        };
        let c1 = post(&alice, "one");
        let c2 = post(&alice, "two");
        let c3 = post(&bob, "three");
        let del = |path: &str, id: Option<&str>| request(&s, "DELETE", path, "", id, "").status;
        assert_eq!(del(&format!("/comments/{c1}"), None), 401);
        assert_eq!(del(&format!("/comments/{c3}"), Some(&alice)), 403);
        assert_eq!(del("/comments/999", Some(&alice)), 404);
        assert_eq!(del("/comments/abc", Some(&alice)), 404);
        assert_eq!(del("/comments/0", Some(&alice)), 404);
        let r = request(
            &s,
            "DELETE",
            &format!("/comments/{c1}"),
            "",
            Some(&alice),
            "",
        );
        assert_eq!(r.status, 204);
        assert!(r.body.is_empty());
        assert_eq!(
            del(&format!("/comments/{c1}"), Some(&alice)),
            404,
            "twice: 404"
        );
        // The form route, for browsers without JavaScript.
        let r = request(
            &s,
            "POST",
            &format!("/comments/{c2}/delete"),
            "_method=PUT",
            Some(&alice),
            "",
        );
        assert_eq!(r.status, 400);
        let r = request(
            &s,
            "POST",
            &format!("/comments/{c2}/delete"),
            "_method=DELETE",
            Some(&alice),
            "",
        );
        assert_eq!(r.status, 204, "{}", r.text());
        // A cross-site DELETE is refused like a cross-site POST.
        let r = request(
            &s,
            "DELETE",
            &format!("/comments/{c3}"),
            "",
            Some(&bob),
            "Origin: http://evil.example\r\n",
        );
        assert_eq!(r.status, 403);
        let page = request(&s, "GET", "/comments", "", None, "");
        let ids: Vec<i64> = Json::parse(&page.text())
            .at("comments")
            .arr()
            .iter()
            .map(|c| c.at("id").i64())
            .collect();
        assert_eq!(ids, [c3]);
        // Ids are never reused.
        let c4 = post(&alice, "four");
        assert!(c4 > c3, "{c4} after {c3}");
    }
}
