//! The request-target (RFC 9112 §3.2) and the authority in it or in `Host`
//! (RFC 9110 §4.2, §7.2; RFC 3986 §3.2.2-§3.2.3).
//!
//! A target has one of four forms, and the method decides which it may
//! take: origin-form (`/path?query`) and absolute-form
//! (`http://host/path`) for every method but CONNECT, authority-form
//! (`host:port`) for CONNECT only, asterisk-form (`*`) for OPTIONS only.
//! Any other pairing is [`HeadError::TargetFormNotAllowed`].
//!
//! An authority is `uri-host [ ":" port ]`: a reg-name, an IPv4 address or
//! a bracketed IPv6 (or IPvFuture) literal, then a port of digits only. The
//! choices where RFC 3986 leaves room:
//! - an empty port after the colon (`Host: a:`) is accepted, as `port =
//!   *DIGIT` allows (RFC 3986 §3.2.3 asks only that producers omit it);
//! - a port above 65535 is refused: no TCP port has that number, and a
//!   parser that wraps it (99999 as 34463) would route elsewhere;
//! - leading zeros are accepted (`a:080` is port 80), as `*DIGIT` allows;
//! - an empty host with a port (`Host: :80`) is refused: the target URI it
//!   names has an empty host, which RFC 9110 §4.2.1 says to reject; an
//!   entirely empty `Host` is accepted (RFC 9110 §7.2: the client sends one
//!   when the target URI has no authority);
//! - userinfo (`u@host`) is refused in an absolute-form target (RFC 9110
//!   §4.2.4), and `@` is no host byte in `Host` either;
//! - a comma is refused anywhere in a host, though a reg-name (or an
//!   IPvFuture literal) may hold one: a recipient may join repeated field
//!   lines with commas (RFC 9110 §5.3), so `Host: a,b` cannot be told from
//!   two `Host` lines, which must be 400 (RFC 9112 §3.2);
//! - CONNECT needs a port, and one from 1 to 65535 (RFC 9110 §9.3.6).

use std::ops::Range;

use super::{HeadError, Method};

/// Where the part of a target that routing uses lies in it.
pub(super) struct Routed {
    pub start: usize,
    pub end: usize,
    /// Where the host of an absolute-form target is.
    pub authority: Option<Range<usize>>,
}

/// What is wrong with an authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AuthorityError {
    Host,
    Port,
}

/// The part of `target` that routing uses: all of an origin-form or
/// asterisk-form target, the path and query of an absolute-form one
/// (RFC 9112 §3.2), all of an authority-form one. Refuses a form the
/// method does not allow, a malformed authority, and an `https` target,
/// which this server (no TLS) cannot have been sent over a secured
/// connection (RFC 9110 §7.4).
pub(super) fn route_target(target: &[u8], method: Method) -> Result<Routed, HeadError> {
    let whole = Routed {
        start: 0,
        end: target.len(),
        authority: None,
    };
    let asterisk = target == b"*";
    let origin = target.first() == Some(&b'/');
    let scheme = scheme_len(target);
    if method == Method::Connect {
        if origin || asterisk || scheme.is_some() {
            return Err(HeadError::TargetFormNotAllowed);
        }
        return match parse_authority(target) {
            Ok(Some(port)) if port > 0 && target[0] != b':' => Ok(whole),
            _ => Err(HeadError::InvalidTarget),
        };
    }
    if origin {
        return Ok(whole);
    }
    if asterisk {
        return if method == Method::Options {
            Ok(whole)
        } else {
            Err(HeadError::TargetFormNotAllowed)
        };
    }
    let Some((scheme, https)) = scheme else {
        // Neither origin-, asterisk- nor absolute-form: authority-form is
        // CONNECT's alone; anything else is no target at all.
        return Err(match parse_authority(target) {
            Ok(Some(_)) => HeadError::TargetFormNotAllowed,
            _ => HeadError::InvalidTarget,
        });
    };
    let rest = &target[scheme..];
    let authority_len = rest
        .iter()
        .position(|&b| b == b'/' || b == b'?')
        .unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    if authority.is_empty() || authority[0] == b':' || parse_authority(authority).is_err() {
        return Err(HeadError::InvalidTarget);
    }
    if https {
        return Err(HeadError::HttpsWithoutTls);
    }
    let start = scheme + authority_len;
    Ok(Routed {
        start,
        authority: Some(scheme..start),
        ..whole
    })
}

