use super::*;

const ASSETS: Assets = Assets {
    css: "/static/board.css?v=1",
    js: "/static/board.js?v=1",
    icon: "/static/icon.svg?v=1",
};

fn session(user: &str) -> SessionInfo {
    SessionInfo {
        username: user.into(),
        id_hash: "0123456789abcdef".repeat(4),
        created_at: 1_765_000_000,
        expires_at: 1_765_000_000 + 1_209_600,
        last_seen_at: 1_765_000_000,
        user_agent: String::new(),
    }
}

fn comments() -> Vec<Comment> {
    let c = |id, author: &str, text: &str, created_at| Comment {
        id,
        author: author.into(),
        text: text.into(),
        created_at,
    };
    vec![
        c(7, "alice", "<script>alert(1)</script>", 1_765_000_000),
        c(8, "bob\"><b>", "안녕하세요 & \"hi\"", 1_765_000_060),
    ]
}

fn page<'a>(visitor: Visitor<'a>, comments: &'a [Comment]) -> Page<'a> {
    Page {
        board: Board {
            comments,
            older_than: None,
            latest: true,
        },
        visitor,
        notice: None,
        typed: Typed::default(),
        assets: ASSETS,
    }
}

/// Every `<input>` but hidden ones, and every `<textarea>`, has an id
/// that a `<label for>` names.
fn assert_every_input_labelled(html: &str) {
    for (i, _) in html
        .match_indices("<input")
        .chain(html.match_indices("<textarea"))
    {
        let tag = &html[i..i + html[i..].find('>').unwrap()];
        if tag.contains("type=\"hidden\"") {
            continue;
        }
        let id = tag
            .split("id=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(
            html.contains(&format!("<label for=\"{id}\">")),
            "no label for {tag}"
        );
    }
}

fn assert_no_inline_code_or_style(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains(" style="), "style attribute");
    assert!(!lower.contains("<style"), "style element");
    assert_eq!(
        lower.matches("<script").count(),
        1,
        "only the one external script"
    );
    assert!(lower.contains("<script src=\"/static/board.js?v=1\" defer></script>"));
    for tag in lower.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap();
        assert!(!tag.contains(" on"), "event handler attribute in <{tag}>");
    }
}

#[test]
fn anonymous_page_has_the_forms_and_escapes_everything() {
    let cs = comments();
    let html = render(&page(Visitor::Anonymous(CookieSeen::Absent), &cs));
    assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"));
    assert!(html.contains("action=\"/signup\""));
    assert!(html.contains("action=\"/login\""));
    assert!(!html.contains("action=\"/comments\""));
    assert!(!html.contains("action=\"/logout\""));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("bob&quot;&gt;&lt;b&gt;"));
    assert!(html.contains("안녕하세요 &amp; &quot;hi&quot;"));
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<b>"));
    assert!(
        html.find("c-7").unwrap() < html.find("c-8").unwrap(),
        "oldest first"
    );
    assert!(html.contains("data-after=\"8\" data-live=\"on\""));
    assert!(!html.contains("data-user"));
    assert_every_input_labelled(&html);
    assert_no_inline_code_or_style(&html);
}

#[test]
fn member_page_has_post_delete_and_logouts() {
    let cs = comments();
    let s = session("alice");
    let visitor = Visitor::Member {
        session: &s,
        cookie_start: "k3j9x2",
        sessions: Some(3),
    };
    let html = render(&page(visitor, &cs));
    assert!(html.contains("<body data-user=\"alice\">"));
    assert!(html
        .contains("<form class=\"post stack\" id=\"post\" method=\"post\" action=\"/comments\">"));
    assert!(html.contains("name=\"text\""));
    // Only alice's own comment has a delete form.
    assert!(html.contains(
        "action=\"/comments/7/delete\"><input type=\"hidden\" name=\"_method\" value=\"DELETE\">"
    ));
    assert!(!html.contains("/comments/8/delete"));
    assert_eq!(html.matches("action=\"/logout\"").count(), 2);
    assert!(html.contains("<input type=\"hidden\" name=\"all\" value=\"true\">"));
    assert!(!html.contains("action=\"/login\""));
    // The panel: cookie cut to 6, the server's row.
    assert!(html.contains("<code>k3j9x2\u{2026}</code>"));
    assert!(html.contains("HttpOnly; SameSite=Lax; Path=/; Max-Age=1209600"));
    assert!(html.contains("<time datetime=\"2025-12-06T05:46:40Z\">6 Dec 2025, 05:46 UTC</time>"));
    assert!(html.contains("<time datetime=\"2025-12-20T05:46:40Z\">"));
    assert!(html.contains("You have 3 sessions: this browser and 2 others."));
    assert_every_input_labelled(&html);
    assert_no_inline_code_or_style(&html);
}

