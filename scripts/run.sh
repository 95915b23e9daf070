#!/usr/bin/env bash
# Quick start: installs what is missing, builds Release and serves on 127.0.0.1:8080 with its data
# in ./data. Extra arguments go to livekv (see ./build/release/livekv --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release --target livekv
exec ./build/release/livekv --host 127.0.0.1 --port 8080 --data-dir ./data "$@"
