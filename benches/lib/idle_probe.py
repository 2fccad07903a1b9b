#!/usr/bin/env python3
"""Idle keep-alive connections plus a measuring client (Python stdlib only).

usage: idle_probe.py --port P --server-pid PID [--conns 10000] [--probes 200]
                     [--deadline 60] [--timeout 2]

Steps, all against 127.0.0.1 only, every loop bounded in count and time:
  1. reads the server's RSS (VmRSS summed over its process tree) before;
  2. opens --conns connections (non-blocking, at most 200 connects in flight),
     sends one keep-alive `GET /healthz` on each and reads its answer, so every
     connection has been served once and is now idle (all within --deadline s);
  3. reads the server's RSS with them idle;
  4. while they stay open, times --probes sequential fresh requests, each on a
     new connection (`Connection: close`), with a --timeout s budget each;
  5. counts idle connections the server closed meanwhile, then closes them all.

The last line is machine-readable: `BENCH_IDLE key=value ...` (times in us).
"""
import argparse
import errno
import os
import resource
import selectors
import socket
import time

HOST = "127.0.0.1"
IDLE_REQ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench-idle\r\n\r\n"
PROBE_REQ = (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench-probe\r\n"
             b"Connection: close\r\n\r\n")
MAX_IN_FLIGHT = 200
MAX_ANSWER = 65536


def tree(pid):
    """The PID and its descendants, from /proc/PID/task/*/children."""
    found, todo = [], [pid]
    while todo and len(found) < 4096:
        p = todo.pop()
        if not os.path.isdir(f"/proc/{p}"):
            continue
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return found


def rss_kib(pid):
    """VmRSS summed over the process tree, in KiB."""
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def answered(buf):
    """True once buf holds a whole response head plus its Content-Length body."""
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return len(body) >= int(value.strip())
            except ValueError:
                return True
    return True


def open_idle(n, deadline):
    """Opens n connections, one served request each; returns (idle sockets, failures)."""
    sel = selectors.DefaultSelector()
    idle, failed = [], 0
    started = in_flight = 0
    state = {}  # socket -> [phase, buffer, born]
    end = time.monotonic() + deadline
    while (started < n or in_flight) and time.monotonic() < end:
        while started < n and in_flight < MAX_IN_FLIGHT:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            started += 1
            rc = s.connect_ex((HOST, PORT))
            if rc not in (0, errno.EINPROGRESS):
                failed += 1
                s.close()
                continue
            state[s] = ["connect", b"", time.monotonic()]
            sel.register(s, selectors.EVENT_WRITE)
            in_flight += 1
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            st = state[s]
            done = ok = False
            try:
                if st[0] == "connect":
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                        done = True
                    else:
                        s.send(IDLE_REQ)
                        st[0] = "answer"
                        sel.modify(s, selectors.EVENT_READ)
                else:
                    chunk = s.recv(4096)
                    st[1] += chunk
                    if not chunk or len(st[1]) > MAX_ANSWER:
                        done = True
                    elif answered(st[1]):
                        done = True
                        ok = st[1].startswith(b"HTTP/1.1 200")
            except OSError:
                done = True
            if done:
                sel.unregister(s)
                del state[s]
                in_flight -= 1
                if ok:
                    idle.append(s)
                else:
                    failed += 1
                    s.close()
        now = time.monotonic()
        for s, st in list(state.items()):
            if now - st[2] > 10:  # stuck connect or answer
                sel.unregister(s)
                del state[s]
                in_flight -= 1
                failed += 1
                s.close()
    for s in list(state):
        sel.unregister(s)
        s.close()
        failed += 1
    sel.close()
    return idle, failed + (n - started)


def probe(timeout):
    """One fresh request on a new connection; returns (ok, microseconds)."""
    t0 = time.monotonic()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    buf, ok = b"", False
    try:
        s.settimeout(timeout)
        s.connect((HOST, PORT))
        s.sendall(PROBE_REQ)
        while len(buf) <= MAX_ANSWER:
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                break
            s.settimeout(left)
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
            if answered(buf):
                break
        ok = buf.startswith(b"HTTP/1.1 200") and buf.partition(b"\r\n\r\n")[2][:2] == b"ok"
    except OSError:
        ok = False
    finally:
        s.close()
    return ok, (time.monotonic() - t0) * 1e6


def closed_by_server(conns):
    """How many of the idle connections the server has closed (EOF, reset) by now."""
    sel = selectors.DefaultSelector()
    for s in conns:
        sel.register(s, selectors.EVENT_READ)
    ready = [k.fileobj for k, _ in sel.select(timeout=0)]
    sel.close()
    closed = 0
    for s in ready:
        try:
            if not s.recv(1, socket.MSG_PEEK):
                closed += 1
        except OSError:
            closed += 1
    return closed


def percentile(sorted_values, pct):
    if not sorted_values:
        return 0
    i = min(len(sorted_values) - 1, int(round(pct / 100 * (len(sorted_values) - 1))))
    return int(sorted_values[i])


def main():
    global PORT
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--probes", type=int, default=200)
    ap.add_argument("--deadline", type=float, default=60.0)
    ap.add_argument("--timeout", type=float, default=2.0)
    a = ap.parse_args()
    PORT = a.port
    n = max(1, min(a.conns, 100_000))
    probes = max(1, min(a.probes, 10_000))

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 100 if hard == resource.RLIM_INFINITY else min(n + 100, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    rss_before = rss_kib(a.server_pid)
    t0 = time.monotonic()
    conns, open_failed = open_idle(n, a.deadline)
    open_s = time.monotonic() - t0
    time.sleep(1.0)  # let the server settle (buffers released, threads parked)
    rss_idle = rss_kib(a.server_pid)

    results = []
    for _ in range(probes):
        results.append(probe(a.timeout))
    ok_us = sorted(us for ok, us in results if ok)
    probe_failed = len(results) - len(ok_us)
    closed = closed_by_server(conns)
    rss_after = rss_kib(a.server_pid)
    for s in conns:
        s.close()

    per_conn = (rss_idle - rss_before) / len(conns) if conns else 0.0
    print(f"idle: {len(conns)}/{n} connections open in {open_s:.1f} s ({open_failed} failed); "
          f"probes ok {len(ok_us)}/{probes}; RSS {rss_before} -> {rss_idle} KiB "
          f"({per_conn:.2f} KiB per idle connection); closed by server {closed}")
    print(f"BENCH_IDLE conns={n} opened={len(conns)} open_failed={open_failed} "
          f"open_s={open_s:.2f} probes={probes} probe_failed={probe_failed} "
          f"p50_us={percentile(ok_us, 50)} p99_us={percentile(ok_us, 99)} "
          f"max_us={int(ok_us[-1]) if ok_us else 0} rss_before_kb={rss_before} "
          f"rss_idle_kb={rss_idle} rss_after_kb={rss_after} "
          f"kib_per_conn={per_conn:.2f} idle_closed={closed}")


PORT = 0
if __name__ == "__main__":
    main()
