use super::*;
use HeadError as E;

fn head(raw: &[u8]) -> RequestHead {
    match parse_request_head(raw) {
        Ok(Parsed::Complete(h, used)) => {
            assert_eq!(
                used,
                raw.len(),
                "used for {:?}",
                String::from_utf8_lossy(raw)
            );
            h
        }
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(raw)),
    }
}

fn err(raw: &[u8]) -> HeadError {
    match parse_request_head(raw) {
        Err(e) => e,
        other => panic!(
            "{:?}: expected an error, got {other:?}",
            String::from_utf8_lossy(raw)
        ),
    }
}

#[test]
fn accepted_heads() {
    let cases: &[(&[u8], Method, &str, Version)] = &[
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            Method::Get,
            "/",
            Version::Http11,
        ),
        (
            b"GET /healthz HTTP/1.1\nHost: x\n\n",
            Method::Get,
            "/healthz",
            Version::Http11,
        ),
        (
            b"\r\n\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
            Method::Get,
            "/",
            Version::Http11,
        ),
        (
            b"HEAD /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n",
            Method::Head,
            "/a?b=c",
            Version::Http11,
        ),
        (b"GET / HTTP/1.0\r\n\r\n", Method::Get, "/", Version::Http10),
        (
            b"GET / HTTP/1.9\r\nHost: x\r\n\r\n",
            Method::Get,
            "/",
            Version::Http11,
        ),
        (
            b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n",
            Method::Other,
            "/",
            Version::Http11,
        ),
        (
            b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
            Method::Options,
            "*",
            Version::Http11,
        ),
        (
            b"GET http://x/p?q HTTP/1.1\r\nHost: x\r\n\r\n",
            Method::Get,
            "/p?q",
            Version::Http11,
        ),
        (
            b"GET / HTTP/1.1\r\nHost:\r\n\r\n",
            Method::Get,
            "/",
            Version::Http11,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x:\r\n\r\n",
            Method::Get,
            "/",
            Version::Http11,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
            Method::Get,
            "/",
            Version::Http11,
        ),
        (
            b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n",
            Method::Connect,
            "x:443",
            Version::Http11,
        ),
        (
            b"OPTIONS http://x HTTP/1.1\r\nHost: x\r\n\r\n",
            Method::Options,
            "/",
            Version::Http11,
        ),
        (
            b"GET / HTTP/1.1\r\nHost:x\r\nX-A:b\r\n\r\n",
            Method::Get,
            "/",
            Version::Http11,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n!#$%&'*+-.^_`|~0aZ: v\r\n\r\n",
            Method::Get,
            "/",
            Version::Http11,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nX: D\xfcsseldorf \xff\r\n\r\n",
            Method::Get,
            "/",
            Version::Http11,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nUseless:\n\n",
            Method::Get,
            "/",
            Version::Http11,
        ),
    ];
    for (raw, method, target, version) in cases {
        let h = head(raw);
        assert_eq!(
            (h.method(), h.target(), h.version()),
            (*method, *target, *version)
        );
    }
}

