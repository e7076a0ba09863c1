#!/usr/bin/env bash
# OTLP interop check of `wobs serve`: traces, metrics and logs of a served component reach a real
# third-party collector (rotel, PyPI), once over OTLP/gRPC and once over OTLP/HTTP (protobuf).
#
#   bench/serve-interop.sh
#
# For each transport: rotel starts with debug logs for the three signals; `wobs serve --otlp`
# serves componentize-py's handler (bench/fetch-components.sh python-http); REQUESTS requests are
# sent; SIGINT stops the server. Then:
#   1. wobs exits 0 and says `exported REQUESTS spans ... (0 dropped: queue full, 0 failed)`;
#   2. rotel's log shows traces, metrics and logs received.
# Environment: WOBS (default ${CARGO_TARGET_DIR:-target}/debug/wobs; not built here), WOBS_CACHE.
# Exit status: 0 = passed, or skipped (rotel or the component cannot be had offline); 1 = failure.
set -euo pipefail
cd "$(dirname "$0")/.."

ROTEL_VERSION="${ROTEL_VERSION:-0.0.1a15}"
CACHE="${WOBS_CACHE:-${HOME:-/root}/.cache/wobs}"
VENV="$CACHE/rotel-venv"
WOBS="${WOBS:-${CARGO_TARGET_DIR:-target}/debug/wobs}"
REQUESTS=5
say() { printf 'serve-interop: %s\n' "$*"; }
die() { printf 'serve-interop: FAIL: %s\n' "$*" >&2; exit 1; }
[ -x "$WOBS" ] || die "no wobs binary at $WOBS"
COMPONENT="${WOBS_THIRD_PARTY_DIR:-$CACHE/third-party}/components/python-http.wasm"
[ -f "$COMPONENT" ] || { say "SKIPPED: no $COMPONENT (bench/fetch-components.sh python-http)"; exit 0; }

BENCH_NAME=serve-interop
# shellcheck source=bench/lib-rotel.sh
source bench/lib-rotel.sh
rotel_install

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
check() {   # check PROTOCOL: one server, REQUESTS requests, one rotel
  local protocol="$1" endpoint port server err="$WORK/serve-$2.err"
  rotel_start --debug-log traces --debug-log metrics --debug-log logs
  endpoint="http://127.0.0.1:$GRPC_PORT"
  [ "$protocol" = grpc ] || endpoint="http://127.0.0.1:$HTTP_PORT"
  port=$(free_port)
  OTEL_METRIC_EXPORT_INTERVAL=60000 "$WOBS" serve --addr "127.0.0.1:$port" --otlp \
    --otlp-protocol "$protocol" --otlp-endpoint "$endpoint" "$COMPONENT" >"$WORK/serve.out" 2>"$err" &
  server=$!
  python3 - "$port" "$REQUESTS" <<'EOF' || { kill "$server" 2>/dev/null; fail "$protocol: requests failed: $(tail -n 3 "$err")"; }
import socket, sys, time, urllib.request
port, count = int(sys.argv[1]), int(sys.argv[2])
deadline = time.time() + 180
while True:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("wobs serve did not listen")
        time.sleep(0.2)
for i in range(count):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/interop?{i}", timeout=60) as r:
        assert r.status == 200, r.status
EOF
  kill -INT "$server"
  wait "$server" || fail "$protocol: wobs serve exited with $?: $(tail -n 3 "$err")"
  grep -q "exported $REQUESTS spans to .* (0 dropped: queue full, 0 failed)" "$err" \
    || fail "$protocol: $(grep 'exported' "$err" || tail -n 3 "$err")"
  ! grep -q "warning: exporting" "$err" || fail "$protocol: $(grep 'warning: exporting' "$err")"
  sleep 1   # rotel logs what it received as it gets it
  for signal in traces metrics logs; do
    sed 's/\x1b\[[0-9;]*m//g' "$LOG" | grep -q "Received $signal" || fail "$protocol: rotel received no $signal"
  done
  say "$protocol: $REQUESTS requests; rotel received their spans, metrics and log records"
  kill "$ROTEL_PID"; wait "$ROTEL_PID" 2>/dev/null || true; ROTEL_PID=""
}
check grpc 1
check http/protobuf 2
say "passed"
