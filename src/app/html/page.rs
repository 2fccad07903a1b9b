//! The board page: comments, the forms of the visitor's state, and the
//! "how this works" panel. [`render`] is a pure function of a [`Page`]
//! value, so every state of the page can be tested without a server.
//!
//! Forms post `application/x-www-form-urlencoded` (the HTML default) to the
//! same routes and with the same field names as curl: `username`,
//! `password`, `text`, `all=true`, `_method=DELETE`. No input carries
//! `required`, `minlength` or `pattern`: the server's refusal, in words,
//! is the one validation, the same with and without JavaScript.

use super::escape_into;
use crate::app::comments::Comment;
use crate::app::store::SessionInfo;
use crate::http::date::{civil_from_unix, rfc3339, system_time_from_unix, MONTH_NAMES};
use crate::limits::SESSION_TTL;

/// Everything the page shows.
pub struct Page<'a> {
    pub board: Board<'a>,
    pub visitor: Visitor<'a>,
    /// A failure in words, or what a signup did.
    pub notice: Option<Notice>,
    /// What the visitor had typed into a form (never a password).
    pub typed: Typed<'a>,
    /// URLs of the stylesheet, the script and the icon (with a version
    /// query, so a new build is never hidden by a cached old file).
    pub assets: Assets<'a>,
}

/// The asset URLs the page links.
#[derive(Debug, Clone, Copy)]
pub struct Assets<'a> {
    pub css: &'a str,
    pub js: &'a str,
    pub icon: &'a str,
}

/// One page of comments.
pub struct Board<'a> {
    /// Oldest first.
    pub comments: &'a [Comment],
    /// There are comments older than the first shown: link `/?before=ID`.
    pub older_than: Option<u64>,
    /// This page ends with the newest comment (so the script polls for
    /// newer ones); `false` for `/?before=ID`.
    pub latest: bool,
}

/// Who is looking.
pub enum Visitor<'a> {
    Anonymous(CookieSeen<'a>),
    Member {
        /// The server's row for the session the cookie names.
        session: &'a SessionInfo,
        /// The cookie value as the request carried it, cut to 6 characters.
        cookie_start: &'a str,
        /// How many live sessions the user has (if the store could say).
        sessions: Option<usize>,
    },
}

/// The session cookie of an anonymous visitor.
pub enum CookieSeen<'a> {
    Absent,
    /// A `sessionid` the server does not know (expired, logged out, made
    /// up), cut to 6 characters.
    Unknown(&'a str),
}

/// The message at the top of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A refused request: what was being done, the status, and the JSON
    /// answer's message.
    Failed {
        action: &'static str,
        status: u16,
        message: String,
    },
    /// A signup succeeded: the account exists, now log in.
    SignedUp(String),
}

/// The form a failed request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Signup,
    Login,
    Comment,
}

/// What was typed into a form, to be offered again.
#[derive(Debug, Clone, Copy, Default)]
pub struct Typed<'a> {
    pub form: Option<Form>,
    pub username: &'a str,
    pub text: &'a str,
}

/// The whole HTML document.
pub fn render(page: &Page) -> String {
    let mut h = String::with_capacity(8192 + page.board.comments.len() * 400);
    head(&mut h, page);
    masthead(&mut h, &page.visitor);
    h.push_str("<main class=\"layout\" id=\"main\">\n");
    notice(&mut h, page.notice.as_ref());
    board(&mut h, page);
    h.push_str("<aside class=\"side\">\n");
    account(&mut h, page);
    how_it_works(&mut h, &page.visitor);
    h.push_str("</aside>\n</main>\n");
    h.push_str(FOOTER);
    h
}

fn head(h: &mut String, page: &Page) {
    h.push_str(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <title>stateful \u{b7} a comment board that remembers you</title>\n\
         <link rel=\"stylesheet\" href=\"",
    );
    escape_into(h, page.assets.css);
    h.push_str("\">\n<link rel=\"icon\" type=\"image/svg+xml\" href=\"");
    escape_into(h, page.assets.icon);
    h.push_str("\">\n<script src=\"");
    escape_into(h, page.assets.js);
    h.push_str("\" defer></script>\n</head>\n<body");
    if let Visitor::Member { session, .. } = &page.visitor {
        h.push_str(" data-user=\"");
        escape_into(h, &session.username);
        h.push('"');
    }
    h.push_str(">\n<a class=\"skip\" href=\"#comments-h\">Skip to the comments</a>\n");
}

