#!/usr/bin/env bash
# Runs the statistical test binaries (attribution, exact, OTLP, span labels) N times in a row
# while a CPU hog (`yes > /dev/null`) runs on every core, as CI's shared 2-core machines do, and
# counts failures: a test that needs an idle machine is a flaky test.
#   bench/tests-under-load.sh [RUNS] [TEST...]     (default: 20 attribution exact otlp span_labels)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
shift || true
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(attribution exact otlp span_labels)

args=()
for t in "${tests[@]}"; do args+=(--test "$t"); done
cargo test -p wobs "${args[@]}" --no-run >/dev/null 2>&1

hogs=()
cleanup() { kill "${hogs[@]}" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq "$(nproc)"); do yes >/dev/null & hogs+=($!); done

failed=0
for i in $(seq "$runs"); do
  for t in "${tests[@]}"; do
    log="$(mktemp)"
    if cargo test -q -p wobs --test "$t" >"$log" 2>&1; then
      printf 'run %d %s: ok\n' "$i" "$t"
    else
      failed=$((failed + 1))
      printf 'run %d %s: FAILED\n' "$i" "$t"
      grep -E "panicked|^test .* FAILED|samples|ticks" "$log" | head -8 | sed 's/^/    /'
    fi
    rm -f "$log"
  done
done
printf '%d failures in %d runs of %d test binaries with %d CPU hogs\n' \
  "$failed" "$runs" "${#tests[@]}" "$(nproc)"
[ "$failed" -eq 0 ]
