#!/usr/bin/env bash
# Durability figures (issue 4): PUT throughput with --fsync always at 1, 16 and 64 connections next
# to the disk's raw synchronous write rate; recovery time for 1 M keys from the log and from a
# snapshot; bytes on disk per key.
#
#   bench/durability.sh [KEYS]        (default 1000000)
#
# Prints a markdown table. Figures are ratios against references measured in the same run.
set -euo pipefail
keys=${1:-1000000}
source "$(dirname "$0")/common.sh"

# The disk's raw rate of small synchronous writes: the ceiling without group commit.
dd_out=$(dd if=/dev/zero of="$work/dd" bs=4k count=2000 oflag=dsync 2>&1 | tail -1)
dd_secs=$(echo "$dd_out" | sed -n 's/.* copied, \([0-9.e+-]*\) s.*/\1/p')
dd_rate=$(python3 -c "print(round(2000 / $dd_secs))")

echo "| figure | value | reference | ratio |"
echo "| --- | --- | --- | --- |"
echo "| dd oflag=dsync (4 KiB writes/s) | $dd_rate | | |"
start "" --fsync always --data-dir "$work/always"
for c in 1 16 64; do
  rps=$(wrk -t1 -c"$c" -d5s -s bench/lua/put_unique.lua "http://127.0.0.1:$port" | sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p')
  syncs=$(status_field 'd["storage"]["log"]["fsyncs"]')
  echo "| PUT --fsync always, $c connections (req/s) | ${rps%.*} | dd $dd_rate/s | $(python3 -c "print(round($rps / $dd_rate, 1))")x |"
done
stop

# Recovery of N keys: load through batches, stop, restart, read the recovery time.
start "" --fsync no --data-dir "$work/rec" --snapshot-log-bytes 64GiB
python3 bench/load_keys.py "$port" "$keys"
stop
log_bytes=$(du -sb "$work/rec" | cut -f1)
t0=$(date +%s.%N); start "" --data-dir "$work/rec"; t1=$(date +%s.%N)
rec_log=$(status_field 'round(d["storage"]["recovery"]["seconds"], 3)')
echo "| recovery of $keys keys from the log (s) | $rec_log | start to ready $(python3 -c "print(round($t1 - $t0, 2))") s | |"
echo "| log bytes per key | $(python3 -c "print(round($log_bytes / $keys))") | | |"
curl -s -X POST "http://127.0.0.1:$port/v1/admin/snapshot" >/dev/null
stop
snap_bytes=$(du -sb "$work/rec" | cut -f1)
start "" --data-dir "$work/rec"
rec_snap=$(status_field 'round(d["storage"]["recovery"]["seconds"], 3)')
echo "| recovery of $keys keys from a snapshot (s) | $rec_snap | from the log: $rec_log s | $(python3 -c "print(round($rec_log / max($rec_snap, 0.001), 1))")x faster |"
echo "| bytes on disk per key after a snapshot | $(python3 -c "print(round($snap_bytes / $keys))") | 112 bytes of key+value | |"
stop
