#![no_main]
//! `parse_request_head` never panics, and its answers agree with each other:
//! a Complete head re-parses alone to the same head, every strict prefix of
//! it is Partial, its accessors hold together, and no prefix of the input
//! answers something that more bytes contradict (Complete stays the same
//! Complete, an error stays the same error; only Partial may change).
use libfuzzer_sys::fuzz_target;
use stateful::http::{parse_request_head, BodyFraming, HeadError, Method, Parsed, RequestHead};
use stateful::limits::{
    MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_HEADER_FIELDS, MAX_LEADING_EMPTY_LINES, MAX_REQUEST_LINE,
};

/// The most bytes a Partial answer can stand for: the empty lines, the
/// request line with its CRLF, and a header section just under its limit.
const MOST_PARTIAL: usize = 2 * MAX_LEADING_EMPTY_LINES + MAX_REQUEST_LINE + 2 + MAX_HEADER_BYTES;

type Outcome = Result<Parsed<RequestHead>, HeadError>;

/// Everything a caller can observe of a head, to compare two of them.
type Seen = (
    String,
    String,
    &'static str,
    Vec<(String, Vec<u8>)>,
    BodyFraming,
    bool,
    bool,
    Option<String>,
);

fn seen(h: &RequestHead) -> Seen {
    (
        h.method_str().to_string(),
        h.target().to_string(),
        h.version().as_str(),
        h.fields()
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect(),
        h.framing(),
        h.keep_alive(),
        h.expect_continue(),
        h.host().map(str::to_string),
    )
}

/// The request target as the head's bytes carry it.
fn sent_target(head: &[u8]) -> &[u8] {
    let start = head
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(0);
    let rest = &head[start..];
    let line = &rest[..rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len())];
    line.split(|&b| b == b' ').nth(1).unwrap_or_default()
}

/// `sent` is the target as the request line carried it.
fn check_accessors(h: &RequestHead, sent: &[u8]) {
    let method = h.method_str();
    assert!(
        !method.is_empty() && method.bytes().all(is_tchar),
        "{method:?}"
    );
    let known = [
        ("GET", Method::Get),
        ("HEAD", Method::Head),
        ("POST", Method::Post),
        ("PUT", Method::Put),
        ("DELETE", Method::Delete),
        ("PATCH", Method::Patch),
        ("OPTIONS", Method::Options),
        ("TRACE", Method::Trace),
        ("CONNECT", Method::Connect),
    ];
    let expected = known
        .iter()
        .find(|(s, _)| *s == method)
        .map_or(Method::Other, |(_, m)| *m);
    assert_eq!(h.method(), expected, "{method:?}");

    let target = h.target();
    assert!(!target.is_empty() && target.bytes().all(|b| (0x21..0x7f).contains(&b)));
    // Routing sees origin-form only (absolute-form is reduced to its path,
    // the empty path to `/`), or `*`, or CONNECT's authority.
    assert!(
        target.starts_with('/') || target == "*" || h.method() == Method::Connect,
        "{target:?}"
    );
    // The form fits the method (RFC 9112 §3.2): `*` only for OPTIONS, and
    // CONNECT only with an authority.
    if target == "*" {
        assert_eq!(h.method(), Method::Options);
    }
    if h.method() == Method::Connect {
        assert!(!target.starts_with('/') && target != "*", "{target:?}");
        assert!(port_of(target).is_some_and(|p| p > 0), "{target:?}");
    }
    // Whatever host is used has a port that is a port.
    if let Some(host) = h.host() {
        assert!(!host.contains(','), "{host:?}");
        if !host.is_empty() {
            assert!(!host.starts_with(':'), "{host:?}");
            assert!(
                host_port(host).is_none_or(|p| p.is_empty() || p.parse::<u16>().is_ok()),
                "{host:?}"
            );
        }
    }
    let path = h.path();
    match h.query() {
        Some(q) => assert_eq!(target, format!("{path}?{q}")),
        None => assert_eq!(target, path),
    }
    assert!(!path.contains('?'), "{target:?}");

    let fields: Vec<(&str, &[u8])> = h.fields().collect();
    assert!(fields.len() <= MAX_HEADER_FIELDS);
    for &(name, value) in &fields {
        assert!(!name.is_empty() && name.bytes().all(is_tchar), "{name:?}");
        assert!(
            !value.starts_with(b" ") && !value.starts_with(b"\t"),
            "{value:?}"
        );
        assert!(
            !value.ends_with(b" ") && !value.ends_with(b"\t"),
            "{value:?}"
        );
        assert!(!value.iter().any(|&b| b < 0x20 && b != b'\t' || b == 0x7f));
        let first = fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name));
        assert_eq!(h.header(name), first.map(|&(_, v)| v));
        let upper = name.to_ascii_uppercase();
        let count = fields
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count();
        assert_eq!(h.headers(&upper).count(), count);
    }

    let hosts: Vec<&[u8]> = h.headers("host").collect();
    assert!(hosts.len() <= 1);
    if h.version().as_str() == "HTTP/1.1" {
        assert_eq!(hosts.len(), 1);
    }
    if sent.starts_with(b"/") || sent == b"*" || h.method() == Method::Connect {
        assert_eq!(h.target().as_bytes(), sent);
        assert_eq!(h.host().map(str::as_bytes), hosts.first().copied());
    } else {
        // Absolute-form: the host is the target's authority, the Host field
        // is ignored (RFC 9112 §3.2.2), and routing gets the rest, the
        // empty path as `/`.
        let host = h.host().expect("an absolute-form target has a host");
        assert!(!host.is_empty() && !host.contains('@'), "{host:?}");
        let scheme_end = sent.windows(3).position(|w| w == b"://").unwrap() + 3;
        // Only http: an https target cannot have come over this server's
        // plain TCP (RFC 9110 §7.4).
        assert!(sent[..scheme_end].eq_ignore_ascii_case(b"http://"), "{sent:?}");
        let after = &sent[scheme_end..];
        assert!(after.starts_with(host.as_bytes()), "{host:?}");
        let rest = &after[host.len()..];
        if rest.starts_with(b"/") {
            assert_eq!(h.target().as_bytes(), rest);
        } else {
            assert!(rest.is_empty() || rest.starts_with(b"?"), "{rest:?}");
            assert_eq!(h.target().as_bytes(), [&b"/"[..], rest].concat());
        }
    }
    match h.framing() {
        BodyFraming::Length(n) => {
            assert!(n > 0 && n <= MAX_BODY_BYTES as u64, "{n}");
            assert!(h.header("transfer-encoding").is_none());
        }
        BodyFraming::Chunked => assert!(h.header("content-length").is_none()),
        BodyFraming::None => assert!(h.header("transfer-encoding").is_none()),
    }
    if h.expect_continue() {
        assert!(h.header("expect").is_some());
    }
}

