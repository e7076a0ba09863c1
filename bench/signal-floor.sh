#!/usr/bin/env bash
# The floor under any signal-based sampler on this machine: a busy C loop with an empty SIGPROF
# handler, paced by a POSIX timer aimed at the thread or by a pacing thread's tgkill (wobs's way),
# at 1 ms and 0.1 ms, against the loop with no signals. Ratios come from one hyperfine run.
#
#   bench/signal-floor.sh [--runs N]
#
# Compare with bench/overhead.sh: what wobs's exact sampler costs above this floor is its own.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=8
[ "${1:-}" = --runs ] && RUNS="$2"
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -pthread bench/signal-floor.c -o "$out/floor"
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$out/r.json" \
  -n none "$out/floor" \
  -n "timer 1ms" "$out/floor 1000000 timer" -n "thread 1ms" "$out/floor 1000000 thread" \
  -n "timer 0.1ms" "$out/floor 100000 timer" -n "thread 0.1ms" "$out/floor 100000 thread" \
  >/dev/null 2>&1
python3 - "$out/r.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
base = results[0]["median"]
for r in results:
    print(f"{r['command']:>13}  {r['median']:.3f} s  {r['median'] / base:.3f}x")
PY
