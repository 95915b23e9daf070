#!/usr/bin/env bash
# Live-feed fan-out: PUT throughput with 0, 1,000 and 10,000 WebSocket subscribers on /wal, how late
# their events arrive, and the server's memory per idle subscriber (VmRSS with every subscription
# open and idle, minus VmRSS before, divided by N).
#
#   bench/feed_fanout.sh [SECONDS per run, default 10] [WRITERS, default 16]
#
# livekv is pinned to CPU 0 and bench_feed_fanout to CPU 1, so each side has one core; the table
# shows both CPU shares and the load average, so a saturated client or a busy machine is visible
# instead of passing for a slow server. The server runs --threads 1: it has one core, and a second
# io thread on it could only add context switches and cross-thread hand-offs to the session strands
# the hub posts to (the same setting as bench/metrics_cost.sh, so the 0-subscriber figure is
# comparable). --in-memory: this measures the fan-out, not the disk (bench/durability.sh does).
# Every run gets a fresh server, so every memory figure starts from the same baseline.
#
# Each subscriber count runs twice. "unbounded": writers send as soon as their answer came; the
# server never makes writers wait for subscribers, so this measures the fan-out's capacity
# (events/s), and its latency is mostly backlog. "paced": writes at a quarter of the rate that
# capacity carries to N subscribers (LIVEKV_FANOUT_PACE=0.25), where delivery latency means
# something. Not half: an event costs the server more when it comes alone (a wake-up, a fetch and a
# re-arm per subscriber) than inside a backlog, so half the saturated capacity is nearly saturated.
#
# On a machine shared with other work, LIVEKV_BENCH_NICE=-10 (needs root) runs server and client at
# that nice level, so that the figures describe livekv rather than its neighbours; the load average
# in the table says how busy the machine was. With autogroup scheduling (Linux's default on
# desktops and many VMs) CPU time is first split between sessions, and nice only ranks processes
# within one: the script then starts its own session and gives that session the nice level.
#
# Prints a markdown table on stdout, each run's summary on stderr; the JSON line of each run is kept
# in $LIVEKV_BENCH_OUT/feed_fanout_<run>.json when that variable names a directory.
set -euo pipefail
if [ -n "${LIVEKV_BENCH_NICE:-}" ] && [ -z "${LIVEKV_BENCH_SESSION:-}" ] && [ -w /proc/self/autogroup ]; then
  exec env LIVEKV_BENCH_SESSION=1 setsid -w bash -c 'echo "$1" >/proc/self/autogroup && shift && exec "$@"' \
    - "$LIVEKV_BENCH_NICE" "$0" "$@"
fi
secs=${1:-10}
writers=${2:-16}
pace=${LIVEKV_FANOUT_PACE:-0.25}
# 10,000 subscribers need 10,000 descriptors in the server and as many in the client.
ulimit -n "$(ulimit -Hn)"
source "$(dirname "$0")/common.sh"
scripts/build.sh release --target bench_feed_fanout >/dev/null
tool=$PWD/build/release/bench_feed_fanout
nice_level=${LIVEKV_BENCH_NICE:-}
client_prefix=(taskset -c 1)
[ -n "$nice_level" ] && client_prefix=(nice -n "$nice_level" taskset -c 1)
prioritize_server() {  # nice is per thread on Linux: renice every thread the server has started
  [ -n "$nice_level" ] || return 0
  local t
  for t in /proc/"$pid"/task/*; do renice -n "$nice_level" -p "${t##*/}" >/dev/null; done
}

run() {  # run NAME SUBSCRIBERS [TOOL ARGS...] → its JSON line in $work/NAME.json
  local name=$1 n=$2
  shift 2
  start 0 --threads 1 --in-memory
  prioritize_server
  echo "== $name: $n subscribers, $writers writers, $secs s $*" >&2
  # The tool exits 1 when a subscription or a write failed; the JSON line still says how many.
  "${client_prefix[@]}" "$tool" --port "$port" --server-pid "$pid" --subscribers "$n" --writers "$writers" \
    --seconds "$secs" "$@" >"$work/$name.json" || true
  stop
  [ -s "$work/$name.json" ] || { echo "no result for $name" >&2; exit 1; }
  if [ -n "${LIVEKV_BENCH_OUT:-}" ]; then cp "$work/$name.json" "$LIVEKV_BENCH_OUT/feed_fanout_$name.json"; fi
}
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$work/$1.json"; }

counts=(0 1000 10000)
if [ "$(ulimit -n)" -lt 10100 ]; then
  echo "open-file limit $(ulimit -n) < 10100: skipping 10,000 subscribers" >&2
  counts=(0 1000)
