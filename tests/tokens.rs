//! Bearer tokens end to end, against the real binary over TCP: key files,
//! `POST /token`, `Authorization: Bearer` on the routes, forged tokens,
//! revocation (also across restarts) and key rotation.
//!
//! Tokens are minted here from the key file's bytes: valid ones with the
//! crate's signer, forged ones by HMAC over any header and claims text.
//! The minting itself is checked against a token minted by Python's
//! `hmac` (tests/data/jwt_vectors.json), so the server is not merely
//! agreeing with itself.

#[path = "support/json_value.rs"]
mod json_value;
#[path = "support/redis.rs"]
mod redis;
#[path = "support/server.rs"]
mod server;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use json_value::Json;
use server::{credentials, session_id, Resp, Server};
use stateful::crypto::base64::{decode_url, encode_url};
use stateful::crypto::hmac_sha256;
use stateful::jwt::{parse_key_file, Claims, KeySet};

const PW: &str = "correct-horse";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// The key file of the vectors: `k1` (32 bytes) then `k2` (40 bytes).
fn vectors() -> Json {
    Json::load("tests/data/jwt_vectors.json")
}

fn key_file_text() -> String {
    vectors().at("stateful").at("key_file").str().to_string()
}

/// The raw bytes of key `kid` in `text`.
fn key_bytes(text: &str, kid: &str) -> Vec<u8> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{kid}:")))
        .expect("the kid is in the file");
    decode_url(line.trim_end_matches('=')).expect("base64url")
}

/// `base64url(header).base64url(claims).base64url(HMAC(key))`: any text.
fn mint(key: &[u8], header: &str, claims: &str) -> String {
    let input = format!(
        "{}.{}",
        encode_url(header.as_bytes()),
        encode_url(claims.as_bytes())
    );
    format!(
        "{input}.{}",
        encode_url(&hmac_sha256(key, input.as_bytes()))
    )
}

fn header(kid: &str) -> String {
    format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{kid}"}}"#)
}

fn claims(sub: &str, iat: i64, exp: i64, jti: &str) -> String {
    format!(r#"{{"sub":"{sub}","iat":{iat},"exp":{exp},"jti":"{jti}"}}"#)
}

/// A good token for `sub`, issued now, under key `kid` of the vectors.
fn good_token(kid: &str, sub: &str, jti: &str) -> String {
    let t = now();
    mint(
        &key_bytes(&key_file_text(), kid),
        &header(kid),
        &claims(sub, t, t + 900, jti),
    )
}

/// Writes the vectors' key file (or `text`) into `dir`; its path.
fn write_key_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the key file");
    path.to_str().expect("UTF-8 path").to_string()
}

/// One request on its own connection, with an optional session cookie,
/// an optional bearer token and extra header lines.
fn request(
    s: &Server,
    method: &str,
    path: &str,
    body: &str,
    cookie: Option<&str>,
    token: Option<&str>,
) -> Resp {
    let cookie = cookie
        .map(|c| format!("Cookie: sessionid={c}\r\n"))
        .unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    raw(s, method, path, body, &format!("{cookie}{auth}"))
}

