#!/usr/bin/env bash
# Runs each downloaded third-party program plainly, instrumented (`wobs instrument`, default
# filters and --min-size 0) and with `wobs run --trace`, and checks the instrumented runs print and
# write exactly the same.
#   bench/third-party-instrumented.sh [NAME...]   (after bench/fetch-third-party.sh; default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p wobs
WOBS="${CARGO_TARGET_DIR:-$PWD/target}/release/wobs"
TP="${WOBS_THIRD_PARTY_DIR:-$HOME/.cache/wobs/third-party}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# name | guest args (JOB is the per-run copy of jobs/<dir>, OUT the file the job writes, or -)
CASES=(
  "python|python|-|--dir JOB::/work MOD /work/bench.py"
  "quickjs|js|-|--dir JOB::/work MOD /work/bench.js"
  "avr-cc1|c|bench.s|--dir JOB::/work MOD -quiet -O2 -mmcu=avr5 /work/bench-noinc.c -o /work/bench.s"
  "llvm|c|bench.o|--dir $TP/llvm-usr::/usr --dir JOB::/work MOD clang -c -O2 /work/bench.c -o /work/bench.o"
  "ruby|js|-|--trap-unknown-imports --invoke 'ruby-show-version: func() -> ()' MOD"
  "yosys|yosys|stat.txt|--dir $TP/yosys-share::/share --dir TMP::/tmp --dir JOB::/work MOD -q -s /work/synth.ys"
)
for case in "${CASES[@]}"; do
  IFS='|' read -r name job out args <<<"$case"
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  [ -f "$TP/$name.wasm" ] || { echo "skipping $name: not downloaded"; continue; }
  for variant in plain default all trace; do
    mod="$TP/$name.wasm"
    flags="--interval 0"
    case $variant in
      trace) flags="--trace" ;;
      default) "$WOBS" instrument "$mod" -o "$work/$name.default.wasm" 2>>"$work/log"; mod="$work/$name.default.wasm" ;;
      all) "$WOBS" instrument --min-size 0 "$mod" -o "$work/$name.all.wasm" 2>>"$work/log"; mod="$work/$name.all.wasm" ;;
    esac
    rm -rf "$work/job" "$work/tmp"; cp -r "$TP/jobs/$job" "$work/job"; mkdir -p "$work/tmp"
    [ "$out" = "-" ] || rm -f "$work/job/$out"
    printf 'read_verilog /work/top.v\nsynth_ice40 -top top\ntee -q -o /work/stat.txt stat\n' >"$work/job/synth.ys"
    a=${args//JOB/$work/job}; a=${a//TMP/$work/tmp}; a=${a//MOD/$mod}
    start=$(date +%s.%N)
    code=0
    eval "\"$WOBS\" run -q $flags $a" >"$work/$variant.stdout" 2>"$work/$variant.stderr" || code=$?
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    if [ "$out" != "-" ]; then cp "$work/job/$out" "$work/$variant.out" 2>/dev/null || echo missing >"$work/$variant.out"; else : >"$work/$variant.out"; fi
    printf '%-8s %-8s %6.2f s  exit %s  stdout %s  output %s\n' "$name" "$variant" "$secs" "$code" \
      "$(sha256sum <"$work/$variant.stdout" | cut -c1-12)" "$(sha256sum <"$work/$variant.out" | cut -c1-12)"
  done
  for variant in default all trace; do
    if grep -q panicked "$work/$variant.stderr"; then echo "PANIC: $name ($variant)"; status=1; fi
    if ! cmp -s "$work/plain.stdout" "$work/$variant.stdout" || ! cmp -s "$work/plain.out" "$work/$variant.out"; then
      echo "MISMATCH: $name ($variant) differs from the original"; status=1
    fi
  done
done
grep instrumented "$work/log" || true
exit $status
