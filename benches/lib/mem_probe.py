#!/usr/bin/env python3
"""Server memory per logged-in user: sessions against the token deny list.

usage: mem_probe.py --port P --server-pid PID --mode sessions|denylist
                    --count N [--key-file FILE] [--user U --password PW]

sessions: N logins of one user (each a live session row), over a few
keep-alive connections. denylist: N tokens minted here with the first key of
--key-file (HS256, as API.md describes them) and revoked by POST /logout with
each, so each becomes one deny-list entry. Tokens that are merely logged in
cost the server nothing: there is no row to measure.

The server's VmRSS is read before (after a warm-up of the same requests) and
after; the difference over N is the bytes per entry. Prints one line:
  BENCH_MEM mode=.. count=.. rss_before_kb=.. rss_after_kb=.. bytes_per_entry=..
            errors=.. secs=..
Traffic goes to 127.0.0.1 only; the run is bounded by N.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import socket
import sys
import threading
import time


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def read_key(path):
    """The first `kid:base64url` line of a key file."""
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                kid, key = line.split(":", 1)
                return kid, base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    sys.exit("no key in the key file")


def mint(kid, key, sub, n):
    now = int(time.time())
    header = json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}, separators=(",", ":"))
    claims = json.dumps({"sub": sub, "iat": now, "exp": now + 900,
                         "jti": b64url(os.urandom(12)) + f"{n:08d}"}, separators=(",", ":"))
    signing_input = b64url(header.encode()) + "." + b64url(claims.encode())
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(mac)


class Conn:
    """One keep-alive connection that sends a request and reads one answer."""

    def __init__(self, port):
        self.port = port
        self.sock = None
        self.buf = b""

    def request(self, raw):
        for _ in range(2):
            try:
                if self.sock is None:
                    self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
                    self.buf = b""
                self.sock.sendall(raw)
                return self.read_status()
            except OSError:
                self.sock = None
        return 0

    def read_status(self):
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("closed")
            self.buf += chunk
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
            if name.strip().lower() == b"connection" and value.strip().lower() == b"close":
                close = True
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("closed")
            rest += chunk
        self.buf = rest[length:]
        if close:
            self.sock.close()
            self.sock = None
        return status


def post(path, body, extra=""):
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"{extra}Content-Length: {len(body)}\r\n\r\n{body}").encode()


def run(args, count, offset, failures):
    """Sends `count` requests of the mode over `args.conns` connections."""
    credentials = json.dumps({"username": args.user, "password": args.password})
    key = read_key(args.key_file) if args.mode == "denylist" else None

    def worker(w):
        conn = Conn(args.port)
        for i in range(w, count, args.conns):
            if args.mode == "sessions":
                ok = conn.request(post("/login", credentials)) == 200
            else:
                token = mint(key[0], key[1], args.user, offset + i)
                ok = conn.request(post("/logout", "{}", f"Authorization: Bearer {token}\r\n")) == 200
            if not ok:
                failures.append(i)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(args.conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--mode", choices=["sessions", "denylist"], required=True)
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--warmup", type=int, default=1000)
    p.add_argument("--conns", type=int, default=2)
    p.add_argument("--key-file")
    p.add_argument("--user", default="bench")
    p.add_argument("--password", default="bench-password-1")
    args = p.parse_args()
    if args.mode == "denylist" and not args.key_file:
        sys.exit("--mode denylist needs --key-file")
    failures = []
    # The warm-up grows the tables and the allocator's pools first, so the
    # measured difference is the entries, not the first-use costs.
    run(args, args.warmup, 10**8, failures)
    time.sleep(0.2)
    before = rss_kb(args.server_pid)
    started = time.time()
    run(args, args.count, 0, failures)
    secs = time.time() - started
    time.sleep(0.2)
    after = rss_kb(args.server_pid)
    per = (after - before) * 1024 / max(1, args.count - len(failures))
    print(f"BENCH_MEM mode={args.mode} count={args.count} rss_before_kb={before} "
          f"rss_after_kb={after} bytes_per_entry={per:.0f} errors={len(failures)} secs={secs:.1f}")


if __name__ == "__main__":
    main()
