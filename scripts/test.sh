#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit and integration tests in a Release
# build, then again under ASan+UBSan and under TSan. Exit status 0 only if every suite passes.
#   scripts/test.sh                 # everything
#   LIVEKV_PRESETS="release" scripts/test.sh   # a subset
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

presets=${LIVEKV_PRESETS:-"release asan tsan"}
jobs=$(nproc)
start=$(date +%s)
for preset in $presets; do
  echo "=== $preset: build" >&2
  t0=$(date +%s)
  scripts/build.sh "$preset" -j "$jobs"
  echo "=== $preset: test" >&2
  # TSan maps shadow memory at fixed addresses; with high ASLR entropy it can fail to start.
  runner=()
  if [ "$preset" = tsan ] && command -v setarch >/dev/null; then runner=(setarch "$(uname -m)" -R); fi
  "${runner[@]}" ctest --preset "$preset" -j "$jobs"
  echo "=== $preset: done in $(( $(date +%s) - t0 ))s" >&2
done
echo "=== all suites passed in $(( $(date +%s) - start ))s" >&2
