#!/usr/bin/env bash
# Live-feed fan-out: PUT throughput with 0, 1,000 and 10,000 WebSocket subscribers on /wal, how late
# their events arrive, and the server's memory per idle subscriber (VmRSS with every subscription
# open and idle, minus VmRSS before, divided by N).
#
#   bench/feed_fanout.sh [SECONDS per run, default 10] [WRITERS, default 16]
#
# livekv is pinned to CPU 0 and bench_feed_fanout to CPU 1, so each side has one core; the table
# shows both CPU shares, so a saturated client is visible instead of passing for a slow server.
# The server runs --threads 1: it has one core, and a second io thread on it could only add context
# switches and cross-thread hand-offs to every session strand the hub posts to (the same setting
# as bench/metrics_cost.sh, so the 0-subscriber figure is comparable). --in-memory: this measures
# the fan-out, not the disk (bench/durability.sh does). Each run gets a fresh server, so every
# memory figure starts from the same baseline.
#
# Prints a markdown table on stdout, the tool's own summary of each run on stderr; the JSON line of
# each run is kept in $LIVEKV_BENCH_OUT/feed_fanout_<N>.json when that variable names a directory.
set -euo pipefail
secs=${1:-10}
writers=${2:-16}
# 10,000 subscribers need 10,000 descriptors in the server and as many in the client.
ulimit -n "$(ulimit -Hn)"
source "$(dirname "$0")/common.sh"
scripts/build.sh release --target bench_feed_fanout >/dev/null
tool=$PWD/build/release/bench_feed_fanout

run() {  # run SUBSCRIBERS → its JSON line in $work/run_SUBSCRIBERS.json
  local n=$1
  start 0 --threads 1 --in-memory
  echo "== $n subscribers, $writers writers, $secs s" >&2
  # The tool exits 1 when a subscription or a write failed; the JSON line still says how many.
  taskset -c 1 "$tool" --port "$port" --server-pid "$pid" --subscribers "$n" --writers "$writers" \
    --seconds "$secs" >"$work/run_$n.json" || true
  stop
  [ -s "$work/run_$n.json" ] || { echo "no result for $n subscribers" >&2; exit 1; }
  if [ -n "${LIVEKV_BENCH_OUT:-}" ]; then cp "$work/run_$n.json" "$LIVEKV_BENCH_OUT/feed_fanout_$n.json"; fi
}

counts=(0 1000 10000)
if [ "$(ulimit -n)" -lt 10100 ]; then
  echo "open-file limit $(ulimit -n) < 10100: skipping 10,000 subscribers" >&2
  counts=(0 1000)
fi
for n in "${counts[@]}"; do run "$n"; done

python3 - "$work" "${counts[@]}" <<'EOF'
import json, sys
work, counts = sys.argv[1], [int(c) for c in sys.argv[2:]]
runs = {n: json.load(open(f"{work}/run_{n}.json")) for n in counts}
base = runs[0]["writes_per_s"]
def col(f):
    return " | ".join(f(runs[n], n) for n in counts)
def ms(us):
    return f"{us / 1000:.2f}"
rows = [
    ("writes/s", lambda r, n: f"{r['writes_per_s']:.0f}"),
    ("writes/s vs 0 subscribers", lambda r, n: f"{r['writes_per_s'] / base:.3f}" if base else ""),
    ("events delivered/s (all subscribers)", lambda r, n: f"{r['events_per_s']:.0f}" if n else ""),
    ("events delivered / expected", lambda r, n: f"{r['events']} / {r['events_expected']}" if n else ""),
    ("delivery latency p50 / p99 / max (ms, receipt - ack)",
     lambda r, n: " / ".join(ms(r["delivery_latency_us"][k]) for k in ("p50", "p99", "max")) if n else ""),
    ("events that beat their ack (latency < 0)",
     lambda r, n: f"{100 * r['delivery_latency_us']['negative'] / max(r['delivery_latency_us']['count'], 1):.1f} %" if n else ""),
    ("commit to receipt p50 / p99 / max (ms, event ts)",
     lambda r, n: " / ".join(str(r["commit_to_receipt_ms"][k]) for k in ("p50", "p99", "max")) if n else ""),
    ("subscribers live / overflowed / closed / incomplete",
     lambda r, n: f"{r['subscribers_live']} / {r['subscribers_overflowed']} / {r['subscribers_closed']} / {r['subscribers_incomplete']}" if n else ""),
    ("server memory per idle subscriber (bytes, VmRSS)", lambda r, n: f"{r['server_bytes_per_subscriber']:.0f}" if n else ""),
    ("kernel TCP memory per subscriber (bytes, both ends)", lambda r, n: f"{r['kernel_tcp_bytes_per_subscriber']:.0f}" if n else ""),
    ("server RSS before → with subscribers (MiB)",
     lambda r, n: f"{r['server_rss_kib_before'] / 1024:.1f} → {r['server_rss_kib_after'] / 1024:.1f}" if n else f"{r['server_rss_kib_before'] / 1024:.1f}"),
    ("subscribe time (s)", lambda r, n: f"{r['subscribe_seconds']:.1f}" if n else ""),
    ("CPU server / client (% of one core)", lambda r, n: f"{r['server_cpu_pct']:.0f} / {r['client_cpu_pct']:.0f}"),
]
w = runs[0]["writers"]
print(f"| {w} writers, {runs[0]['value_bytes']}-byte values, {runs[0]['seconds']:.0f} s | "
      + " | ".join(f"{n:,} subscribers" for n in counts) + " |")
print("| --- |" + " --- |" * len(counts))
for name, f in rows:
    print(f"| {name} | {col(f)} |")
EOF
