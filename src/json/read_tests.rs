//! Table tests for [`parse_string_object`]: one line a case.

use super::*;
use JsonError::*;

fn parse(body: &[u8]) -> Result<Vec<(String, String)>, JsonError> {
    parse_string_object(body)
}

/// Expected `(name, value)` pairs of a table case.
type Pairs<'a> = &'a [(&'a str, &'a str)];

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn field(name: &str) -> String {
    name.to_string()
}

#[test]
fn accepts() {
    #[rustfmt::skip]
    let cases: &[(&[u8], Pairs)] = &[
        (b"{}", &[]),
        (b" \t\r\n{ \n } \r\n", &[]),
        (br#"{"a":"b"}"#, &[("a", "b")]),
        (br#"{"username": "ada", "password": "pw"}"#, &[("username", "ada"), ("password", "pw")]),
        (br#"{"b":"1","a":"2"}"#, &[("b", "1"), ("a", "2")]),
        (br#"{"":""}"#, &[("", "")]),
        (br#"{"a":"\"\\\/\b\f\n\r\t"}"#, &[("a", "\"\\/\u{8}\u{c}\n\r\t")]),
        (br#"{"a":"\u00e9\u00E9"}"#, &[("a", "éé")]),
        (br#"{"a":"\ud83d\ude00"}"#, &[("a", "😀")]),
        (br#"{"a":"\uD83D\uDE00x"}"#, &[("a", "😀x")]),
        (br#"{"a":"\u0000"}"#, &[("a", "\0")]),
        (br#"{"a":"\u2028\u2029"}"#, &[("a", "\u{2028}\u{2029}")]),
        (br#"{"\u0061":"b"}"#, &[("a", "b")]),
        ("{\"é\":\"日本語 😀\"}".as_bytes(), &[("é", "日本語 😀")]),
        (b"{\"a\":\"\x7f\"}", &[("a", "\x7f")]),
        (br#"{"a":"<script>&</script>"}"#, &[("a", "<script>&</script>")]),
        (br#"{"a":"x\\"}"#, &[("a", "x\\")]),
    ];
    for (body, expected) in cases {
        assert_eq!(
            parse(body),
            Ok(pairs(expected)),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn refuses() {
    let unexpected = |position, found, expected| Unexpected {
        position,
        found,
        expected,
    };
    #[rustfmt::skip]
    let cases: &[(&[u8], JsonError)] = &[
        (b"", Empty),
        (b" \r\n\t", Empty),
        (b"\xff", InvalidUtf8 { position: 0 }),
        (b"{\"a\":\"\xc3\"}", InvalidUtf8 { position: 6 }),
        (b"{\"a\":\"b\"}\xed\xa0\x80", InvalidUtf8 { position: 9 }),
        (b"[]", NotAnObject { position: 0 }),
        (br#""a""#, NotAnObject { position: 0 }),
        (b"  1", NotAnObject { position: 2 }),
        (b"null", NotAnObject { position: 0 }),
        ("\u{feff}{}".as_bytes(), NotAnObject { position: 0 }),
        (b"\0{}", NotAnObject { position: 0 }),
        (br#"{"a":1}"#, FieldNotString { field: field("a") }),
        (br#"{"a":-1.5e+3}"#, FieldNotString { field: field("a") }),
        (br#"{"a":true}"#, FieldNotString { field: field("a") }),
        (br#"{"a":false}"#, FieldNotString { field: field("a") }),
        (br#"{"a":null}"#, FieldNotString { field: field("a") }),
        (br#"{"a":[]}"#, FieldNotString { field: field("a") }),
        (br#"{"a":{}}"#, FieldNotString { field: field("a") }),
        (br#"{"a":[1,{"b":[null,"x"]},true]}"#, FieldNotString { field: field("a") }),
        (br#"{"ok":"1","a":[],"b":2}"#, FieldNotString { field: field("a") }),
        (br#"{"a":"b","a":"c"}"#, DuplicateKey { field: field("a") }),
        (br#"{"a":"b","\u0061":"c"}"#, DuplicateKey { field: field("a") }),
        (br#"{"a":"b","a":"b"}"#, DuplicateKey { field: field("a") }),
        (br#"{"a":1,"b":}"#, unexpected(11, '}', "a value")),
        (br#"{"a":"b","a":"c",}"#, unexpected(17, '}', "a string key")),
        (br#"{"a":"\x"}"#, BadEscape { position: 6 }),
        (br#"{"a":"\u12"}"#, BadEscape { position: 6 }),
        (br#"{"a":"\uZZZZ"}"#, BadEscape { position: 6 }),
        (br#"{"a":"\U0041"}"#, BadEscape { position: 6 }),
        (br#"{"a":"\'"}"#, BadEscape { position: 6 }),
        (br#"{"a":"\ud83d"}"#, LoneSurrogate { position: 6 }),
        (br#"{"a":"\ude00"}"#, LoneSurrogate { position: 6 }),
        (br#"{"a":"\ud83dx"}"#, LoneSurrogate { position: 6 }),
        (br#"{"a":"\ud83d\u0041"}"#, LoneSurrogate { position: 6 }),
        (br#"{"a":"\ud83d\ud83d"}"#, LoneSurrogate { position: 6 }),
        (br#"{"a":"\ud83d\n"}"#, LoneSurrogate { position: 6 }),
        (br#"{"a":"\ud83d\uzzzz"}"#, BadEscape { position: 12 }),
        (b"{\"a\":\"\n\"}", ControlCharacter { position: 6 }),
        (b"{\"a\":\"x\0\"}", ControlCharacter { position: 7 }),
        (b"{\"a\":\"\x1f\"}", ControlCharacter { position: 6 }),
        (b"{\"a\0\":\"b\"}", ControlCharacter { position: 3 }),
        (b"{\"a\":[\"\t\"]}", ControlCharacter { position: 7 }),
        (br#"{"a":"b"} x"#, TrailingBytes { position: 10 }),
        (br#"{"a":"b"}{}"#, TrailingBytes { position: 9 }),
        (b"{\"a\":\"b\"}\0", TrailingBytes { position: 9 }),
        (br#"{"a":"b"}}"#, TrailingBytes { position: 9 }),
        (b"{\0\"a\":\"b\"}", unexpected(1, '\0', "a string key")),
        (b"{\"a\"\0:\"b\"}", unexpected(4, '\0', "':'")),
        (b"{\"a\":\0\"b\"}", unexpected(5, '\0', "a value")),
        (b"{\"a\":\"b\"\0}", unexpected(8, '\0', "',' or '}'")),
        (b"{\"a\":[1\0]}", unexpected(7, '\0', "',' or ']'")),
        (br#"{"a":"b",}"#, unexpected(9, '}', "a string key")),
        (br#"{"a" "b"}"#, unexpected(5, '"', "':'")),
        (br#"{a:"b"}"#, unexpected(1, 'a', "a string key")),
        (br#"{'a':'b'}"#, unexpected(1, '\'', "a string key")),
        (br#"{"a":"b" "c":"d"}"#, unexpected(9, '"', "',' or '}'")),
        (br#"{"a":.5}"#, unexpected(5, '.', "a value")),
        (br#"{"a":tru}"#, unexpected(5, 't', "a value")),
        (br#"{"a":truex}"#, unexpected(9, 'x', "',' or '}'")),
        (br#"{"a":nul}"#, unexpected(5, 'n', "a value")),
        (br#"{"a":[1,]}"#, unexpected(8, ']', "a value")),
        (br#"{"a":[}"#, unexpected(6, '}', "a value")),
        (br#"{"a":[1}"#, unexpected(7, '}', "',' or ']'")),
        (br#"{"a":{"b"}}"#, unexpected(9, '}', "':'")),
        (br#"{"a":{"b":1]}"#, unexpected(11, ']', "',' or '}'")),
        (br#"{"a":{1:2}}"#, unexpected(6, '1', "a string key")),
        (br#"{"a":{"b":1,}}"#, unexpected(12, '}', "a string key")),
        ("{\"a\":\"b\"é}".as_bytes(), unexpected(8, 'é', "',' or '}'")),
        (br#"{"a":01}"#, BadNumber { position: 5 }),
        (br#"{"a":-01}"#, BadNumber { position: 5 }),
        (br#"{"a":1.}"#, BadNumber { position: 5 }),
        (br#"{"a":-}"#, BadNumber { position: 5 }),
        (br#"{"a":2e}"#, BadNumber { position: 5 }),
        (br#"{"a":2e+}"#, BadNumber { position: 5 }),
        (br#"{"a":+1}"#, unexpected(5, '+', "a value")),
        (b"{", UnexpectedEnd { expected: "a string key" }),
        (br#"{"a"#, UnexpectedEnd { expected: "'\"' closing a string" }),
        (br#"{"a""#, UnexpectedEnd { expected: "':'" }),
        (br#"{"a":"#, UnexpectedEnd { expected: "a value" }),
        (br#"{"a":"b"#, UnexpectedEnd { expected: "'\"' closing a string" }),
        (br#"{"a":"b\"#, UnexpectedEnd { expected: "an escape" }),
        (br#"{"a":"b""#, UnexpectedEnd { expected: "',' or '}'" }),
        (br#"{"a":"b","#, UnexpectedEnd { expected: "a string key" }),
        (br#"{"a":[[1]"#, UnexpectedEnd { expected: "',' or ']'" }),
        (br#"{"a":{"b":2"#, UnexpectedEnd { expected: "',' or '}'" }),
    ];
    for (body, expected) in cases {
        assert_eq!(
            parse(body).as_ref(),
            Err(expected),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
}

/// `{"f0":"v",...}` with `n` members.
fn object_with_fields(n: usize) -> String {
    let members: Vec<String> = (0..n).map(|i| format!("\"f{i}\":\"v\"")).collect();
    format!("{{{}}}", members.join(","))
}

#[test]
fn field_count_limit() {
    assert_eq!(
        parse(object_with_fields(MAX_BODY_FIELDS).as_bytes()).map(|f| f.len()),
        Ok(MAX_BODY_FIELDS)
    );
    assert_eq!(
        parse(object_with_fields(MAX_BODY_FIELDS + 1).as_bytes()),
        Err(TooManyFields)
    );
    // Non-string members count too.
    let mut numbers = object_with_fields(MAX_BODY_FIELDS);
    numbers.insert_str(1, "\"n\":1,");
    assert_eq!(parse(numbers.as_bytes()), Err(TooManyFields));
}

/// `{"a":` then `depth - 1` nested arrays (so `depth` levels in all), closed.
fn nested(depth: usize) -> String {
    let inner = depth - 1;
    format!("{{\"a\":{}{}}}", "[".repeat(inner), "]".repeat(inner))
}

#[test]
fn depth_limit() {
    assert_eq!(
        parse(nested(MAX_JSON_DEPTH).as_bytes()),
        Err(FieldNotString { field: field("a") })
    );
    let too_deep = 5 + MAX_JSON_DEPTH - 1; // the offset of the first bracket too many
    assert_eq!(
        parse(nested(MAX_JSON_DEPTH + 1).as_bytes()),
        Err(TooDeep { position: too_deep })
    );
    let objects = format!(
        "{{\"a\":{}1{}}}",
        "{\"a\":".repeat(MAX_JSON_DEPTH),
        "}".repeat(MAX_JSON_DEPTH)
    );
    assert!(matches!(parse(objects.as_bytes()), Err(TooDeep { .. })));
}

#[test]
fn deep_nesting_fails_fast_without_recursion() {
    let brackets = format!("{{\"a\":{}", "[".repeat(100_000));
    assert!(matches!(parse(brackets.as_bytes()), Err(TooDeep { .. })));
    let objects = format!("{{\"a\":{}", "{\"a\":".repeat(100_000));
    assert!(matches!(parse(objects.as_bytes()), Err(TooDeep { .. })));
    let mixed = format!("{{\"a\":{}", "[{\"a\":".repeat(100_000));
    assert!(matches!(parse(mixed.as_bytes()), Err(TooDeep { .. })));
    let mebibyte = vec![b'['; 1 << 20];
    assert_eq!(parse(&mebibyte), Err(NotAnObject { position: 0 }));
    let mut wrapped = b"{\"a\":".to_vec();
    wrapped.extend_from_slice(&mebibyte);
    assert!(matches!(parse(&wrapped), Err(TooDeep { .. })));
}

#[test]
fn every_proper_prefix_is_refused() {
    let body =
        br#" {"text": "caf\u00e9 \ud83d\ude00 \"q\"", "n": [1, -2.5e3, {"x": null}], "e": ""} "#;
    assert!(
        parse(body).is_err(),
        "the whole body has a non-string member"
    );
    let strings = br#"{"text": "caf\u00e9 \ud83d\ude00 \"q\"", "e": ""}"#;
    assert!(parse(strings).is_ok());
    for cut in 0..strings.len() {
        assert!(parse(&strings[..cut]).is_err(), "prefix of {cut} bytes");
    }
    for cut in 0..body.len() {
        assert!(parse(&body[..cut]).is_err(), "prefix of {cut} bytes");
    }
}

/// Expected members of a [`parse_object`] table case.
type Members<'a> = &'a [(&'a str, Value<'a>)];

/// Table tests for [`parse_object`], the reader of JWT headers and claims.
#[test]
fn object_values() {
    use Value::*;
    let s = |v: &'static str| String(v.into());
    #[rustfmt::skip]
    let cases: &[(&[u8], Members)] = &[
        (b"{}", &[]),
        (br#"{"a":"b"}"#, &[("a", s("b"))]),
        (br#"{"n":0,"m":-0,"big":9223372036854775807,"neg":-9223372036854775808}"#,
            &[("n", Integer(0)), ("m", Integer(0)), ("big", Integer(i64::MAX)), ("neg", Integer(i64::MIN))]),
        (br#"{"over":9223372036854775808,"under":-9223372036854775809}"#, &[("over", Number), ("under", Number)]),
        (br#"{"f":1.0,"e":1e3,"E":2E-1,"x":-0.5}"#, &[("f", Number), ("e", Number), ("E", Number), ("x", Number)]),
        (br#"{"t":true,"f":false,"z":null}"#, &[("t", Bool(true)), ("f", Bool(false)), ("z", Null)]),
        (br#"{"a":[1,[2,{"b":3}]],"o":{"k":{}}}"#, &[("a", Array), ("o", Object)]),
        (br#" { "alg" : "HS256" } "#, &[("alg", s("HS256"))]),
    ];
    for (body, expected) in cases {
        let expected: Vec<Member> = expected
            .iter()
            .map(|(k, v)| ((*k).into(), v.clone()))
            .collect();
        assert_eq!(
            parse_object(body),
            Ok(expected),
            "{:?}",
            std::string::String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn object_refusals() {
    #[rustfmt::skip]
    let cases: &[(&[u8], JsonError)] = &[
        (b"", Empty),
        (b"[]", NotAnObject { position: 0 }),
        (b"\"a\"", NotAnObject { position: 0 }),
        (b"1", NotAnObject { position: 0 }),
        (br#"{"a":1,"a":1}"#, DuplicateKey { field: field("a") }),
        (br#"{"a":1,"b":2,"\u0061":"x"}"#, DuplicateKey { field: field("a") }),
        (br#"{"a":[],"a":{}}"#, DuplicateKey { field: field("a") }),
        // Syntax errors come before a repeated key, wherever they are.
        (br#"{"a":1,"a":2,"b":01}"#, BadNumber { position: 17 }),
        (br#"{"a":01}"#, BadNumber { position: 5 }),
        (br#"{"a":1}x"#, TrailingBytes { position: 7 }),
        (br#"{"a":tru}"#, Unexpected { position: 5, found: 't', expected: "a value" }),
    ];
    for (body, expected) in cases {
        assert_eq!(
            parse_object(body).as_ref(),
            Err(expected),
            "{:?}",
            std::string::String::from_utf8_lossy(body)
        );
    }
    assert_eq!(
        parse_object(nested(MAX_JSON_DEPTH + 1).as_bytes()),
        Err(TooDeep {
            position: 5 + MAX_JSON_DEPTH - 1
        })
    );
    assert_eq!(
        parse_object(object_with_fields(MAX_BODY_FIELDS + 1).as_bytes()),
        Err(TooManyFields)
    );
}
