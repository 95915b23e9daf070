#!/usr/bin/env bash
# Installs the Debian 12 packages that bench/suite.sh measures livekv against, and its tools:
#   nginx            the HTTP ceiling of one core (`return 200` with a 100-byte body)
#   webdis + redis   the closest HTTP key-value peer, and redis-benchmark's non-HTTP ceiling
#   etcd             v2 keys API and v3 JSON gateway
#   wrk, gnuplot     the load generator and the charts
# Idempotent and quiet when everything is already present; runs `apt-get update` at most once.
# Root or sudo, like scripts/install-deps.sh.
set -euo pipefail

packages=(nginx webdis redis-server redis-tools etcd-server etcd-client gnuplot-nox wrk)

# nginx, redis-server, webdis and etcd-server ship daemons that would start on the default ports
# at install. The suite starts its own instances on loopback with its own configs, ports and data
# directories and stops them after, so the packaged ones must never run (apt.sh sees to that).
source "$(dirname "$0")/../scripts/lib/apt.sh"
apt_install_missing install-peers "${packages[@]}"
