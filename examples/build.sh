#!/usr/bin/env bash
# Rebuild every guest module in examples/wasm/ from the sources in c/, cpp/ and rust/.
#
#   ./examples/build.sh           rebuild examples/wasm/*.wasm in place
#   ./examples/build.sh --check   rebuild into a temp dir and compare byte-for-byte
#                                 with the committed files (exit 1 on any difference)
#
# Needs: clang with the wasm32-wasi target, wasm-ld (lld), a wasi-libc sysroot
# (Debian: apt-get install clang lld wasi-libc), and for demo.wasm a rustc with
# the wasm32-wasi std (Debian: rustc + libstd-rust-dev-wasm32).  Override the
# tools with CLANG=... RUSTC=...  Builds are deterministic: source paths in the
# DWARF are rewritten to repo-relative "examples/c" / "examples/rust".
# Byte-identical output (and so --check) additionally needs the same toolchain
# versions that built the committed files (Debian 12: clang 14.0.6, rustc 1.63.0).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CLANG="${CLANG:-clang}"
RUSTC="${RUSTC:-/usr/bin/rustc}"

die() { echo "build.sh: error: $*" >&2; exit 1; }

mode=build
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
  *) die "unknown argument '$1' (use --check or nothing)" ;;
esac

# ---------- toolchain checks --------------------------------------------------
command -v "$CLANG" >/dev/null 2>&1 || die "clang not found (set CLANG=... or apt-get install clang)"
command -v wasm-ld >/dev/null 2>&1 || die "wasm-ld not found (apt-get install lld)"
command -v "$RUSTC" >/dev/null 2>&1 || die "rustc not found at '$RUSTC' (set RUSTC=...)"

probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
# clang's wasm driver runs `wasm-opt` (binaryen) on optimized output when it finds one, in place;
# that drops the name section and breaks the DWARF. It looks beside the clang it was invoked as
# (/usr/bin, where binaryen installs too), then on PATH: invoke the real binary by its resolved
# path and shadow wasm-opt with a no-op, so the fixtures do not depend on what else is installed.
mkdir -p "$probe/bin"
printf '#!/bin/sh\nexit 0\n' >"$probe/bin/wasm-opt"
chmod +x "$probe/bin/wasm-opt"
export PATH="$probe/bin:$PATH"
CLANG="$(readlink -f "$(command -v "$CLANG")")"
printf '#include <stdio.h>\nint main(void){puts("ok");return 0;}\n' > "$probe/p.c"
"$CLANG" --target=wasm32-wasi -c "$probe/p.c" -o "$probe/p.o" 2>"$probe/err" \
  || { cat "$probe/err" >&2; die "clang cannot compile for wasm32-wasi (wasi-libc headers missing? apt-get install wasi-libc)"; }
"$CLANG" --target=wasm32-wasi "$probe/p.o" -o "$probe/p.wasm" 2>"$probe/err" \
  || { cat "$probe/err" >&2; die "linking for wasm32-wasi failed (wasm-ld or wasi-libc libc.a/crt1.o missing? apt-get install lld wasi-libc)"; }
targets="$("$RUSTC" --print target-list 2>/dev/null || true)"
grep -qx wasm32-wasi <<<"$targets" \
  || die "'$RUSTC' has no wasm32-wasi target"
printf 'fn main(){}\n' > "$probe/p.rs"
"$RUSTC" --target wasm32-wasi "$probe/p.rs" -o "$probe/prs.wasm" 2>"$probe/err" \
  || { cat "$probe/err" >&2; die "'$RUSTC' cannot build for wasm32-wasi (std for wasm32-wasi missing? apt-get install libstd-rust-dev-wasm32)"; }

if [[ $mode == check ]]; then OUT="$probe/out"; else OUT="$HERE/wasm"; fi
mkdir -p "$OUT"

# ---------- C guests ------------------------------------------------------------
# Compile from inside c/ with bare file names so DW_AT_name is "twice.c" and
# DW_AT_comp_dir is mapped to the repo-relative "examples/c".
CFLAGS=(--target=wasm32-wasi -g "-fdebug-prefix-map=$HERE/c=examples/c")

cc() {  # cc <output-name> <source> <flags...>
  local name="$1" src="$2"; shift 2
  (cd "$HERE/c" && "$CLANG" "${CFLAGS[@]}" "$@" "$src" -o "$OUT/$name.wasm")
  echo "  built $name.wasm"
}

