#!/usr/bin/env bash
# benches/redis.sh: GET /me through Redis against the memory mode, on this
# machine, with wrk. Three servers, measured in turn, several rounds:
#   memory        stateful without --redis
#   redis         stateful --redis (session cache on: the default)
#   redis-nocache stateful --redis --redis-cache off (a Redis round trip per request)
# and, with --tokens, the same GET /me with a bearer token (issue 19):
#   memory-token  stateful without --redis, Authorization: Bearer
#   redis-token   stateful --redis, Authorization: Bearer (the deny-list facts
#                 from the token caches, deferred like the cookie's lookup)
# Each run: a fresh server (and, for the Redis ones, a fresh redis-server with
# appendonly yes / appendfsync always in a temp dir), one signup and login, a
# warm-up, then wrk with the session cookie. The table gives each server's
# median req/s over the rounds and the ratio to memory, each ratio taken within
# one round.
#
# usage: benches/redis.sh [--rounds N] [--duration S] [--conns N] [--no-build]
#                         [--pin on|off] [--tokens]
# Run it alone on the machine: flock /tmp/stateful-bench.lock benches/redis.sh
set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
ROUNDS=3
DURATION=5
WARMUP=1
CONNS=50
BUILD=1
PIN=on
TOKENS=0
SERVER_CPUS=0       # stateful and redis-server
CLIENT_CPUS=1       # wrk
HOST=127.0.0.1

while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --conns) CONNS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --pin) PIN=$2; shift 2 ;;
    --tokens) TOKENS=1; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

for p in wrk redis-server curl; do
  command -v "$p" >/dev/null || { echo "needs $p (apt-get install wrk redis-server curl)" >&2; exit 1; }
done
if [[ $BUILD == 1 ]]; then
  (cd "$ROOT" && cargo build --release --quiet) || exit 1
fi
BIN=$ROOT/target/release/stateful
SRV=(); CLI=()
if [[ $PIN == on ]]; then SRV=(taskset -c "$SERVER_CPUS"); CLI=(taskset -c "$CLIENT_CPUS"); fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stateful-redis-bench.XXXXXX")
S_PID=""; R_PID=""
stop() {
  [[ -n $S_PID ]] && kill -TERM "$S_PID" 2>/dev/null && wait "$S_PID" 2>/dev/null
  [[ -n $R_PID ]] && kill -TERM "$R_PID" 2>/dev/null && wait "$R_PID" 2>/dev/null
  S_PID=""; R_PID=""
}
trap 'stop; rm -rf "$WORK"' EXIT
trap 'echo interrupted >&2; exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_redis -> R_PID, R_PORT
start_redis() {
  R_PORT=$(free_port)
  rm -rf "$WORK/redis"; mkdir -p "$WORK/redis"
  "${SRV[@]}" redis-server --port "$R_PORT" --bind $HOST --save '' --appendonly yes \
    --appendfsync always --dir "$WORK/redis" >"$WORK/redis.log" 2>&1 &
  R_PID=$!
  for _ in $(seq 100); do
    [[ $(redis-cli -p "$R_PORT" ping 2>/dev/null) == PONG ]] && return 0
    sleep 0.05
  done
  echo "redis-server did not start" >&2; return 1
}

# start_stateful [flags] -> S_PID, S_PORT
start_stateful() {
  : >"$WORK/out"
  "${SRV[@]}" "$BIN" --bind $HOST --port 0 --pbkdf2-iterations 1000 "$@" >"$WORK/out" 2>/dev/null &
  S_PID=$!
  for _ in $(seq 100); do
    S_PORT=$(sed -n 's#^listening on http://.*:\([0-9]*\)$#\1#p' "$WORK/out")
    [[ -n $S_PORT ]] && return 0
    sleep 0.05
  done
  echo "stateful did not start" >&2; return 1
}

