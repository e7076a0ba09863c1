#!/usr/bin/env bash
# OTLP interop check: `wobs run --otlp` against a real third-party collector, rotel (PyPI package
# `rotel`, a Rust OTLP collector shipped as a binary inside the wheel).
#
#   bench/otlp-interop.sh [MODULE [GUEST ARGS...]]     default: examples/wasm/fib.wasm 15
#
# What it checks, once over OTLP/gRPC and once over OTLP/HTTP (protobuf):
#   1. wobs exits 0 and its stderr line `wobs: exported N spans to ENDPOINT (...)` says N > 0 and no
#      `K failed` with K > 0;
#   2. rotel's debug log (`--debug-log traces --debug-log-verbosity detailed`, one `Span #i` block per
#      span received) shows exactly N spans for that run, among them the root span `wobs run <MODULE>`
#      and (for the default module) spans named `fib`.
# The command is `wobs run -q --trace --otlp --otlp-protocol P --otlp-endpoint URL --span-min 0 MODULE`
# (--trace: spans come from the instrumentation probes). rotel listens on two free loopback ports
# (never 4317/4318) and is stopped on exit.
#
# Environment:
#   WOBS         the wobs binary (default ${CARGO_TARGET_DIR:-target}/debug/wobs; not built here)
#   WOBS_CACHE   cache root; rotel's venv lives in $WOBS_CACHE/rotel-venv (default ~/.cache/wobs)
#   ROTEL_VERSION  rotel release to install (pinned: its debug-log format is what we parse)
#   WOBS_FLAGS   extra flags for `wobs run` (word-split)
#   EXPECT_SPANS span names that must appear at least once per run (space-separated; default `fib`
#                for fib.wasm, none otherwise)
# Exit status: 0 = passed, or skipped because rotel could not be installed (offline); 1 = a mismatch
# or failure (the message says which); 2 = usage.
set -euo pipefail
cd "$(dirname "$0")/.."

ROTEL_VERSION="${ROTEL_VERSION:-0.0.1a15}"
CACHE="${WOBS_CACHE:-${HOME:-/root}/.cache/wobs}"
VENV="$CACHE/rotel-venv"
WOBS="${WOBS:-${CARGO_TARGET_DIR:-target}/debug/wobs}"

if [ $# -gt 0 ]; then
  case "$1" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;; esac
  MODULE="$1"; shift; GUEST_ARGS=("$@")
else
  MODULE=examples/wasm/fib.wasm; GUEST_ARGS=(15)   # fib(15): 1973 calls of fib
fi
if [ -z "${EXPECT_SPANS+x}" ]; then
  case "$(basename "$MODULE")" in fib.wasm) EXPECT_SPANS=fib ;; *) EXPECT_SPANS= ;; esac
fi
# shellcheck disable=SC2206
EXTRA_FLAGS=(${WOBS_FLAGS:-})

say() { printf 'otlp-interop: %s\n' "$*"; }
die() { printf 'otlp-interop: FAIL: %s\n' "$*" >&2; exit 1; }

[ -f "$MODULE" ] || { echo "otlp-interop: no module $MODULE" >&2; exit 2; }
[ -x "$WOBS" ] || die "no wobs binary at $WOBS (build it first: cargo build -p wobs, or set WOBS=)"
command -v python3 >/dev/null || die "python3 is needed"

BENCH_NAME=otlp-interop
# shellcheck source=bench/lib-rotel.sh
source bench/lib-rotel.sh
rotel_install

# ---- wobs must have the flags we use ------------------------------------------------------------
RUN_HELP="$("$WOBS" run --help 2>&1 || true)"
for flag in --trace --otlp --otlp-protocol --otlp-endpoint --span-min; do
  grep -q -- "$flag" <<<"$RUN_HELP" || die "\`$WOBS run --help\` does not mention $flag"
done

# ---- start rotel ---------------------------------------------------------------------------------
rotel_start --debug-log traces --debug-log-verbosity detailed

# ---- one run per protocol ------------------------------------------------------------------------
now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }
# The part of rotel's log written since byte offset $1, without colour codes.
log_since() { tail -c +"$(($1 + 1))" "$LOG" | sed 's/\x1b\[[0-9;]*m//g'; }
count_spans() { grep -cE '^Span #[0-9]+' || true; }

