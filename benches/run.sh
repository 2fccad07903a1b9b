#!/usr/bin/env bash
# benches/run.sh: builds stateful in release mode, starts it and its peers one at a
# time, drives each with wrk (or a Python probe) and prints one markdown table of
# results plus the issue-6 target ratios, all from this one run.
#
# usage: benches/run.sh [options]
#   --quick              smoke run: 2 s per scenario (login 4 s), short quiet waits
#   --rounds N           run every scenario N times, interleaved (round 1 of all
#                        servers and scenarios, then round 2, ...; each round starts
#                        a scenario's servers one further along); the table shows
#                        each server's median round and each ratio's median over the
#                        rounds, each ratio taken within one round (default 1)
#   --duration S         seconds per measured run (default 5; login runs 2x, at least 10)
#   --warmup S           seconds of wrk warm-up on the same process before each (default 1)
#   --peers 'LIST'       peers for the /healthz scenarios
#                        (default 'hyper actix nginx tiny_http may_minihttp'; '' = none)
#   --scenarios 'LIST'   from: ka50 ka500 close pipe16 me me_token comments post_mem
#                        post_disk login idle mem_sessions mem_denylist
#                        (default: all, in that order)
#   --mem-count N        entries for the mem_* scenarios (default 20000)
#   --install-deps       apt-get install -y wrk nginx curl python3 util-linux first
#   --no-build           use the binaries already built
#   --pin on|off         on (default): server on --server-cpus (0), clients on
#                        --client-cpus (1) via taskset; login: server never pinned
#   --server-cpus LIST / --client-cpus LIST   taskset CPU lists (defaults 0 / 1)
#   --quiet-wait S       before each run, wait up to S s for an idle machine (default 10)
#   --max-noise P        mark a run '!' when other processes, or the hypervisor (steal),
#                        used > P % of a core (default 15)
#   --idle-conns N       idle connections for the idle scenario (default 10000)
#   --login-conns N      concurrent login clients (default 2 per CPU)
#   --stateful-args 'A'  extra flags for every stateful start (e.g. '--threads 8')
#   --contract-fields    the peers also send the fields stateful's contract requires
#                        of every response (Server, X-Content-Type-Options), so
#                        the /healthz answers compared carry the same fields; the
#                        table's notes give each answer's size either way
#   --keep-logs          keep every server's stdout/stderr (stateful's access log
#                        included) in the results folder; default: stderr to /dev/null
#   --out DIR            results folder (default benches/results/run-DATE)
#   -h, --help           this text
#
# Every server is started fresh per scenario on its own 127.0.0.1 port and stopped
# by PID afterwards (also on Ctrl-C). Traffic goes to 127.0.0.1 only.
set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=lib/common.sh
source "$BENCH_DIR/lib/common.sh"

ALL_SCENARIOS="ka50 ka500 close pipe16 me me_token comments post_mem post_disk login idle mem_sessions mem_denylist"
HEALTHZ_SCENARIOS=" ka50 ka500 close pipe16 "
RUST_PEERS=" hyper actix tiny_http may_minihttp "
DURATION=5
WARMUP=1
ROUNDS=1
ROUND=1
LOGIN_DURATION=""
PEERS="hyper actix nginx tiny_http may_minihttp"
SCENARIOS=$ALL_SCENARIOS
INSTALL_DEPS=0
BUILD=1
PIN=on
SERVER_CPUS=0
CLIENT_CPUS=1
QUIET_WAIT=10
MAX_NOISE=15
IDLE_CONNS=10000
IDLE_PROBES=200
MEM_COUNT=20000
LOGIN_CONNS=$(( $(nproc) * 2 ))
STATEFUL_ARGS=""
KEEP_LOGS=0
CONTRACT_FIELDS=0
OUT=""
BENCH_ITERATIONS=1000          # --pbkdf2-iterations for scenarios that only need a session
USER_NAME=bench
USER_PASSWORD=bench-password-1

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) DURATION=2; LOGIN_DURATION=4; QUIET_WAIT=3; shift ;;
    --duration) DURATION=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --peers) PEERS=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --install-deps) INSTALL_DEPS=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --pin) PIN=$2; shift 2 ;;
    --server-cpus) SERVER_CPUS=$2; shift 2 ;;
    --client-cpus) CLIENT_CPUS=$2; shift 2 ;;
    --quiet-wait) QUIET_WAIT=$2; shift 2 ;;
    --max-noise) MAX_NOISE=$2; shift 2 ;;
    --idle-conns) IDLE_CONNS=$2; shift 2 ;;
    --mem-count) MEM_COUNT=$2; shift 2 ;;
    --login-conns) LOGIN_CONNS=$2; shift 2 ;;
    --stateful-args) STATEFUL_ARGS=$2; shift 2 ;;
    --keep-logs) KEEP_LOGS=1; shift ;;
    --contract-fields) CONTRACT_FIELDS=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n $LOGIN_DURATION ]] || LOGIN_DURATION=$(( DURATION * 2 > 10 ? DURATION * 2 : 10 ))
