#!/usr/bin/env python3
"""The login/logout churn benchmark behind benches/storage.sh (issue 16,
point 2): --pairs login+logout pairs (default 1,000,000) of one user on a
fresh --data-dir, then the directory's size and files, and the time a
restart takes. The live data at the end is one user and one session, so
what the directory holds beyond a few hundred bytes is the journal's tail.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from storage_bench import HERE, PASSWORD, USER, Server, session  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--label", default="this build")
    ap.add_argument("--pairs", type=int, default=1_000_000)
    ap.add_argument("--server-cpus", default="0")
    ap.add_argument("--client-cpus", default="1")
    ap.add_argument("--tmp", default=None)
    a, _ = ap.parse_known_args()
    work = tempfile.mkdtemp(prefix="stateful-churn-bench-", dir=a.tmp)
    data = os.path.join(work, "data")
    s = None
    try:
        s = Server(a.binary, ["--data-dir", data, "--pbkdf2-iterations", "1"],
                   a.server_cpus, work, "churn")
        session(s, True)
        env = dict(os.environ, CHURN_USER=USER, CHURN_PASSWORD=PASSWORD, CHURN_DELAY_MS="0",
                   CHURN_PAIRS=str(a.pairs))
        t0 = time.monotonic()
        out = subprocess.run(
            ["taskset", "-c", a.client_cpus, "wrk", "-t1", "-c8", "-d3600s", "--timeout", "30s",
             "-s", os.path.join(HERE, "churn.lua"), f"http://127.0.0.1:{s.port}/"],
            env=env, capture_output=True, text=True, check=False)
        took = time.monotonic() - t0
        if "CHURN_DONE" not in out.stdout:
            raise SystemExit(f"churn failed: {out.stdout} {out.stderr}")
        time.sleep(1)
        files = sorted((f, os.path.getsize(os.path.join(data, f))) for f in os.listdir(data))
        size = sum(n for _, n in files)
        with open(s.log_path, errors="replace") as f:
            compactions = sum(1 for line in f if "state journal compacted" in line)
        rss = s.rss_kib()
        s.stop()
        s = Server(a.binary, ["--data-dir", data], a.server_cpus, work, "restart")
        restart = s.start_seconds
        print(f"\n### churn: {a.label}, {a.pairs} login+logout pairs in {took:.0f} s "
              f"({2 * a.pairs / took:.0f} req/s)\n")
        print(f"- data directory afterwards: {size / 1024:.0f} KiB in {len(files)} files: "
              + ", ".join(f"{n} {b}" for n, b in files))
        print(f"- compactions: {compactions}; RSS at the end {rss / 1024:.1f} MiB; "
              f"restart to `listening on` {restart:.3f} s")
        print(f"CHURN label={a.label!r} pairs={a.pairs} seconds={took:.1f} dir_bytes={size} "
              f"compactions={compactions} restart_s={restart:.3f}")
    finally:
        if s:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