/// The length of an `http://` or `https://` prefix (any case), and whether
/// it is `https`.
fn scheme_len(target: &[u8]) -> Option<(usize, bool)> {
    let lower = |n: usize| target.get(..n).map(|p| p.to_ascii_lowercase());
    if lower(7).as_deref() == Some(b"http://") {
        Some((7, false))
    } else if lower(8).as_deref() == Some(b"https://") {
        Some((8, true))
    } else {
        None
    }
}

/// Checks a `Host` field value: empty, or `uri-host [ ":" port ]` with a
/// non-empty host.
pub(super) fn check_host(value: &[u8]) -> Result<(), HeadError> {
    if value.is_empty() {
        return Ok(());
    }
    if value[0] == b':' {
        return Err(HeadError::InvalidHost);
    }
    match parse_authority(value) {
        Ok(_) => Ok(()),
        Err(AuthorityError::Host) => Err(HeadError::InvalidHost),
        Err(AuthorityError::Port) => Err(HeadError::InvalidHostPort),
    }
}

/// Parses `uri-host [ ":" port ]`; the port, if one was given with digits.
/// The host may be empty (a reg-name may); callers that need one check.
pub(super) fn parse_authority(s: &[u8]) -> Result<Option<u16>, AuthorityError> {
    let (host, port) = if s.first() == Some(&b'[') {
        let close = s
            .iter()
            .position(|&b| b == b']')
            .ok_or(AuthorityError::Host)?;
        if !is_ip_literal(&s[1..close]) {
            return Err(AuthorityError::Host);
        }
        match &s[close + 1..] {
            [] => (&s[..=close], None),
            [b':', port @ ..] => (&s[..=close], Some(port)),
            _ => return Err(AuthorityError::Host),
        }
    } else {
        match s.iter().position(|&b| b == b':') {
            Some(colon) => (&s[..colon], Some(&s[colon + 1..])),
            None => (s, None),
        }
    };
    if host.first() != Some(&b'[') && !is_reg_name(host) {
        return Err(AuthorityError::Host);
    }
    match port {
        None | Some([]) => Ok(None),
        Some(digits) => parse_port(digits).map(Some).ok_or(AuthorityError::Port),
    }
}

/// `*DIGIT` (non-empty here) with a value that fits a TCP port.
fn parse_port(digits: &[u8]) -> Option<u16> {
    digits.iter().try_fold(0u16, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u16::from(b - b'0'))
        } else {
            None
        }
    })
}

