//! The files under `/static/`: the board's stylesheet, script and icon,
//! compiled into the binary (`include_bytes!`), so the two README commands
//! still do all the set-up. Each answer carries a strong `ETag` (the first
//! 16 hex digits of the file's SHA-256) and `Cache-Control: public,
//! max-age=3600`, and `If-None-Match` with that tag gets `304`.
//!
//! The page links each file with `?v=<tag>` ([`url`]), so a new build is
//! fetched at once even while an old copy is still fresh in a cache.

use std::sync::OnceLock;

use crate::crypto::sha256;
use crate::http::conditional::none_match;
use crate::http::{Request, Response};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "board.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/board.css"),
    },
    Asset {
        name: "board.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/board.js"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../static/icon.svg"),
    },
];

/// The path prefix the files are served under.
pub const PREFIX: &str = "/static/";

/// `Cache-Control` of every file.
const CACHE_CONTROL: &str = "public, max-age=3600";

/// The quoted ETag of each file, in [`ASSETS`] order, made once.
fn etags() -> &'static [String] {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = sha256(a.body);
                let mut tag = String::with_capacity(18);
                tag.push('"');
                for b in &digest[..8] {
                    tag.push_str(&format!("{b:02x}"));
                }
                tag.push('"');
                tag
            })
            .collect()
    })
}

fn find(name: &str) -> Option<(&'static Asset, &'static str)> {
    let i = ASSETS.iter().position(|a| a.name == name)?;
    Some((&ASSETS[i], etags()[i].as_str()))
}

/// The URL the page links for `name` (`/static/board.css?v=1a2b...`).
pub fn url(name: &str) -> String {
    match find(name) {
        Some((_, tag)) => format!("{PREFIX}{name}?v={}", tag.trim_matches('"')),
        None => format!("{PREFIX}{name}"),
    }
}

/// Whether `path` is one of the files (the router's test for `/static/*`).
pub fn exists(path: &str) -> bool {
    path.strip_prefix(PREFIX).and_then(find).is_some()
}

/// `GET /static/NAME`: the file, or `304` when `If-None-Match` names its
/// tag, or `404`.
pub fn serve(_: &super::App, req: &Request) -> Response {
    let Some((asset, tag)) = req.head.path().strip_prefix(PREFIX).and_then(find) else {
        return super::error(404, "not found");
    };
    let r = if none_match(req.head.headers("if-none-match"), tag) {
        Response::empty(200)
            .with_header("Content-Type", asset.content_type)
            .with_body(asset.body.to_vec())
    } else {
        Response::empty(304)
    };
    r.with_header("ETag", tag)
        .with_header("Cache-Control", CACHE_CONTROL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_tag() {
        let u = url("board.css");
        assert!(u.starts_with("/static/board.css?v="), "{u}");
        assert_eq!(u.len(), "/static/board.css?v=".len() + 16);
        assert!(exists("/static/board.js"));
        assert!(!exists("/static/nope.js"));
        assert!(!exists("/static/"));
        assert!(!exists("/board.js"));
    }

    #[test]
    fn tags_are_distinct_and_quoted() {
        let tags = etags();
        assert_eq!(tags.len(), ASSETS.len());
        for t in tags {
            assert!(t.starts_with('"') && t.ends_with('"') && t.len() == 18);
        }
        assert_ne!(tags[0], tags[1]);
    }

    #[test]
    fn no_inline_handlers_or_html_in_the_script() {
        let js = std::str::from_utf8(find("board.js").unwrap().0.body).unwrap();
        assert!(!js.contains("innerHTML"));
        assert!(!js.contains("eval("));
        assert!(!js.contains("document.write"));
    }
}
