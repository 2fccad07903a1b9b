use super::*;
use Format::{Html, Json};

fn fmt(accept: &str) -> Format {
    preferred_format([accept.as_bytes()])
}

#[test]
fn html_or_json() {
    let cases: &[(&str, Format)] = &[
        // What real clients send.
        ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7", Html),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", Html),
        ("*/*", Json),
        ("application/json", Json),
        ("application/json, text/plain, */*", Json),
        ("", Json),
        // Weights decide.
        ("text/html", Html),
        ("text/html;q=0.9, application/json", Json),
        ("text/html, application/json;q=0.9", Html),
        ("application/json;q=0.5, text/html;q=0.6", Html),
        ("application/json;q=0.500, text/html;q=0.501", Html),
        // A tie is JSON.
        ("text/html, application/json", Json),
        ("application/json, text/html", Json),
        ("text/html;q=0.5, application/json;q=0.5", Json),
        ("text/html;q=0, application/json;q=0", Json),
        ("text/html;q=0", Json),
        // Types not named take the most specific wildcard's weight.
        ("text/*", Html),
        ("text/*, */*;q=0.1", Html),
        ("text/*;q=0.3, */*;q=0.2", Html),
        ("text/*;q=0.2, */*;q=0.3", Json),
        ("application/*;q=0.9, text/html;q=0.8", Json),
        ("application/*;q=0.7, text/html;q=0.8", Html),
        ("*/*;q=0.1, text/html;q=0.2", Html),
        ("*/*;q=0.9, text/html;q=0.2", Json),
        ("*/*, text/html;q=0", Json),
        ("text/*, text/html;q=0", Json),
        ("image/png", Json),
        ("application/xml, text/plain", Json),
        // The most specific range wins, whatever its weight or place.
        ("text/html;q=0.1, text/*;q=1, application/json;q=0.5", Json),
        ("text/html;q=0.6, */*;q=1, application/*;q=0.5", Html),
        // Parameters: ours (charset=utf-8) match, others name another
        // representation.
        ("text/html;charset=utf-8", Html),
        ("text/html;charset=\"UTF-8\";q=0.9, application/json;q=0.8", Html),
        ("text/html;level=1", Json),
        ("text/html;level=1, text/html;q=0.1, application/json;q=0.2", Json),
        ("text/html;level=1, text/*;q=0.7, application/json;q=0.2", Html),
        ("text/html;charset=utf-8;q=0.1, text/html;q=0.9, application/json;q=0.5", Json),
        // Equally specific duplicates: the highest weight counts.
        ("text/html;q=0.1, text/html;q=0.9, application/json;q=0.5", Html),
        // Case and whitespace.
        ("TEXT/HTML;Q=0.9, Application/JSON;q=0.8", Html),
        ("  text/html ; q=1.0 ,application/json ; q=0.999 ", Html),
        ("text/html\t;\tq=0.5,\tapplication/json;q=0.4", Html),
        (",, text/html ,,", Html),
        // Parameters after the weight are skipped.
        ("text/html;q=0.9;ext=1, application/json;q=0.8", Html),
        // Malformed elements are left out; the rest still count.
        ("text/html;q=2, application/json;q=0.5", Json),
        ("text/html;q=0.5, application/json;q=1.5", Html),
        ("text/html;q=\"1\", */*;q=0.5", Json),
        ("text/html;q=.5", Json),
        ("text/html;q=0.1234", Json),
        ("text/html;q=1.001", Json),
        ("text/html;q=", Json),
        ("text/html;q=-1", Json),
        ("text/html;q=1e0", Json),
        ("texthtml", Json),
        ("*/html", Json),
        ("text/", Json),
        ("/html", Json),
        ("text/html junk, application/json;q=0.1", Json),
        ("text/html;a=\"x,y\", application/json;q=0.5", Json),
        ("text/html;a=\"unclosed, text/html", Json),
        ("garbage, text/html", Html),
        ("text/html;=x, text/html;q=0.4, application/json;q=0.3", Html),
        ("text/html;a, application/json;q=0.3", Json),
        ("\"text/html\"", Json),
        ("text/html\u{e9}", Json),
    ];
    for (accept, want) in cases {
        assert_eq!(fmt(accept), *want, "Accept: {accept}");
    }
}

#[test]
fn no_field_is_json_and_several_fields_are_one_list() {
    assert_eq!(preferred_format(std::iter::empty::<&[u8]>()), Json);
    assert_eq!(
        preferred_format([&b"application/json;q=0.5"[..], &b"text/html"[..]]),
        Html
    );
    assert_eq!(
        preferred_format([&b"text/html;q=0.5"[..], &b"*/*"[..]]),
        Json
    );
}

#[test]
fn qvalues() {
    let cases: &[(&str, Option<u16>)] = &[
        ("0", Some(0)),
        ("0.", Some(0)),
        ("0.8", Some(800)),
        ("0.08", Some(80)),
        ("0.008", Some(8)),
        ("0.999", Some(999)),
        ("1", Some(1000)),
        ("1.", Some(1000)),
        ("1.000", Some(1000)),
        ("1.0000", None),
        ("1.1", None),
        ("2", None),
        ("00.5", None),
        (".5", None),
        ("0.5a", None),
        ("", None),
    ];
    for (v, want) in cases {
        assert_eq!(parse_qvalue(v.as_bytes()), *want, "q={v}");
    }
}