/// `reg-name = *( unreserved / pct-encoded / sub-delims )` without `,`
/// (see the module docs); an IPv4 address is one too.
fn is_reg_name(s: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'%' {
            match s.get(i + 1..i + 3) {
                Some([h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => i += 3,
                _ => return false,
            }
        } else if is_unreserved(b) || (is_sub_delim(b) && b != b',') {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

fn is_sub_delim(b: u8) -> bool {
    b"!$&'()*+,;=".contains(&b)
}

/// The inside of `[...]`: `IPv6address / IPvFuture`.
fn is_ip_literal(s: &[u8]) -> bool {
    match s {
        [b'v' | b'V', rest @ ..] => is_ipv_future(rest),
        _ => is_ipv6(s),
    }
}

/// `1*HEXDIG "." 1*( unreserved / sub-delims / ":" )`, after the `v`,
/// without `,` (see the module docs).
fn is_ipv_future(s: &[u8]) -> bool {
    let digits = s.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    match &s[digits..] {
        [b'.', tail @ ..] if digits > 0 && !tail.is_empty() => tail
            .iter()
            .all(|&b| is_unreserved(b) || (is_sub_delim(b) && b != b',') || b == b':'),
        _ => false,
    }
}

/// RFC 3986 `IPv6address`: eight groups of 1-4 hex digits, the last two of
/// which may be an IPv4 address, with at most one `::` standing for one or
/// more groups of zeros.
fn is_ipv6(s: &[u8]) -> bool {
    let (head, tail, elided) = match s.windows(2).position(|w| w == b"::") {
        Some(i) => (&s[..i], &s[i + 2..], true),
        None => (s, &b""[..], false),
    };
    let Some(head_groups) = ipv6_groups(head, !elided) else {
        return false;
    };
    let Some(tail_groups) = ipv6_groups(tail, elided) else {
        return false;
    };
    let groups = head_groups + tail_groups;
    if elided {
        groups <= 7
    } else {
        groups == 8
    }
}

/// How many 16-bit groups `s` (groups separated by single colons) stands
/// for; `ipv4_last` lets its last group be an IPv4 address (two groups).
fn ipv6_groups(s: &[u8], ipv4_last: bool) -> Option<usize> {
    if s.is_empty() {
        return Some(0);
    }
    let parts: Vec<&[u8]> = s.split(|&b| b == b':').collect();
    let mut groups = 0;
    for (i, part) in parts.iter().enumerate() {
        if ipv4_last && i == parts.len() - 1 && part.contains(&b'.') {
            if !is_ipv4(part) {
                return None;
            }
            groups += 2;
        } else if (1..=4).contains(&part.len()) && part.iter().all(u8::is_ascii_hexdigit) {
            groups += 1;
        } else {
            return None;
        }
    }
    Some(groups)
}

/// `dec-octet "." dec-octet "." dec-octet "." dec-octet`, no leading zeros.
fn is_ipv4(s: &[u8]) -> bool {
    let octets: Vec<&[u8]> = s.split(|&b| b == b'.').collect();
    octets.len() == 4
        && octets.iter().all(|o| {
            (1..=3).contains(&o.len())
                && o.iter().all(u8::is_ascii_digit)
                && (o.len() == 1 || o[0] != b'0')
                && o.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')) <= 255
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use AuthorityError as A;

    #[test]
    fn authorities() {
        #[rustfmt::skip]
        let cases: &[(&str, Result<Option<u16>, AuthorityError>)] = &[
            ("example.com", Ok(None)),
            ("example.com:80", Ok(Some(80))),
            ("example.com:", Ok(None)),
            ("example.com:080", Ok(Some(80))),
            ("example.com:0", Ok(Some(0))),
            ("example.com:65535", Ok(Some(65535))),
            ("a-b_c~d.e!$&'()*+;=", Ok(None)),
            ("a,b", Err(A::Host)),
            ("%41b", Ok(None)),
            ("127.0.0.1:8080", Ok(Some(8080))),
            ("999.1.1.1", Ok(None)),
            ("[::1]", Ok(None)),
            ("[::1]:443", Ok(Some(443))),
            ("[::]", Ok(None)),
            ("[1:2:3:4:5:6:7:8]", Ok(None)),
            ("[1::8]", Ok(None)),
            ("[1:2:3:4:5:6:7::]", Ok(None)),
            ("[::ffff:192.0.2.1]", Ok(None)),
            ("[1:2:3:4:5:6:192.0.2.1]", Ok(None)),
            ("[v1.x:y]", Ok(None)),
            ("", Ok(None)),
            ("a:b", Err(A::Port)),
            ("a:80x", Err(A::Port)),
            ("a:-1", Err(A::Port)),
            ("a:+80", Err(A::Port)),
            ("a: 80", Err(A::Port)),
            ("a:65536", Err(A::Port)),
            ("a:99999", Err(A::Port)),
            ("a:18446744073709551696", Err(A::Port)),
            ("a:80:80", Err(A::Port)),
            ("a:0x50", Err(A::Port)),
            ("[::1]:x", Err(A::Port)),
            ("a b", Err(A::Host)),
            ("a/b", Err(A::Host)),
            ("u@a", Err(A::Host)),
            ("a%2", Err(A::Host)),
            ("a%zz", Err(A::Host)),
            ("a\"b", Err(A::Host)),
            ("[::1", Err(A::Host)),
            ("::1", Err(A::Port)),
            ("[::1]x", Err(A::Host)),
            ("[1:2:3:4:5:6:7:8:9]", Err(A::Host)),
            ("[1:2:3:4:5:6:7]", Err(A::Host)),
            ("[1:2:3:4:5:6:7:8::]", Err(A::Host)),
            ("[1::2::3]", Err(A::Host)),
            ("[:::]", Err(A::Host)),
            ("[12345::]", Err(A::Host)),
            ("[::g]", Err(A::Host)),
            ("[:1]", Err(A::Host)),
            ("[1:]", Err(A::Host)),
            ("[::1.2.3.256]", Err(A::Host)),
            ("[::01.2.3.4]", Err(A::Host)),
            ("[1.2.3.4::]", Err(A::Host)),
            ("[v.x]", Err(A::Host)),
            ("[v1f.f,e80]", Err(A::Host)),
            ("[v1.]", Err(A::Host)),
            ("[fe80::1%25eth0]", Err(A::Host)),
            ("[]", Err(A::Host)),
            ("\u{e9}", Err(A::Host)),
        ];
        for (s, expect) in cases {
            assert_eq!(parse_authority(s.as_bytes()), *expect, "{s:?}");
        }
    }

    #[test]
    fn forms_by_method() {
        use HeadError as E;
        use Method as M;
        #[rustfmt::skip]
        let cases: &[(M, &str, Result<&str, HeadError>)] = &[
            (M::Get, "/a?b", Ok("/a?b")),
            (M::Get, "http://x/a?b", Ok("/a?b")),
            (M::Get, "HTTP://x:81?b", Ok("?b")),
            (M::Options, "*", Ok("*")),
            (M::Options, "/", Ok("/")),
            (M::Options, "http://x", Ok("")),
            (M::Connect, "x:443", Ok("x:443")),
            (M::Connect, "[::1]:443", Ok("[::1]:443")),
            (M::Get, "*", Err(E::TargetFormNotAllowed)),
            (M::Post, "*", Err(E::TargetFormNotAllowed)),
            (M::Other, "*", Err(E::TargetFormNotAllowed)),
            (M::Get, "x:443", Err(E::TargetFormNotAllowed)),
            (M::Options, "x:443", Err(E::TargetFormNotAllowed)),
            (M::Connect, "/", Err(E::TargetFormNotAllowed)),
            (M::Connect, "*", Err(E::TargetFormNotAllowed)),
            (M::Connect, "http://x:443/", Err(E::TargetFormNotAllowed)),
            (M::Connect, "x", Err(E::InvalidTarget)),
            (M::Connect, "x:", Err(E::InvalidTarget)),
            (M::Connect, ":443", Err(E::InvalidTarget)),
            (M::Connect, "x:0", Err(E::InvalidTarget)),
            (M::Connect, "x:65536", Err(E::InvalidTarget)),
            (M::Connect, "x:ab", Err(E::InvalidTarget)),
            (M::Connect, "u@x:443", Err(E::InvalidTarget)),
            (M::Get, "x", Err(E::InvalidTarget)),
            (M::Get, "**", Err(E::InvalidTarget)),
            (M::Get, "ftp://x/", Err(E::InvalidTarget)),
            (M::Get, "http://", Err(E::InvalidTarget)),
            (M::Get, "http://:80/", Err(E::InvalidTarget)),
            (M::Get, "http://x:y/", Err(E::InvalidTarget)),
            (M::Get, "http://x:99999/", Err(E::InvalidTarget)),
            (M::Get, "http://u@x/", Err(E::InvalidTarget)),
            (M::Get, "http://x#f", Err(E::InvalidTarget)),
            (M::Get, "https://x/", Err(E::HttpsWithoutTls)),
            (M::Options, "HTTPS://x", Err(E::HttpsWithoutTls)),
        ];
        for (method, target, expect) in cases {
            let got = route_target(target.as_bytes(), *method).map(|r| &target[r.start..r.end]);
            assert_eq!(got, *expect, "{method:?} {target:?}");
        }
    }

    #[test]
    fn host_fields() {
        use HeadError as E;
        #[rustfmt::skip]
        let cases: &[(&str, Result<(), HeadError>)] = &[
            ("", Ok(())),
            ("x", Ok(())),
            ("x:", Ok(())),
            ("x:8080", Ok(())),
            ("[::1]:8080", Ok(())),
            (":80", Err(E::InvalidHost)),
            (":", Err(E::InvalidHost)),
            ("x, y", Err(E::InvalidHost)),
            ("a:b", Err(E::InvalidHostPort)),
            ("a:65536", Err(E::InvalidHostPort)),
        ];
        for (value, expect) in cases {
            assert_eq!(check_host(value.as_bytes()), *expect, "{value:?}");
        }
    }
}
