use super::*;
use proptest::prelude::*;

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

fn complete(input: &[u8]) -> (Reply, usize) {
    match parse_reply(input) {
        Ok(Status::Complete(r)) => r,
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
    }
}

#[test]
fn valid_replies() {
    let cases: &[(&[u8], Reply)] = &[
        (b"+OK\r\n", Reply::Simple("OK".into())),
        (b"+\r\n", Reply::Simple(String::new())),
        (b"-ERR wrong\r\n", Reply::Error("ERR wrong".into())),
        (b":0\r\n", Reply::Integer(0)),
        (b":-7\r\n", Reply::Integer(-7)),
        (b":9223372036854775807\r\n", Reply::Integer(i64::MAX)),
        (b":-9223372036854775808\r\n", Reply::Integer(i64::MIN)),
        (b"$0\r\n\r\n", bulk("")),
        (b"$5\r\nhe\r\no\r\n", bulk("he\r\no")),
        (b"$-1\r\n", Reply::Nil),
        (b"*-1\r\n", Reply::Nil),
        (b"*0\r\n", Reply::Array(vec![])),
        (
            b"*2\r\n$1\r\na\r\n:1\r\n",
            Reply::Array(vec![bulk("a"), Reply::Integer(1)]),
        ),
        (
            b"*2\r\n*1\r\n+x\r\n$-1\r\n",
            Reply::Array(vec![
                Reply::Array(vec![Reply::Simple("x".into())]),
                Reply::Nil,
            ]),
        ),
        (b"*1\r\n*0\r\n", Reply::Array(vec![Reply::Array(vec![])])),
        (b"_\r\n", Reply::Nil),
        (b"#t\r\n", Reply::Boolean(true)),
        (b"#f\r\n", Reply::Boolean(false)),
        (b",3.14\r\n", Reply::Number("3.14".into())),
        (b",-inf\r\n", Reply::Number("-inf".into())),
        (b",1e-5\r\n", Reply::Number("1e-5".into())),
        (
            b"(-12345678901234567890\r\n",
            Reply::Number("-12345678901234567890".into()),
        ),
        (b"!3\r\nERR\r\n", Reply::Error("ERR".into())),
        (b"=7\r\ntxt:abc\r\n", bulk("txt:abc")),
        (b"~1\r\n:1\r\n", Reply::Array(vec![Reply::Integer(1)])),
        (
            b"%1\r\n+k\r\n:2\r\n",
            Reply::Map(vec![(Reply::Simple("k".into()), Reply::Integer(2))]),
        ),
        (b"%0\r\n", Reply::Map(vec![])),
        (
            b">2\r\n$10\r\ninvalidate\r\n_\r\n",
            Reply::Push(vec![bulk("invalidate"), Reply::Nil]),
        ),
        (
            b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n",
            Reply::Push(vec![bulk("invalidate"), Reply::Array(vec![bulk("k")])]),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(
            complete(input),
            (want.clone(), input.len()),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn stops_after_one_reply() {
    assert_eq!(complete(b"+OK\r\n:1\r\n"), (Reply::Simple("OK".into()), 5));
    assert_eq!(
        complete(b"*1\r\n:1\r\n*1\r\n"),
        (Reply::Array(vec![Reply::Integer(1)]), 8)
    );
}

#[test]
fn malformed_replies() {
    let long_line = [b"+".as_slice(), &vec![b'a'; MAX_LINE + 1], b"\r\n"].concat();
    let deep = [b"*1\r\n".repeat(MAX_DEPTH + 1), b":1\r\n".to_vec()].concat();
    let cases: &[(&[u8], RespError)] = &[
        (b"?\r\n", RespError::UnknownType(b'?')),
        (b"|1\r\n+a\r\n+b\r\n", RespError::UnknownType(b'|')),
        (b"\r\n", RespError::UnknownType(b'\r')),
        (b"+OK\n", RespError::BadLineEnd),
        (b"+O\rK\r\n", RespError::BadLineEnd),
        (b"$1\r\nab\r\n", RespError::BadLineEnd),
        (b"$1\r\na\n\r", RespError::BadLineEnd),
        (b":\r\n", RespError::BadInteger),
        (b":+1\r\n", RespError::BadInteger),
        (b":1.5\r\n", RespError::BadInteger),
        (b":-\r\n", RespError::BadInteger),
        (b":9223372036854775808\r\n", RespError::BadInteger),
        (b":12345678901234567890\r\n", RespError::BadInteger),
        (b"$\r\n", RespError::BadLength),
        (b"$-2\r\n", RespError::BadLength),
        (b"$+1\r\n", RespError::BadLength),
        (b"$ 1\r\n", RespError::BadLength),
        (b"*x\r\n", RespError::BadLength),
        (b"$99999999999999999999\r\n", RespError::BadLength),
        (b"$1048577\r\n", RespError::BulkTooLong),
        (b"*65537\r\n", RespError::AggregateTooLong),
        (b"%32769\r\n", RespError::AggregateTooLong),
        (b"%-1\r\n", RespError::BadScalar),
        (b"!-1\r\n", RespError::BadScalar),
        (b"_x\r\n", RespError::BadScalar),
        (b"#x\r\n", RespError::BadScalar),
        (b",\r\n", RespError::BadScalar),
        (b",abc\r\n", RespError::BadScalar),
        (b"(1.5\r\n", RespError::BadScalar),
        (b"*2\r\n:1\r\n?\r\n", RespError::UnknownType(b'?')),
        (&long_line, RespError::LineTooLong),
        (&deep, RespError::TooDeep),
    ];
    for (input, want) in cases {
        assert_eq!(
            parse_reply(input),
            Err(*want),
            "{:?}",
            String::from_utf8_lossy(&input[..input.len().min(40)])
        );
    }
}

#[test]
fn a_line_without_end_is_partial_until_too_long() {
    assert_eq!(parse_reply(&[b'+'; MAX_LINE]), Ok(Status::Partial));
    let at_limit = [b"+".as_slice(), &vec![b'a'; MAX_LINE], b"\r\n"].concat();
    assert!(matches!(parse_reply(&at_limit), Ok(Status::Complete(_))));
    let over = [b"+".as_slice(), &vec![b'a'; MAX_LINE + 1]].concat();
    assert_eq!(parse_reply(&over), Err(RespError::LineTooLong));
}

#[test]
fn element_budget_is_per_reply() {
    // 5 arrays of 65,536 integers: more values than one reply may hold.
    let mut input = b"*5\r\n".to_vec();
    for _ in 0..5 {
        input.extend_from_slice(b"*65536\r\n");
        input.extend_from_slice(&b":1\r\n".repeat(65536));
    }
    assert_eq!(parse_reply(&input), Err(RespError::TooManyElements));
}

#[test]
fn huge_declared_lengths_reserve_little() {
    // Declares 65,536 elements but sends two: partial, and the allocation
    // follows the bytes present, not the declaration.
    assert_eq!(parse_reply(b"*65536\r\n:1\r\n:2\r\n"), Ok(Status::Partial));
    assert_eq!(parse_reply(b"$1048576\r\nabc"), Ok(Status::Partial));
}

/// Every strict prefix of a valid reply is `Partial`, never an error or a
/// shorter value.
#[test]
fn every_prefix_is_partial() {
    let replies: &[&[u8]] = &[
        b"+OK\r\n",
        b"-ERR x\r\n",
        b":-12\r\n",
        b"$5\r\nhe\r\no\r\n",
        b"$-1\r\n",
        b"*3\r\n$1\r\na\r\n*-1\r\n*2\r\n:1\r\n+b\r\n",
        b"%1\r\n+k\r\n~2\r\n#t\r\n,1.5\r\n",
        b">2\r\n$10\r\ninvalidate\r\n*1\r\n$12\r\nstateful:s:1\r\n",
        b"!3\r\nERR\r\n",
        b"=7\r\ntxt:abc\r\n",
        b"(123\r\n",
        b"_\r\n",
    ];
    for r in replies {
        assert_eq!(complete(r).1, r.len());
        for cut in 0..r.len() {
            assert_eq!(
                parse_reply(&r[..cut]),
                Ok(Status::Partial),
                "{:?}",
                String::from_utf8_lossy(&r[..cut])
            );
            assert_eq!(reply_len(&r[..cut]), Ok(Status::Partial));
        }
    }
}

#[test]
fn commands() {
    let cases: &[(&[&[u8]], &[u8])] = &[
        (&[b"PING"], b"*1\r\n$4\r\nPING\r\n"),
        (
            &[b"SET", b"k", b""],
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n",
        ),
        (
            &[b"SET", b"a\r\nb", b"\x00"],
            b"*3\r\n$3\r\nSET\r\n$4\r\na\r\nb\r\n$1\r\n\x00\r\n",
        ),
        (&[], b"*0\r\n"),
    ];
    for (args, want) in cases {
        let mut out = Vec::new();
        encode_command(args, &mut out);
        assert_eq!(out, *want);
    }
}

fn arb_reply() -> impl Strategy<Value = Reply> {
    let leaf = prop_oneof![
        "[ -~]{0,20}".prop_map(Reply::Simple),
        "[ -~]{0,20}".prop_map(Reply::Error),
        any::<i64>().prop_map(Reply::Integer),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Reply::Bulk),
        Just(Reply::Nil),
        any::<bool>().prop_map(Reply::Boolean),
        (-1000i64..1000).prop_map(|n| Reply::Number(format!("{n}.5"))),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Reply::Array),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Reply::Push),
            proptest::collection::vec((inner.clone(), inner), 0..3).prop_map(Reply::Map),
        ]
    })
}

