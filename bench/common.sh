# Sourced by the bench scripts: builds livekv and starts/stops it on a free loopback port.
#   start [taskset CPU list or ""] ARGS...   sets $pid and $port once the server is ready
#   stop                                     SIGTERM and wait
#   status_field PYEXPR                      a value from /status, e.g. 'd["revision"]'
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh
scripts/build.sh release --target livekv >/dev/null
bin=$PWD/build/release/livekv
work=$(mktemp -d /tmp/livekv-bench.XXXXXX)
pid=""
port=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

start() {
  local cpus=$1
  shift
  local pin=()
  [ -n "$cpus" ] && pin=(taskset -c "$cpus")
  "${pin[@]}" "$bin" --port 0 --log-level warn "$@" >"$work/out" 2>"$work/err" &
  pid=$!
  for _ in $(seq 1 600); do
    grep -q "listening on" "$work/out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
    sleep 0.1
  done
  port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/out")
}
stop() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }
status_field() { curl -s "http://127.0.0.1:$port/status" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
