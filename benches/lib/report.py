#!/usr/bin/env python3
"""Renders benches/run.sh raw results as one markdown table plus the issue-6 ratios.

usage: report.py RESULTS_FILE

RESULTS_FILE has one `key=value ...` line per measured run (written by run.sh),
`scenario=S server=N round=R stop=...` lines after each stop, `failed=...` lines
for runs that could not be measured, and a leading `# key=value ...` settings line.

With several rounds (run.sh --rounds N) each row shows the server's median round
for that scenario, and each ratio is taken within one round (both servers
measured minutes apart at most) and then the median over the rounds is shown.
"""
import sys

SCENARIO_TEXT = {
    "ka50": "/healthz keep-alive, 50 conns",
    "ka500": "/healthz keep-alive, 500 conns",
    "close": "/healthz new conn per request",
    "pipe16": "/healthz pipelined x16, 50 conns",
    "me": "GET /me with cookie, 50 conns",
    "me_token": "GET /me with bearer token, 50 conns",
    "comments": "GET /comments (100 stored), 50 conns",
    "post_mem": "POST /comments, memory only",
    "post_disk": "POST /comments, --data-dir",
    "login": "POST /login, default cost",
    "idle": "idle keep-alive conns + fresh probes",
    "mem_sessions": "RSS per session (N logins)",
    "mem_denylist": "RSS per revoked token (N token logouts)",
}

# (name, scenario, server, reference scenario, reference server, goal, what)
# value = rate(scenario, server) / rate(reference scenario, reference server)
RATIO_TARGETS = [
    ("ka50 vs hyper", "ka50", "stateful", "ka50", "hyper", 1.0),
    ("ka50 vs nginx", "ka50", "stateful", "ka50", "nginx", 1.0),
    ("ka500 vs hyper", "ka500", "stateful", "ka500", "hyper", 1.0),
    ("ka500 vs nginx", "ka500", "stateful", "ka500", "nginx", 1.0),
    ("close vs nginx", "close", "stateful", "close", "nginx", 1.0),
    ("pipe16 vs hyper", "pipe16", "stateful", "pipe16", "hyper", 2.0),
    ("/me vs own /healthz ka50", "me", "stateful", "ka50", "stateful", 0.9),
    ("/me by token vs by cookie (issue 19)", "me_token", "stateful", "me", "stateful", 0.9),
    ("POST /comments --data-dir vs memory", "post_disk", "stateful", "post_mem", "stateful", 0.5),
]
IDLE_KIB_GOAL = 20.0


def parse(line):
    fields = {}
    for word in line.split():
        key, sep, value = word.partition("=")
        if sep:
            fields[key] = value
    return fields


def num(fields, key, default=0.0):
    try:
        return float(fields.get(key, default))
    except ValueError:
        return default


def load(path):
    """Settings, {(scenario, server): {round: run}} and the (scenario, server) order."""
    settings, runs, order = {}, {}, []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                settings.update(parse(line[1:]))
                continue
            fields = parse(line)
            key = (fields.get("scenario", "?"), fields.get("server", "?"))
            if key not in runs:
                runs[key] = {}
                order.append(key)
            runs[key].setdefault(fields.get("round", "1"), {}).update(fields)
    return settings, runs, order