proptest! {
    #[test]
    fn round_trip(reply in arb_reply(), tail in proptest::collection::vec(any::<u8>(), 0..8)) {
        let mut bytes = Vec::new();
        encode_reply(&reply, &mut bytes);
        let len = bytes.len();
        bytes.extend_from_slice(&tail);
        prop_assert_eq!(parse_reply(&bytes), Ok(Status::Complete((reply, len))));
        prop_assert_eq!(reply_len(&bytes), Ok(Status::Complete(len)));
    }

    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let parsed = parse_reply(&bytes);
        if let Ok(Status::Complete((_, used))) = parsed {
            prop_assert!(used <= bytes.len());
        }
    }
}

#[test]
fn an_unknown_type_is_refused_at_once() {
    assert_eq!(parse_reply(b"?"), Err(RespError::UnknownType(b'?')));
    assert_eq!(
        parse_reply(b"*2\r\n:1\r\nX"),
        Err(RespError::UnknownType(b'X'))
    );
}

#[test]
fn a_blob_error_with_a_line_break_round_trips() {
    let (reply, _) = complete(b"!5\r\nhe\r\no\r\n");
    let mut out = Vec::new();
    encode_reply(&reply, &mut out);
    assert_eq!(out, b"!5\r\nhe\r\no\r\n");
}