#[test]
fn a_failure_keeps_what_was_typed_but_never_a_password() {
    let cs = comments();
    let mut p = page(Visitor::Anonymous(CookieSeen::Unknown("<x\"y")), &cs);
    p.notice = Some(Notice::Failed {
        action: "Could not log in:",
        status: 401,
        message: "invalid username or password".into(),
    });
    p.typed = Typed {
        form: Some(Form::Login),
        username: "al\"ice",
        text: "",
    };
    let html = render(&p);
    assert!(html.contains("role=\"alert\""));
    assert!(html.contains("<strong>Could not log in:</strong> Invalid username or password. <span class=\"status\">(HTTP 401)</span>"));
    assert!(html.contains("id=\"login-username\" name=\"username\" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" value=\"al&quot;ice\">"));
    assert!(html.contains("id=\"login-password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" autofocus>"));
    assert!(html.contains("id=\"signup-username\" name=\"username\" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" value=\"\""));
    assert!(html.contains("starting <code>&lt;x&quot;y\u{2026}</code>"));
    for tag in html
        .split('<')
        .filter(|t| t.starts_with("input") && t.contains("type=\"password\""))
    {
        assert!(
            !tag.contains("value="),
            "a password field with a value: <{tag}"
        );
    }
}

#[test]
fn a_failed_comment_keeps_its_text_with_a_leading_newline() {
    let s = session("alice");
    let visitor = Visitor::Member {
        session: &s,
        cookie_start: "abcdef",
        sessions: None,
    };
    let mut p = page(visitor, &[]);
    p.typed = Typed {
        form: Some(Form::Comment),
        username: "",
        text: "\n</textarea><script>x</script>",
    };
    let html = render(&p);
    assert!(html.contains(
        "aria-describedby=\"post-hint\" autofocus>\n\n&lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt;</textarea>"
    ));
    assert!(html.contains("<p class=\"empty\" id=\"no-comments\">No comments yet.</p>"));
    assert!(html.contains("data-after=\"0\""));
}

#[test]
fn after_a_signup_the_login_form_has_the_name() {
    let mut p = page(Visitor::Anonymous(CookieSeen::Absent), &[]);
    p.notice = Some(Notice::SignedUp("new.user+1@x".into()));
    let html = render(&p);
    assert!(html.contains("The account <strong>new.user+1@x</strong> exists."));
    assert!(html.contains("id=\"login-username\" name=\"username\" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" value=\"new.user+1@x\">"));
    assert!(html.contains("id=\"login-password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" autofocus>"));
}

#[test]
fn older_pages_link_back_and_do_not_poll() {
    let cs = comments();
    let mut p = page(Visitor::Anonymous(CookieSeen::Absent), &cs);
    p.board.older_than = Some(7);
    p.board.latest = false;
    let html = render(&p);
    assert!(html.contains("<a href=\"/?before=7\" rel=\"prev\">Older comments</a>"));
    assert!(html.contains("<a href=\"/\">Back to the latest</a>"));
    assert!(html.contains("data-live=\"off\""));
}

#[test]
fn sentences_and_times() {
    assert_eq!(sentence("not logged in"), "Not logged in.");
    assert_eq!(sentence("done."), "Done.");
    assert_eq!(sentence(""), ".");
    assert_eq!(human_time(0), "1 Jan 1970, 00:00 UTC");
    assert_eq!(human_time(784_111_777), "6 Nov 1994, 08:49 UTC");
}