fn masthead(h: &mut String, visitor: &Visitor) {
    h.push_str(
        "<header class=\"masthead\">\n<div class=\"masthead-inner\">\n\
         <p class=\"brand\"><a href=\"/\">stateful</a></p>\n\
         <p class=\"tagline\">A comment board that remembers you with one cookie and one row on the server.</p>\n",
    );
    match visitor {
        Visitor::Member { session, .. } => {
            h.push_str("<p class=\"whoami\">Signed in as <strong>");
            escape_into(h, &session.username);
            h.push_str("</strong> \u{b7} <a href=\"#account\">Your account</a></p>\n");
        }
        Visitor::Anonymous(_) => {
            h.push_str("<p class=\"whoami\"><a href=\"#account\">Log in or sign up</a></p>\n");
        }
    }
    h.push_str("</div>\n</header>\n");
}

fn notice(h: &mut String, notice: Option<&Notice>) {
    match notice {
        Some(Notice::Failed {
            action,
            status,
            message,
        }) => {
            h.push_str(
                "<div class=\"notice notice-error\" id=\"notice\" role=\"alert\" tabindex=\"-1\">\
                 <p><strong>",
            );
            h.push_str(action);
            h.push_str("</strong> ");
            escape_into(h, &sentence(message));
            h.push_str(" <span class=\"status\">(HTTP ");
            h.push_str(&status.to_string());
            h.push_str(")</span></p></div>\n");
        }
        Some(Notice::SignedUp(username)) => {
            h.push_str(
                "<div class=\"notice notice-ok\" id=\"notice\" role=\"status\">\
                 <p>The account <strong>",
            );
            escape_into(h, username);
            h.push_str("</strong> exists. Log in to start commenting.</p></div>\n");
        }
        // An empty region the script fills when a request fails.
        None => h.push_str("<div class=\"notice\" id=\"notice\" role=\"alert\" hidden></div>\n"),
    }
}

/// The JSON error message as a sentence: capital first letter, final stop.
fn sentence(message: &str) -> String {
    let mut s = String::with_capacity(message.len() + 1);
    let mut chars = message.chars();
    if let Some(first) = chars.next() {
        s.extend(first.to_uppercase());
        s.push_str(chars.as_str());
    }
    if !s.ends_with(['.', '!', '?', ')']) {
        s.push('.');
    }
    s
}

fn board(h: &mut String, page: &Page) {
    let b = &page.board;
    h.push_str(
        "<section class=\"board\" aria-labelledby=\"comments-h\">\n\
         <h1 id=\"comments-h\" tabindex=\"-1\">Comments</h1>\n",
    );
    if !b.latest {
        h.push_str(
            "<p class=\"pager-note\">Older comments. <a href=\"/\">Back to the latest</a></p>\n",
        );
    }
    if let Some(id) = b.older_than {
        pager_link(h, id);
    }
    if matches!(page.visitor, Visitor::Member { .. }) && b.latest && !b.comments.is_empty() {
        h.push_str("<p class=\"jump\"><a href=\"#post-text\">Write a comment</a></p>\n");
    }
    let me = match &page.visitor {
        Visitor::Member { session, .. } => Some(&*session.username),
        Visitor::Anonymous(_) => None,
    };
    let after = b.comments.last().map_or(0, |c| c.id);
    h.push_str("<ol class=\"comments\" id=\"comments\" data-after=\"");
    h.push_str(&after.to_string());
    h.push_str(if b.latest {
        "\" data-live=\"on\">\n"
    } else {
        "\" data-live=\"off\">\n"
    });
    for c in b.comments {
        comment(h, c, me == Some(&*c.author));
    }
    h.push_str("</ol>\n<p class=\"empty\" id=\"no-comments\"");
    if !b.comments.is_empty() {
        h.push_str(" hidden");
    }
    h.push_str(">No comments yet.</p>\n");
    if me.is_some() && b.latest {
        post_form(h, page.typed);
    } else if me.is_none() {
        h.push_str(
            "<p class=\"cta\"><a href=\"#account\">Log in or sign up</a> to post a comment.</p>\n",
        );
    }
    h.push_str("</section>\n");
}

