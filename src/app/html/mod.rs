//! The board as HTML: escaping, and the one page ([`page`]) that a browser
//! sees at `GET /` and after a failed form post.
//!
//! Every piece of text that did not come from this file goes through
//! [`escape_into`], in element content and in double-quoted attribute
//! values alike, so a comment `<script>` shows as those characters and a
//! value cannot leave its attribute. The page has no inline script, no
//! `style=` attribute and no `<style>` block: the `Content-Security-Policy`
//! it is sent with ([`CONTENT_SECURITY_POLICY`]) forbids them.

pub mod page;

pub use page::{render, Assets, Board, CookieSeen, Form, Notice, Page, Typed, Visitor};

/// Sent with every HTML answer: scripts, styles, images and form targets
/// only from this origin, no framing, no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Appends `s` with `&`, `<`, `>`, `"` and `'` replaced by character
/// references: safe in element content and in quoted attribute values.
///
/// ```
/// let mut out = String::new();
/// stateful::app::html::escape_into(&mut out, "<script>alert('x & \"y\"')</script>");
/// assert_eq!(out, "&lt;script&gt;alert(&#39;x &amp; &quot;y&quot;&#39;)&lt;/script&gt;");
/// ```
pub fn escape_into(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

/// [`escape_into`] into a new string.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("plain", "plain"),
            ("<script>", "&lt;script&gt;"),
            ("a & b", "a &amp; b"),
            ("&amp;", "&amp;amp;"),
            ("\"'", "&quot;&#39;"),
            ("안녕하세요 <b>", "안녕하세요 &lt;b&gt;"),
            ("\u{0}x", "\u{0}x"),
        ];
        for (input, want) in cases {
            assert_eq!(escape(input), *want, "{input:?}");
        }
    }
}
