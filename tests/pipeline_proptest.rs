//! Property tests for the request decoder: a stream of valid pipelined
//! requests, cut anywhere, decodes to exactly the requests that were
//! written, and to the same ones as the uncut stream; a valid head is
//! `Partial` until its last byte and stays `Complete` whatever follows.

use proptest::prelude::*;
use proptest::sample::Index;
use stateful::http::{parse_request_head, Decoded, HttpError, Parsed, Request, RequestDecoder};

/// How a generated request delimits its body.
#[derive(Debug, Clone)]
enum Body {
    None,
    Length(Vec<u8>),
    Chunked {
        chunks: Vec<Chunk>,
        last_ext: String,
        trailers: Vec<(String, Vec<u8>)>,
    },
}

/// One non-empty chunk: its data, how its size is written, its extensions.
#[derive(Debug, Clone)]
struct Chunk {
    data: Vec<u8>,
    zeros: usize,
    upper: bool,
    ext: String,
}

/// A request as the test writes it.
#[derive(Debug, Clone)]
struct Req {
    method: &'static str,
    target: String,
    http10: bool,
    host: String,
    /// Field name, raw value (OWS around it is not part of the value).
    fields: Vec<(String, Vec<u8>)>,
    framing_at: Index,
    expect_continue: bool,
    body: Body,
    /// Bit `k % 16` set: line `k` of this request's head ends in a bare
    /// LF (chunked framing always uses CRLF: a bare LF there is refused).
    bare_lf: u16,
}

impl Req {
    fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            Body::None => Vec::new(),
            Body::Length(b) => b.clone(),
            Body::Chunked { chunks, .. } => chunks.iter().flat_map(|c| c.data.clone()).collect(),
        }
    }

    /// The head's fields as sent, in order, values with their OWS.
    fn sent_fields(&self) -> Vec<(String, Vec<u8>)> {
        let mut fields = vec![("Host".to_string(), format!(" {}", self.host).into_bytes())];
        fields.extend(self.fields.iter().cloned());
        let framing = match &self.body {
            Body::None => None,
            Body::Length(b) => Some(("Content-Length", b.len().to_string())),
            Body::Chunked { .. } => Some(("Transfer-Encoding", "chunked".to_string())),
        };
        if let Some((n, v)) = framing {
            let at = self.framing_at.index(fields.len() + 1);
            fields.insert(at, (n.to_string(), v.into_bytes()));
        }
        if self.expect_continue {
            fields.push(("Expect".to_string(), b"100-continue".to_vec()));
        }
        fields
    }

    /// The fields the parser must report: those sent, values without OWS.
    fn expected_fields(&self) -> Vec<(String, Vec<u8>)> {
        self.sent_fields()
            .into_iter()
            .map(|(n, v)| (n, trim_ows(&v).to_vec()))
            .collect()
    }

    /// The head (through its empty line) and the body as sent.
    fn encode(&self) -> (Vec<u8>, Vec<u8>) {
        let mut line = 0;
        let mut eol = |out: &mut Vec<u8>| {
            let bare = self.bare_lf & (1 << (line % 16)) != 0;
            out.extend_from_slice(if bare { b"\n" } else { b"\r\n" });
            line += 1;
        };
        let mut head = Vec::new();
        let version = if self.http10 { "1.0" } else { "1.1" };
        head.extend_from_slice(
            format!("{} {} HTTP/{version}", self.method, self.target).as_bytes(),
        );
        eol(&mut head);
        for (n, v) in self.sent_fields() {
            head.extend_from_slice(n.as_bytes());
            head.push(b':');
            head.extend_from_slice(&v);
            eol(&mut head);
        }
        eol(&mut head);
        let eol = |out: &mut Vec<u8>| out.extend_from_slice(b"\r\n");
        let mut body = Vec::new();
        match &self.body {
            Body::None => {}
            Body::Length(b) => body.extend_from_slice(b),
            Body::Chunked {
                chunks,
                last_ext,
                trailers,
            } => {
                for c in chunks {
                    let size = format!("{}{:x}", "0".repeat(c.zeros), c.data.len());
                    let size = if c.upper { size.to_uppercase() } else { size };
                    body.extend_from_slice(size.as_bytes());
                    body.extend_from_slice(c.ext.as_bytes());
                    eol(&mut body);
                    body.extend_from_slice(&c.data);
                    eol(&mut body);
                }
                body.extend_from_slice(format!("0{last_ext}").as_bytes());
                eol(&mut body);
                for (n, v) in trailers {
                    body.extend_from_slice(n.as_bytes());
                    body.push(b':');
                    body.extend_from_slice(v);
                    eol(&mut body);
                }
                eol(&mut body);
            }
        }
        (head, body)
    }
}

