//! The whole comment board, read page by page through `GET /comments`
//! (for test crates that also include `json_value` and `server`).

use crate::json_value::Json;
use crate::server::{get_request, Server};

/// Every comment on the board, `(id, author, text)`, oldest first.
pub fn all_comments(s: &Server) -> Vec<(i64, String, String)> {
    let mut out: Vec<(i64, String, String)> = Vec::new();
    let mut c = s.client();
    for _page in 0..10_000 {
        let after = out.last().map_or(0, |x| x.0);
        let r = c
            .request(&get_request(
                &format!("/comments?after={after}&limit=1000"),
                None,
            ))
            .expect("a page of comments");
        assert_eq!(r.status, 200);
        let page = Json::parse(&r.text());
        let list = page.at("comments").arr();
        if list.is_empty() {
            return out;
        }
        out.extend(list.iter().map(|x| {
            (
                x.at("id").i64(),
                x.at("author").str().to_string(),
                x.at("text").str().to_string(),
            )
        }));
    }
    panic!("more than 10,000 pages of comments");
}
