#!/usr/bin/env bash
# What counting metrics costs: GET and PUT throughput with --metrics on and off, in the same run,
# the server pinned to CPU 0 (one io thread) and wrk to CPU 1. Prints medians of 3 runs.
#   bench/metrics_cost.sh [SECONDS per run, default 5]
set -euo pipefail
secs=${1:-5}
source "$(dirname "$0")/common.sh"

run() {  # run METRICS SCRIPT → median req/s of 3
  start 0 --threads 1 --in-memory --metrics "$1"
  python3 bench/load_keys.py "$port" 1000
  local r=()
  for _ in 1 2 3; do
    r+=("$(taskset -c 1 wrk -t1 -c64 -d"${secs}s" -s "$2" "http://127.0.0.1:$port" | sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p')")
  done
  stop
  printf '%s\n' "${r[@]}" | sort -n | sed -n 2p
}
echo "| workload (64 connections, 1 io thread) | metrics on | metrics off | on/off |"
echo "| --- | --- | --- | --- |"
for w in get_hit put_unique; do
  on=$(run on "bench/lua/$w.lua"); off=$(run off "bench/lua/$w.lua")
  echo "| $w | ${on%.*} | ${off%.*} | $(python3 -c "print(round($on / $off, 3))") |"
done