SUMMARY=()
FAILURES=()
run_protocol() {
  local proto="$1" endpoint="$2"
  local tag="${proto//\//-}"
  local out="$WORK/wobs-$tag.out" err="$WORK/wobs-$tag.err" section="$WORK/rotel-$tag.log"
  local offset start end status=0 line exported received=0 last=-1 stable=0 names root
  offset=$(wc -c <"$LOG")
  start=$(now_ms)
  # No OTEL_* or TRACEPARENT from the caller: the flags alone say where spans go.
  unset_env '^(OTEL_.*|TRACEPARENT|TRACESTATE)$'
  env "${UNSET[@]}" timeout 300 "$WOBS" run -q --trace --otlp --otlp-protocol "$proto" --otlp-endpoint "$endpoint" --span-min 0 \
    "${EXTRA_FLAGS[@]}" "$MODULE" "${GUEST_ARGS[@]}" >"$out" 2>"$err" || status=$?
  end=$(now_ms)
  line="$(grep -E 'exported [0-9]+ spans' "$err" | tail -n 1 || true)"
  if [ "$status" -ne 0 ]; then
    KEEP_WORK=1; sed 's/^/  wobs: /' "$err" | tail -n 20 >&2
    FAILURES+=("$proto: wobs exited with status $status"); SUMMARY+=("$proto|$endpoint|-|-|-|-|$((end - start))"); return
  fi
  if [ -z "$line" ]; then
    KEEP_WORK=1; sed 's/^/  wobs: /' "$err" | tail -n 20 >&2
    FAILURES+=("$proto: wobs printed no 'exported N spans' line on stderr"); SUMMARY+=("$proto|$endpoint|-|-|-|-|$((end - start))"); return
  fi
  exported="$(sed -E 's/.*exported ([0-9]+) spans.*/\1/' <<<"$line")"
  [ "$exported" -gt 0 ] || FAILURES+=("$proto: wobs exported 0 spans ($line)")
  if grep -qE '(^|[^0-9])[1-9][0-9]* failed' <<<"$line"; then FAILURES+=("$proto: $line"); fi
  # Wait until rotel has logged as many spans as wobs exported (it batches for up to 200 ms), or
  # until the count has not moved for 3 s; 30 s at most.
  for _ in $(seq 300); do
    received="$(log_since "$offset" | count_spans)"
    [ "$received" -ge "$exported" ] && break
    if [ "$received" = "$last" ]; then stable=$((stable + 1)); else stable=0; last="$received"; fi
    [ "$stable" -ge 30 ] && break
    sleep 0.1
  done
  sleep 0.3   # anything beyond N would show up now
  log_since "$offset" >"$section"
  received="$(count_spans <"$section")"
  names="$(sed -nE 's/^ +Name +: (.*)$/\1/p' "$section")"
  root="$(grep -cxF "wobs run $MODULE" <<<"$names" || true)"
  if [ "$root" = 0 ]; then   # accept another spelling of the path, as long as it names the module
    root="$(grep -cE "^wobs run .*$(basename "$MODULE" | sed 's/[.[\*^$]/\\&/g')\$" <<<"$names" || true)"
  fi
  [ "$received" = "$exported" ] || FAILURES+=("$proto: wobs said it exported $exported spans, rotel logged $received")
  [ "$root" -ge 1 ] || FAILURES+=("$proto: rotel logged no root span 'wobs run $MODULE'")
  local extra="" n
  for want in $EXPECT_SPANS; do
    n="$(grep -cxF "$want" <<<"$names" || true)"
    extra+="$want=$n "
    [ "$n" -ge 1 ] || FAILURES+=("$proto: rotel logged no span named '$want'")
  done
  SUMMARY+=("$proto|$endpoint|$exported|$received|$root|${extra:--}|$((end - start))")
}

run_protocol grpc "http://127.0.0.1:$GRPC_PORT"
run_protocol http/protobuf "http://127.0.0.1:$HTTP_PORT/v1/traces"

# ---- summary -------------------------------------------------------------------------------------
echo
printf '%-14s %-34s %9s %9s %5s %-14s %9s\n' protocol endpoint exported received root spans wobs-ms
for row in "${SUMMARY[@]}"; do
  IFS='|' read -r p e x r o s t <<<"$row"
  printf '%-14s %-34s %9s %9s %5s %-14s %9s\n' "$p" "$e" "$x" "$r" "$o" "$s" "$t"
done
echo "(module: $MODULE ${GUEST_ARGS[*]:-}; exported = wobs's stderr line, received = spans in rotel's debug log;"
echo " wobs-ms = wall time of that wobs run; ${SECONDS} s in all)"
if [ ${#FAILURES[@]} -gt 0 ]; then
  KEEP_WORK=1
  for f in "${FAILURES[@]}"; do echo "otlp-interop: FAIL: $f" >&2; done
  exit 1
fi
say "ok: rotel received every span wobs exported, over gRPC and HTTP"