/// The text after the port colon of `host[:port]` (or `[v6]:port`).
fn host_port(host: &str) -> Option<&str> {
    let after_literal = match host.strip_prefix('[') {
        Some(rest) => &rest[rest.find(']')? + 1..],
        None => host,
    };
    after_literal.find(':').map(|i| &after_literal[i + 1..])
}

/// The port of an authority-form target, when it has digits.
fn port_of(authority: &str) -> Option<u16> {
    host_port(authority)?.parse().ok()
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// What `prefix` (a prefix of the input) answered must hold for `whole`.
fn check_prefix(cut: usize, prefix: &Outcome, whole: &Outcome) {
    match (prefix, whole) {
        (Ok(Parsed::Partial), Ok(Parsed::Complete(_, used))) => assert!(cut < *used),
        (Ok(Parsed::Partial), _) => {}
        (Ok(Parsed::Complete(p, pu)), Ok(Parsed::Complete(w, wu))) => {
            assert_eq!(pu, wu);
            assert_eq!(seen(p), seen(w));
        }
        (Err(p), Err(w)) => assert_eq!(p, w, "prefix of {cut} bytes"),
        (p, w) => panic!("prefix of {cut} bytes gave {p:?}, the whole input {w:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let whole = parse_request_head(data);
    match &whole {
        Ok(Parsed::Complete(head, used)) => {
            let used = *used;
            assert!(used > 0 && used <= data.len());
            assert_eq!(data[used - 1], b'\n');
            check_accessors(head, sent_target(&data[..used]));
            match parse_request_head(&data[..used]) {
                Ok(Parsed::Complete(alone, u)) => {
                    assert_eq!(u, used);
                    assert_eq!(seen(&alone), seen(head));
                }
                other => panic!("the head alone gave {other:?}"),
            }
            let before = parse_request_head(&data[..used - 1]);
            assert!(matches!(before, Ok(Parsed::Partial)), "{before:?}");
        }
        Ok(Parsed::Partial) => assert!(data.len() < MOST_PARTIAL, "{}", data.len()),
        Err(_) => {}
    }
    for cut in [data.len().saturating_sub(1), data.len() / 2] {
        check_prefix(cut, &parse_request_head(&data[..cut]), &whole);
    }
});