fn trim_ows(v: &[u8]) -> &[u8] {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = v.iter().position(|b| !ows(b)).unwrap_or(v.len());
    let end = v.iter().rposition(|b| !ows(b)).map_or(start, |i| i + 1);
    &v[start..end]
}

const TCHARS: &str =
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn token(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TCHARS.as_bytes().to_vec()), 1..=max)
        .prop_map(|b| String::from_utf8(b).expect("tchars are ASCII"))
}

/// A field value as sent: visible ASCII, obs-text, SP and HTAB anywhere.
fn field_value() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        8 => 0x21u8..=0x7e,
        1 => 0x80u8..=0xff,
        1 => prop::sample::select(vec![b' ', b'\t']),
    ];
    prop::collection::vec(byte, 0..16)
}

/// A field name that none of the framing rules look at.
fn extension_field() -> impl Strategy<Value = (String, Vec<u8>)> {
    (token(8).prop_map(|t| format!("X-{t}")), field_value())
}

/// `*( BWS ";" BWS name [ BWS "=" BWS value ] )`, value a token or a
/// quoted-string.
fn chunk_ext() -> impl Strategy<Value = String> {
    let bws = prop::sample::select(vec!["", " ", "\t", " \t"]);
    let quoted = prop::collection::vec(
        prop_oneof![
            prop::sample::select(b"ab =;,/\t".to_vec()).prop_map(|b| (b as char).to_string()),
            Just("\\\"".to_string()),
            Just("\\\\".to_string()),
        ],
        0..6,
    )
    .prop_map(|parts| format!("\"{}\"", parts.concat()));
    let value = prop_oneof![token(6), quoted];
    let one = (
        bws.clone(),
        bws.clone(),
        token(6),
        bws.clone(),
        bws,
        prop::option::of(value),
    )
        .prop_map(|(b1, b2, name, b3, b4, value)| match value {
            Some(v) => format!("{b1};{b2}{name}{b3}={b4}{v}"),
            None => format!("{b1};{b2}{name}"),
        });
    prop::collection::vec(one, 0..3).prop_map(|e| e.concat())
}

fn chunked_body() -> impl Strategy<Value = Body> {
    let chunk = (
        prop::collection::vec(any::<u8>(), 1..24),
        0usize..3,
        any::<bool>(),
        prop_oneof![3 => Just(String::new()), 1 => chunk_ext()],
    )
        .prop_map(|(data, zeros, upper, ext)| Chunk {
            data,
            zeros,
            upper,
            ext,
        });
    let trailer = (token(8), field_value());
    (
        prop::collection::vec(chunk, 0..5),
        prop_oneof![3 => Just(String::new()), 1 => chunk_ext()],
        prop::collection::vec(trailer, 0..3),
    )
        .prop_map(|(chunks, last_ext, trailers)| Body::Chunked {
            chunks,
            last_ext,
            trailers,
        })
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        Just(Body::None),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Body::Length),
        chunked_body(),
    ]
}

fn request() -> impl Strategy<Value = Req> {
    let method = prop::sample::select(vec!["GET", "HEAD", "POST"]);
    let path = "/[A-Za-z0-9._~!$&'()*+,;=:@/-]{0,12}(\\?[A-Za-z0-9=&%+/?-]{0,10})?";
    let host = "[a-z0-9][a-z0-9.-]{0,9}(:[0-9]{1,4})?";
    (
        (method, path, any::<bool>(), host),
        prop::collection::vec(extension_field(), 0..5),
        any::<Index>(),
        any::<bool>(),
        body(),
        any::<u16>(),
    )
        .prop_map(
            |((method, target, http10, host), fields, framing_at, expect, body, bare_lf)| {
                let http10 = http10 && !matches!(body, Body::Chunked { .. });
                Req {
                    method,
                    target,
                    http10,
                    host,
                    fields,
                    framing_at,
                    expect_continue: expect,
                    body,
                    bare_lf,
                }
            },
        )
}