cc twice          twice.c        -O1
cc twice_nodebug  twice.c        -O1 -Wl,--strip-debug   # name section, no DWARF
cc twice_nonames  twice.c        -O1 -Wl,--strip-all     # no name section, no DWARF
cc twice_partial  twice.c        -O1 -g0                 # DWARF for libc only, not for twice.c
cc recursion      recursion.c    -O1
cc fib            fib.c          -O1
cc inline         inline.c       -O2
cc malloc_heavy   malloc_heavy.c -O1
cc server         server.c       -O1
cc pipeline            pipeline.c     -O1
cc pipeline_regressed  pipeline.c     -O1 -DTRANSFORM_EXTRA=10
cc pipeline_improved   pipeline.c     -O1 -DENCODE_SAVED=50
cc clock_random        clock_random.c -O1
cc leaf_split          leaf_split.c   -O1
cc chain               chain.c        -O1
cc sleepy              sleepy.c       -O1
cc wait_input          wait_input.c   -O1
cc bulk_fill           bulk_fill.c    -O1 -mbulk-memory
cc trap           trap.c         -O1
cc exit_code      exit_code.c    -O1
cc lines          lines.c        -O0   # -O0: no line-0 rows, loop opcodes map to the for line
cc line_split     line_split.c   -O0   # -O0: each statement keeps its own instructions
cc reactor        reactor.c      -O1 -mexec-model=reactor
cc lib            lib.c          -O1 -mexec-model=reactor
cc driver         driver.c       -O1
cc debugme        debugme.c      -O0   # -O0: every variable has a stack location for the debugger
cc byvalue        byvalue.c      -O0   # -O0: aggregates passed by value, for the gdb parity test
cc steps          steps.c        -O0   # -O0: every call stays a call, for the gdb parity test of `step`

# ---------- C++ guests ----------------------------------------------------------
# No C++ library (Debian has none for wasm32-wasi in clang 14's layout): no exceptions, no RTTI,
# objects on the stack. Compiled as C++ by the source's extension through the C driver, which links
# against wasi-libc alone.
CXXFLAGS=(--target=wasm32-wasi -g "-fdebug-prefix-map=$HERE/cpp=examples/cpp" -fno-exceptions -fno-rtti)

cxx() {  # cxx <output-name> <source> <flags...>
  local name="$1" src="$2"; shift 2
  (cd "$HERE/cpp" && "$CLANG" "${CXXFLAGS[@]}" "$@" "$src" -o "$OUT/$name.wasm")
  echo "  built $name.wasm"
}

cxx shapes        shapes.cpp     -O0   # -O0: the gdb parity test compares it with a native build
cxx containers    containers.cpp -O0 -lc++ -lc++abi   # libc++ std::string and std::vector: the pretty printers
cxx accounts      accounts.cpp   -O0   # C++ classes: ptype, compared with gdb

# ---------- Rust guest ----------------------------------------------------------
(cd "$HERE/rust" && "$RUSTC" --target wasm32-wasi -g -C opt-level=1 -C codegen-units=1 \
   "--remap-path-prefix=$HERE/rust=examples/rust" demo.rs -o "$OUT/demo.wasm")
echo "  built demo.wasm"

chmod 644 "$OUT"/*.wasm   # the linker marks outputs executable; fixtures are data

# ---------- check mode ----------------------------------------------------------
if [[ $mode == check ]]; then
  status=0
  for f in "$OUT"/*.wasm; do
    n="$(basename "$f")"
    if [[ ! -f "$HERE/wasm/$n" ]]; then
      echo "MISSING  wasm/$n (not committed)"; status=1
    elif ! cmp -s "$f" "$HERE/wasm/$n"; then
      echo "DIFFERS  wasm/$n"; status=1
    else
      echo "same     wasm/$n"
    fi
  done
  for f in "$HERE"/wasm/*.wasm; do
    [[ -f "$OUT/$(basename "$f")" ]] || { echo "STALE    wasm/$(basename "$f") (no source builds it)"; status=1; }
  done
  [[ $status == 0 ]] && echo "build.sh --check: all committed modules are up to date" \
                     || echo "build.sh --check: committed modules differ from a fresh build" >&2
  exit $status
fi
echo "build.sh: wrote $(ls "$OUT"/*.wasm | wc -l) modules to $OUT"
