#!/usr/bin/env bash
# Build real third-party WASI 0.2 `wasi:cli/command` components, each from a small app of ours, with
# the toolchains people use to make them, for `wobs run` to be tested and benchmarked on. See the
# "Components" section of bench/THIRD_PARTY.md.
#
#   bench/fetch-components.sh [NAME...]      NAME: python python-http js js-http (default: all)
#
#   python  componentize-py (PyPI) from bench/components/python/app.py: CPython 3.14 as a component
#           whose core modules are the shared libraries it links (libpython3.14.so, libc.so, ...).
#   python-http  the same toolchain, bench/components/python-http/app.py: a wasi:http/proxy handler
#           for `wobs serve` (tests and bench/serve-load.sh).
#   js      componentize-js (npm; SpiderMonkey in StarlingMonkey) from bench/components/js/app.js,
#           with StarlingMonkey's named build (`--use-debug-build`: optimized, with a name section)
#           and the `http` and `fetch-event` features off, so it imports only wasi:cli/command's
#           interfaces (with them on it also imports wasi:http/types and wasi:http/outgoing-handler).
#
# Each app does a deterministic CPU-bound job (about 1-2 s under wasmtime) and prints one line.
# The WASI 0.2 WIT comes from the npm package @bytecodealliance/jco (lib/wit/builtin/<version>).
#
# Downloads from PyPI (pip) and the npm registry (npm) only, at pinned versions (the jco tarball also
# by sha256). Tools and outputs go into ${WOBS_THIRD_PARTY_DIR:-$HOME/.cache/wobs/third-party}/components:
# tools/venv (componentize-py), tools/npm (an npm prefix with componentize-js), wit/, and the
# components as python.wasm and js.wasm.
#
# Idempotent: a component whose stamp (.ok.NAME: tool versions + sha256 of the app source and of this
# script) matches is not rebuilt; a changed app source, pin or build flag rebuilds it. Tools already installed are not reinstalled.
# Output: stdout is exactly one absolute path per requested component that is built; everything else
# goes to stderr. If a tool cannot be downloaded (offline, no python3/pip/node/npm, ...), it prints
# one "skipping: <reason>" line on stderr and exits 0 (stdout then lists only components built
# earlier). A build that fails with its tools installed is an error (exit 1).
#
# Third-party binaries and code must never be committed: they live only in the cache directory.
set -euo pipefail

DIR="${WOBS_THIRD_PARTY_DIR:-${HOME:-/tmp}/.cache/wobs/third-party}/components"
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/components"
PYTHON="${PYTHON:-python3}"

# --- pins -----------------------------------------------------------------------------------------
COMPONENTIZE_PY="componentize-py==0.25.1"
COMPONENTIZE_JS="@bytecodealliance/componentize-js@0.23.0"
JCO="@bytecodealliance/jco@1.35.0" # its tarball has the WASI WIT; componentize-js depends on jco
JCO_TGZ="bytecodealliance-jco-1.35.0.tgz"
JCO_TGZ_SHA256="893e80e993a2cb3735e195a0c2dc3ab7d683877a813bb024a27499ee86e12b13"
WASI_VERSION="0.2.12"              # the WIT snapshot in that jco; wasmtime 48 implements 0.2.12 too
WIT_PACKAGES=(cli clocks filesystem http io random sockets)

ALL_NAMES=(python python-http js js-http)
log() { printf '%s\n' "$*" >&2; }
if [ "$#" -gt 0 ]; then WANT=("$@"); else WANT=("${ALL_NAMES[@]}"); fi
for w in "${WANT[@]}"; do
  case " ${ALL_NAMES[*]} " in *" $w "*) ;; *) log "unknown component '$w' (known: ${ALL_NAMES[*]})"; exit 2 ;; esac
done

