#!/usr/bin/env bash
# One fuzz target's ctest run: replays its committed corpus (every crash ever found is in it),
# then mutates it for RUNS executions with a fixed seed, so the run does the same work on any
# machine; SECONDS caps it on a slow one. New inputs go to WORK_DIR (emptied first), never into
# the committed corpus. LIVEKV_FUZZ_SEED picks another seed.
#   run_bounded.sh TARGET_BINARY CORPUS_DIR WORK_DIR RUNS SECONDS [DICT]
set -euo pipefail
binary=$1 corpus=$2 work=$3 runs=$4 seconds=$5 dict=${6:-}
rm -rf "$work"
mkdir -p "$work"
args=(-seed="${LIVEKV_FUZZ_SEED:-1}" -runs="$runs" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
      -print_final_stats=1 -artifact_prefix="$work/")
[ -n "$dict" ] && args+=(-dict="$dict")
exec "$binary" "${args[@]}" "$work" "$corpus"
