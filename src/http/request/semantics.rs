//! The meaning of the header fields a request head must agree on: `Host`,
//! body framing (`Content-Length`, `Transfer-Encoding`), `Connection` and
//! `Expect` (RFC 9112 §3.2, §6, §9.3; RFC 9110 §10.1.1).

use super::target::check_host;
use super::{range, BodyFraming, HeadError, RequestHead, Version};
use crate::http::syntax::{is_token, list_items, trim_ows};
use crate::limits::MAX_BODY_BYTES;

/// Host, body framing, Connection and Expect (RFC 9112 §3.2, §6, §9.3;
/// RFC 9110 §10.1.1).
pub(super) fn check_semantics(head: &mut RequestHead) -> Result<(), HeadError> {
    let mut host = None;
    let mut content_length: Option<u64> = None;
    let mut saw_content_length = false;
    let mut te_codings: Vec<&[u8]> = Vec::new();
    let mut saw_te = false;
    let mut close = false;
    let mut keep_alive = false;
    let mut expect_continue = false;
    for (n, v) in &head.fields {
        let name = &head.bytes[range(n)];
        let value = &head.bytes[range(v)];
        if name.eq_ignore_ascii_case(b"host") {
            if host.is_some() {
                return Err(HeadError::DuplicateHost);
            }
            check_host(value)?;
            host = Some(v.clone());
        } else if name.eq_ignore_ascii_case(b"content-length") {
            saw_content_length = true;
            let mut any = false;
            for item in value.split(|&b| b == b',').map(trim_ows) {
                let n = parse_decimal(item).ok_or(HeadError::InvalidContentLength)?;
                any = true;
                match content_length {
                    Some(prev) if prev != n => return Err(HeadError::ConflictingContentLength),
                    _ => content_length = Some(n),
                }
            }
            if !any {
                return Err(HeadError::InvalidContentLength);
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            saw_te = true;
            te_codings.extend(list_items(value));
        } else if name.eq_ignore_ascii_case(b"connection") {
            for token in list_items(value) {
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case(b"expect") {
            if value.eq_ignore_ascii_case(b"100-continue") {
                expect_continue = true;
            } else {
                return Err(HeadError::UnsupportedExpectation);
            }
        }
    }
    if head.version == Version::Http11 && host.is_none() {
        return Err(HeadError::MissingHost);
    }
    head.framing = if saw_te {
        if saw_content_length {
            return Err(HeadError::ContentLengthWithTransferEncoding);
        }
        if head.version == Version::Http10 {
            return Err(HeadError::TransferEncodingInHttp10);
        }
        transfer_framing(&te_codings)?
    } else {
        match content_length {
            Some(n) if n > MAX_BODY_BYTES as u64 => return Err(HeadError::BodyTooLarge),
            Some(0) | None => BodyFraming::None,
            Some(n) => BodyFraming::Length(n),
        }
    };
    head.keep_alive = match head.version {
        Version::Http11 => !close,
        Version::Http10 => keep_alive && !close,
    };
    // An HTTP/1.0 client cannot take a 1xx response: its 100-continue is
    // ignored (RFC 9110 §10.1.1, §15.2).
    head.expect_continue = expect_continue && head.version == Version::Http11;
    head.host = host;
    Ok(())
}

/// Framing from the list of transfer codings: exactly one `chunked`, last.
fn transfer_framing(codings: &[&[u8]]) -> Result<BodyFraming, HeadError> {
    let name = |c: &[u8]| -> Vec<u8> {
        let end = c.iter().position(|&b| b == b';').unwrap_or(c.len());
        trim_ows(&c[..end]).to_ascii_lowercase()
    };
    let Some((last, rest)) = codings.split_last() else {
        return Err(HeadError::InvalidTransferEncoding);
    };
    if !codings.iter().all(|c| is_token(&name(c))) {
        return Err(HeadError::InvalidTransferEncoding);
    }
    if name(last) != b"chunked" {
        return Err(if rest.iter().any(|c| name(c) == b"chunked") {
            HeadError::ChunkedNotFinal
        } else {
            HeadError::InvalidTransferEncoding
        });
    }
    if last.contains(&b';') {
        // chunked takes no parameters (RFC 9112 §7.1).
        return Err(HeadError::InvalidTransferEncoding);
    }
    if rest.iter().any(|c| name(c) == b"chunked") {
        return Err(HeadError::ChunkedNotFinal);
    }
    if rest.is_empty() {
        Ok(BodyFraming::Chunked)
    } else {
        Err(HeadError::UnsupportedTransferCoding)
    }
}

/// `1*DIGIT` without sign, with overflow refused.
fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}