session() {
  local base=http://$HOST:$S_PORT body='{"username":"bench","password":"bench-password-1"}'
  curl -s -o /dev/null -H 'Content-Type: application/json' -d "$body" "$base/signup"
  curl -s -o /dev/null -D - -H 'Content-Type: application/json' -d "$body" "$base/login" |
    tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: *sessionid=\([a-z0-9]*\).*/\1/p' | head -n 1
}

# A bearer token for the user session() signed up.
token() {
  curl -s -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-password-1"}' "http://$HOST:$S_PORT/token" |
    sed -n 's/.*"access_token":"\([A-Za-z0-9_.-]*\)".*/\1/p'
}

# measure NAME [flags] -> appends "NAME ROUND REQS P99" to $WORK/results
measure() {
  local name=$1; shift
  [[ $name == memory* ]] || start_redis || return 1
  local flags=("$@")
  [[ $name == memory* ]] || flags+=(--redis "redis://$HOST:$R_PORT")
  start_stateful "${flags[@]}" || { stop; return 1; }
  local cookie; cookie=$(session)
  [[ -n $cookie ]] || { echo "$name: no session" >&2; stop; return 1; }
  local auth="Cookie: sessionid=$cookie"
  if [[ $name == *-token ]]; then
    local t; t=$(token)
    [[ -n $t ]] || { echo "$name: no token" >&2; stop; return 1; }
    auth="Authorization: Bearer $t"
  fi
  local code; code=$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" "http://$HOST:$S_PORT/me")
  [[ $code == 200 ]] || { echo "$name: /me answered $code" >&2; stop; return 1; }
  local url=http://$HOST:$S_PORT/me
  "${CLI[@]}" wrk -t1 -c"$CONNS" -d"${WARMUP}s" -H "$auth" "$url" >/dev/null 2>&1
  "${CLI[@]}" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -H "$auth" "$url" >"$WORK/wrk.out" 2>&1
  local reqs p99 non2xx
  reqs=$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/wrk.out")
  p99=$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.out")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk.out")
  stop
  echo "$name $ROUND ${reqs:-0} ${p99:-?} ${non2xx:-0}" >>"$WORK/results"
  printf '  %-14s round %d  %10.0f req/s  p99 %-8s non-2xx %s\n' "$name" "$ROUND" "${reqs:-0}" "${p99:-?}" "${non2xx:-0}" >&2
}

echo "GET /me, $CONNS connections, ${DURATION}s, $ROUNDS rounds, pin=$PIN" \
     "(server+redis on CPU $SERVER_CPUS, wrk on CPU $CLIENT_CPUS)" >&2
SERVERS=(memory redis redis-nocache)
[[ $TOKENS == 1 ]] && SERVERS+=(memory-token redis-token)
for (( ROUND = 1; ROUND <= ROUNDS; ROUND++ )); do
  # each round starts one server further along
  for (( i = 0; i < ${#SERVERS[@]}; i++ )); do
    name=${SERVERS[$(( (i + ROUND - 1) % ${#SERVERS[@]} ))]}
    case $name in
      memory|memory-token|redis-token) measure "$name" ;;
      redis) measure redis ;;
      redis-nocache) measure redis-nocache --redis-cache off ;;
    esac
  done
done

python3 - "$WORK/results" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for name, rnd, reqs, p99, bad in rows:
    by.setdefault(name, {})[int(rnd)] = (float(reqs), p99, int(bad))
mem = by.get("memory", {})
print("| server | median req/s | p99 (median round) | ratio to memory (median of rounds) | non-2xx |")
print("|---|---:|---:|---:|---:|")
for name in ["memory", "redis", "redis-nocache", "memory-token", "redis-token"]:
    runs = by.get(name, {})
    if not runs:
        continue
    vals = sorted(runs.values(), key=lambda v: v[0])
    med = vals[len(vals) // 2]
    ratios = [runs[r][0] / mem[r][0] for r in runs if r in mem and mem[r][0] > 0]
    ratio = f"{statistics.median(ratios):.2f}x" if ratios else "-"
    print(f"| {name} | {med[0]:.0f} | {med[1]} | {ratio} | {sum(v[2] for v in runs.values())} |")
EOF