sha256() { sha256sum "$1" | cut -d' ' -f1; }
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
stamp_of() { # what .ok.NAME must hold for NAME.wasm to be current (this script holds the build flags)
  case "$1" in
    python|python-http) printf '%s app.py=%s' "$COMPONENTIZE_PY" "$(sha256 "$SRC/$1/app.py")" ;;
    js|js-http) printf '%s %s app.js=%s' "$COMPONENTIZE_JS" "$JCO" "$(sha256 "$SRC/js/app.js")" ;;
  esac
  printf ' wasi@%s script=%s\n' "$WASI_VERSION" "$(sha256 "$SELF")"
}
current() { [ -f "$DIR/$1.wasm" ] && [ -f "$DIR/.ok.$1" ] && [ "$(cat "$DIR/.ok.$1")" = "$(stamp_of "$1")" ]; }
print_paths() {
  local w
  for w in "${WANT[@]}"; do
    if [ -f "$DIR/$w.wasm" ] && [ -f "$DIR/.ok.$w" ]; then printf '%s\n' "$DIR/$w.wasm"; fi
  done
  return 0
}
skip() { log "skipping: $*"; print_paths; exit 0; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

NEED=()
for w in "${WANT[@]}"; do current "$w" || NEED+=("$w"); done
if [ "${#NEED[@]}" -eq 0 ]; then print_paths; exit 0; fi

mkdir -p "$DIR/tools"
TMP="$(mktemp -d "$DIR/.tmp.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# --- tools ---------------------------------------------------------------------------------------
# Each is installed in place and stamped (.ok) last, so a half-finished install is redone next time.
VENV="$DIR/tools/venv"
NPM_PREFIX="$DIR/tools/npm"
install_venv() {
  [ -f "$VENV/.ok" ] && [ "$(cat "$VENV/.ok")" = "$COMPONENTIZE_PY" ] && return 0
  command -v "$PYTHON" >/dev/null 2>&1 || skip "$PYTHON not found (needed for pip install $COMPONENTIZE_PY)"
  local t0
  t0="$(now)"
  log "installing $COMPONENTIZE_PY into $VENV ..."
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" >"$TMP/venv.log" 2>&1 || skip "$PYTHON -m venv failed: $(tail -n 1 "$TMP/venv.log")"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --retries 1 --timeout 30 -q \
      --only-binary=:all: "$COMPONENTIZE_PY" >"$TMP/pip.log" 2>&1; then
    skip "pip install $COMPONENTIZE_PY failed (offline?): $(grep -v '^\s*$' "$TMP/pip.log" | tail -n 1)"
  fi
  printf '%s\n' "$COMPONENTIZE_PY" >"$VENV/.ok"
  log "  installed in $(since "$t0") s"
}
npm_fail() { grep -E '^npm (error|ERR!)' "$1" | head -n 2 | tr '\n' ' '; }
install_npm() {
  [ -f "$NPM_PREFIX/.ok" ] && [ "$(cat "$NPM_PREFIX/.ok")" = "$COMPONENTIZE_JS $JCO" ] && return 0
  command -v node >/dev/null 2>&1 || skip "node not found (needed for $COMPONENTIZE_JS)"
  command -v npm >/dev/null 2>&1 || skip "npm not found (needed for npm install $COMPONENTIZE_JS)"
  local t0
  t0="$(now)"
  log "installing $COMPONENTIZE_JS $JCO into $NPM_PREFIX ..."
  rm -rf "$NPM_PREFIX"; mkdir -p "$NPM_PREFIX"
  printf '{ "private": true }\n' >"$NPM_PREFIX/package.json"
  if ! npm_config_update_notifier=false npm install --prefix "$NPM_PREFIX" --no-fund --no-audit \
      --loglevel=error --fetch-retries=1 --fetch-timeout=30000 "$COMPONENTIZE_JS" "$JCO" >"$TMP/npm.log" 2>&1; then
    skip "npm install $COMPONENTIZE_JS $JCO failed (offline?): $(npm_fail "$TMP/npm.log")"
  fi
  printf '%s\n' "$COMPONENTIZE_JS $JCO" >"$NPM_PREFIX/.ok"
  log "  installed in $(since "$t0") s"
}
# WASI WIT for the wasi:cli/command world, from jco's tarball (npm pack: no install needed):
# wasi:cli at the root, the packages it uses under deps/.
install_wit() {
  [ -f "$DIR/wit/.ok" ] && [ "$(cat "$DIR/wit/.ok")" = "$JCO $WASI_VERSION ${WIT_PACKAGES[*]}" ] && return 0
  command -v npm >/dev/null 2>&1 || skip "npm not found (needed for npm pack $JCO, for the WASI WIT)"
  local d="$TMP/jco" b="package/lib/wit/builtin" w="$TMP/wit" p got
  mkdir -p "$d"
  log "fetching the WASI $WASI_VERSION WIT from $JCO ..."
  if ! (cd "$d" && npm_config_update_notifier=false npm pack --loglevel=error --fetch-retries=1 \
      --fetch-timeout=30000 "$JCO") >"$TMP/pack.log" 2>&1; then
    skip "npm pack $JCO failed (offline?): $(npm_fail "$TMP/pack.log")"
  fi
  [ -f "$d/$JCO_TGZ" ] || skip "$JCO: expected $JCO_TGZ after npm pack, got: $(ls "$d" | tr '\n' ' ')"
  got="$(sha256 "$d/$JCO_TGZ")"
  if [ "$got" != "$JCO_TGZ_SHA256" ]; then
    log "error: sha256 mismatch for $JCO_TGZ: got $got, pinned $JCO_TGZ_SHA256"; exit 1
  fi
  tar -xzf "$d/$JCO_TGZ" -C "$d" "$b/LICENSE.md" "$b/README.md" "$b/$WASI_VERSION"
  mkdir -p "$w/deps"
  cp "$d/$b/$WASI_VERSION/wasi-cli/package.wit" "$d/$b/LICENSE.md" "$d/$b/README.md" "$w/"
  for p in "${WIT_PACKAGES[@]}"; do
    [ "$p" = cli ] && continue
    mkdir -p "$w/deps/$p"; cp "$d/$b/$WASI_VERSION/wasi-$p/package.wit" "$w/deps/$p/"
  done
  printf '%s\n' "$JCO $WASI_VERSION ${WIT_PACKAGES[*]}" >"$w/.ok"
  rm -rf "$DIR/wit"; mv "$w" "$DIR/wit"
}

install_wit
for w in "${NEED[@]}"; do
  case "$w" in python|python-http) install_venv ;; js|js-http) install_npm ;; esac