#[test]
fn absolute_form_with_the_empty_path_is_served_as_slash() {
    let h = head(b"GET http://x HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\n");
    assert_eq!((h.target(), h.path(), h.query()), ("/", "/", None));
    assert_eq!(
        h.header("x-a"),
        Some(&b"1"[..]),
        "fields stay where they were"
    );
    assert_eq!(h.host(), Some("x"));
    let h = head(b"GET HTTP://X:8080?after=3 HTTP/1.1\r\nHost: X:8080\r\n\r\n");
    assert_eq!(
        (h.target(), h.path(), h.query()),
        ("/?after=3", "/", Some("after=3"))
    );
    let h = head(b"HEAD http://x? HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!((h.target(), h.path(), h.query()), ("/?", "/", Some("")));
    let h = head(b"GET http://x/healthz HTTP/1.1\r\nHost: y\r\n\r\n");
    assert_eq!(h.host(), Some("x"), "the target's authority, not Host");
    assert_eq!(
        (h.target(), h.path(), h.query()),
        ("/healthz", "/healthz", None)
    );
}

#[test]
fn accessors() {
    let h = head(b"POST /comments?after=3 HTTP/1.1\r\nhOsT: example.com:8080\r\nContent-Length:  \t5 \r\nX-A: 1\r\nx-a: 2\r\n\r\n");
    assert_eq!(h.method_str(), "POST");
    assert_eq!(h.path(), "/comments");
    assert_eq!(h.query(), Some("after=3"));
    assert_eq!(h.host(), Some("example.com:8080"));
    assert_eq!(h.framing(), BodyFraming::Length(5));
    assert_eq!(h.header("x-A"), Some(&b"1"[..]));
    assert_eq!(
        h.headers("X-a").collect::<Vec<_>>(),
        vec![&b"1"[..], &b"2"[..]]
    );
    assert_eq!(h.header("missing"), None);
    assert_eq!(head(b"GET /p HTTP/1.1\r\nHost: x\r\n\r\n").query(), None);
    assert_eq!(
        head(b"GET /p? HTTP/1.1\r\nHost: x\r\n\r\n").query(),
        Some("")
    );
}

#[test]
fn keep_alive_rules() {
    let ka = |raw: &[u8]| head(raw).keep_alive();
    assert!(ka(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert!(!ka(
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    ));
    assert!(!ka(
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, te, CLOSE\r\n\r\n"
    ));
    assert!(!ka(b"GET / HTTP/1.0\r\n\r\n"));
    assert!(!ka(
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: , ,close,\r\n\r\n"
    ));
    assert!(ka(b"GET / HTTP/1.0\r\nConnection: ,keep-alive ,\r\n\r\n"));
    assert!(ka(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
}

#[test]
fn framing_rules() {
    let f = |raw: &[u8]| head(raw).framing();
    assert_eq!(f(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n"), BodyFraming::None);
    assert_eq!(
        f(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"),
        BodyFraming::None
    );
    assert_eq!(
        f(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n"),
        BodyFraming::Length(5)
    );
    assert_eq!(
        f(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"),
        BodyFraming::Length(5)
    );
    assert_eq!(
        f(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n"),
        BodyFraming::Length(1048576)
    );
    assert_eq!(
        f(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"),
        BodyFraming::Chunked
    );
    assert_eq!(
        f(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\t Chunked \t\r\n\r\n"),
        BodyFraming::Chunked
    );
    assert_eq!(
        f(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,chunked\r\n\r\n"),
        BodyFraming::Chunked
    );
    assert!(head(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n"
    )
    .expect_continue());
    assert!(
        !head(b"POST / HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            .expect_continue(),
        "HTTP/1.0 cannot take a 100 (RFC 9110 section 10.1.1)"
    );
}

#[test]
fn refused_heads() {
    let cases: &[(&[u8], HeadError)] = &[
        (b"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n", E::TooManyEmptyLines),
        (b" GET / HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidMethod),
        (b"G\0T / HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidMethod),
        (b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidVersion),
        (b"GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"GET a HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"GET\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"GET http:///p HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"GET http://?q HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"GET http:// HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"GET http://u@x/ HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"GET ftp://x/ HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"GET http://a,b/ HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"GET http://x/ HTTP/1.1\r\n\r\n", E::MissingHost),
        (b"GET /\r\nHost: x\r\n\r\n", E::InvalidVersion),
        (b"GET / http/1.1\r\nHost: x\r\n\r\n", E::InvalidVersion),
        (b"GET / HTTP/1\r\nHost: x\r\n\r\n", E::InvalidVersion),
        (b"GET / HTTP/1.1 \r\nHost: x\r\n\r\n", E::InvalidVersion),
        (b"GET / HTTP/4294967295.255\r\nHost: x\r\n\r\n", E::InvalidVersion),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", E::UnsupportedVersion),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", E::UnsupportedVersion),
        (b"GET / HTTP/0.9\r\n\r\n", E::UnsupportedVersion),
        (b"GET / HTTP/1.1\rX\r\nHost: x\r\n\r\n", E::BareCr),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", E::BareCr),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n", E::Nul),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: c\x1bd\r\n\r\n", E::InvalidFieldValue),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: c\x7fd\r\n\r\n", E::InvalidFieldValue),
        (b"GET / HTTP/1.1\r\n Host: x\r\n\r\n", E::ObsFold),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", E::ObsFold),
        (b"GET / HTTP/1.1\r\n: v\r\nHost: x\r\n\r\n", E::EmptyFieldName),
        (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", E::SpaceBeforeColon),
        (b"GET / HTTP/1.1\r\nHost: x\r\nA B: c\r\n\r\n", E::InvalidFieldName),
        (b"GET / HTTP/1.1\r\nHost: x\r\na\0b: c\r\n\r\n", E::Nul),
        (b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", E::MissingColon),
        (b"GET / HTTP/1.1\r\n\r\n", E::MissingHost),
        (b"GET / HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n", E::DuplicateHost),
        (b"GET / HTTP/1.1\r\nHost: x, y\r\n\r\n", E::InvalidHost),
        (b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", E::InvalidHost),
        (b"GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", E::InvalidHost),
        (b"GET / HTTP/1.1\r\nHost: :80\r\n\r\n", E::InvalidHost),
        (b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", E::InvalidHost),
        (b"GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", E::InvalidHost),
        (b"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", E::InvalidHost),
        (b"GET / HTTP/1.1\r\nHost: [1::2::3]\r\n\r\n", E::InvalidHost),
        (b"GET / HTTP/1.1\r\nHost: ::1\r\n\r\n", E::InvalidHost),
        (b"GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", E::InvalidHostPort),
        (b"GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", E::InvalidHostPort),
        (b"GET / HTTP/1.1\r\nHost: a:-1\r\n\r\n", E::InvalidHostPort),
        (b"GET / HTTP/1.1\r\nHost: a:+80\r\n\r\n", E::InvalidHostPort),
        (b"GET / HTTP/1.1\r\nHost: a: 80\r\n\r\n", E::InvalidHostPort),
        (b"GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", E::InvalidHostPort),
        (b"GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n", E::InvalidHostPort),
        (b"GET / HTTP/1.1\r\nHost: a:80:80\r\n\r\n", E::InvalidHostPort),
        (b"GET / HTTP/1.1\r\nHost: [::1]:x\r\n\r\n", E::InvalidHostPort),
        (b"GET http://x/ HTTP/1.1\r\nHost: a:b\r\n\r\n", E::InvalidHostPort),
        (b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", E::TargetFormNotAllowed),
        (b"HEAD * HTTP/1.1\r\nHost: x\r\n\r\n", E::TargetFormNotAllowed),
        (b"POST * HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", E::TargetFormNotAllowed),
        (b"GET x:80 HTTP/1.1\r\nHost: x\r\n\r\n", E::TargetFormNotAllowed),
        (b"OPTIONS x:80 HTTP/1.1\r\nHost: x\r\n\r\n", E::TargetFormNotAllowed),
        (b"CONNECT / HTTP/1.1\r\nHost: x\r\n\r\n", E::TargetFormNotAllowed),
        (b"CONNECT * HTTP/1.1\r\nHost: x\r\n\r\n", E::TargetFormNotAllowed),
        (b"CONNECT http://x:80/ HTTP/1.1\r\nHost: x\r\n\r\n", E::TargetFormNotAllowed),
        (b"CONNECT x HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"CONNECT x: HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"CONNECT x:0 HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"CONNECT x:65536 HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"GET http://x:y/ HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"GET http://:80/ HTTP/1.1\r\nHost: x\r\n\r\n", E::InvalidTarget),
        (b"GET https://x/ HTTP/1.1\r\nHost: x\r\n\r\n", E::HttpsWithoutTls),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -0\r\n\r\n", E::InvalidContentLength),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n", E::InvalidContentLength),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1_0\r\n\r\n", E::InvalidContentLength),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5Z\r\n\r\n", E::InvalidContentLength),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", E::InvalidContentLength),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5,\r\n\r\n", E::InvalidContentLength),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000000000000\r\n\r\n", E::InvalidContentLength),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n", E::ConflictingContentLength),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 0\r\n\r\n", E::ConflictingContentLength),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", E::BodyTooLarge),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551615\r\n\r\n", E::BodyTooLarge),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", E::ContentLengthWithTransferEncoding),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", E::InvalidTransferEncoding),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunk\r\n\r\n", E::InvalidTransferEncoding),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n\r\n", E::InvalidTransferEncoding),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", E::InvalidTransferEncoding),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", E::ChunkedNotFinal),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", E::ChunkedNotFinal),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", E::ChunkedNotFinal),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", E::UnsupportedTransferCoding),
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", E::TransferEncodingInHttp10),
        (b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", E::UnsupportedExpectation),
    ];
    for (raw, e) in cases {
        assert_eq!(err(raw), *e, "{:?}", String::from_utf8_lossy(raw));
    }
}

#[test]
fn limits() {
    let mut line = b"GET /".to_vec();
    line.resize(MAX_REQUEST_LINE - " HTTP/1.1".len(), b'a');
    line.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\n\r\n");
    head(&line);
    let mut long = b"GET /".to_vec();
    long.resize(MAX_REQUEST_LINE + 1 - " HTTP/1.1".len(), b'a');
    long.extend_from_slice(b" HTTP/1.1\r\n\r\n");
    assert_eq!(err(&long), E::RequestLineTooLong);
    // Refused before the line ends.
    assert_eq!(
        err(&vec![b'a'; MAX_REQUEST_LINE + 2]),
        E::RequestLineTooLong
    );

    let mut many = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..MAX_HEADER_FIELDS - 1 {
        many.extend_from_slice(format!("X-F{i}: v\r\n").as_bytes());
    }
    let mut exactly = many.clone();
    exactly.extend_from_slice(b"\r\n");
    head(&exactly);
    many.extend_from_slice(b"X-Last: v\r\n\r\n");
    assert_eq!(err(&many), E::TooManyFields);

    let mut huge = b"GET / HTTP/1.1\r\nHost: x\r\nX-Huge: ".to_vec();
    huge.resize(huge.len() + MAX_HEADER_BYTES, b'h');
    assert_eq!(err(&huge), E::HeaderSectionTooLarge);
    huge.extend_from_slice(b"\r\n\r\n");
    assert_eq!(err(&huge), E::HeaderSectionTooLarge);
}

#[test]
fn every_prefix_is_partial() {
    let requests: &[&[u8]] = &[
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n",
        b"\r\nPOST /comments HTTP/1.1\nHost: x\nContent-Length: 5\nExpect: 100-continue\n\n",
        b"GET / HTTP/1.0\r\n\r\n",
    ];
    for raw in requests {
        for cut in 0..raw.len() {
            assert_eq!(
                parse_request_head(&raw[..cut]).map(|p| matches!(p, Parsed::Partial)),
                Ok(true),
                "prefix {cut} of {:?}",
                String::from_utf8_lossy(raw)
            );
        }
        head(raw);
    }
}

#[test]
fn errors_are_found_before_the_head_ends() {
    assert_eq!(err(b"\0\r\n"), E::InvalidTarget);
    assert_eq!(err(b"G\0T / HTTP/1.1\r\n"), E::InvalidMethod);
    assert_eq!(err(b"GET / HTTP/9.9\r\n"), E::UnsupportedVersion);
    assert_eq!(
        err(b"GET / HTTP/1.1\r\nHost: x\r\nno colon\r\n"),
        E::MissingColon
    );
    assert_eq!(err(b"GET / HTTP/1.1\r\nX: a\rb\r\n"), E::BareCr);
}
