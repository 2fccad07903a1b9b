//! The public HTTP/1.1 parsing cases (copied from the shared conformance
//! suite into tests/data/) against the real server, through their own
//! stdlib-Python runner, which prints "N passed, M failed".

#[path = "support/server.rs"]
mod server;

use std::process::Command;

#[test]
fn every_public_conformance_case_passes() {
    let s = Server::start(&[]);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let out = Command::new("python3")
        .arg(format!("{dir}/run_http_cases.py"))
        .args([
            "127.0.0.1",
            &s.port().to_string(),
            "--cases",
            &format!("{dir}/http_cases.json"),
            "--jobs",
            "8",
        ])
        .output()
        .expect("python3 runs the conformance runner (install python3)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout.lines().last().unwrap_or_default().to_string();
    assert!(
        out.status.success(),
        "conformance failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let passed: usize = summary
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(passed >= 93, "expected every case to run: {summary}");
}

use server::Server;