#[test]
fn ranges_and_errors() {
    type Case<'a> = (&'a str, &'a [Result<(&'a str, &'a str, u16), AcceptError>]);
    let cases: &[Case] = &[
        ("a/b", &[Ok(("a", "b", 1000))]),
        (
            "a/b;q=0.2,c/*",
            &[Ok(("a", "b", 200)), Ok(("c", "*", 1000))],
        ),
        ("", &[]),
        (" , ,", &[]),
        ("a", &[Err(AcceptError::MissingSlash)]),
        ("/b", &[Err(AcceptError::InvalidType)]),
        ("a/", &[Err(AcceptError::InvalidSubtype)]),
        ("*/b", &[Err(AcceptError::WildcardTypeOnly)]),
        ("a/b;c", &[Err(AcceptError::InvalidParameter)]),
        ("a/b;c=", &[Err(AcceptError::InvalidParameter)]),
        ("a/b;c=\"x", &[Err(AcceptError::UnclosedQuote)]),
        ("a/b;c=\"x\\", &[Err(AcceptError::UnclosedQuote)]),
        ("a/b;q=3", &[Err(AcceptError::InvalidWeight)]),
        ("a/b;q=\"0.5\"", &[Err(AcceptError::InvalidWeight)]),
        ("a/b c", &[Err(AcceptError::TrailingGarbage)]),
        ("a/b;;q=0.5;;", &[Ok(("a", "b", 500))]),
        ("a/b;c=\"x,y\";q=0", &[Ok(("a", "b", 0))]),
        (
            "a/b;c=\"x,y, c/d\", e/f",
            &[Ok(("a", "b", 1000)), Ok(("e", "f", 1000))],
        ),
        (
            "a/b x;c=\"p,q\", e/f",
            &[Err(AcceptError::TrailingGarbage), Ok(("e", "f", 1000))],
        ),
        (
            "a/b;c=\"x\\\"y\",e/f",
            &[Ok(("a", "b", 1000)), Ok(("e", "f", 1000))],
        ),
    ];
    for (accept, want) in cases {
        let got: Vec<_> = accept_ranges(accept.as_bytes())
            .map(|r| {
                r.map(|r| {
                    (
                        std::str::from_utf8(r.type_).unwrap(),
                        std::str::from_utf8(r.subtype).unwrap(),
                        r.q,
                    )
                })
            })
            .collect();
        assert_eq!(got, *want, "Accept: {accept}");
    }
}

#[test]
fn params_stop_at_the_weight() {
    let r = accept_ranges(b"text/html ; a=1 ;b=\"two\"; q=0.5; ext=3")
        .next()
        .unwrap()
        .unwrap();
    let params: Vec<_> = r.params().collect();
    assert_eq!(
        params,
        vec![(&b"a"[..], &b"1"[..]), (&b"b"[..], &b"\"two\""[..])]
    );
}

#[test]
fn quoted_values_compare_unescaped() {
    assert!(param_value_eq(b"\"utf-8\"", "utf-8"));
    assert!(param_value_eq(b"\"ut\\f-8\"", "utf-8"));
    assert!(param_value_eq(b"UTF-8", "utf-8"));
    assert!(!param_value_eq(b"\"utf-8x\"", "utf-8"));
    assert!(!param_value_eq(b"\"utf\"", "utf-8"));
    assert!(!param_value_eq(b"\"", "utf-8"));
}

#[test]
fn quality_of_other_types() {
    let ranges = || accept_ranges(b"text/*;q=0.3, text/plain;q=0.7, */*;q=0.1").flatten();
    assert_eq!(quality(ranges(), "text", "plain", &[]), 700);
    assert_eq!(quality(ranges(), "text", "css", &[]), 300);
    assert_eq!(quality(ranges(), "image", "png", &[]), 100);
    assert_eq!(
        quality(accept_ranges(b"text/plain").flatten(), "image", "png", &[]),
        0
    );
}

#[test]
fn every_prefix_and_byte_is_total() {
    let inputs: &[&[u8]] = &[
        b"text/html;a=\"x\\\"y\";q=0.5, application/json;q=0.25, */*;q=0",
        b"\"\\\x00\xff;;,,q=1/",
    ];
    for input in inputs {
        for end in 0..=input.len() {
            let _ = preferred_format([&input[..end]]);
            for r in accept_ranges(&input[..end]).flatten() {
                assert!(r.q <= 1000);
                let _ = r.params().count();
            }
        }
    }
    for b in 0..=255u8 {
        let _ = preferred_format([&[b'a', b'/', b'b', b';', b'c', b'=', b'"', b, b'"'][..]]);
    }
}

proptest::proptest! {
    /// Whatever the weights and the order, HTML exactly when its
    /// weight is the higher one.
    #[test]
    fn the_higher_weight_wins(qh in 0u16..=1000, qj in 0u16..=1000, html_first: bool, wildcard: bool) {
        let html = format!("text/html;q={}.{:03}", qh / 1000, qh % 1000);
        let json = if wildcard {
            format!("application/*;q={}.{:03}", qj / 1000, qj % 1000)
        } else {
            format!("application/json;q={}.{:03}", qj / 1000, qj % 1000)
        };
        let accept = if html_first { format!("{html}, {json}, */*;q=0.01") } else { format!("{json},{html}") };
        let want = if qh > qj { Html } else { Json };
        proptest::prop_assert_eq!(fmt(&accept), want, "{}", accept);
    }

    #[test]
    fn any_bytes_are_total(bytes: Vec<u8>) {
        let _ = preferred_format([&bytes[..]]);
        for r in accept_ranges(&bytes).flatten() {
            proptest::prop_assert!(r.q <= 1000);
            proptest::prop_assert!(!r.type_.is_empty() && !r.subtype.is_empty());
            let _ = r.params().count();
        }
    }
}
