//! The smuggling cases, shared by the attack suite (`smuggling.rs`: the
//! server alone) and the proxy differential test (`proxy_differential.rs`:
//! nginx in front of it). Every case hides a complete `GET /nope` where a
//! lenient or differently-minded parser would find a request.

/// The request hidden in every body.
pub const SMUGGLED: &str = "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";

/// `(name, raw request, allowed statuses)`; `{S}` stands for [`SMUGGLED`],
/// `{L}` for its length in decimal and `{H}` in hex.
pub const CASES: &[(&str, &str, &[u16])] = &[
    // CL.TE: a front end that honours Content-Length forwards it all; one
    // that honours chunked ends the body at `0` and reads {S} as a request.
    ("CL.TE", "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length: {L5}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{S}", &[400]),
    // TE.CL: the other way round.
    ("TE.CL", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n{H}\r\n{S}\r\n0\r\n\r\n", &[400]),
    ("TE.CL, TE after a bare-LF line", "POST /signup HTTP/1.1\r\nHost: x\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n{H}\r\n{S}\r\n0\r\n\r\n", &[400]),
    // TE.TE: obfuscated Transfer-Encoding that one parser sees and one not.
    ("TE.TE second bogus TE line", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\nContent-Length: {L5}\r\n\r\n0\r\n\r\n{S}", &[400, 501]),
    ("TE.TE xchunked", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nContent-Length: {L}\r\n\r\n{S}", &[400, 501]),
    ("TE.TE chunkedx", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunkedx\r\n\r\n0\r\n\r\n{S}", &[400, 501]),
    ("TE.TE space before colon", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: {L5}\r\n\r\n0\r\n\r\n{S}", &[400]),
    ("TE.TE quoted", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \"chunked\"\r\nContent-Length: {L5}\r\n\r\n0\r\n\r\n{S}", &[400, 501]),
    ("TE.TE obs-fold value", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: {L5}\r\n\r\n0\r\n\r\n{S}", &[400]),
    ("TE.TE obs-fold line", "POST /signup HTTP/1.1\r\nHost: x\r\n Transfer-Encoding: chunked\r\nContent-Length: {L5}\r\n\r\n0\r\n\r\n{S}", &[400]),
    ("TE.TE tab-folded line", "POST /signup HTTP/1.1\r\nHost: x\r\nX: y\r\n\tTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{S}", &[400]),
    ("TE.TE bare CR before TE", "POST /signup HTTP/1.1\r\nHost: x\r\nX: y\rTransfer-Encoding: chunked\r\nContent-Length: {L5}\r\n\r\n0\r\n\r\n{S}", &[400]),
    ("TE.TE vertical tab", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \x0bchunked\r\nContent-Length: {L5}\r\n\r\n0\r\n\r\n{S}", &[400, 501]),
    ("TE.TE NUL", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\0\r\nContent-Length: {L5}\r\n\r\n0\r\n\r\n{S}", &[400]),
    ("TE.TE upper case with CL", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\nContent-Length: {L5}\r\n\r\n0\r\n\r\n{S}", &[400]),
    ("TE.TE tab value with CL", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\tchunked\r\nContent-Length: {L5}\r\n\r\n0\r\n\r\n{S}", &[400]),
    ("TE.TE chunked, identity", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\nContent-Length: {L5}\r\n\r\n0\r\n\r\n{S}", &[400, 501]),
    ("TE identity, chunked", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity, chunked\r\n\r\n{H}\r\n{S}\r\n0\r\n\r\n", &[400, 501]),
    ("TE chunked not last", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n{S}", &[400, 501]),
    ("TE chunked then gzip lines", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n{S}", &[400, 501]),
    ("TE gzip only", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: {L}\r\n\r\n{S}", &[400, 501]),
    ("TE in HTTP/1.0 with CL", "POST /signup HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: {L5}\r\n\r\n0\r\n\r\n{S}", &[400]),
    // Content-Length games.
    ("CL duplicate differing", "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: {L}\r\n\r\n{S}", &[400]),
    ("CL list differing", "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length: 0, {L}\r\n\r\n{S}", &[400]),
    ("CL plus sign", "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length: +{L}\r\n\r\n{S}", &[400]),
    ("CL hex", "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length: 0x{H}\r\n\r\n{S}", &[400]),
    ("CL inner space", "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length: 0 {L}\r\n\r\n{S}", &[400]),
    ("CL negative", "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length: -{L}\r\n\r\n{S}", &[400]),
    ("CL bare CR", "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r{L}\r\n\r\n{S}", &[400]),
    ("CL obs-fold", "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n {L}\r\n\r\n{S}", &[400]),
    ("CL name with space", "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Length : {L}\r\n\r\n{S}", &[400]),
    // Chunk-size tricks: the smuggled request sits where a sloppy size
    // parser would resume reading requests.
    ("chunk size 0x prefix", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x{H}\r\n{S}\r\n0\r\n\r\n", &[400]),
    ("chunk size plus", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n+{H}\r\n{S}\r\n0\r\n\r\n", &[400]),
    ("chunk size minus", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-{H}\r\n{S}\r\n0\r\n\r\n", &[400]),
    ("chunk size leading space", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n {H}\r\n{S}\r\n0\r\n\r\n", &[400]),
    ("chunk size overflow 2^64", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n{S}\r\n0\r\n\r\n", &[400, 413]),
    ("chunk size 2^64+31 wraps", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100000000000000{H}\r\n{S}\r\n0\r\n\r\n", &[400, 413]),
    ("chunk data longer than size", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n{S}", &[400]),
    ("chunk data without CRLF", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na{S}0\r\n\r\n", &[400]),
    ("chunk ext bare CR", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{H};a\rb\r\n{S}\r\n0\r\n\r\n", &[400]),
    ("chunk ext with LF inside quotes", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{H};a=\"\n\"\r\n{S}\r\n0\r\n\r\n", &[400]),
    ("chunk size line bare CR", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{H}\r{S}\r\n0\r\n\r\n", &[400]),
    ("last chunk without empty line, then garbage", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX{S}", &[400]),
    // Bare LF inside chunked framing: a front end that takes only CRLF as a
    // line end reads these bytes as one body (or waits for more), one that
    // takes LF too ends the body early and reads {S} as the next request.
    ("chunk size line ends in bare LF", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{H}\n{S}\r\n0\r\n\r\n", &[400]),
    ("bare LF after chunk data", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\n0\r\n\r\n{S}", &[400]),
    ("last chunk 0 then bare LF", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\n\r\n{S}", &[400]),
    ("last chunk then bare LF as the end", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n{S}", &[400]),
    ("trailer line ends in bare LF", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\n\r\n{S}", &[400]),
    ("bare LF after a chunk extension", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{H};ext=1\n{S}\r\n0\r\n\r\n", &[400]),
    ("every chunked line in bare LF", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\na\n0\n\n{S}", &[400]),
    ("trailer obs-fold", "POST /signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n z\r\n\r\n{S}", &[400]),
    // Heads that hide or split the request line.
    ("request line with LF in target", "GET /healthz\n{S}", &[400]),
    ("two Hosts", "POST /signup HTTP/1.1\r\nHost: x\r\nHost: y\r\nContent-Length: {L}\r\n\r\n{S}", &[400]),
];

/// The bytes of a case: its placeholders filled in.
pub fn expand(raw: &str) -> Vec<u8> {
    raw.replace("{L5}", &(5 + SMUGGLED.len()).to_string())
        .replace("{L}", &SMUGGLED.len().to_string())
        .replace("{H}", &format!("{:x}", SMUGGLED.len()))
        .replace("{S}", SMUGGLED)
        .into_bytes()
}

/// Bodies that are well framed but hold a request: `(name, raw request,
/// status)`. The hidden request stays body bytes.
pub fn well_framed_cases() -> Vec<(&'static str, String, u16)> {
    let l = SMUGGLED.len();
    vec![
        (
            "GET with a Content-Length body",
            format!("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: {l}\r\n\r\n{SMUGGLED}"),
            200,
        ),
        (
            "POST with a Content-Length body",
            format!("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: {l}\r\n\r\n{SMUGGLED}"),
            405,
        ),
        (
            "POST with a chunked body",
            format!(
                "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
                 {l:x}\r\n{SMUGGLED}\r\n0\r\n\r\n"
            ),
            405,
        ),
        (
            // A size parser that stops after 16 digits would read 0 here.
            "chunk size after 16 leading zeros",
            format!(
                "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
                 0000000000000000{l:x}\r\n{SMUGGLED}\r\n0\r\n\r\n"
            ),
            405,
        ),
        (
            "chunked body split into 1-byte chunks",
            format!(
                "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{}0\r\n\r\n",
                SMUGGLED
                    .chars()
                    .map(|ch| format!("1\r\n{ch}\r\n"))
                    .collect::<String>()
            ),
            405,
        ),
    ]
}
