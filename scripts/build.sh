#!/usr/bin/env bash
# Configures and builds one CMake preset (release, asan or tsan): scripts/build.sh release
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
shift || true
# ccache across fresh clones (CI clones anew each run): paths relative to the checkout, and the
# precompiled headers made cacheable.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" "$@"
