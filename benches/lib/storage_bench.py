#!/usr/bin/env python3
"""The storage benchmark behind benches/storage.sh (issue 16, point 3).

Fills one memory-only server and one --data-dir server with N comments of
exactly TEXT bytes each (wrk + lib/fill.lua, 50 keep-alive connections), and
measures, for each:

- RSS growth per comment: (VmRSS after the fill - VmRSS before) / N;
- with --data-dir: time from spawn to the `listening on` line on restart
  (median of --restarts starts, the page cache warm), and the RSS growth
  per comment of the restarted process against an empty one;
- GET /comments?limit=100 requests/s (wrk, 50 connections), memory and
  disk runs alternating for --rounds rounds, medians and the median of the
  per-round ratios.

Every server is started on 127.0.0.1:0, pinned with taskset, and stopped by
PID; the data directory is a fresh temp directory, removed at the end.
Prints one markdown table and `STORAGE key=value` lines.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
USER, PASSWORD = "bench", "bench-password-1"


class Server:
    def __init__(self, binary, args, cpus, logdir, name):
        self.log_path = os.path.join(logdir, f"{name}.stderr")
        self.err = open(self.log_path, "ab")
        cmd = ["taskset", "-c", cpus, binary, "--bind", "127.0.0.1", "--port", "0"]
        if "--pbkdf2-iterations" not in args:
            cmd += ["--pbkdf2-iterations", "1000"]
        cmd += args
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.err)
        line = self.proc.stdout.readline().decode()
        self.start_seconds = time.monotonic() - t0
        m = re.match(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if not m:
            self.proc.kill()
            raise SystemExit(f"{name}: no listening line ({line!r}); see {self.log_path}")
        self.port = int(m.group(1))
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def request(self, method, path, body=None, cookie=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if cookie:
            headers["Cookie"] = f"sessionid={cookie}"
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r, data

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


def session(server, first):
    creds = json.dumps({"username": USER, "password": PASSWORD})
    if first:
        r, _ = server.request("POST", "/signup", creds)
        assert r.status == 201, r.status
    r, _ = server.request("POST", "/login", creds)
    assert r.status == 200, r.status
    cookie = r.getheader("Set-Cookie")
    return cookie.split(";")[0].split("=", 1)[1]


def settle(server):
    """RSS after a few requests, once it stops moving."""
    for _ in range(20):
        server.request("GET", "/healthz")
    time.sleep(0.3)
    return server.rss_kib()


def fill(server, cookie, n, text_bytes, client_cpus):
    env = dict(os.environ, FILL_QUOTA=str(n), FILL_TEXT_BYTES=str(text_bytes))
    t0 = time.monotonic()
    out = subprocess.run(
        ["taskset", "-c", client_cpus, "wrk", "-t1", "-c50", "-d600s", "--timeout", "30s",
         "-s", os.path.join(HERE, "fill.lua"), "-H", f"Cookie: sessionid={cookie}",
         f"http://127.0.0.1:{server.port}/comments"],
        env=env, capture_output=True, text=True, check=False)
    took = time.monotonic() - t0
    if "FILL_WRK created=" not in out.stdout:
        raise SystemExit(f"fill failed: {out.stdout} {out.stderr}")
    return took, last_id(server, n)


def last_id(server, n):
    after = max(0, n - 500)
    _, data = server.request("GET", f"/comments?after={after}&limit=1000")
    comments = json.loads(data)["comments"]
    return comments[-1]["id"] if comments else after


def wrk_comments(server, seconds, client_cpus):
    out = subprocess.run(
        ["taskset", "-c", client_cpus, "wrk", "-t1", "-c50", f"-d{seconds}s", "--latency",
         "-s", os.path.join(HERE, "wrk.lua"),
         f"http://127.0.0.1:{server.port}/comments?limit=100"],
        capture_output=True, text=True, check=False)
    m = re.search(r"BENCH_WRK requests=(\d+) duration_us=(\d+) p50_us=(\d+) p99_us=(\d+)"
                  r".* status=(\d+)", out.stdout)
    if not m:
        raise SystemExit(f"wrk failed: {out.stdout} {out.stderr}")
    requests, duration, p50, p99, bad = map(int, m.groups())
    if bad:
        raise SystemExit(f"wrk: {bad} answers >= 400")
    return requests * 1e6 / duration, p50, p99


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--label", default="this build")
    ap.add_argument("--comments", type=int, default=1_000_000)
    ap.add_argument("--text-bytes", type=int, default=64)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--restarts", type=int, default=3)
    ap.add_argument("--server-cpus", default="0")
    ap.add_argument("--client-cpus", default="1")
    ap.add_argument("--tmp", default=None, help="where the data directory goes")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="stateful-storage-bench-", dir=a.tmp)
    data_dir = os.path.join(work, "data")
    servers = []
    try:
        mem = Server(a.binary, [], a.server_cpus, work, "memory")
        servers.append(mem)
        empty_disk = Server(a.binary, ["--data-dir", data_dir], a.server_cpus, work, "disk")
        servers.append(empty_disk)
        figures = {}
        for name, s in (("memory", mem), ("disk", empty_disk)):
            cookie = session(s, True)
            before = settle(s)
            took, count = fill(s, cookie, a.comments, a.text_bytes, a.client_cpus)
            after = settle(s)
            figures[name] = {
                "count": count,
                "fill_s": took,
                "rss_before_kib": before,
                "rss_after_kib": after,
                "bytes_per_comment": (after - before) * 1024 / count,
            }
            print(f"  {name}: {count} comments in {took:.1f}s, RSS {before} -> {after} KiB",
                  file=sys.stderr)

        # Restarts of the disk server: time to `listening on`, warm cache.
        empty_disk.stop()
        servers.remove(empty_disk)
        du = subprocess.run(["du", "-sk", data_dir], capture_output=True, text=True)
        figures["disk"]["dir_kib"] = int(du.stdout.split()[0])
        empty_dir = os.path.join(work, "empty")
        empty = Server(a.binary, ["--data-dir", empty_dir], a.server_cpus, work, "empty")
        rss_empty = settle(empty)
        empty.stop()
        times = []
        disk = None
        for i in range(a.restarts):
            disk = Server(a.binary, ["--data-dir", data_dir], a.server_cpus, work, "disk")
            times.append(disk.start_seconds)
            if i < a.restarts - 1:
                disk.stop()
        servers.append(disk)
        session(disk, False)
        rss_restarted = settle(disk)
        figures["disk"]["restart_s"] = statistics.median(times)
        figures["disk"]["restart_all"] = times
        figures["disk"]["rss_restarted_kib"] = rss_restarted
        figures["disk"]["restarted_bytes_per_comment"] = (
            (rss_restarted - rss_empty) * 1024 / figures["disk"]["count"])

        # GET /comments?limit=100, alternating.
        runs = {"memory": [], "disk": []}
        ratios = []
        for r in range(a.rounds):
            order = [("memory", mem), ("disk", disk)]
            if r % 2:
                order.reverse()
            got = {}
            for name, s in order:
                wrk_comments(s, 1, a.client_cpus)  # warm-up
                got[name] = wrk_comments(s, a.duration, a.client_cpus)
                runs[name].append(got[name])
            ratios.append(got["disk"][0] / got["memory"][0])
        for name in runs:
            figures[name]["rps"] = statistics.median(x[0] for x in runs[name])
            figures[name]["p99_us"] = statistics.median(x[2] for x in runs[name])
            figures[name]["rps_all"] = [round(x[0]) for x in runs[name]]
        figures["disk"]["rps_ratio"] = statistics.median(ratios)
        figures["disk"]["rss_after_reads_kib"] = disk.rss_kib()

        m, d = figures["memory"], figures["disk"]
        print(f"\n### storage: {a.label}, {m['count']} / {d['count']} comments of "
              f"{a.text_bytes} bytes\n")
        print("| figure | memory only | --data-dir |")
        print("|---|---|---|")
        print(f"| RSS growth per comment during the fill | {m['bytes_per_comment']:.0f} B "
              f"| {d['bytes_per_comment']:.0f} B |")
        print(f"| RSS growth per comment after a restart (vs an empty dir) | - "
              f"| {d['restarted_bytes_per_comment']:.0f} B |")
        print(f"| restart to `listening on` (median of {a.restarts}) | - "
              f"| {d['restart_s']:.3f} s ({', '.join(f'{t:.3f}' for t in d['restart_all'])}) |")
        print(f"| GET /comments?limit=100, req/s (median of {a.rounds}) | {m['rps']:.0f} "
              f"| {d['rps']:.0f} (x{d['rps_ratio']:.2f} of memory, median of per-round ratios) |")
        print(f"| ... p99 | {m['p99_us'] / 1000:.2f} ms | {d['p99_us'] / 1000:.2f} ms |")
        print(f"| data directory size | - | {d['dir_kib'] / 1024:.1f} MiB |")
        print(f"| fill time | {m['fill_s']:.1f} s | {d['fill_s']:.1f} s |")
        for name in ("memory", "disk"):
            for k, v in figures[name].items():
                print(f"STORAGE label={a.label!r} mode={name} {k}={v}")
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