def median(values):
    """The middle value (the lower middle of an even count), or None."""
    values = sorted(v for v in values if v is not None)
    return values[(len(values) - 1) // 2] if values else None


def median_run(rounds, scenario):
    """The round whose rate is the median (for idle: whose KiB per conn is),
    or a failed round when none has a result."""
    runs = list(rounds.values())
    if scenario == "idle":
        good = [r for r in runs if "kib_per_conn" in r and "failed" not in r]
        score = lambda r: num(r, "kib_per_conn")
    elif scenario.startswith("mem_"):
        good = [r for r in runs if "bytes_per_entry" in r and "failed" not in r]
        score = lambda r: num(r, "bytes_per_entry")
    else:
        good = [r for r in runs if "failed" not in r and rate(r) is not None]
        score = rate
    if not good:
        return runs[0]
    good.sort(key=score)
    return good[(len(good) - 1) // 2]


def rate(run):
    """Requests per second of a wrk run, or None when it has none."""
    if not run or "requests" not in run or num(run, "duration_us") <= 0:
        return None
    return num(run, "requests") / (num(run, "duration_us") / 1e6)


def cpu_us_per_req(run, clk_tck):
    reqs = num(run, "requests")
    if reqs <= 0 or "srv_ticks" not in run:
        return None
    return num(run, "srv_ticks") / clk_tck / reqs * 1e6


def client_cell(run):
    """wrk's own CPU per request, and how busy it kept its core: near 100 %
    means the client, not the server, set the req/s."""
    reqs, secs = num(run, "requests"), num(run, "secs")
    if reqs <= 0 or secs <= 0 or "wrk_cpu_s" not in run:
        return "-"
    cpu_s = num(run, "wrk_cpu_s")
    return f"{cpu_s / reqs * 1e6:.1f} ({100.0 * cpu_s / secs:.0f}%)"


def errors_cell(run):
    parts = [(k[0], int(num(run, k))) for k in ("connect", "read", "write", "timeout", "status")]
    total = sum(n for _, n in parts)
    if total == 0:
        return "0"
    return f"{total} (" + " ".join(f"{letter}{n}" for letter, n in parts if n) + ")"


def ms(us):
    return f"{us / 1000:.2f}"


def wrk_row(sc, srv, run, settings):
    clk = num(settings, "clk_tck", 100.0)
    max_noise = num(settings, "max_noise", 15.0)
    r = rate(run)
    notes = []
    secs = num(run, "secs", 1.0) or 1.0
    noise = 100.0 * num(run, "other_ticks") / (secs * clk)
    steal = 100.0 * num(run, "steal_ticks") / (secs * clk)
    mark = ""
    if noise > max_noise:
        mark = " !"
        notes.append(f"noise {noise:.0f}% of a core")
    if steal > max_noise:
        mark = " !"
        notes.append(f"steal {steal:.0f}% of a core")
    if run.get("alive") == "0":
        notes.append("**server died**")
    if sc == "close" and r:
        notes.append(f"new conns/req {num(run, 'new_conns') / max(1.0, num(run, 'requests')):.2f}")
    if sc == "pipe16":
        notes.append("latency per batch of 16")
    if sc == "comments" and run.get("note", "-") != "-":
        notes.append("response " + run["note"].replace("B-body", " B"))
    if run.get("note", "-").endswith("B-token"):
        notes.append(f"token {run['note'][: -len('B-token')]} B")
    if run.get("note", "-").endswith("B-answer"):
        head, body = run["note"][: -len("B-answer")].split("+")
        notes.append(f"answer {int(head) + int(body)} B")
    if sc == "login":
        cpu_pct = 100.0 * num(run, "srv_ticks") / (secs * clk)
        notes.append(f"{int(num(run, 'requests'))} logins, {run.get('conns')} clients, "
                     f"unpinned, server CPU {cpu_pct:.0f}%")
    cpu = cpu_us_per_req(run, clk)
    rps = f"{r:,.0f}{mark}" if sc != "login" else f"{r:.2f}{mark}"
    p50, p99 = num(run, "p50_us"), num(run, "p99_us")
    # wrk 4 can report p99 = 0 when it took very few latency samples (pipelining)
    return [rps, ms(p50), ms(p99) if p99 >= p50 else "-", errors_cell(run),
            f"{cpu:.1f}" if cpu is not None else "-", client_cell(run),
            f"{num(run, 'hwm_kb') / 1024:.1f}", notes]


def idle_row(run):
    opened, conns = int(num(run, "opened")), int(num(run, "conns"))
    errs = int(num(run, "open_failed")) + int(num(run, "probe_failed")) + int(num(run, "idle_closed"))
    parts = []
    for key, letter in (("open_failed", "open"), ("probe_failed", "probe"), ("idle_closed", "closed")):
        if int(num(run, key)):
            parts.append(f"{letter} {int(num(run, key))}")
    err_cell = "0" if errs == 0 else f"{errs} ({', '.join(parts)})"
    grow = (num(run, "rss_idle_kb") - num(run, "rss_before_kb")) / 1024
    notes = [f"{opened}/{conns} idle open, RSS +{grow:.1f} MiB = "
             f"{num(run, 'kib_per_conn'):.2f} KiB/conn, {int(num(run, 'probes'))} probes, "
             f"{int(num(run, 'threads'))} threads"]
    if run.get("alive") == "0":
        notes.append("**server died**")
    return ["-", ms(num(run, "p50_us")), ms(num(run, "p99_us")), err_cell, "-", "-",
            f"{num(run, 'hwm_kb') / 1024:.1f}", notes]


def mem_row(run):
    """A mem_* run: RSS growth per entry, in the notes; no wrk columns."""
    notes = [f"{int(num(run, 'count'))} entries, RSS {num(run, 'rss_before_kb') / 1024:.1f} -> "
             f"{num(run, 'rss_after_kb') / 1024:.1f} MiB = **{num(run, 'bytes_per_entry'):.0f} B "
             f"per entry**, {num(run, 'secs'):.1f} s"]
    if int(num(run, "errors")):
        notes.append(f"{int(num(run, 'errors'))} requests failed")
    if run.get("alive") == "0":
        notes.append("**server died**")
    return ["-", "-", "-", str(int(num(run, "errors"))), "-", "-",
            f"{num(run, 'hwm_kb') / 1024:.1f}", notes]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py RESULTS_FILE")
    settings, runs, order = load(sys.argv[1])
    clk = num(settings, "clk_tck", 100.0)
    print(f"### stateful benchmark, {settings.get('date', '?')}, commit {settings.get('stateful', '?')}")
    print()
    print("| scenario | server | req/s | p50 ms | p99 ms | errors | srv CPU us/req "
          "| wrk CPU us/req (busy) | peak RSS MiB | notes |")
    print("|---|---|--:|--:|--:|---|--:|--:|--:|---|")
    for sc, srv in order:
        rounds = runs[(sc, srv)]
        run = median_run(rounds, sc)
        label = f"{sc}: {SCENARIO_TEXT.get(sc, sc)}"
        probe = sc == "idle" or sc.startswith("mem_")
        if "failed" in run or (not probe and rate(run) is None):
            run.setdefault("failed", "no result")
            print(f"| {label} | {srv} | - | - | - | - | - | - | - | **failed: {run['failed']}** |")
            continue
        if sc == "idle":
            cells = idle_row(run)
        elif sc.startswith("mem_"):
            cells = mem_row(run)
        else:
            cells = wrk_row(sc, srv, run, settings)
        notes = cells.pop()
        if len(rounds) > 1 and not probe:
            rates = sorted(r for r in map(rate, rounds.values()) if r is not None)
            failed = len(rounds) - len(rates)
            notes.insert(0, f"median of {len(rates)} rounds, {rates[0]:,.0f}..{rates[-1]:,.0f}"
                         + (f", {failed} failed" if failed else ""))
        stop = run.get("stop", "")
        if srv == "stateful" and stop and not stop.startswith("exit=0/"):
            notes.append(f"stop on SIGTERM: {stop}")
        print(f"| {label} | {srv} | " + " | ".join(cells) + f" | {'; '.join(notes)} |")
    print()
    print("| target (issue 6) | ratio | goal | met | srv CPU/req, peer / stateful |")
    print("|---|--:|--:|---|--:|")
    for name, sc, srv, ref_sc, ref_srv, goal in RATIO_TARGETS:
        a_rounds, b_rounds = runs.get((sc, srv), {}), runs.get((ref_sc, ref_srv), {})
        ratios, cpu_ratios = [], []
        for rnd in sorted(set(a_rounds) & set(b_rounds), key=int):
            a, b = a_rounds[rnd], b_rounds[rnd]
            ra, rb = rate(a), rate(b)
            if ra is None or rb is None or rb == 0:
                continue
            ratios.append(ra / rb)
            ca, cb = cpu_us_per_req(a, clk), cpu_us_per_req(b, clk)
            if ref_srv != "stateful" and ca and cb:
                cpu_ratios.append(cb / ca)
        if not ratios:
            print(f"| {name} | n/a | >= {goal:.1f}x | not run |  |")
            continue
        ratio = median(ratios)
        cpu_ratio = median(cpu_ratios)
        cpu_ctx = f"{cpu_ratio:.2f}x" if cpu_ratio is not None else ""
        met = "met" if ratio >= goal else "**not met**"
        # two decimals, three where two would round across the goal
        shown = f"{ratio:.3f}" if abs(ratio - goal) < 0.005 else f"{ratio:.2f}"
        if len(ratios) > 1:
            shown += f"x (rounds {min(ratios):.2f}..{max(ratios):.2f})"
        else:
            shown += "x"
        print(f"| {name} | {shown} | >= {goal:.1f}x | {met} | {cpu_ctx} |")
    idle = median_run(runs["idle", "stateful"], "idle") if ("idle", "stateful") in runs else None
    if idle and "kib_per_conn" in idle:
        kib = num(idle, "kib_per_conn")
        met = "met" if kib < IDLE_KIB_GOAL and int(num(idle, "opened")) == int(num(idle, "conns")) \
            else "**not met**"
        print(f"| RSS per idle keep-alive conn ({int(num(idle, 'opened'))} open) | {kib:.2f} KiB | "
              f"< {IDLE_KIB_GOAL:.0f} KiB | {met} |  |")
    else:
        print(f"| RSS per idle keep-alive conn | n/a | < {IDLE_KIB_GOAL:.0f} KiB | not run |  |")
    print()
    print(f"Settings: server on CPU {settings.get('server_cpus', '?')} and clients on CPU "
          f"{settings.get('client_cpus', '?')} (pin={settings.get('pin', '?')}), of "
          f"{settings.get('host_cpus', '?')}; wrk {settings.get('wrk', '?')} -t1, "
          f"{settings.get('duration', '?')} s per run after a {settings.get('warmup', '?')} s "
          f"warm-up, {settings.get('rounds', '1')} round(s); login {settings.get('login_duration', '?')} s; each server restarted per "
          f"scenario; nginx {settings.get('nginx', '?')}; kernel {settings.get('kernel', '?')}; "
          f"temp fs {settings.get('tmp_fs', '?')}. "
          + ("The peers sent the contract's fields too (--contract-fields: Server, "
             "X-Content-Type-Options). " if settings.get("contract_fields") == "1" else "")
          + f"`!` = other processes used more than "
          f"{settings.get('max_noise', '?')}% of a core during the run, or the hypervisor "
          f"took that much from this VM (steal). Errors: c connect, "
          f"r read, w write, t timeout, s status >= 400. Absolute numbers on a shared VM drift "
          f"by about 20%; compare ratios within one run.")


if __name__ == "__main__":
    main()
