#!/usr/bin/env bash
# The long fuzz run (docs/fuzzing.md): builds the clang-fuzz preset, then runs each fuzz target (or
# the one named) for SECONDS (default 600), one after the other, under ASan+UBSan.
#   scripts/fuzz.sh                 # every target, 10 minutes each
#   scripts/fuzz.sh http 3600       # one target, an hour
#   LIVEKV_FUZZ_COMMIT=1 scripts/fuzz.sh wal 600   # also merge what it found into the committed corpus
# Each target's corpus grows in build/clang-fuzz/fuzz/<target>/corpus, across runs: a run starts
# from it and the committed seeds (tests/fuzz/corpus/<target>), and what it finds is merged
# (minimized) into it. The committed corpus changes only with LIVEKV_FUZZ_COMMIT=1; keep it small.
# A crash leaves its input in build/clang-fuzz/fuzz/<target>/ (crash-*, leak-*, timeout-*, oom-*);
# the script goes on with the next target and exits 1 at the end. To turn one into a regression
# test: fix the bug, then copy the input into tests/fuzz/corpus/<target>/ (ctest -L fuzz replays it).
# LIVEKV_FUZZ_JOBS (default 1) runs that many fuzzing processes per target (libFuzzer's -fork).
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(http json_bodies auth_file wal snapshot)
[ $# -ge 1 ] && [ -n "$1" ] && targets=("$1")
seconds=${2:-600}
jobs=${LIVEKV_FUZZ_JOBS:-1}

scripts/install-deps.sh
nice -n 10 scripts/build.sh clang-fuzz -j "$(nproc)" >&2
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for t in "${targets[@]}"; do
  binary=build/clang-fuzz/fuzz_$t
  [ -x "$binary" ] || { echo "fuzz.sh: no target '$t' (one of: http json_bodies auth_file wal snapshot)" >&2; exit 2; }
  work=build/clang-fuzz/fuzz/$t
  rm -rf "$work/new"
  mkdir -p "$work/corpus" "$work/new"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/")
  [ -f "tests/fuzz/dict/$t.dict" ] && args+=(-dict="tests/fuzz/dict/$t.dict")
  [ "$jobs" -gt 1 ] && args+=(-fork="$jobs" -ignore_crashes=1)
  echo "=== fuzz $t: ${seconds}s" >&2
  if ! nice -n 10 "$binary" "${args[@]}" "$work/new" "$work/corpus" "tests/fuzz/corpus/$t"; then
    failed+=("$t")
  fi
  # Keep what the run found, minimized: in the work corpus, or (asked) in the committed one.
  into=$work/corpus
  [ "${LIVEKV_FUZZ_COMMIT:-0}" = 1 ] && into=tests/fuzz/corpus/$t
  nice -n 10 "$binary" -merge=1 "$into" "$work/new" "$work/corpus" >/dev/null 2>&1 || true
  rm -rf "$work/new"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "=== fuzz: crashes in ${failed[*]}; inputs:" >&2
  for t in "${failed[@]}"; do ls -1 build/clang-fuzz/fuzz/"$t"/{crash,leak,timeout,oom}-* 2>/dev/null >&2 || true; done
  exit 1
fi
echo "=== fuzz: no crash in ${targets[*]}" >&2
