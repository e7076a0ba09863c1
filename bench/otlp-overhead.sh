#!/usr/bin/env bash
# What OTLP export costs, measured side by side against a real collector (rotel, blackhole exporter):
#
#   1. run time of `wobs run --trace --otlp` (default --span-min) vs `wobs run --trace` alone —
#      the export must stay off the guest thread (goal ≤ 1.10×); median of $RUNS alternating runs;
#   2. delivery with `--span-min 0` (every call a span) over gRPC and HTTP: spans exported, dropped,
#      spans per second of wobs wall time, and peak RSS against `--trace` alone (memory stays
#      bounded by the queues, not by the number of spans).
#
#   bench/otlp-overhead.sh            cases: fib(30) example, QuickJS and CPython when downloaded
# Environment: WOBS (default ${CARGO_TARGET_DIR:-target}/release/wobs), RUNS (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."

ROTEL_VERSION="${ROTEL_VERSION:-0.0.1a15}"
CACHE="${WOBS_CACHE:-${HOME:-/root}/.cache/wobs}"
VENV="$CACHE/rotel-venv"
WOBS="${WOBS:-${CARGO_TARGET_DIR:-target}/release/wobs}"
RUNS="${RUNS:-3}"
TP="${WOBS_THIRD_PARTY_DIR:-$CACHE/third-party}"

say() { printf 'otlp-overhead: %s\n' "$*"; }
die() { printf 'otlp-overhead: FAIL: %s\n' "$*" >&2; exit 1; }
[ -x "$WOBS" ] || die "no wobs binary at $WOBS (cargo build --release -p wobs)"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (apt-get install time)"

BENCH_NAME=otlp-overhead
# shellcheck source=bench/lib-rotel.sh
source bench/lib-rotel.sh
rotel_install
rotel_start
GRPC="http://127.0.0.1:$GRPC_PORT"
HTTP="http://127.0.0.1:$HTTP_PORT"

CASES=("fib(30) example|examples/wasm/fib.wasm 30")
if [ -f "$TP/quickjs.wasm" ]; then
  CASES+=("QuickJS bench.js|--dir $TP/jobs/js::/work $TP/quickjs.wasm /work/bench.js")
else
  say "skipping QuickJS: run bench/fetch-third-party.sh quickjs"
fi
if [ -f "$TP/python.wasm" ]; then
  CASES+=("CPython bench.py|--dir $TP/jobs/python::/work $TP/python.wasm /work/bench.py")
else
  say "skipping CPython: run bench/fetch-third-party.sh python"
fi

unset_env '^(OTEL_.*|TRACEPARENT|TRACESTATE)$'
# One run: prints "seconds peak_rss_kb" and leaves wobs's stderr in $WORK/err.
measure() {
  # shellcheck disable=SC2086
  env "${UNSET[@]}" /usr/bin/time -f '%e %M' -o "$WORK/time" "$WOBS" run -q "$@" >/dev/null 2>"$WORK/err" \
    || { tail -n 5 "$WORK/err" >&2; fail "wobs run $* failed"; }
  cat "$WORK/time"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '\n%-18s %10s %12s %7s\n' case "--trace s" "+ --otlp s" ratio
for entry in "${CASES[@]}"; do
  name="${entry%%|*}"; read -r -a args <<<"${entry#*|}"
  measure --trace "${args[@]}" >/dev/null   # warm the compile cache
  plain=(); otlp=()
  for _ in $(seq "$RUNS"); do
    plain+=("$(measure --trace "${args[@]}" | cut -d' ' -f1)")
    otlp+=("$(measure --trace --otlp-endpoint "$GRPC" --otlp-protocol grpc "${args[@]}" | cut -d' ' -f1)")
  done
  a=$(printf '%s\n' "${plain[@]}" | median); b=$(printf '%s\n' "${otlp[@]}" | median)
  printf '%-18s %10s %12s %7s\n' "$name" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", b / a}')"
done

printf '\n%-18s %-14s %10s %9s %8s %12s %11s %11s\n' case protocol exported dropped "wall s" "spans/s" "RSS MB" "--trace MB"
for entry in "${CASES[@]}"; do
  name="${entry%%|*}"; read -r -a args <<<"${entry#*|}"
  base_rss=$(measure --trace "${args[@]}" | cut -d' ' -f2)
  for proto in grpc http/protobuf; do
    endpoint=$GRPC; [ "$proto" = grpc ] || endpoint=$HTTP
    read -r secs rss < <(measure --trace --span-min 0 --otlp-endpoint "$endpoint" --otlp-protocol "$proto" "${args[@]}")
    line=$(grep -E 'exported [0-9]+ spans' "$WORK/err" | tail -n 1)
    exported=$(sed -E 's/.*exported ([0-9]+) spans.*/\1/' <<<"$line")
    dropped=$(sed -E 's/.*\(([0-9]+) dropped.*/\1/' <<<"$line")
    printf '%-18s %-14s %10s %9s %8s %12s %11s %11s\n' "$name" "$proto" "$exported" "$dropped" "$secs" \
      "$(awk -v n="$exported" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')" \
      "$(awk -v k="$rss" 'BEGIN {printf "%.0f", k / 1024}')" "$(awk -v k="$base_rss" 'BEGIN {printf "%.0f", k / 1024}')"
  done
done
echo "(ratio: median wall time of $RUNS runs each, alternating; collector: rotel $ROTEL_VERSION, blackhole exporter)"