done

# --- builds (in $TMP, from a copy of the app source; the output is renamed into place) -------------
build() {
  local name="$1" b="$TMP/build-$1" t0
  mkdir -p "$b"
  t0="$(now)"
  log "building $name.wasm ..."
  case "$name" in
    python|python-http)
      # python-http is a wasi:http/proxy (served by `wobs serve`), python a wasi:cli/command.
      local world="wasi:cli/command@$WASI_VERSION"
      [ "$name" = python-http ] && world="wasi:http/proxy@$WASI_VERSION"
      cp "$SRC/$name/app.py" "$b/"
      mkdir -p "$b/no-venv/lib/site-packages" # bundle no site-packages of ours or of the tools' venv
      if ! (cd "$b" && VIRTUAL_ENV="$b/no-venv" "$VENV/bin/componentize-py" -q -d "$DIR/wit" \
          -w "$world" componentize -p "$b" app -o "$b/out.wasm") >"$b.log" 2>&1; then
        log "error: componentize-py failed:"; grep -v '^\s*[0-9]*:\|^\s*at ' "$b.log" | head -n 20 >&2; exit 1
      fi ;;
    js|js-http)
      # js-http keeps StarlingMonkey's http and fetch-event features (its default): the component
      # then also imports wasi:http, which only links with `-S http`.
      local features=(--disable http fetch-event)
      [ "$name" = js-http ] && features=()
      cp "$SRC/js/app.js" "$b/"
      if ! (cd "$b" && node "$NPM_PREFIX/node_modules/@bytecodealliance/componentize-js/src/cli.js" app.js \
          --wit "$DIR/wit" --world-name command --use-debug-build "${features[@]}" \
          -o "$b/out.wasm") >"$b.log" 2>&1; then
        log "error: componentize-js failed:"; tail -n 20 "$b.log" >&2; exit 1
      fi ;;
  esac
  [ -s "$b/out.wasm" ] || { log "error: $name: no component written"; cat "$b.log" >&2; exit 1; }
  mv "$b/out.wasm" "$DIR/$name.wasm"
  stamp_of "$name" >"$DIR/.ok.$name"
  log "  built $name.wasm ($(stat -c %s "$DIR/$name.wasm") bytes) in $(since "$t0") s"
}
for w in "${NEED[@]}"; do build "$w"; done

print_paths
