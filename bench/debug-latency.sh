#!/usr/bin/env bash
# Latency of `wobs debug` commands (next, step, finish, print of a struct) and start-up to the first
# stop, on the bundled debugme.wasm and, when downloaded, ruby's 49 MB debug build; plus the
# slowdown of free-running guest-debug code against a plain run of the same module.
#   bench/debug-latency.sh          (after bench/fetch-third-party.sh ruby for the large case)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p wobs
WOBS="${CARGO_TARGET_DIR:-$PWD/target}/release/wobs"
TP="${WOBS_THIRD_PARTY_DIR:-$HOME/.cache/wobs/third-party}"
export WOBS_DEBUG_TIMING=1

echo "== debugme.wasm (small, -O0)"
L=$(grep -n "stop: main" examples/c/debugme.c | cut -d: -f1)
"$WOBS" debug --batch -ex "break $L" -ex run -ex next -ex step -ex 'print *r' -ex finish \
  -ex 'print rect' -ex kill examples/wasm/debugme.wasm 2>&1 >/dev/null | grep timing

if [ -f "$TP/ruby.wasm" ]; then
  echo "== ruby.wasm (49 MB, full DWARF; first run compiles, second uses the cache)"
  for run in 1 2; do
    start=$(date +%s.%N)
    "$WOBS" debug --batch --trap-unknown-imports --invoke 'ruby-show-version: func() -> ()' \
      -ex 'break ruby_show_version' -ex run -ex bt -ex next -ex step -ex finish -ex kill \
      "$TP/ruby.wasm" 2>&1 >/dev/null | grep timing | sed "s/^/run $run: /"
    echo "run $run: total $(echo "$(date +%s.%N) - $start" | bc) s"
  done
fi

echo "== free-running slowdown: twice.wasm, plain wobs run (sampling off) vs wobs debug (run to exit)"
time_of() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }
"$WOBS" run -q --interval 0 examples/wasm/twice.wasm >/dev/null  # warm the caches
"$WOBS" debug --batch -ex run examples/wasm/twice.wasm >/dev/null
plain=$(time_of "$WOBS" run -q --interval 0 examples/wasm/twice.wasm)
debug=$(time_of "$WOBS" debug --batch -ex run examples/wasm/twice.wasm)
echo "plain run ${plain} s, under guest debug ${debug} s, ratio $(echo "scale=2; $debug / $plain" | bc)"
