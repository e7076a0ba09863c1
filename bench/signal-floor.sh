#!/usr/bin/env bash
# The floor under any signal-based sampler on this machine: a busy C loop with an empty SIGPROF
# handler, paced by a POSIX timer aimed at the thread or by a pacing thread's tgkill (wobs's way),
# at 1 ms and 0.1 ms, against the loop with no signals (interleaved runs, paired ratios:
# bench/interleave.py).
#
#   bench/signal-floor.sh [--runs N]
#
# Compare with bench/overhead.sh: what wobs's exact sampler costs above this floor is its own.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=8
[ "${1:-}" = --runs ] && RUNS="$2"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -pthread bench/signal-floor.c -o "$out/floor"
python3 bench/interleave.py --header --runs "$RUNS" --label "C loop, empty handler" \
  "none=$out/floor" "timer-1ms=$out/floor 1000000 timer" "thread-1ms=$out/floor 1000000 thread" \
  "timer-0.1ms=$out/floor 100000 timer" "thread-0.1ms=$out/floor 100000 thread"
