//! Reading Redis's replies into store values: any reply of an unexpected
//! shape is [`StoreError::Unavailable`], like Redis being down.

use std::sync::Arc;

use crate::app::comments::Comment;
use crate::app::store::{SessionInfo, StoreError, StoreResult};
use crate::redis::Reply;

pub(super) fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

pub(super) fn unexpected(what: &str, r: &Reply) -> StoreError {
    StoreError::Unavailable(format!("redis: unexpected reply to {what}: {r:?}"))
}

pub(super) fn int(r: &Reply, what: &str) -> StoreResult<i64> {
    match r {
        Reply::Integer(n) => Ok(*n),
        Reply::Bulk(b) => parse_i64(b).ok_or_else(|| unexpected(what, r)),
        _ => Err(unexpected(what, r)),
    }
}

pub(super) fn bulk<'a>(r: &'a Reply, what: &str) -> StoreResult<Option<&'a [u8]>> {
    match r {
        Reply::Bulk(b) => Ok(Some(b)),
        Reply::Nil => Ok(None),
        _ => Err(unexpected(what, r)),
    }
}

pub(super) fn array<'a>(r: &'a Reply, what: &str) -> StoreResult<&'a [Reply]> {
    match r {
        Reply::Array(items) => Ok(items),
        Reply::Nil => Ok(&[]),
        _ => Err(unexpected(what, r)),
    }
}

pub(super) fn parse_i64(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

pub(super) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `HMGET u c e s a` into a live session.
pub(super) fn session_from_fields(
    hash: &str,
    f: &[Reply],
    now: i64,
) -> StoreResult<Option<SessionInfo>> {
    let [u, c, e, s, a] = f else {
        return Err(unavailable("redis: HMGET session: wrong field count"));
    };
    let Some(user) = bulk(u, "session user")? else {
        return Ok(None);
    };
    let num = |r: &Reply| -> StoreResult<i64> {
        bulk(r, "session time")?
            .and_then(parse_i64)
            .ok_or_else(|| unexpected("session time", r))
    };
    let expires_at = num(e)?;
    if expires_at <= now {
        return Ok(None);
    }
    Ok(Some(SessionInfo {
        username: Arc::from(text(user)),
        id_hash: hash.to_string(),
        created_at: num(c)?,
        expires_at,
        last_seen_at: num(s)?,
        user_agent: bulk(a, "session agent")?.map(text).unwrap_or_default(),
    }))
}

/// A comment member: `id:created:author:text`.
pub(super) fn comment_from_member(member: &[u8]) -> StoreResult<Comment> {
    let bad = || unavailable("redis: malformed comment");
    let mut parts = member.splitn(4, |&b| b == b':');
    let (Some(id), Some(created), Some(author), Some(body)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let id = parse_i64(id)
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(bad)?;
    let created = parse_i64(created).ok_or_else(bad)?;
    let body = String::from_utf8(body.to_vec()).map_err(|_| bad())?;
    Ok(Comment {
        id,
        author: Arc::from(text(author)),
        text: body,
        created_at: created,
    })
}

pub(super) fn comments_from(reply: &Reply) -> StoreResult<Vec<Comment>> {
    array(reply, "comments page")?
        .iter()
        .map(|m| match m {
            Reply::Bulk(b) => comment_from_member(b),
            other => Err(unexpected("comments page", other)),
        })
        .collect()
}