fn pager_link(h: &mut String, before: u64) {
    h.push_str("<nav class=\"pager\" aria-label=\"Older comments\"><a href=\"/?before=");
    h.push_str(&before.to_string());
    h.push_str("\" rel=\"prev\">Older comments</a></nav>\n");
}

/// One comment; the author's own carries a delete form.
fn comment(h: &mut String, c: &Comment, own: bool) {
    let id = c.id.to_string();
    h.push_str("<li class=\"comment");
    if own {
        h.push_str(" own");
    }
    h.push_str("\" id=\"c-");
    h.push_str(&id);
    h.push_str("\" data-id=\"");
    h.push_str(&id);
    h.push_str("\">\n<div class=\"comment-head\"><span class=\"author\">");
    escape_into(h, &c.author);
    h.push_str("</span>");
    if own {
        h.push_str(" <span class=\"you\">(you)</span>");
    }
    h.push_str(" <time datetime=\"");
    h.push_str(&rfc3339(system_time_from_unix(c.created_at)));
    h.push_str("\">");
    h.push_str(&human_time(c.created_at));
    h.push_str("</time>");
    if own {
        h.push_str("\n<form class=\"delete\" method=\"post\" action=\"/comments/");
        h.push_str(&id);
        h.push_str(
            "/delete\"><input type=\"hidden\" name=\"_method\" value=\"DELETE\">\
             <button type=\"submit\" class=\"quiet\" aria-label=\"Delete your comment ",
        );
        h.push_str(&id);
        h.push_str("\">Delete</button></form>");
    }
    h.push_str("</div>\n<p class=\"text\">");
    escape_into(h, &c.text);
    h.push_str("</p>\n</li>\n");
}

fn post_form(h: &mut String, typed: Typed) {
    h.push_str(
        "<form class=\"post stack\" id=\"post\" method=\"post\" action=\"/comments\">\n\
         <label for=\"post-text\">Your comment</label>\n\
         <textarea id=\"post-text\" name=\"text\" rows=\"3\" aria-describedby=\"post-hint\"",
    );
    if typed.form == Some(Form::Comment) {
        h.push_str(" autofocus");
    }
    // The newline is eaten by the HTML parser, so a text that starts with
    // one keeps it.
    h.push_str(">\n");
    if typed.form == Some(Form::Comment) {
        escape_into(h, typed.text);
    }
    h.push_str(
        "</textarea>\n<p class=\"hint\" id=\"post-hint\">Plain text, up to 4096 bytes. \
         Everyone can read it.</p>\n\
         <div class=\"row\"><button type=\"submit\">Post comment</button></div>\n</form>\n",
    );
}

