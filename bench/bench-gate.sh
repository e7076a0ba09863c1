#!/usr/bin/env bash
# What the fuel gate costs and whether it is repeatable, on our examples and real interpreters:
# for each case, `wobs bench` twice (the two results must be identical) against a plain run
# (`wobs run -q --interval 0`: no sampling, no probes, no fuel; epoch checks are still compiled in,
# so the plain side is ~1.2× slower than the wasmtime CLI — see issue 11).
#
#   bench/bench-gate.sh       Environment: WOBS (default ${CARGO_TARGET_DIR:-target}/release/wobs)
set -euo pipefail
cd "$(dirname "$0")/.."
WOBS="${WOBS:-${CARGO_TARGET_DIR:-target}/release/wobs}"
TP="${WOBS_THIRD_PARTY_DIR:-$HOME/.cache/wobs/third-party}"
[ -x "$WOBS" ] || { echo "no wobs at $WOBS (cargo build --release -p wobs)" >&2; exit 1; }
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT

CASES=("pipeline example|examples/wasm/pipeline.wasm" "fib(27) example|examples/wasm/fib.wasm 27")
[ -f "$TP/quickjs.wasm" ] && CASES+=("QuickJS bench.js|--dir $TP/jobs/js::/work $TP/quickjs.wasm /work/bench.js")
[ -f "$TP/python.wasm" ] && CASES+=("CPython bench.py|--dir $TP/jobs/python::/work $TP/python.wasm /work/bench.py")

secs() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }; end=$(date +%s.%N); echo "$end - $start" | bc; }
printf '%-18s %12s %10s %10s %7s  %s\n' case fuel "plain s" "bench s" ratio repeatable
for entry in "${CASES[@]}"; do
  name="${entry%%|*}"; read -r -a args <<<"${entry#*|}"
  "$WOBS" run -q --interval 0 "${args[@]}" >/dev/null 2>&1 || true   # warm the compile caches
  "$WOBS" bench "${args[@]}" >/dev/null 2>&1 || true
  plain=$(secs "$WOBS" run -q --interval 0 "${args[@]}")
  bench=$(secs "$WOBS" bench --save-baseline "$WORK/a.json" "${args[@]}")
  "$WOBS" bench --save-baseline "$WORK/b.json" "${args[@]}" >/dev/null 2>&1
  same=no; cmp -s "$WORK/a.json" "$WORK/b.json" && same=identical
  fuel=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['cases'][0]['fuel']['total'])" "$WORK/a.json")
  printf '%-18s %12s %10.2f %10.2f %7.2f  %s\n' "$name" "$fuel" "$plain" "$bench" "$(echo "$bench / $plain" | bc -l)" "$same"
done