fi
for n in "${counts[@]}"; do
  run "unbounded_$n" "$n"
  if [ "$n" -gt 0 ]; then
    rate=$(field "unbounded_$n" "max(0.2, round($pace * d['events_per_s'] / $n, 1))")
    run "paced_$n" "$n" --rate "$rate"
  fi
done

python3 - "$work" "$nice_level" "$pace" "${counts[@]}" <<'PY'
import json, sys
work, nice, pace, counts = sys.argv[1], sys.argv[2], float(sys.argv[3]), [int(c) for c in sys.argv[4:]]
ub = {n: json.load(open(f"{work}/unbounded_{n}.json")) for n in counts}
pc = {n: json.load(open(f"{work}/paced_{n}.json")) for n in counts if n}
base = ub[0]["writes_per_s"]

def ms(us):
    return f"{us / 1000:.1f}" if abs(us) >= 1000 else f"{us / 1000:.2f}"

def lat(r):
    d = r["delivery_latency_us"]
    return f"{ms(d['p50'])} / {ms(d['p99'])} / {ms(d['max'])}"

def fate(r):
    return f"{r['subscribers_overflowed']} / {r['subscribers_closed']} / {r['subscribers_incomplete']}"

def neg(r):
    d = r["delivery_latency_us"]
    return f"{100 * d['negative'] / max(d['count'], 1):.1f} % (min {ms(d['min'])})"

def cpu(r):
    return f"{r['server_cpu_pct']:.0f} / {r['client_cpu_pct']:.0f}"

rows = [
    ("writes/s, writers unbounded", lambda n: f"{ub[n]['writes_per_s']:.0f}"),
    ("writes/s vs 0 subscribers", lambda n: f"{ub[n]['writes_per_s'] / base:.4f}" if base else ""),
    ("events delivered/s, writers unbounded", lambda n: f"{ub[n]['events_per_s']:.0f}" if n else ""),
    ("delivery p50 / p99 / max (ms), writers unbounded: mostly backlog", lambda n: lat(ub[n]) if n else ""),
    (f"paced: writes/s ({pace:g} × events/s ÷ subscribers)", lambda n: f"{pc[n]['writes_per_s']:.1f}" if n else ""),
    ("paced: events delivered/s", lambda n: f"{pc[n]['events_per_s']:.0f}" if n else ""),
    ("**paced: delivery p50 / p99 / max (ms, receipt − ack)**", lambda n: lat(pc[n]) if n else ""),
    ("paced: events that beat their ack (latency < 0)", lambda n: neg(pc[n]) if n else ""),
    ("paced: commit → receipt p50 / p99 (ms, event ts)",
     lambda n: f"{pc[n]['commit_to_receipt_ms']['p50']} / {pc[n]['commit_to_receipt_ms']['p99']}" if n else ""),
    ("subscribers overflowed / closed / incomplete: unbounded; paced",
     lambda n: f"{fate(ub[n])}; {fate(pc[n])}" if n else ""),
    ("events delivered / expected, unbounded", lambda n: f"{ub[n]['events']} / {ub[n]['events_expected']}" if n else ""),
    ("**server memory per idle subscriber (bytes, VmRSS)**",
     lambda n: f"{ub[n]['server_bytes_per_subscriber']:.0f}" if n else ""),
    ("server VmRSS before → with subscribers (MiB)",
     lambda n: f"{ub[n]['server_rss_kib_before'] / 1024:.1f}"
     + (f" → {ub[n]['server_rss_kib_after'] / 1024:.1f}" if n else "")),
    ("server VmRSS after the unbounded run, subscribers caught up (MiB)",
     lambda n: f"{ub[n]['server_rss_kib_end'] / 1024:.1f}" if n else ""),
    ("server CPU with the subscribers idle (% of one core)", lambda n: f"{ub[n]['server_idle_cpu_pct']:.1f}" if n else ""),
    ("server CPU per delivered event (µs), unbounded", lambda n: f"{ub[n]['server_cpu_us_per_event']:.2f}" if n else ""),
    ("server CPU per write (µs), unbounded", lambda n: f"{ub[n]['server_cpu_us_per_write']:.1f}"),
    ("CPU server / client (% of one core): unbounded; paced",
     lambda n: cpu(ub[n]) + (f"; {cpu(pc[n])}" if n else "")),
    ("load average (1 min) at start: unbounded; paced" + (f" (nice {nice})" if nice else ""),
     lambda n: ub[n]["load_average_start"].split()[0] + (f"; {pc[n]['load_average_start'].split()[0]}" if n else "")),
]
r0 = ub[0]
print(f"| {r0['writers']} writers, {r0['value_bytes']}-byte values, {r0['seconds']:.0f} s per run | "
      + " | ".join(f"{n:,} subscribers" for n in counts) + " |")
print("| --- |" + " --- |" * len(counts))
for name, f in rows:
    print(f"| {name} | " + " | ".join(f(n) for n in counts) + " |")
PY