fn account(h: &mut String, page: &Page) {
    h.push_str("<section class=\"card account\" id=\"account\" aria-labelledby=\"account-h\">\n");
    match &page.visitor {
        Visitor::Member {
            session, sessions, ..
        } => {
            h.push_str("<h2 id=\"account-h\">Your account</h2>\n<p>Signed in as <strong>");
            escape_into(h, &session.username);
            h.push_str("</strong>. ");
            match sessions {
                Some(1) => h.push_str("This is your only session."),
                Some(n) => {
                    h.push_str("You have ");
                    h.push_str(&n.to_string());
                    h.push_str(" sessions: this browser and ");
                    h.push_str(&(n.saturating_sub(1)).to_string());
                    h.push_str(if *n == 2 { " other." } else { " others." });
                }
                None => h.push_str("This browser holds a session."),
            }
            h.push_str(
                "</p>\n<div class=\"row\">\n\
                 <form method=\"post\" action=\"/logout\"><button type=\"submit\">Log out</button></form>\n\
                 <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"all\" value=\"true\">\
                 <button type=\"submit\" class=\"secondary\">Log out everywhere</button></form>\n\
                 </div>\n<p class=\"hint\">\u{201c}Log out everywhere\u{201d} ends every session \
                 of this account, in every browser.</p>\n",
            );
        }
        Visitor::Anonymous(_) => {
            h.push_str("<h2 id=\"account-h\">Join in</h2>\n");
            let signed_up = match &page.notice {
                Some(Notice::SignedUp(name)) => Some(name.as_str()),
                _ => None,
            };
            let typed = page.typed;
            let login_name = signed_up.unwrap_or(if typed.form == Some(Form::Login) {
                typed.username
            } else {
                ""
            });
            let login_focus = signed_up.is_some() || typed.form == Some(Form::Login);
            auth_form(h, AuthForm::Login, login_name, login_focus);
            let signup_name = if typed.form == Some(Form::Signup) {
                typed.username
            } else {
                ""
            };
            auth_form(
                h,
                AuthForm::Signup,
                signup_name,
                typed.form == Some(Form::Signup),
            );
        }
    }
    h.push_str("</section>\n");
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum AuthForm {
    Login,
    Signup,
}

/// The log-in or sign-up form, with the username typed so far and the
/// focus on the field to fill next.
fn auth_form(h: &mut String, which: AuthForm, username: &str, focus: bool) {
    let (id, title, button, new_password) = match which {
        AuthForm::Login => ("login", "Log in", "Log in", false),
        AuthForm::Signup => ("signup", "New here? Sign up", "Create account", true),
    };
    let field = |h: &mut String, part: &str| {
        h.push_str(id);
        h.push('-');
        h.push_str(part);
    };
    h.push_str("<form class=\"stack auth\" id=\"");
    h.push_str(id);
    h.push_str("\" method=\"post\" action=\"/");
    h.push_str(id);
    h.push_str("\">\n<h3>");
    h.push_str(title);
    h.push_str("</h3>\n<label for=\"");
    field(h, "username");
    h.push_str("\">Username</label>\n<input id=\"");
    field(h, "username");
    h.push_str(
        "\" name=\"username\" autocomplete=\"username\" autocapitalize=\"none\" \
         spellcheck=\"false\" value=\"",
    );
    escape_into(h, username);
    h.push('"');
    if focus && username.is_empty() {
        h.push_str(" autofocus");
    }
    if new_password {
        h.push_str(" aria-describedby=\"signup-username-hint\"");
    }
    h.push_str(">\n");
    if new_password {
        h.push_str(
            "<p class=\"hint\" id=\"signup-username-hint\">Up to 150 letters, digits \
             and @ . + - _</p>\n",
        );
    }
    h.push_str("<label for=\"");
    field(h, "password");
    h.push_str("\">Password</label>\n<input id=\"");
    field(h, "password");
    h.push_str("\" name=\"password\" type=\"password\" autocomplete=\"");
    h.push_str(if new_password {
        "new-password\" aria-describedby=\"signup-password-hint\""
    } else {
        "current-password\""
    });
    if focus && !username.is_empty() {
        h.push_str(" autofocus");
    }
    h.push_str(">\n");
    if new_password {
        h.push_str("<p class=\"hint\" id=\"signup-password-hint\">At least 8 characters.</p>\n");
    }
    h.push_str("<div class=\"row\"><button type=\"submit\"");
    if new_password {
        h.push_str(" class=\"secondary\"");
    }
    h.push('>');
    h.push_str(button);
    h.push_str("</button></div>\n</form>\n");
}

fn how_it_works(h: &mut String, visitor: &Visitor) {
    h.push_str(
        "<section class=\"card how\" id=\"how\" aria-labelledby=\"how-h\">\n\
         <h2 id=\"how-h\">How this works</h2>\n\
         <p>HTTP forgets you between requests. This board remembers you with two things: \
         a cookie in your browser and a row on the server.</p>\n\
         <h3>What this browser holds</h3>\n",
    );
    let ttl = SESSION_TTL.as_secs();
    match visitor {
        Visitor::Member { cookie_start, .. } => {
            h.push_str("<dl class=\"facts\">\n<dt>Cookie</dt><dd><code>sessionid</code></dd>\n<dt>Value</dt><dd><code>");
            escape_into(h, cookie_start);
            h.push_str(
                "\u{2026}</code> <span class=\"hint\">(the first 6 of 32 characters)</span></dd>\n\
                 <dt>Attributes</dt><dd><code>HttpOnly; SameSite=Lax; Path=/; Max-Age=",
            );
            h.push_str(&ttl.to_string());
            h.push_str(
                "</code></dd>\n</dl>\n<p class=\"hint\">The server read the value from this \
                 request\u{2019}s <code>Cookie</code> header. A browser never sends the \
                 attributes back: these are the ones the server set when you logged in.</p>\n",
            );
        }
        Visitor::Anonymous(CookieSeen::Absent) => h.push_str(
            "<p>No session cookie. Log in and the server sends one: \
             <code>sessionid</code>, with <code>HttpOnly; SameSite=Lax; Path=/; Max-Age=1209600</code>.</p>\n",
        ),
        Visitor::Anonymous(CookieSeen::Unknown(start)) => {
            h.push_str("<p>A <code>sessionid</code> cookie starting <code>");
            escape_into(h, start);
            h.push_str(
                "\u{2026}</code> that the server does not know (it expired or was logged \
                 out), so it counts for nothing.</p>\n",
            );
        }
    }
    h.push_str("<h3>What the server holds for this session</h3>\n");
    match visitor {
        Visitor::Member { session, .. } => {
            h.push_str("<dl class=\"facts\">\n<dt>User</dt><dd>");
            escape_into(h, &session.username);
            h.push_str("</dd>\n<dt>Created</dt><dd>");
            time_element(h, session.created_at);
            h.push_str("</dd>\n<dt>Expires</dt><dd>");
            time_element(h, session.expires_at);
            h.push_str("</dd>\n<dt>Kept as</dt><dd><code>");
            escape_into(h, session.id_hash.get(..12).unwrap_or(&session.id_hash));
            h.push_str(
                "\u{2026}</code> <span class=\"hint\">(the SHA-256 of the id, \
                 never the id itself)</span></dd>\n</dl>\n",
            );
        }
        Visitor::Anonymous(_) => {
            h.push_str("<p>Nothing: no session, so every request is a stranger\u{2019}s.</p>\n")
        }
    }
    h.push_str(
        "<h3>The cookie\u{2019}s attributes</h3>\n<dl class=\"terms\">\n\
         <dt><code>HttpOnly</code></dt><dd>Scripts on the page cannot read the cookie \
         (it is not in <code>document.cookie</code>), so an injected script cannot steal \
         your session.</dd>\n\
         <dt><code>SameSite=Lax</code></dt><dd>The browser sends the cookie with requests \
         from this site and with links followed from other sites, but not with forms \
         another site posts here.</dd>\n\
         <dt><code>Max-Age=1209600</code></dt><dd>The browser forgets the cookie after \
         1,209,600 seconds (14 days), the moment the server\u{2019}s row expires too.</dd>\n\
         </dl>\n<p class=\"hint\">A form posted here from another origin is refused \
         with 403: the server compares the request\u{2019}s <code>Origin</code> with its \
         own address.</p>\n</section>\n",
    );
}

fn time_element(h: &mut String, secs: i64) {
    h.push_str("<time datetime=\"");
    h.push_str(&rfc3339(system_time_from_unix(secs)));
    h.push_str("\">");
    h.push_str(&human_time(secs));
    h.push_str("</time>");
}

/// `6 Dec 2026, 14:03 UTC`
pub fn human_time(secs: i64) -> String {
    let c = civil_from_unix(secs);
    let month = MONTH_NAMES
        .get(c.month.wrapping_sub(1) as usize)
        .unwrap_or(&"?");
    format!(
        "{} {} {}, {:02}:{:02} UTC",
        c.day, month, c.year, c.hour, c.minute
    )
}

const FOOTER: &str = "<footer class=\"footer\"><p>stateful: an HTTP/1.1 server on the Rust \
standard library. Scripts get the same routes in JSON: <code>GET /comments</code>, \
<code>POST /login</code>, <code>POST /comments</code>.</p></footer>\n</body>\n</html>\n";

#[cfg(test)]
mod tests;