fn raw(s: &Server, method: &str, path: &str, body: &str, extra: &str) -> Resp {
    let typ = if body.starts_with('{') {
        "Content-Type: application/json\r\n"
    } else if body.is_empty() {
        ""
    } else {
        "Content-Type: application/x-www-form-urlencoded\r\n"
    };
    s.send(
        format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{typ}{extra}\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

/// `POST /token` for `user`; the access token.
fn token_for(s: &Server, user: &str, password: &str) -> String {
    let r = request(
        s,
        "POST",
        "/token",
        &credentials(user, password),
        None,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    Json::parse(&r.text()).at("access_token").str().to_string()
}

fn login(s: &Server, user: &str, password: &str) -> String {
    let r = request(
        s,
        "POST",
        "/login",
        &credentials(user, password),
        None,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    session_id(&r).expect("a session cookie")
}

/// `GET /me` with `token`: the status and, on 200, the username.
fn me_by_token(s: &Server, token: &str) -> (u16, String) {
    let r = request(s, "GET", "/me", "", None, Some(token));
    let user = if r.status == 200 {
        Json::parse(&r.text()).at("username").str().to_string()
    } else {
        String::new()
    };
    (r.status, user)
}

/// Asserts the one answer every refused token gets.
fn assert_invalid_token(r: &Resp, what: &str) {
    assert_eq!(r.status, 401, "{what}: {}", r.text());
    assert_eq!(r.text(), r#"{"error":"invalid token"}"#, "{what}");
    assert_eq!(
        r.header("www-authenticate"),
        Some(r#"Bearer error="invalid_token""#),
        "{what}"
    );
}

/// The `kid` in a token's header.
fn kid_of(token: &str) -> String {
    let header = decode_url(token.split('.').next().unwrap()).unwrap();
    Json::parse(std::str::from_utf8(&header).unwrap())
        .at("kid")
        .str()
        .to_string()
}

/// A fresh directory under the system's temp dir for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stateful-tokens-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test directory");
    dir
}

/// `kid:base64url` of `n` bytes of `fill`.
fn key_line(kid: &str, fill: u8, n: usize) -> String {
    format!("{kid}:{}", encode_url(&vec![fill; n]))
}

/// Runs the binary on `args` expecting it to refuse to start; returns its
/// exit status and stderr.
fn refused_start(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stateful"))
        .args([
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--pbkdf2-iterations",
            "1000",
        ])
        .args(args)
        .output()
        .expect("run stateful");
    assert!(
        out.stdout.is_empty(),
        "it must not listen: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_key_files_exit_2_naming_the_line() {
    let dir = temp_dir("badkeys");
    let good = key_line("k1", 1, 32);
    #[rustfmt::skip]
    let cases: &[(&str, String, &str)] = &[
        ("short", format!("{good}\n{}\n", key_line("k2", 2, 31)), "line 2: key \"k2\" is 31 bytes; at least 32 are needed"),
        ("no-colon", format!("{}\n", encode_url(&[1; 32])), "line 1: expected kid:base64url"),
        ("bad-b64", format!("{good}\n\nk3:{}!\n", encode_url(&[1; 32])), "line 3: the key is not base64url"),
        ("bad-pad", format!("k1:{}===\n", encode_url(&[1; 32])), "line 1: the key has misplaced '=' padding"),
        ("dup", format!("{good}\n{good}\n"), "line 2: key id \"k1\" given twice"),
        ("empty-kid", format!(":{}\n", encode_url(&[1; 32])), "line 1: the key id must be"),
        ("empty", String::new(), "no key"),
        ("comments-only", "# nothing here\n\n".into(), "no key"),
    ];
    for (name, text, message) in cases {
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        let (code, stderr) = refused_start(&["--token-key-file", file.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(stderr.contains(message), "{name}: {stderr}");
        assert!(
            stderr.contains(file.to_str().unwrap()),
            "{name} names the file: {stderr}"
        );
    }
    let missing = dir.join("missing");
    let (code, stderr) = refused_start(&["--token-key-file", missing.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("missing"), "{stderr}");
    let (code, _) = refused_start(&["--token-key-file="]);
    assert_eq!(code, Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn data_dir_key_is_created_once_with_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("datadirkey");
    let data = dir.join("data");
    let data_arg = data.to_str().unwrap();
    let key_path = data.join("token.key");
    let first = {
        let s = server::Server::start(&["--data-dir", data_arg]);
        assert!(s.wait_stderr("token key: created", std::time::Duration::from_secs(5)));
        drop(s);
        std::fs::read_to_string(&key_path).expect("token.key written")
    };
    let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let (kid, key) = first.trim_end().split_once(':').expect("kid:base64url");
    assert!(!kid.is_empty());
    assert_eq!(
        stateful::crypto::base64::decode_url(key).map(|k| k.len()),
        Ok(32)
    );
    let s = server::Server::start(&["--data-dir", data_arg]);
    assert!(s.wait_stderr(
        "token keys: 1 key(s) from",
        std::time::Duration::from_secs(5)
    ));
    drop(s);
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), first, "reused");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A server with the vectors' key file, and the directory holding it.
fn keyed_server(name: &str, extra: &[&str]) -> (Server, PathBuf) {
    let dir = temp_dir(name);
    let file = write_key_file(&dir, "keys", &key_file_text());
    let mut args = vec!["--token-key-file", file.as_str()];
    args.extend_from_slice(extra);
    (Server::start(&args), dir)
}

#[test]
fn our_minting_matches_an_independent_implementation() {
    let v = vectors();
    let s = v.at("stateful");
    let c = s.at("claims");
    let text = key_file_text();
    let token = mint(
        &key_bytes(&text, "k1"),
        &header("k1"),
        &claims(
            c.at("sub").str(),
            c.at("iat").i64(),
            c.at("exp").i64(),
            c.at("jti").str(),
        ),
    );
    assert_eq!(token, s.at("token_k1").str());
    // And the crate's signer, which the server uses, writes the same.
    let keys: KeySet = parse_key_file(text.as_bytes()).unwrap();
    let ours = keys.sign(&Claims {
        sub: c.at("sub").str().into(),
        iat: c.at("iat").i64(),
        exp: c.at("exp").i64(),
        jti: c.at("jti").str().into(),
    });
    assert_eq!(ours, token);
}

#[test]
fn a_token_works_wherever_the_cookie_does() {
    let (s, dir) = keyed_server("lifecycle", &[]);
    assert_eq!(server::signup(&s, "ada", PW).status, 201);
    // JSON and form bodies both get a token.
    let r = request(&s, "POST", "/token", &credentials("ada", PW), None, None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("set-cookie").is_none(), "a token, not a session");
    let body = Json::parse(&r.text());
    assert_eq!(body.at("token_type").str(), "Bearer");
    assert_eq!(body.at("expires_in").i64(), 900);
    let token = body.at("access_token").str().to_string();
    assert_eq!(kid_of(&token), "k1", "the first key signs");
    let form = request(
        &s,
        "POST",
        "/token",
        "username=ada&password=correct-horse",
        None,
        None,
    );
    assert_eq!(form.status, 200, "{}", form.text());
    // The server's token verifies here with the key file's bytes.
    let keys = parse_key_file(key_file_text().as_bytes()).unwrap();
    let claims = stateful::jwt::verify(token.as_bytes(), &keys, now()).expect("verifies");
    assert_eq!(claims.sub, "ada");
    assert_eq!(claims.exp - claims.iat, 900);
    assert!((claims.iat - now()).abs() <= 5);
    assert_eq!(
        decode_url(&claims.jti).map(|j| j.len()),
        Ok(16),
        "128 random bits"
    );

    assert_eq!(me_by_token(&s, &token), (200, "ada".to_string()));
    let head = raw(
        &s,
        "HEAD",
        "/me",
        "",
        &format!("Authorization: Bearer {token}\r\n"),
    );
    assert_eq!(head.status, 200);
    let posted = request(
        &s,
        "POST",
        "/comments",
        r#"{"text":"by token"}"#,
        None,
        Some(&token),
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    let id = Json::parse(&posted.text()).at("id").i64();
    assert_eq!(Json::parse(&posted.text()).at("author").str(), "ada");
    let deleted = request(
        &s,
        "DELETE",
        &format!("/comments/{id}"),
        "",
        None,
        Some(&token),
    );
    assert_eq!(deleted.status, 204);
    // GET /sessions lists sessions: a token names none.
    let r = request(&s, "GET", "/sessions", "", None, Some(&token));
    assert_eq!(r.status, 401);
    // With both a cookie and a token, the token is used.
    assert_eq!(server::signup(&s, "bob", PW).status, 201);
    let bob = login(&s, "bob", PW);
    let r = request(&s, "GET", "/me", "", Some(&bob), Some(&token));
    assert_eq!(Json::parse(&r.text()).at("username").str(), "ada");
    assert_eq!(
        request(&s, "GET", "/sessions", "", Some(&bob), Some(&token)).status,
        401
    );
    let r = request(&s, "GET", "/me", "", Some(&bob), Some("not-a-token"));
    assert_invalid_token(&r, "a bad token beside a good cookie");
    // Another scheme is not a token: the cookie counts.
    let r = raw(
        &s,
        "GET",
        "/me",
        "",
        &format!("Cookie: sessionid={bob}\r\nAuthorization: Basic YWRhOng=\r\n"),
    );
    assert_eq!(Json::parse(&r.text()).at("username").str(), "bob");
    // No credential at all.
    let r = request(&s, "GET", "/me", "", None, None);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    // The scheme name is case-insensitive.
    let r = raw(
        &s,
        "GET",
        "/me",
        "",
        &format!("Authorization: bEaReR {token}\r\n"),
    );
    assert_eq!(r.status, 200);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn token_requests_are_checked_and_throttled_like_logins() {
    let (s, dir) = keyed_server("throttle", &[]);
    assert_eq!(server::signup(&s, "ada", PW).status, 201);
    let post = |body: &str| request(&s, "POST", "/token", body, None, None);
    assert_eq!(post(r#"{"username":"ada"}"#).status, 400);
    assert_eq!(
        post(r#"{"username":"ada","password":"x","password":"y"}"#).status,
        400
    );
    assert_eq!(post("{").status, 400);
    assert_eq!(post(&credentials("no such name!", PW)).status, 400);
    let typed = s.send(
        b"POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
          Content-Type: text/plain\r\nContent-Length: 3\r\n\r\nada",
    );
    assert_eq!(typed.status, 415);
    let unknown = post(&credentials("nobody", PW));
    let wrong = post(&credentials("ada", "wrong-password"));
    assert_eq!((unknown.status, wrong.status), (401, 401));
    assert_eq!(unknown.text(), wrong.text(), "no hint which was wrong");
    // One throttle for /login and /token: 1 wrong above, 2 + 2 more here.
    for path in ["/login", "/token", "/login", "/token"] {
        let r = request(
            &s,
            "POST",
            path,
            &credentials("ada", "wrong-password"),
            None,
            None,
        );
        assert_eq!(r.status, 401, "{path}");
    }
    for path in ["/token", "/login"] {
        let r = request(&s, "POST", path, &credentials("ada", PW), None, None);
        assert_eq!(r.status, 429, "{path}: {}", r.text());
        assert!(r.header("retry-after").is_some());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn forged_and_broken_tokens_are_refused() {
    let (s, dir) = keyed_server("forged", &[]);
    assert_eq!(server::signup(&s, "ada", PW).status, 201);
    let text = key_file_text();
    let (k1, k2) = (key_bytes(&text, "k1"), key_bytes(&text, "k2"));
    let t = now();
    let good_claims = claims("ada", t, t + 900, "jti-forged");
    let h1 = header("k1");
    let good = mint(&k1, &h1, &good_claims);
    assert_eq!(me_by_token(&s, &good), (200, "ada".into()), "the control");
    let (gh, rest) = good.split_once('.').unwrap();
    let (gp, gs) = rest.split_once('.').unwrap();
    let flip = |token: &str, at: usize| {
        let mut b = token.as_bytes().to_vec();
        b[at] = if b[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    let standard = |bytes: &[u8]| stateful::crypto::base64::encode(bytes);
    let c = |extra: &str| {
        format!(
            r#"{{"sub":"ada","iat":{t},"exp":{},"jti":"j"{extra}}}"#,
            t + 900
        )
    };
    let times = |iat: i64, exp: i64| claims("ada", iat, exp, "j");
    let big = c(&format!(r#","pad":"{}""#, "x".repeat(9000)));
    #[rustfmt::skip]
    let cases: Vec<(&str, String)> = vec![
        // The header.
        ("alg none, no signature", format!("{}.{gp}.", encode_url(br#"{"alg":"none","typ":"JWT"}"#))),
        ("alg none, signed", mint(&k1, r#"{"alg":"none","typ":"JWT","kid":"k1"}"#, &good_claims)),
        ("alg HS512", mint(&k1, r#"{"alg":"HS512","typ":"JWT","kid":"k1"}"#, &good_claims)),
        ("alg RS256", mint(&k1, r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#, &good_claims)),
        ("alg hs256", mint(&k1, r#"{"alg":"hs256","typ":"JWT","kid":"k1"}"#, &good_claims)),
        ("alg missing", mint(&k1, r#"{"typ":"JWT","kid":"k1"}"#, &good_claims)),
        ("alg twice", mint(&k1, r#"{"alg":"none","alg":"HS256","kid":"k1"}"#, &good_claims)),
        ("kid missing", mint(&k1, r#"{"alg":"HS256","typ":"JWT"}"#, &good_claims)),
        ("kid unknown", mint(&k1, &header("k3"), &good_claims)),
        ("kid a number", mint(&k1, r#"{"alg":"HS256","kid":1}"#, &good_claims)),
        ("kid twice", mint(&k1, r#"{"alg":"HS256","kid":"k1","kid":"k2"}"#, &good_claims)),
        ("crit", mint(&k1, r#"{"alg":"HS256","kid":"k1","crit":["exp"]}"#, &good_claims)),
        ("typ JWE", mint(&k1, r#"{"alg":"HS256","kid":"k1","typ":"JWE"}"#, &good_claims)),
        ("header an array", mint(&k1, r#"["HS256"]"#, &good_claims)),
        ("header trailing bytes", mint(&k1, &format!("{h1}x"), &good_claims)),
        // The claims.
        ("exp missing", mint(&k1, &h1, &format!(r#"{{"sub":"ada","iat":{t},"jti":"j"}}"#))),
        ("exp a string", mint(&k1, &h1, &format!(r#"{{"sub":"ada","iat":{t},"exp":"{}","jti":"j"}}"#, t + 900))),
        ("exp a fraction", mint(&k1, &h1, &format!(r#"{{"sub":"ada","iat":{t},"exp":{}.5,"jti":"j"}}"#, t + 900))),
        ("exp null", mint(&k1, &h1, &format!(r#"{{"sub":"ada","iat":{t},"exp":null,"jti":"j"}}"#))),
        ("exp passed beyond the leeway", mint(&k1, &h1, &times(t - 900, t - 120))),
        ("iat in the future", mint(&k1, &h1, &times(t + 600, t + 1500))),
        ("nbf in the future", mint(&k1, &h1, &c(&format!(r#","nbf":{}"#, t + 600)))),
        ("iat too old", mint(&k1, &h1, &times(t - 2000, t + 600))),
        ("sub names no user", mint(&k1, &h1, &claims("nobody", t, t + 900, "j"))),
        ("sub missing", mint(&k1, &h1, &format!(r#"{{"iat":{t},"exp":{},"jti":"j"}}"#, t + 900))),
        ("jti missing", mint(&k1, &h1, &format!(r#"{{"sub":"ada","iat":{t},"exp":{}}}"#, t + 900))),
        ("sub twice", mint(&k1, &h1, &c(r#","sub":"root""#))),
        ("claims an array", mint(&k1, &h1, "[]")),
        ("aud", mint(&k1, &h1, &c(r#","aud":"elsewhere""#))),
        // The signature.
        ("signed with k2, named k1", mint(&k2, &h1, &good_claims)),
        ("signed with no key", mint(b"", &h1, &good_claims)),
        ("signature bit flipped", flip(&good, good.len() - 5)),
        ("payload changed", flip(&good, gh.len() + 3)),
        ("header changed", flip(&good, 3)),
        ("claims swapped for another user's", format!("{gh}.{}.{gs}", encode_url(claims("bob", t, t + 900, "j").as_bytes()))),
        ("signature cut", format!("{gh}.{gp}.{}", &gs[..40])),
        ("signature empty", format!("{gh}.{gp}.")),
        // The encoding.
        ("padding after the signature", format!("{good}=")),
        ("padded header", format!("{}.{gp}.{gs}", standard(h1.as_bytes()))),
        ("padded header, signed", {
            let input = format!("{}.{gp}", standard(h1.as_bytes()));
            format!("{input}.{}", encode_url(&hmac_sha256(&k1, input.as_bytes())))
        }),
        ("standard alphabet", format!("{gh}.{gp}.{}", gs.replace('-', "+").replace('_', "/") + "+")),
        ("a space inside", format!("{gh}.{} {}.{gs}", &gp[..5], &gp[5..])),
        ("a tab inside", format!("{gh}.{}\t{}.{gs}", &gp[..5], &gp[5..])),
        ("two parts", format!("{gh}.{gp}")),
        ("four parts", format!("{good}.{gs}")),
        ("empty", String::new()),
        ("not base64", "this is not a token".into()),
        ("over 8 KiB, signed", mint(&k1, &h1, &big)),
    ];
    assert!(cases.len() >= 40);
    for (what, token) in &cases {
        let r = request(&s, "GET", "/me", "", None, Some(token));
        assert_invalid_token(&r, what);
    }
    // Two Authorization fields: never guessed between.
    let r = raw(
        &s,
        "GET",
        "/me",
        "",
        &format!("Authorization: Bearer {good}\r\nAuthorization: Bearer {good}\r\n"),
    );
    assert_invalid_token(&r, "two bearer tokens");
    // Refused on the other routes too, and nothing is changed.
    let bad = flip(&good, good.len() - 5);
    for (method, path, body) in [
        ("POST", "/comments", r#"{"text":"x"}"#),
        ("DELETE", "/comments/1", ""),
        ("POST", "/logout", ""),
        ("GET", "/sessions", ""),
    ] {
        let r = request(&s, method, path, body, None, Some(&bad));
        assert_invalid_token(&r, path);
    }
    assert_eq!(me_by_token(&s, &good), (200, "ada".into()), "still good");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn logout_with_a_token_revokes_that_token_only() {
    let (s, dir) = keyed_server("logout", &[]);
    server::signup(&s, "ada", PW);
    let first = token_for(&s, "ada", PW);
    let second = token_for(&s, "ada", PW);
    let session = login(&s, "ada", PW);
    let r = request(&s, "POST", "/logout", "", None, Some(&first));
    assert_eq!(r.status, 200);
    assert!(
        r.header("set-cookie").is_none(),
        "a token logout touches no cookie"
    );
    assert_invalid_token(
        &request(&s, "GET", "/me", "", None, Some(&first)),
        "revoked",
    );
    assert_invalid_token(
        &request(&s, "POST", "/logout", "", None, Some(&first)),
        "revoked, again",
    );
    assert_eq!(me_by_token(&s, &second).0, 200, "another token of the user");
    assert_eq!(
        request(&s, "GET", "/me", "", Some(&session), None).status,
        200
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn logout_all_and_a_password_change_revoke_earlier_tokens() {
    let (s, dir) = keyed_server("logoutall", &[]);
    server::signup(&s, "ada", PW);
    server::signup(&s, "bob", PW);
    let k1 = key_bytes(&key_file_text(), "k1");
    let bobs = token_for(&s, "bob", PW);
    let before = token_for(&s, "ada", PW);
    let session = login(&s, "ada", PW);
    let t0 = now();
    let r = request(
        &s,
        "POST",
        "/logout",
        r#"{"all":"true"}"#,
        Some(&session),
        None,
    );
    assert_eq!(r.status, 200);
    let t1 = now();
    assert_invalid_token(
        &request(&s, "GET", "/me", "", None, Some(&before)),
        "issued before",
    );
    // By whole seconds: issued at or before the logout's second is void,
    // issued after it is good.
    let at = |iat: i64| {
        mint(
            &k1,
            &header("k1"),
            &claims("ada", iat, iat + 900, &format!("j{iat}")),
        )
    };
    assert_invalid_token(
        &request(&s, "GET", "/me", "", None, Some(&at(t0 - 1))),
        "earlier second",
    );
    if t0 == t1 {
        assert_invalid_token(
            &request(&s, "GET", "/me", "", None, Some(&at(t0))),
            "same second",
        );
    }
    assert_eq!(me_by_token(&s, &at(t1 + 1)).0, 200, "a later second");
    assert_eq!(me_by_token(&s, &bobs).0, 200, "other users keep theirs");

    // A password change, by token: every token issued up to now is void,
    // this one too, and every session ends.
    wait_past(t1);
    let later = token_for(&s, "ada", PW);
    assert_eq!(me_by_token(&s, &later).0, 200);
    let session = login(&s, "ada", PW);
    let body = format!(r#"{{"old_password":"{PW}","new_password":"another-horse"}}"#);
    let r = request(&s, "POST", "/password", &body, None, Some(&later));
    assert_eq!(r.status, 200, "{}", r.text());
    let t2 = now();
    assert_invalid_token(
        &request(&s, "GET", "/me", "", None, Some(&later)),
        "after a password change",
    );
    assert_eq!(
        request(&s, "GET", "/me", "", Some(&session), None).status,
        401
    );
    assert_eq!(me_by_token(&s, &at(t2 + 1)).0, 200);
    // Logout-all by token ends the sessions too.
    wait_past(t2);
    let fresh = token_for(&s, "ada", "another-horse");
    assert_eq!(me_by_token(&s, &fresh).0, 200);
    let session = login(&s, "ada", "another-horse");
    let r = request(&s, "POST", "/logout", "all=true", None, Some(&fresh));
    assert_eq!(r.status, 200);
    assert_invalid_token(
        &request(&s, "GET", "/me", "", None, Some(&fresh)),
        "logout-all by token",
    );
    assert_eq!(
        request(&s, "GET", "/me", "", Some(&session), None).status,
        401
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn key_rotation_first_signs_every_listed_key_verifies() {
    let dir = temp_dir("rotation");
    let text = key_file_text();
    let both = write_key_file(&dir, "both", &text);
    let lines: Vec<&str> = text.lines().collect();
    let k2_only = write_key_file(&dir, "k2", &format!("{}\n", lines[1]));
    let swapped = write_key_file(&dir, "swapped", &format!("{}\n{}\n", lines[1], lines[0]));
    let data = dir.join("data");
    let data = data.to_str().unwrap();
    let by_k1 = good_token("k1", "ada", "rot-1");
    let by_k2 = good_token("k2", "ada", "rot-2");
    {
        let s = Server::start(&["--token-key-file", &both, "--data-dir", data]);
        assert_eq!(server::signup(&s, "ada", PW).status, 201);
        assert_eq!(me_by_token(&s, &by_k1).0, 200);
        assert_eq!(me_by_token(&s, &by_k2).0, 200, "the second key verifies");
        assert_eq!(kid_of(&token_for(&s, "ada", PW)), "k1");
    }
    {
        let s = Server::start(&["--token-key-file", &swapped, "--data-dir", data]);
        assert_eq!(
            kid_of(&token_for(&s, "ada", PW)),
            "k2",
            "order decides who signs"
        );
        assert_eq!(me_by_token(&s, &by_k1).0, 200);
        assert_eq!(me_by_token(&s, &by_k2).0, 200);
    }
    {
        let s = Server::start(&["--token-key-file", &k2_only, "--data-dir", data]);
        assert_invalid_token(
            &request(&s, "GET", "/me", "", None, Some(&by_k1)),
            "k1 retired",
        );
        assert_eq!(me_by_token(&s, &by_k2).0, 200);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_data_dir_key_outlives_a_restart_and_a_random_one_does_not() {
    let dir = temp_dir("restartkey");
    let data = dir.join("data");
    let data = data.to_str().unwrap();
    let token = {
        let s = Server::start(&["--data-dir", data]);
        server::signup(&s, "ada", PW);
        token_for(&s, "ada", PW)
    };
    let s = Server::start(&["--data-dir", data]);
    assert_eq!(me_by_token(&s, &token), (200, "ada".into()));
    drop(s);
    let memory = {
        let s = Server::start(&[]);
        server::signup(&s, "ada", PW);
        token_for(&s, "ada", PW)
    };
    let s = Server::start(&[]);
    server::signup(&s, "ada", PW);
    assert_invalid_token(
        &request(&s, "GET", "/me", "", None, Some(&memory)),
        "random key gone",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn revocation_survives_a_restart() {
    let (dir, file) = {
        let dir = temp_dir("revokerestart");
        let file = write_key_file(&dir, "keys", &key_file_text());
        (dir, file)
    };
    let data = dir.join("data");
    let data = data.to_str().unwrap();
    let args = ["--token-key-file", file.as_str(), "--data-dir", data];
    let (revoked, kept, cut) = {
        let s = Server::start(&args);
        server::signup(&s, "ada", PW);
        server::signup(&s, "bob", PW);
        let revoked = token_for(&s, "ada", PW);
        let kept = token_for(&s, "ada", PW);
        let cut = token_for(&s, "bob", PW);
        assert_eq!(
            request(&s, "POST", "/logout", "", None, Some(&revoked)).status,
            200
        );
        let r = request(&s, "POST", "/logout", "all=true", None, Some(&cut));
        assert_eq!(r.status, 200);
        (revoked, kept, cut)
    };
    let s = Server::start(&args);
    assert_invalid_token(
        &request(&s, "GET", "/me", "", None, Some(&revoked)),
        "revoked before the restart",
    );
    assert_invalid_token(
        &request(&s, "GET", "/me", "", None, Some(&cut)),
        "logout-all before the restart",
    );
    assert_eq!(me_by_token(&s, &kept).0, 200);
    drop(s);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Waits until the clock has passed the second `t` (revocations are by
/// whole seconds: a token issued in the revoking second is void too).
fn wait_past(t: i64) {
    while now() <= t {
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn with_redis_tokens_and_revocations_are_shared_and_outlive_restarts() {
    let test = "with_redis_tokens_and_revocations_are_shared_and_outlive_restarts";
    let Some(redis_bin) = redis::redis_server_or_skip(test) else {
        return;
    };
    let redis = redis::Redis::start(&redis_bin, &[]);
    let url = redis.url();
    let dir = temp_dir("redis");
    let file = write_key_file(&dir, "keys", &key_file_text());
    let args = ["--redis", url.as_str(), "--token-key-file", file.as_str()];
    let (a, b) = (Server::start(&args), Server::start(&args));
    assert_eq!(server::signup(&a, "ada", PW).status, 201);
    assert_eq!(server::signup(&a, "bob", PW).status, 201);
    let revoked = token_for(&a, "ada", PW);
    let kept = token_for(&b, "ada", PW);
    let bobs = token_for(&a, "bob", PW);
    assert_eq!(
        me_by_token(&b, &revoked),
        (200, "ada".into()),
        "one key, any instance"
    );
    assert_eq!(
        request(&a, "POST", "/logout", "", None, Some(&revoked)).status,
        200
    );
    assert_invalid_token(
        &request(&b, "GET", "/me", "", None, Some(&revoked)),
        "revoked on the other instance",
    );
    assert_eq!(me_by_token(&b, &kept).0, 200);
    assert_eq!(
        request(&b, "POST", "/logout", "all=true", None, Some(&bobs)).status,
        200
    );
    assert_invalid_token(
        &request(&a, "GET", "/me", "", None, Some(&bobs)),
        "logout-all on the other instance",
    );
    drop((a, b));
    let c = Server::start(&args);
    assert_invalid_token(
        &request(&c, "GET", "/me", "", None, Some(&revoked)),
        "revoked, after a restart",
    );
    assert_invalid_token(
        &request(&c, "GET", "/me", "", None, Some(&bobs)),
        "cut off, after a restart",
    );
    assert_eq!(me_by_token(&c, &kept), (200, "ada".into()));
    drop(c);
    drop(redis);
    std::fs::remove_dir_all(&dir).unwrap();
}
