//! Bearer tokens end to end, against the real binary over TCP: key files,
//! `POST /token`, `Authorization: Bearer` on the routes, forged tokens,
//! revocation (also across restarts) and key rotation.

#[path = "support/server.rs"]
mod server;

use std::path::PathBuf;
use std::process::Command;

use stateful::crypto::base64::encode_url;

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
