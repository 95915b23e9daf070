#!/usr/bin/env bash
# What counting metrics costs: GET and PUT throughput with --metrics on and off, in the same run,
# the server pinned to CPU 0 (one io thread) and wrk to CPU 1. The two settings alternate run by
# run (on, off, on, off, ...), each on a fresh server, so that whatever else the machine does lands
# on both alike; a run of all "on" then all "off" measured ratios from 0.85 to 1.13 here for the
# same build. Prints the medians and their ratio.
#   bench/metrics_cost.sh [SECONDS per run, default 5] [REPS, default 5]
#   LIVEKV_BIN=path/to/livekv bench/metrics_cost.sh   # measure another build (e.g. an older commit)
set -euo pipefail
secs=${1:-5}
reps=${2:-5}
source "$(dirname "$0")/common.sh"
bin=${LIVEKV_BIN:-$bin}

run_one() {  # run_one METRICS SCRIPT → req/s
  start 0 --threads 1 --in-memory --metrics "$1"
  python3 bench/load_keys.py "$port" 1000
  taskset -c 1 wrk -t1 -c64 -d"${secs}s" -s "$2" "http://127.0.0.1:$port" | sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p'
  stop
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "| workload (64 connections, 1 io thread) | metrics on | metrics off | on/off |"
echo "| --- | --- | --- | --- |"
for w in get_hit put_unique; do
  on=() off=()
  for _ in $(seq 1 "$reps"); do
    on+=("$(run_one on "bench/lua/$w.lua")")
    off+=("$(run_one off "bench/lua/$w.lua")")
  done
  m_on=$(printf '%s\n' "${on[@]}" | median)
  m_off=$(printf '%s\n' "${off[@]}" | median)
  echo "| $w | ${m_on%.*} | ${m_off%.*} | $(python3 -c "print(round($m_on / $m_off, 3))") |"
done
