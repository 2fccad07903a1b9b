#!/usr/bin/env bash
# benches/storage.sh: the storage figures of issue 16 for this tree (see
# benches/README.md, "Storage"):
#   comments:   1,000,000 comments of 64 bytes in memory-only and --data-dir
#               mode: RSS per comment, restart time to `listening on`,
#               GET /comments?limit=100 req/s of both (lib/storage_bench.py);
#   compaction: p50/p99 of GET /me and GET /healthz under login/logout churn,
#               with compactions running back to back and with none
#               (lib/compaction_bench.py; needs a fault-injection build, made
#               in target/bench-fault-injection);
#   churn:      1,000,000 login+logout pairs on a fresh --data-dir, then the
#               directory's size and the restart time (lib/churn_bench.py).
#
# usage: benches/storage.sh [--part comments|compaction|churn|all] [--no-build]
#          [--binary PATH] [--fi-binary PATH] [--label TEXT] [--rounds N]
#          [--duration S] [--comments N] [--text-bytes N] [--restarts N]
#          [--live-sessions N] [--churn-delay-ms N] [--delay-ms N] [--pairs N]
#          [--tmp DIR]
# Needs wrk, taskset and python3. Each part runs under
# `flock /tmp/stateful-bench.lock` so it never overlaps another benchmark.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
PART=all BUILD=1 BINARY="" FI_BINARY="" COMMON=() COMMENTS=() COMPACTION=() CHURN=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --part) PART=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --binary) BINARY=$2; shift 2 ;;
    --fi-binary) FI_BINARY=$2; shift 2 ;;
    --label|--rounds|--duration|--tmp) COMMON+=("$1" "$2"); shift 2 ;;
    --comments|--text-bytes|--restarts) COMMENTS+=("$1" "$2"); shift 2 ;;
    --live-sessions|--churn-delay-ms|--delay-ms) COMPACTION+=("$1" "$2"); shift 2 ;;
    --pairs) CHURN=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "storage.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
for tool in wrk taskset python3; do
  command -v "$tool" >/dev/null || { echo "storage.sh: $tool not found" >&2; exit 1; }
done
if [[ -z $BINARY && $PART != compaction ]]; then
  BINARY=$ROOT/target/release/stateful
  [[ $BUILD == 1 ]] && (cd "$ROOT" && cargo build --release --bin stateful)
fi
if [[ $PART == comments || $PART == all ]]; then
  flock /tmp/stateful-bench.lock python3 "$BENCH_DIR/lib/storage_bench.py" \
    --binary "$BINARY" "${COMMON[@]}" "${COMMENTS[@]}"
fi
if [[ $PART == compaction || $PART == all ]]; then
  if [[ -z $FI_BINARY ]]; then
    FI_BINARY=$ROOT/target/bench-fault-injection/release/stateful
    [[ $BUILD == 1 ]] && (cd "$ROOT" && CARGO_TARGET_DIR=$ROOT/target/bench-fault-injection \
      cargo build --release --features fault-injection --bin stateful)
  fi
  flock /tmp/stateful-bench.lock python3 "$BENCH_DIR/lib/compaction_bench.py" \
    --binary "$FI_BINARY" "${COMMON[@]}" "${COMPACTION[@]}"
fi
if [[ $PART == churn || $PART == all ]]; then
  flock /tmp/stateful-bench.lock python3 "$BENCH_DIR/lib/churn_bench.py" \
    --binary "$BINARY" "${COMMON[@]}" "${CHURN[@]}"
fi
