#!/usr/bin/env bash
# A real Prometheus server (Debian package `prometheus`) scrapes a real livekv on loopback; the
# test then asks Prometheus's HTTP API that `up` is 1 and that a request counter holds exactly the
# number of requests made.   usage: prometheus_scrape.sh <livekv-binary>
set -euo pipefail
bin=$1
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/prom.log" ] && tail -20 "$work/prom.log" >&2; echo "0 passed, 1 failed"; exit 1; }
command -v prometheus >/dev/null || fail "prometheus is not installed (apt-get install prometheus)"

"$bin" --port 0 --in-memory >"$work/out" 2>"$work/err" &
pids+=($!)
for _ in $(seq 1 200); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/out")
[ -n "$port" ] || fail "livekv did not start: $(cat "$work/err")"
for i in 1 2 3 4 5; do curl -s -o /dev/null -X PUT --data-binary v "http://127.0.0.1:$port/v1/kv/k$i"; done

# A free loopback port for Prometheus's own web server.
prom_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: livekv
    static_configs:
      - targets: ["127.0.0.1:$port"]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prom.log" 2>&1 &
pids+=($!)

query() {  # query EXPR → the first result's value, or empty
  # Prometheus may not listen yet: a refused connection is an empty answer, not a failure.
  { curl -s --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" || true; } |
    python3 -c 'import json,sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")'
}
up=""
for _ in $(seq 1 120); do  # bounded: 60 s
  up=$(query 'up{job="livekv"}')
  [ "$up" = "1" ] && break
  sleep 0.5
done
[ "$up" = "1" ] || fail "up{job=\"livekv\"} never became 1 (last: '$up')"
puts=""
for _ in $(seq 1 40); do
  puts=$(query 'livekv_http_requests_total{job="livekv",route="/v1/kv/{key}",method="PUT",code="201"}')
  [ "$puts" = "5" ] && break
  sleep 0.5
done
[ "$puts" = "5" ] || fail "expected 5 PUTs in Prometheus, got '$puts'"
echo "prometheus scraped livekv: up=1, PUT 201 count=5"
echo "1 passed, 0 failed"
