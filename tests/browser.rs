//! The board in a real browser: starts the server on port 0 and runs the
//! Selenium suite in `tests/browser/` (Python's unittest) against it, with
//! Debian's Chromium and chromedriver. `tests/browser/setup.sh` (run by
//! `.ci/run`) installs them and makes the virtual environment; without
//! them this test says what is missing and passes.
//!
//! The README's screenshot comes from a server of its own, fresh, so the
//! picture does not depend on what the other tests posted. With
//! `STATEFUL_UPDATE_DOCS=1` it is copied to `docs/board.png`.

#[path = "support/server.rs"]
mod server;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use server::Server;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const HOW: &str = "run tests/browser/setup.sh or .ci/run";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn venv_python() -> PathBuf {
    repo().join("target/browser-venv/bin/python")
}

/// What the browser tests lack on this machine, if anything.
fn missing() -> Option<String> {
    for (program, path) in [("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)] {
        if !Path::new(path).exists() {
            return Some(format!("{program} not found at {path}"));
        }
    }
    let python = venv_python();
    let selenium = Command::new(&python)
        .args(["-c", "import selenium"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !selenium {
        return Some(format!("no Selenium in {}", python.display()));
    }
    None
}

/// Runs the unittest modules matching `pattern` against `server`.
fn run_suite(server: &Server, pattern: &str) {
    let out = Command::new(venv_python())
        .args([
            "-m",
            "unittest",
            "discover",
            "-s",
            "tests/browser",
            "-p",
            pattern,
            "-v",
        ])
        .current_dir(repo())
        .env("STATEFUL_URL", format!("http://{}", server.addr))
        .env("CHROMIUM", CHROMIUM)
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env(
            "STATEFUL_SCREENSHOTS",
            repo().join("target/browser-screenshots"),
        )
        // Selenium must use the driver it is given, never fetch one.
        .env("SE_OFFLINE", "true")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run the Python browser suite");
    // unittest reports on stderr; show it whatever happened.
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    print!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "browser suite {pattern} failed; server log:\n{}",
        server.stderr()
    );
}

#[test]
fn the_board_in_chromium() {
    if let Some(why) = missing() {
        // Past the test harness's capture, so a plain `cargo test` shows it.
        let _ = writeln!(std::io::stderr(), "SKIPPED: browser tests: {why} ({HOW})");
        return;
    }
    let fresh = Server::start(&[]);
    run_suite(&fresh, "screenshot_*.py");
    drop(fresh);
    let server = Server::start(&[]);
    run_suite(&server, "test_*.py");
}
