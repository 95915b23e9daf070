#!/usr/bin/env bash
# Two builds of livekv side by side, in the same run: the figure a speed change quotes.
#
#   bench/compare.sh BASE_REF                    # BASE_REF (a commit) against the working tree
#   bench/compare.sh --bin OLD_BINARY [LABEL]    # a binary you built against the working tree
#
# Environment: BENCH_SECONDS (default 4), BENCH_REPS (default 3), BENCH_SHAPES (default
# "get:1 get:64 get:1000 miss:64 put:64 mix:64", SHAPE:CONNECTIONS as bench/lua/kv.lua knows them),
# BENCH_FSYNC (default everysec: the --fsync policy of both servers).
#
# Method: as bench/suite.sh (server pinned to CPU 0 with one io thread, wrk on CPU 1, keep-alive,
# 100-byte values over 100,000 keys, --fsync $BENCH_FSYNC), but the two builds alternate run by run
# (base, new, base, new, ...) so that whatever else the machine does lands on both alike. Prints a
# markdown table of medians and the new/base ratio per shape.
set -euo pipefail
secs=${BENCH_SECONDS:-4}
reps=${BENCH_REPS:-3}
shapes=${BENCH_SHAPES:-get:1 get:64 get:1000 miss:64 put:64 mix:64}
fsync=${BENCH_FSYNC:-everysec}
keys=100000
[ $# -ge 1 ] || { sed -n '2,12p' "$0"; exit 2; }
source "$(dirname "$0")/common.sh"  # installs deps, builds the working tree: $bin, $work, start/stop
new_bin=$bin
ulimit -n "$(ulimit -Hn)"

if [ "$1" = --bin ]; then
  base_bin=$(realpath "$2")
  base_name=${3:-$(basename "$2")}
else
  base_name=$(git rev-parse --short "$1")
  git worktree add --detach "$work/base" "$1" >/dev/null 2>&1
  (cd "$work/base" && scripts/build.sh release --target livekv >/dev/null)
  base_bin=$work/base/build/release/livekv
  trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; cleanup' EXIT
fi
new_name="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src include || echo +dirty)"

declare -A rps p99
run_one() {  # run_one BINARY SHAPE CONNS → "rps p99_us"
  bin=$1
  start 0 --threads 1 --data-dir "$work/data" --fsync "$fsync"
  python3 bench/load_keys.py "$port" "$keys" >/dev/null
  local out
  out=$(taskset -c 1 wrk -t1 -c"$3" -d"${secs}s" --timeout 10s -s bench/lua/kv.lua \
    "http://127.0.0.1:$port" -- livekv "$2" "$keys" 2>&1 | grep '^RESULT' || true)
  stop
  rm -rf "$work/data"
  [ -n "$out" ] || { echo "wrk gave no result for $2 c$3" >&2; exit 1; }
  set -- $(echo "$out" | sed 's/[a-z0-9_]*=//g')
  echo "$2 $4"
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for spec in $shapes; do
  shape=${spec%%:*}
  c=${spec##*:}
  for rep in $(seq 1 "$reps"); do
    for which in base new; do
      b=$base_bin
      [ "$which" = new ] && b=$new_bin
      set -- $(run_one "$b" "$shape" "$c")
      rps[$which,$spec]="${rps[$which,$spec]:-} $1"
      p99[$which,$spec]="${p99[$which,$spec]:-} $2"
      echo "compare: $which $shape c$c rep $rep: $1 req/s, p99 $2 us" >&2
    done
  done
done

echo "| shape | conns | $base_name req/s · p99 | $new_name req/s · p99 | new / base |"
echo "| --- | --- | --- | --- | --- |"
for spec in $shapes; do
  rb=$(echo "${rps[base,$spec]}" | median)
  rn=$(echo "${rps[new,$spec]}" | median)
  pb=$(echo "${p99[base,$spec]}" | median)
  pn=$(echo "${p99[new,$spec]}" | median)
  python3 -c "
rb, rn, pb, pn = $rb, $rn, $pb, $pn
print('| %s | %s | %s · %.2f ms | %s · %.2f ms | %.2f× |' % ('${spec%%:*}', '${spec##*:}', format(round(rb), ','), pb / 1000,
      format(round(rn), ','), pn / 1000, rn / rb))"
done
