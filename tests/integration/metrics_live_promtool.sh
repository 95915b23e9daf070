#!/usr/bin/env bash
# Starts the real livekv, serves a few requests of every kind, and runs `promtool check metrics`
# on its live /metrics output.   usage: metrics_live_promtool.sh <livekv-binary>
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$bin" --port 0 --data-dir "$work/data" --fsync always >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 200); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/out")
[ -n "$port" ] || { cat "$work/err" >&2; echo "0 passed, 1 failed"; exit 1; }
base=http://127.0.0.1:$port
curl -s -o /dev/null -X PUT --data-binary v "$base/v1/kv/a?ttl=0.05"
curl -s -o /dev/null -X PUT --data-binary v "$base/v1/kv/b"
curl -s -o /dev/null "$base/v1/kv/b"
curl -s -o /dev/null "$base/v1/kv/missing"
curl -s -o /dev/null -X POST -d '{"ops":[{"op":"delete","key":"b"}]}' "$base/v1/batch"
curl -s -o /dev/null -X POST "$base/v1/admin/snapshot"
sleep 0.2
if "$here/metrics_promtool.sh" "$base/metrics"; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; exit 1; fi