for sc in $SCENARIOS; do
  [[ " $ALL_SCENARIOS " == *" $sc "* ]] || { echo "unknown scenario: $sc" >&2; exit 2; }
done
for peer in $PEERS; do
  [[ $peer == nginx || $RUST_PEERS == *" $peer "* ]] || { echo "unknown peer: $peer" >&2; exit 2; }
done
[[ $PIN == on || $PIN == off ]] || { echo "--pin takes on or off" >&2; exit 2; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "--rounds takes a positive count" >&2; exit 2; }

# ---- dependencies and builds ---------------------------------------------------------

if [[ $INSTALL_DEPS == 1 ]]; then
  sudo_cmd=()
  [[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update && \
    "${sudo_cmd[@]}" apt-get install -y wrk nginx curl python3 util-linux || exit 1
fi
needed="wrk curl python3 cargo"
[[ $PIN == on ]] && needed="$needed taskset"
for tool in $needed; do
  command -v "$tool" >/dev/null || { echo "missing $tool (try --install-deps)" >&2; exit 1; }
done
if [[ " $PEERS " == *" nginx "* ]] && ! command -v nginx >/dev/null; then
  echo "missing nginx (try --install-deps)" >&2; exit 1
fi

STATEFUL_BIN=$ROOT/target/release/stateful
if [[ $BUILD == 1 ]]; then
  echo "building stateful (cargo build --release)" >&2
  (cd "$ROOT" && cargo build --release --bin stateful) >&2 || exit 1
  for peer in $PEERS; do
    [[ $RUST_PEERS == *" $peer "* ]] || continue
    echo "building peer $peer (cargo build --release --locked)" >&2
    (cd "$BENCH_DIR/peers/$peer" && cargo build --release --locked) >&2 || exit 1
  done
fi
[[ -x $STATEFUL_BIN ]] || { echo "missing $STATEFUL_BIN (run without --no-build)" >&2; exit 1; }
for peer in $PEERS; do
  [[ $RUST_PEERS == *" $peer "* && ! -x $(peer_bin "$peer") ]] && {
    echo "missing $(peer_bin "$peer") (run without --no-build)" >&2; exit 1; }
done

# ---- results folder, limits, cleanup ---------------------------------------------------

[[ -n $OUT ]] || OUT=$BENCH_DIR/results/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT" || exit 1
RESULTS=$OUT/results.txt
LOG_DIR=$OUT/logs
[[ $KEEP_LOGS == 1 ]] && mkdir -p "$LOG_DIR"
: > "$RESULTS"
hard=$(ulimit -Hn)
[[ $hard == unlimited ]] && hard=1048576
ulimit -n "$hard" 2>/dev/null
if [[ " $SCENARIOS " == *" idle "* ]] && (( $(ulimit -n) < IDLE_CONNS + 200 )); then
  echo "WARN: open-file limit $(ulimit -n) is below --idle-conns $IDLE_CONNS + 200;" \
       "the idle row will show failed opens (raise the hard limit: ulimit -Hn)" >&2
fi
CLIENT_PID=""
SRV_LOG_NAME=""
cleanup() {
  [[ -n $CLIENT_PID ]] && kill -TERM "$CLIENT_PID" 2>/dev/null && wait "$CLIENT_PID" 2>/dev/null
  CLIENT_PID=""
  stop_server 1
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# The Rust peers read this (lib/common.sh's nginx config reads CONTRACT_FIELDS).
if [[ $CONTRACT_FIELDS == 1 ]]; then export PEER_CONTRACT_FIELDS=1; else unset PEER_CONTRACT_FIELDS; fi
CLIENT_PREFIX=()
[[ $PIN == on ]] && CLIENT_PREFIX=(taskset -c "$CLIENT_CPUS")
{
  echo "# date=$(date -u +%FT%TZ) host_cpus=$(nproc) kernel=$(uname -r) pin=$PIN" \
       "server_cpus=$SERVER_CPUS client_cpus=$CLIENT_CPUS duration=$DURATION warmup=$WARMUP" \
       "login_duration=$LOGIN_DURATION login_conns=$LOGIN_CONNS idle_conns=$IDLE_CONNS" \
       "max_noise=$MAX_NOISE rounds=$ROUNDS nofile=$(ulimit -n) clk_tck=$CLK_TCK" \
       "contract_fields=$CONTRACT_FIELDS" \
       "stateful=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
       "wrk=$(wrk -v 2>&1 | head -n 1 | awk '{ print $2 }')" \
       "nginx=$(nginx -v 2>&1 | sed 's#.*/##')" \
       "tmp_fs=$(df -PT "${TMPDIR:-/tmp}" 2>/dev/null | awk 'NR == 2 { print $2 }')"
} >> "$RESULTS"

# ---- stateful sessions -------------------------------------------------------------------

# Signs up $USER_NAME and logs in; prints the session id. $1 = 1 to also log in.
make_session() {
  local base=http://$HOST:$SRV_PORT code cookie
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 \
    -H 'Content-Type: application/json' \
    -d "{\"username\":\"$USER_NAME\",\"password\":\"$USER_PASSWORD\"}" "$base/signup")
  [[ $code == 201 ]] || { echo "  signup answered $code" >&2; return 1; }
  [[ ${1:-1} == 1 ]] || return 0
  cookie=$(curl -s -o /dev/null -D - --max-time 60 -H 'Content-Type: application/json' \
    -d "{\"username\":\"$USER_NAME\",\"password\":\"$USER_PASSWORD\"}" "$base/login" |
    tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: *sessionid=\([a-z0-9]*\).*/\1/p' | head -n 1)
  [[ -n $cookie ]] || { echo "  login gave no sessionid cookie" >&2; return 1; }
  echo "$cookie"
}

# Prints a bearer token from POST /token for $USER_NAME (signed up already).
make_token() {
  local token
  token=$(curl -s --max-time 60 -H 'Content-Type: application/json' \
    -d "{\"username\":\"$USER_NAME\",\"password\":\"$USER_PASSWORD\"}" \
    "http://$HOST:$SRV_PORT/token" |
    sed -n 's/.*"access_token":"\([A-Za-z0-9_.-]*\)".*/\1/p')
  [[ -n $token ]] || { echo "  POST /token gave no access_token" >&2; return 1; }
  echo "$token"
}

# Stores $2 comments with the session $1 over one curl keep-alive connection.
seed_comments() {
  local urls=() i created
  for (( i = 0; i < $2; i++ )); do urls+=("http://$HOST:$SRV_PORT/comments"); done
  # only the first URL's body goes to -o; the others print theirs, hence the
  # newline before each status code
  created=$(curl -s -o /dev/null -w '\n%{http_code}\n' --max-time 60 \
    -H "Cookie: sessionid=$1" -H 'Content-Type: application/json' \
    -d '{"text":"hello"}' "${urls[@]}" | grep -c '^201$')
  [[ $created == "$2" ]] || { echo "  seeding stored $created of $2 comments" >&2; return 1; }
}

# ---- one measured run --------------------------------------------------------------------

# run_wrk SECONDS CONNS PATH TIMEOUT [wrk args...] -> wrk's output in $SRV_DIR/wrk.out
run_wrk() {
  local secs=$1 conns=$2 path=$3 timeout=$4
  shift 4
  "${CLIENT_PREFIX[@]}" wrk -t1 -c"$conns" -d"${secs}s" --timeout "${timeout}s" --latency \
    -s "$BENCH_DIR/lib/wrk.lua" "$@" "http://$HOST:$SRV_PORT$path" >"$SRV_DIR/wrk.out" 2>&1 &
  CLIENT_PID=$!
  wait "$CLIENT_PID"
  CLIENT_PID=""
}

# measure SCENARIO SERVER SECONDS CONNS PATH TIMEOUT NOTE [wrk args...]
# Warm-up, then the measured wrk run with the server's CPU, the machine's other
# CPU use and new TCP connections counted around it; appends one result line.
measure() {
  local sc=$1 srv=$2 secs=$3 conns=$4 path=$5 timeout=$6 note=$7
  shift 7
  wait_quiet "$QUIET_WAIT" || echo "  machine not quiet after ${QUIET_WAIT}s; measuring anyway" >&2
  [[ $WARMUP != 0 ]] && run_wrk "$WARMUP" "$conns" "$path" "$timeout" "$@"
  local cpu0 busy0 opens0 cpu1 busy1 opens1 res wrk_ticks other steal0 steal alive=1
  cpu0=$(tree_cpu_ticks "$SRV_PID"); busy0=$(busy_ticks); opens0=$(active_opens)
  steal0=$(steal_ticks)
  run_wrk "$secs" "$conns" "$path" "$timeout" "$@"
  cpu1=$(tree_cpu_ticks "$SRV_PID"); busy1=$(busy_ticks); opens1=$(active_opens)
  steal=$(( $(steal_ticks) - steal0 ))
  kill -0 "$SRV_PID" 2>/dev/null || alive=0
  res=$(sed -n 's/^BENCH_WRK //p' "$SRV_DIR/wrk.out")
  if [[ -z $res ]]; then
    echo "  wrk gave no result:" >&2; tail -3 "$SRV_DIR/wrk.out" >&2
    echo "scenario=$sc server=$srv round=$ROUND failed=wrk alive=$alive" >> "$RESULTS"
    return 1
  fi
  wrk_ticks=$(sed -n 's/.*wrk_cpu_s=\([0-9.]*\).*/\1/p' <<<"$res" |
    awk -v t="$CLK_TCK" '{ printf "%d", $1 * t }')
  other=$(( busy1 - busy0 - (cpu1 - cpu0) - ${wrk_ticks:-0} - steal ))
  (( other < 0 )) && other=0
  echo "scenario=$sc server=$srv round=$ROUND conns=$conns $res srv_ticks=$((cpu1 - cpu0))" \
       "other_ticks=$other steal_ticks=$steal secs=$secs new_conns=$((opens1 - opens0))" \
       "hwm_kb=$(tree_status "$SRV_PID" VmHWM) rss_kb=$(tree_status "$SRV_PID" VmRSS)" \
       "threads=$(tree_status "$SRV_PID" Threads) alive=$alive note=$note" >> "$RESULTS"
  awk '{ for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) v[kv[1]] = kv[2] }
       END { printf "  %-9s %-13s %8.0f req/s  p99 %.2f ms  errors %d\n", v["scenario"],
             v["server"], v["requests"] / (v["duration_us"] / 1e6), v["p99_us"] / 1000,
             v["connect"] + v["read"] + v["write"] + v["timeout"] + v["status"] }' \
    <<<"$(tail -n 1 "$RESULTS")" >&2
}

# The idle scenario: IDLE_CONNS served-then-idle connections, IDLE_PROBES fresh requests.
measure_idle() {
  local srv=$1 res alive=1
  wait_quiet "$QUIET_WAIT" || true
  "${CLIENT_PREFIX[@]}" python3 "$BENCH_DIR/lib/idle_probe.py" --port "$SRV_PORT" \
    --server-pid "$SRV_PID" --conns "$IDLE_CONNS" --probes "$IDLE_PROBES" \
    >"$SRV_DIR/idle.out" 2>&1 &
  CLIENT_PID=$!
  wait "$CLIENT_PID"
  CLIENT_PID=""
  kill -0 "$SRV_PID" 2>/dev/null || alive=0
  res=$(sed -n 's/^BENCH_IDLE //p' "$SRV_DIR/idle.out")
  if [[ -z $res ]]; then
    echo "  idle probe gave no result:" >&2; tail -3 "$SRV_DIR/idle.out" >&2
    echo "scenario=idle server=$srv round=$ROUND failed=probe alive=$alive" >> "$RESULTS"
    return 1
  fi
  echo "scenario=idle server=$srv round=$ROUND $res hwm_kb=$(tree_status "$SRV_PID" VmHWM)" \
       "threads=$(tree_status "$SRV_PID" Threads) alive=$alive" >> "$RESULTS"
  grep -v '^BENCH_IDLE' "$SRV_DIR/idle.out" | sed 's/^/  /' >&2
}

# The mem_* scenarios: server RSS per session (N logins) or per deny-list entry
# (N tokens revoked), measured by lib/mem_probe.py around the N requests.
measure_mem() {
  local sc=$1 srv=$2 key_file=$3 res alive=1
  wait_quiet "$QUIET_WAIT" || true
  "${CLIENT_PREFIX[@]}" python3 "$BENCH_DIR/lib/mem_probe.py" --port "$SRV_PORT" \
    --server-pid "$SRV_PID" --mode "${sc#mem_}" --count "$MEM_COUNT" \
    --key-file "$key_file" --user "$USER_NAME" --password "$USER_PASSWORD" \
    >"$SRV_DIR/mem.out" 2>&1 &
  CLIENT_PID=$!
  wait "$CLIENT_PID"
  CLIENT_PID=""
  kill -0 "$SRV_PID" 2>/dev/null || alive=0
  res=$(sed -n 's/^BENCH_MEM //p' "$SRV_DIR/mem.out")
  if [[ -z $res ]]; then
    echo "  mem probe gave no result:" >&2; tail -3 "$SRV_DIR/mem.out" >&2
    echo "scenario=$sc server=$srv round=$ROUND failed=probe alive=$alive" >> "$RESULTS"
    return 1
  fi
  echo "scenario=$sc server=$srv round=$ROUND $res hwm_kb=$(tree_status "$SRV_PID" VmHWM)" \
       "alive=$alive" >> "$RESULTS"
  echo "  $res" >&2
}

# Appends how the server stopped to the last result line of this scenario/server.
record_stop() {
  echo "scenario=$1 server=$2 round=$ROUND stop=$SRV_STOP" >> "$RESULTS"
}

# ---- scenarios -------------------------------------------------------------------------

# run_scenario SCENARIO SERVER
run_scenario() {
  local sc=$1 srv=$2 cookie="" token="" pin=$PIN flags=() key_file=""
  case "$sc" in
    me|me_token|comments|post_mem|post_disk|mem_sessions)
      flags=(--pbkdf2-iterations "$BENCH_ITERATIONS") ;;
    mem_denylist)
      # a key the probe can mint tokens with (32 bytes, kid "bench")
      key_file=$(mktemp "${TMPDIR:-/tmp}/stateful-bench-key.XXXXXX") || return 1
      echo "bench:$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" >"$key_file"
      flags=(--pbkdf2-iterations "$BENCH_ITERATIONS" --token-key-file "$key_file") ;;
    login) pin=off ;;
    idle) [[ $srv == stateful ]] && flags=(--idle-timeout 120) ;;
  esac
  SRV_LOG_NAME=$sc.$srv
  if [[ $sc == post_disk ]]; then
    # a fresh data dir of its own, removed after the run
    local data
    data=$(mktemp -d "${TMPDIR:-/tmp}/stateful-bench-data.XXXXXX") || return 1
    flags+=(--data-dir "$data")
  fi
  echo "[$sc] $srv (round $ROUND of $ROUNDS)" >&2
  if ! start_server "$srv" "$pin" "${flags[@]}"; then
    echo "scenario=$sc server=$srv round=$ROUND failed=start" >> "$RESULTS"
    [[ $sc == post_disk ]] && rm -rf "$data"
    return 1
  fi
  local setup=ok
  case "$sc" in
    me|post_mem|post_disk) cookie=$(make_session) || setup=failed ;;
    me_token) { make_session 0 >/dev/null && token=$(make_token); } || setup=failed ;;
    mem_sessions|mem_denylist) make_session 0 >/dev/null || setup=failed ;;
    comments) { cookie=$(make_session) && seed_comments "$cookie" 100; } || setup=failed ;;
    login) make_session 0 >/dev/null || setup=failed ;;
  esac
  if [[ $setup != ok ]]; then
    echo "scenario=$sc server=$srv round=$ROUND failed=setup" >> "$RESULTS"
  else
    case "$sc" in
      ka50|ka500)
        # the size of the answer wrk parses, status line and fields included
        measure "$sc" "$srv" "$DURATION" "${sc#ka}" /healthz 2 "$(curl -s -o /dev/null \
          -w '%{size_header}+%{size_download}' "http://$HOST:$SRV_PORT/healthz")B-answer" ;;
      close) measure "$sc" "$srv" "$DURATION" 50 /healthz 2 - -H 'Connection: close' ;;
      pipe16) BENCH_DEPTH=16 measure "$sc" "$srv" "$DURATION" 50 /healthz 2 - ;;
      me) measure "$sc" "$srv" "$DURATION" 50 /me 2 - -H "Cookie: sessionid=$cookie" ;;
      me_token)
        measure "$sc" "$srv" "$DURATION" 50 /me 2 "${#token}B-token" \
          -H "Authorization: Bearer $token" ;;
      mem_sessions|mem_denylist) measure_mem "$sc" "$srv" "$key_file" ;;
      comments)
        measure "$sc" "$srv" "$DURATION" 50 /comments 2 \
          "$(curl -s -o /dev/null -w '%{size_download}' "http://$HOST:$SRV_PORT/comments")B-body" ;;
      post_mem|post_disk)
        BENCH_METHOD=POST BENCH_BODY='{"text":"hello"}' \
          measure "$sc" "$srv" "$DURATION" 50 /comments 2 - -H "Cookie: sessionid=$cookie" ;;
      login)
        WARMUP=0 BENCH_METHOD=POST \
        BENCH_BODY="{\"username\":\"$USER_NAME\",\"password\":\"$USER_PASSWORD\"}" \
          measure "$sc" "$srv" "$LOGIN_DURATION" "$LOGIN_CONNS" /login 30 - ;;
      idle) measure_idle "$srv" ;;
    esac
  fi
  local grace=3
  [[ $srv == stateful ]] && grace=12   # the contract allows 10 s to drain on SIGTERM
  stop_server "$grace"
  record_stop "$sc" "$srv"
  [[ $sc == post_disk ]] && rm -rf "$data"
  [[ -n $key_file ]] && rm -f "$key_file"
  sleep 0.3
}

echo "bench: scenarios [$SCENARIOS], peers [$PEERS], ${DURATION}s each, $ROUNDS round(s)," \
     "results in $OUT" >&2
started=$(date +%s)
for (( ROUND = 1; ROUND <= ROUNDS; ROUND++ )); do
  # Even rounds take the scenarios in reverse order, so that of two compared
  # scenarios (me, me_token) neither always runs first.
  order=$SCENARIOS
  (( ROUND % 2 == 0 )) && order=$(printf '%s\n' $SCENARIOS | tac | tr '\n' ' ')
  for sc in $order; do
    servers=(stateful)
    [[ $HEALTHZ_SCENARIOS == *" $sc "* ]] && read -r -a servers <<<"stateful $PEERS"
    # Round r starts with the r-th server, so that no server is always the
    # first after a scenario change (or always right after a given peer).
    for (( i = 0; i < ${#servers[@]}; i++ )); do
      run_scenario "$sc" "${servers[(i + ROUND - 1) % ${#servers[@]}]}"
    done
  done
done
echo "bench: done in $(( $(date +%s) - started )) s" >&2

python3 "$BENCH_DIR/lib/report.py" "$RESULTS" | tee "$OUT/table.md"
echo "raw results: $RESULTS" >&2
