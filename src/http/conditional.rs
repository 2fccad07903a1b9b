//! `If-None-Match` (RFC 9110 §13.1.2): whether a client's cached copy is
//! still current, so a `GET` can answer `304 Not Modified` with no body.
//!
//! ```
//! use stateful::http::conditional::none_match;
//! assert!(!none_match([&b"\"v7\""[..]], "\"v7\"")); // the client has it: 304
//! assert!(!none_match([&b"W/\"v7\", \"v8\""[..]], "\"v7\"")); // weak comparison
//! assert!(none_match([&b"\"v6\""[..]], "\"v7\"")); // changed: 200
//! assert!(!none_match([&b"*"[..]], "\"v7\""));
//! ```
//!
//! The field is `"*" / #entity-tag`, `entity-tag = [ "W/" ] DQUOTE *etagc
//! DQUOTE` with `etagc` any visible byte but `"` (so a tag may hold a
//! comma). If-None-Match uses the weak comparison: `W/"x"` matches `"x"`.
//! A malformed field is ignored as a whole (§13.1.2: a recipient MUST
//! ignore If-None-Match when the request could not be understood with it),
//! which only ever costs a full answer, never a wrong 304.

/// The result of evaluating every `If-None-Match` field of a request
/// against the current `etag` (a full entity-tag such as `"v7"` or
/// `W/"v7"`): `true` when the request should be answered in full, `false`
/// when the client's copy is current (304 for GET and HEAD). No field at
/// all is `true`.
pub fn none_match<'a>(fields: impl IntoIterator<Item = &'a [u8]>, etag: &str) -> bool {
    let Some(current) = opaque(etag.as_bytes()) else {
        return true;
    };
    let mut matched = false;
    for value in fields {
        match field_matches(value, current) {
            Some(hit) => matched |= hit,
            None => return true,
        }
    }
    !matched
}

/// Whether one field value is `*` or lists a tag weakly equal to
/// `current`; `None` when it is malformed.
fn field_matches(value: &[u8], current: &[u8]) -> Option<bool> {
    let trimmed = trim(value);
    if trimmed == b"*" {
        return Some(true);
    }
    let mut matched = false;
    let mut rest = trimmed;
    loop {
        rest = trim_start(rest);
        if let Some(r) = rest.strip_prefix(b",") {
            rest = r;
            continue;
        }
        if rest.is_empty() {
            return Some(matched);
        }
        let (tag, after) = entity_tag(rest)?;
        matched |= opaque(tag) == Some(current);
        rest = trim_start(after);
        if !rest.is_empty() && !rest.starts_with(b",") {
            return None;
        }
    }
}

/// One entity-tag at the start of `s`, and what follows it.
fn entity_tag(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let body = s.strip_prefix(b"W/").unwrap_or(s);
    let inner = body.strip_prefix(b"\"")?;
    let close = inner.iter().position(|&b| b == b'"')?;
    if !inner[..close].iter().all(|&b| is_etagc(b)) {
        return None;
    }
    let end = s.len() - body.len() + 1 + close + 1;
    Some((&s[..end], &s[end..]))
}

/// The quoted part of an entity-tag, without any `W/` (weak comparison),
/// or `None` when `tag` is not an entity-tag.
fn opaque(tag: &[u8]) -> Option<&[u8]> {
    let body = tag.strip_prefix(b"W/").unwrap_or(tag);
    let ok = body.len() >= 2
        && body[0] == b'"'
        && body[body.len() - 1] == b'"'
        && body[1..body.len() - 1].iter().all(|&b| is_etagc(b));
    ok.then_some(body)
}

/// `etagc = %x21 / %x23-7E / obs-text`
fn is_etagc(b: u8) -> bool {
    b == 0x21 || (0x23..=0x7E).contains(&b) || b >= 0x80
}

fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    &s[n..]
}

fn trim(s: &[u8]) -> &[u8] {
    let s = trim_start(s);
    let n = s
        .iter()
        .rev()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    &s[..s.len() - n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        // (If-None-Match fields, current tag, answer in full?)
        let cases: &[(&[&str], &str, bool)] = &[
            (&[], "\"a\"", true),
            (&["\"a\""], "\"a\"", false),
            (&["\"b\""], "\"a\"", true),
            (&["W/\"a\""], "\"a\"", false),
            (&["\"a\""], "W/\"a\"", false),
            (&["W/\"a\""], "W/\"a\"", false),
            (&["\"b\", \"a\""], "\"a\"", false),
            (&["\"b\",\"c\""], "\"a\"", true),
            (&["  \"a\"  "], "\"a\"", false),
            (&[" , \"a\" ,, "], "\"a\"", false),
            (&["\"b\"", "\"a\""], "\"a\"", false),
            (&["*"], "\"a\"", false),
            (&[" * "], "\"a\"", false),
            (&["\"a,b\""], "\"a,b\"", false),
            (&["\"a,b\""], "\"a\"", true),
            (&["\"\""], "\"\"", false),
            // Malformed: ignored, so answered in full.
            (&["a"], "\"a\"", true),
            (&["\"a"], "\"a\"", true),
            (&["\"a\" \"b\""], "\"a\"", true),
            (&["\"a\"x"], "\"a\"", true),
            (&["w/\"a\""], "\"a\"", true),
            (&["\"a b\""], "\"a b\"", true),
            (&["*, \"a\""], "\"a\"", true),
            (&["\"x\"", "junk"], "\"a\"", true),
        ];
        for (fields, etag, want) in cases {
            let got = none_match(fields.iter().map(|f| f.as_bytes()), etag);
            assert_eq!(got, *want, "If-None-Match: {fields:?} against {etag}");
        }
    }

    #[test]
    fn many_tags_and_any_bytes_are_total() {
        let many: String = (0..40).map(|i| format!("\"t{i}\",")).collect();
        assert!(!none_match([many.as_bytes()], "\"t3\""));
        assert!(!none_match([many.as_bytes()], "\"t39\""));
        assert!(none_match([many.as_bytes()], "\"t40\""));
        for b in 0..=255u8 {
            let v = [b'"', b, b'"', b',', b, b'W', b'/'];
            for end in 0..=v.len() {
                let _ = none_match([&v[..end]], "\"x\"");
            }
        }
    }
}
