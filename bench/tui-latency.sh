#!/usr/bin/env bash
# Key-press-to-redrawn-screen time of the terminal UI for next/step (and break/continue), driven in
# tmux, on debugme.wasm and (when downloaded) ruby's 49 MB debug build; plus the process's RSS.
#   bench/tui-latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p wobs
WOBS="${CARGO_TARGET_DIR:-$PWD/target}/release/wobs"
TP="${WOBS_THIRD_PARTY_DIR:-$HOME/.cache/wobs/third-party}"
command -v tmux >/dev/null || { echo "skipping: no tmux"; exit 0; }
S="wobs-bench-$$"
trap 'tmux -L $S kill-server 2>/dev/null || true' EXIT

wait_for() { # text
  for _ in $(seq 1 1200); do
    tmux -L "$S" capture-pane -p | grep -qF -- "$1" && return 0
    sleep 0.05
  done
  echo "timed out waiting for: $1" >&2; tmux -L "$S" capture-pane -p >&2; return 1
}

case_() { # name break-spec wasm-and-flags...
  local name="$1" spec="$2"; shift 2
  local log; log="$(mktemp)"
  tmux -L "$S" new-session -d -x 120 -y 40 "WOBS_TUI_TIMING=$log $WOBS debug $*; sleep 60"
  wait_for "not started"
  tmux -L "$S" send-keys ":" "break $spec" Enter; wait_for "Breakpoint 1 at"
  tmux -L "$S" send-keys c; wait_for "stopped at"
  for key in n n s; do
    before=$(wc -l <"$log")
    tmux -L "$S" send-keys "$key"
    for _ in $(seq 1 600); do [ "$(wc -l <"$log")" -gt "$before" ] && break; sleep 0.05; done
  done
  pid=$(pgrep -x wobs | head -1)
  echo "== $name"; sed 's/^/  /' "$log"
  echo "  RSS of the wobs process while stopped: $(( $(awk '/VmRSS/ {print $2}' /proc/$pid/status) / 1024 )) MiB"
  tmux -L "$S" kill-server; rm -f "$log"
}

case_ debugme area examples/wasm/debugme.wasm
if [ -f "$TP/ruby.wasm" ]; then
  case_ "ruby (49 MB)" ruby_show_version --trap-unknown-imports \
    --invoke "'ruby-show-version: func() -> ()'" "$TP/ruby.wasm"
fi
