# Shared by the OTLP bench scripts: installs rotel (PyPI) into a cached venv and starts it on two
# free loopback ports. Source it after defining `say`, `die`, ROTEL_VERSION, CACHE and VENV.
#
#   rotel_install            sets ROTEL (exits 0 with "SKIPPED" when PyPI is unreachable)
#   rotel_start ARGS...      starts `rotel-agent start --exporter blackhole ARGS...` with its log in
#                            $LOG, sets GRPC_PORT, HTTP_PORT, ROTEL_PID; `fail` on a timeout
#   unset_env REGEX          sets UNSET to `env -u` arguments for the exported variables matching
#
# Sourcing it also makes a work directory $WORK (removed on exit unless KEEP_WORK=1) holding rotel's
# log $LOG, an exit trap that stops rotel, and `fail` (die, keeping the logs). Set BENCH_NAME first.

WORK="$(mktemp -d "${TMPDIR:-/tmp}/wobs-$BENCH_NAME.XXXXXX")"
LOG="$WORK/rotel.log"
ROTEL_PID=""
KEEP_WORK=0
cleanup() {
  if [ -n "$ROTEL_PID" ]; then
    kill "$ROTEL_PID" 2>/dev/null || true
    wait "$ROTEL_PID" 2>/dev/null || true
  fi
  if [ "$KEEP_WORK" = 1 ]; then
    echo "$BENCH_NAME: logs kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {   # like die, but keeps the logs and shows the end of rotel's
  KEEP_WORK=1
  if [ -s "$LOG" ]; then
    echo "--- last lines of the rotel log ($LOG):" >&2
    sed 's/\x1b\[[0-9;]*m//g' "$LOG" | tail -n 25 >&2
  fi
  die "$@"
}

rotel_bin() {
  "$VENV/bin/python" - <<'EOF' 2>/dev/null
import pathlib, rotel
p = pathlib.Path(rotel.__file__).parent / "rotel-agent"
print(p if p.is_file() else "")
EOF
}
rotel_install() {
  ROTEL=""
  if [ -x "$VENV/bin/python" ] && [ "$("$VENV/bin/pip" show rotel 2>/dev/null | sed -n 's/^Version: //p')" = "$ROTEL_VERSION" ]; then
    ROTEL="$(rotel_bin || true)"
  fi
  if [ -z "$ROTEL" ]; then
    say "installing rotel==$ROTEL_VERSION into $VENV"
    mkdir -p "$CACHE"
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" >"$CACHE/rotel-install.log" 2>&1 \
       || ! "$VENV/bin/pip" install -q --disable-pip-version-check --retries 2 --timeout 20 "rotel==$ROTEL_VERSION" >>"$CACHE/rotel-install.log" 2>&1; then
      tail -n 5 "$CACHE/rotel-install.log" | sed 's/^/  /' >&2
      rm -rf "$VENV"
      say "SKIPPED: could not install rotel from PyPI (offline?); nothing was checked"
      exit 0
    fi
    ROTEL="$(rotel_bin || true)"
    [ -n "$ROTEL" ] || die "rotel $ROTEL_VERSION installed but its rotel-agent binary was not found in the package"
  fi
  [ -x "$ROTEL" ] || chmod +x "$ROTEL"
}

unset_env() {   # `env` arguments that drop the exported variables whose names match the regex $1
  local name
  UNSET=()
  for name in $(compgen -e); do [[ "$name" =~ $1 ]] && UNSET+=(-u "$name"); done
  return 0
}

rotel_start() {
read -r GRPC_PORT HTTP_PORT < <(python3 - <<'EOF'
import socket
socks, ports = [], []
while len(ports) < 2:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    socks.append(s)
    if port not in (4317, 4318):
        ports.append(port)
print(*ports)
EOF
)

# rotel reads ROTEL_* variables; keep the caller's out of it. It writes its log (and the span dump)
# to stdout, with ANSI colours whether or not that is a terminal.
unset_env '^ROTEL_'
env "${UNSET[@]}" \
  "$ROTEL" start --exporter blackhole "$@" \
  --otlp-grpc-endpoint "127.0.0.1:$GRPC_PORT" --otlp-http-endpoint "127.0.0.1:$HTTP_PORT" \
  --pid-file "$WORK/rotel.pid" --log-file "$WORK/rotel-daemon.log" >"$LOG" 2>&1 &
ROTEL_PID=$!

python3 - "$GRPC_PORT" "$HTTP_PORT" "$ROTEL_PID" <<'EOF' || fail "rotel did not open ports $GRPC_PORT and $HTTP_PORT within 20 s"
import os, socket, sys, time
ports, pid = [int(p) for p in sys.argv[1:3]], int(sys.argv[3])
deadline = time.time() + 20
while time.time() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)   # rotel exited
    ok = 0
    for p in ports:
        try:
            socket.create_connection(("127.0.0.1", p), timeout=0.5).close()
            ok += 1
        except OSError:
            pass
    if ok == len(ports):
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
EOF
say "rotel $("$ROTEL" --version 2>/dev/null | awk '{print $2}') (pip $ROTEL_VERSION) on grpc 127.0.0.1:$GRPC_PORT, http 127.0.0.1:$HTTP_PORT"

}
