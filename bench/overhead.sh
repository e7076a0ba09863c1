#!/usr/bin/env bash
# Profiling overhead of `wobs run`: sampling on (--interval 1ms) vs off (--interval 0), measured side by
# side in one hyperfine run per program, printed as ratios. Goal: <= 1.03x.
#
#   bench/overhead.sh [--runs N]
#
# Programs: our examples at a larger scale, plus third-party programs when bench/fetch-third-party.sh
# has downloaded them (skipped with a message otherwise). Compiled code is cached (warm-up run), so the
# figures are run time, not compile time.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=10
[ "${1:-}" = "--runs" ] && RUNS="$2"

command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release -q -p wobs
WOBS="$PWD/target/${CARGO_BUILD_TARGET:-}/release/wobs"
[ -x "$WOBS" ] || WOBS="${CARGO_TARGET_DIR:-$PWD/target}/release/wobs"
TP="${WOBS_THIRD_PARTY_DIR:-$HOME/.cache/wobs/third-party}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# name | arguments after `wobs run --interval X -q`
CASES=(
  "twice (examples, scale 4)|examples/wasm/twice.wasm 4"
  "recursion (examples, scale 2)|examples/wasm/recursion.wasm 2"
  "malloc_heavy (examples, scale 4)|examples/wasm/malloc_heavy.wasm 4"
  "inline (examples, scale 4)|examples/wasm/inline.wasm 4"
)
if [ -f "$TP/python.wasm" ]; then
  CASES+=("CPython 3.12 (third-party)|--dir $TP/jobs/python::/work $TP/python.wasm /work/bench.py")
else
  echo "skipping third-party python: run bench/fetch-third-party.sh python" >&2
fi
if [ -f "$TP/quickjs.wasm" ]; then
  CASES+=("QuickJS (third-party)|--dir $TP/jobs/js::/work $TP/quickjs.wasm /work/bench.js")
fi

printf '%-34s %10s %10s %8s\n' program "off (s)" "on (s)" "on/off"
for case in "${CASES[@]}"; do
  name="${case%%|*}"; args="${case#*|}"
  json="$out/$RANDOM.json"
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$json" \
    -n off "$WOBS run --interval 0 -q $args" \
    -n on "$WOBS run --interval 1ms -q $args" >/dev/null 2>&1 \
    || { echo "$name: hyperfine failed" >&2; continue; }
  python3 - "$json" "$name" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
off, on = r["off"]["median"], r["on"]["median"]
print(f"{sys.argv[2]:<34} {off:>10.3f} {on:>10.3f} {on/off:>7.3f}x")
PY
done