/// What is compared of a decoded request.
type Seen = (String, String, Vec<(String, Vec<u8>)>, bool, Vec<u8>);

fn seen(r: &Request) -> Seen {
    let fields = r.head.fields().map(|(n, v)| (n.to_string(), v.to_vec()));
    (
        r.head.method_str().to_string(),
        r.head.target().to_string(),
        fields.collect(),
        r.head.keep_alive(),
        r.body.clone(),
    )
}

fn expected(r: &Req) -> Seen {
    (
        r.method.to_string(),
        r.target.clone(),
        r.expected_fields(),
        !r.http10,
        r.body_bytes(),
    )
}

/// Feeds `stream` cut at `cuts` (sorted) and returns the requests decoded
/// and the bytes left unused at the end.
fn decode_pieces(stream: &[u8], cuts: &[usize]) -> Result<(Vec<Seen>, Vec<u8>), HttpError> {
    let mut d = RequestDecoder::new();
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut from = 0;
    for &to in cuts.iter().chain([stream.len()].iter()) {
        buf.extend_from_slice(&stream[from..to]);
        from = to;
        loop {
            let (used, event) = d.decode(&buf)?;
            buf.drain(..used);
            match event {
                Decoded::Request(r) => out.push(seen(&r)),
                Decoded::SendContinue => {}
                Decoded::NeedMore => break,
            }
        }
    }
    Ok((out, buf))
}

fn stream_of(reqs: &[Req]) -> Vec<u8> {
    reqs.iter()
        .flat_map(|r| {
            let (head, body) = r.encode();
            head.into_iter().chain(body)
        })
        .collect()
}

fn cut_points(cuts: &[Index], len: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(len + 1)).collect();
    cuts.sort_unstable();
    cuts
}

proptest! {
    #[test]
    fn pipelined_requests_survive_any_cuts(
        reqs in prop::collection::vec(request(), 1..=8),
        cuts in prop::collection::vec(any::<Index>(), 0..16),
    ) {
        let stream = stream_of(&reqs);
        let want: Vec<Seen> = reqs.iter().map(expected).collect();
        let whole = decode_pieces(&stream, &[]);
        prop_assert_eq!(&whole, &Ok((want, Vec::new())), "{:?}", String::from_utf8_lossy(&stream));
        let cut = decode_pieces(&stream, &cut_points(&cuts, stream.len()));
        prop_assert_eq!(cut, whole);
    }

    #[test]
    fn every_strict_prefix_of_a_head_is_partial(req in request(), suffix in prop::collection::vec(any::<u8>(), 0..32)) {
        let (head, _) = req.encode();
        for n in 0..head.len() {
            let p = parse_request_head(&head[..n]);
            prop_assert!(matches!(p, Ok(Parsed::Partial)), "{} of {:?}: {:?}", n, String::from_utf8_lossy(&head), p);
        }
        let Ok(Parsed::Complete(alone, used)) = parse_request_head(&head) else {
            return Err(TestCaseError::fail(format!("{:?}", String::from_utf8_lossy(&head))));
        };
        prop_assert_eq!(used, head.len());
        let fields = |h: &stateful::http::RequestHead| -> Vec<(String, Vec<u8>)> {
            h.fields().map(|(n, v)| (n.to_string(), v.to_vec())).collect()
        };
        prop_assert_eq!(fields(&alone), req.expected_fields());
        let mut longer = head.clone();
        longer.extend_from_slice(&suffix);
        match parse_request_head(&longer) {
            Ok(Parsed::Complete(h, u)) => {
                prop_assert_eq!(u, used);
                prop_assert_eq!(h.target(), alone.target());
                prop_assert_eq!(fields(&h), fields(&alone));
            }
            other => return Err(TestCaseError::fail(format!("{:?} became {other:?}", String::from_utf8_lossy(&longer)))),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn one_byte_at_a_time_equals_all_at_once(reqs in prop::collection::vec(request(), 1..=4)) {
        let stream = stream_of(&reqs);
        let every_byte: Vec<usize> = (0..stream.len()).collect();
        prop_assert_eq!(decode_pieces(&stream, &every_byte), decode_pieces(&stream, &[]));
    }
}
