#!/usr/bin/env python3
"""The compaction pause benchmark behind benches/storage.sh (issue 16, point 2).

Two servers with --data-dir, each given the same live state (--live-sessions
sessions of one user) and the same light login/logout churn (wrk + churn.lua,
2 connections, a pause of --churn-delay-ms between requests), measured in
turn with wrk (50 keep-alive connections, --duration s each) on GET /me and
GET /healthz:

- `without`: STATEFUL_FAULT_COMPACT_BYTES=10^15, so the state journal is
  never compacted;
- `during`: STATEFUL_FAULT_COMPACT_BYTES=1, so a compaction starts as soon
  as the last one ends: every measured request overlaps a compaction.

Needs a binary built with the `fault-injection` feature (storage.sh builds one
in target/bench-fault-injection). Prints p50/p99 per route and mode, the
ratio of the p99s, and how many compactions ran and how long they took.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from storage_bench import HERE, PASSWORD, USER, Server, session  # noqa: E402

NEVER = str(10**15)


def wrk_latency(server, path, cookie, seconds, client_cpus, delay_ms):
    env = dict(os.environ, BENCH_DELAY_MS=str(delay_ms))
    args = ["taskset", "-c", client_cpus, "wrk", "-t1", "-c50", f"-d{seconds}s", "--latency",
            "-s", os.path.join(HERE, "wrk.lua")]
    if cookie:
        args += ["-H", f"Cookie: sessionid={cookie}"]
    out = subprocess.run(args + [f"http://127.0.0.1:{server.port}{path}"],
                         env=env, capture_output=True, text=True, check=False)
    m = re.search(r"BENCH_WRK requests=(\d+) duration_us=(\d+) p50_us=(\d+) p99_us=(\d+)"
                  r".* status=(\d+)", out.stdout)
    if not m:
        raise SystemExit(f"wrk failed: {out.stdout} {out.stderr}")
    requests, duration, p50, p99, bad = map(int, m.groups())
    if bad:
        raise SystemExit(f"wrk {path}: {bad} answers >= 400")
    return {"rps": requests * 1e6 / duration, "p50_us": p50, "p99_us": p99}


def fill_sessions(server, n, client_cpus):
    env = dict(os.environ, FILL_QUOTA=str(n), FILL_PATH="/login", FILL_STATUS="200",
               FILL_BODY=json.dumps({"username": USER, "password": PASSWORD}))
    out = subprocess.run(
        ["taskset", "-c", client_cpus, "wrk", "-t1", "-c20", "-d600s", "--timeout", "30s",
         "-s", os.path.join(HERE, "fill.lua"), f"http://127.0.0.1:{server.port}/login"],
        env=env, capture_output=True, text=True, check=False)
    if "FILL_WRK created=" not in out.stdout:
        raise SystemExit(f"session fill failed: {out.stdout} {out.stderr}")


def churn(server, seconds, delay_ms, client_cpus):
    env = dict(os.environ, CHURN_USER=USER, CHURN_PASSWORD=PASSWORD,
               CHURN_DELAY_MS=str(delay_ms))
    return subprocess.Popen(
        ["taskset", "-c", client_cpus, "wrk", "-t1", "-c2", f"-d{seconds}s",
         "-s", os.path.join(HERE, "churn.lua"), f"http://127.0.0.1:{server.port}/"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def compactions(log_path):
    with open(log_path, errors="replace") as f:
        text = f.read()
    took = [int(m) for m in re.findall(r"state journal compacted .* in (\d+) ms", text)]
    sizes = [int(m) for m in re.findall(r"-> a (\d+)-byte snapshot", text)]
    return took, sizes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--label", default="this build")
    ap.add_argument("--live-sessions", type=int, default=100_000)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--churn-delay-ms", type=int, default=1)
    ap.add_argument("--delay-ms", type=int, default=0,
                    help="pause of each of the 50 connections before each request: "
                         "0 saturates the server; 2 is about 20,000 req/s")
    ap.add_argument("--server-cpus", default="0")
    ap.add_argument("--client-cpus", default="1")
    ap.add_argument("--tmp", default=None)
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="stateful-compaction-bench-", dir=a.tmp)
    servers = []
    results = {"without": [], "during": []}
    counts = {}
    try:
        for mode, knob in (("without", NEVER), ("during", "1")):
            os.environ["STATEFUL_FAULT_COMPACT_BYTES"] = knob
            data = os.path.join(work, mode)
            s = Server(a.binary, ["--data-dir", data, "--pbkdf2-iterations", "1"],
                       a.server_cpus, work, mode)
            servers.append((mode, s))
            cookie = session(s, True)
            fill_sessions(s, a.live_sessions, a.client_cpus)
            counts[mode] = {"cookie": cookie, "before": len(compactions(s.log_path)[0])}
            print(f"  {mode}: {a.live_sessions} live sessions", file=sys.stderr)
        os.environ.pop("STATEFUL_FAULT_COMPACT_BYTES", None)
        for r in range(a.rounds):
            order = servers if r % 2 == 0 else list(reversed(servers))
            for mode, s in order:
                cookie = counts[mode]["cookie"]
                c = churn(s, 2 * a.duration + 4, a.churn_delay_ms, a.client_cpus)
                time.sleep(1)
                got = {"me": wrk_latency(s, "/me", cookie, a.duration, a.client_cpus,
                                         a.delay_ms),
                       "healthz": wrk_latency(s, "/healthz", None, a.duration, a.client_cpus,
                                              a.delay_ms)}
                c.wait()
                results[mode].append(got)
        for mode, s in servers:
            took, sizes = compactions(s.log_path)
            counts[mode]["took"] = took[counts[mode]["before"]:]
            counts[mode]["sizes"] = sizes[counts[mode]["before"]:]

        def med(mode, route, key):
            return statistics.median(x[route][key] for x in results[mode])

        load = (f"50 connections, {a.delay_ms} ms between requests" if a.delay_ms
                else "50 connections, saturating")
        print(f"\n### compaction pauses: {a.label}, {a.live_sessions} live sessions, "
              f"login/logout churn, {load}, {a.rounds} rounds of {a.duration} s per route\n")
        print("| route | p50 without | p99 without | p99 during compactions | p99 ratio "
              "| req/s without | req/s during |")
        print("|---|---|---|---|---|---|---|")
        for route in ("me", "healthz"):
            p99w, p99d = med("without", route, "p99_us"), med("during", route, "p99_us")
            print(f"| /{route} | {med('without', route, 'p50_us') / 1000:.2f} ms "
                  f"| {p99w / 1000:.2f} ms | {p99d / 1000:.2f} ms | x{p99d / p99w:.2f} "
                  f"| {med('without', route, 'rps'):.0f} | {med('during', route, 'rps'):.0f} |")
        took = counts["during"]["took"]
        sizes = counts["during"]["sizes"]
        if took:
            print(f"\ncompactions while measuring (`during`): {len(took)}, "
                  f"{statistics.median(took)} ms median ({min(took)}..{max(took)}), "
                  f"snapshots of {statistics.median(sizes) / 1e6:.1f} MB; `without`: "
                  f"{len(counts['without']['took'])}")
        for mode in results:
            for i, got in enumerate(results[mode]):
                print(f"COMPACTION label={a.label!r} mode={mode} round={i} {json.dumps(got)}")
    finally:
        for _, s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
