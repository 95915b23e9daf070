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

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-peers: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-peers: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# nginx, redis-server, webdis and etcd-server ship daemons that would start on the default ports
# at install. The suite starts its own instances on loopback with its own configs, ports and data
# directories and stops them after, so the packaged ones must never run: policy-rc.d is Debian's
# switch for that, removed again below.
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  guard=/usr/sbin/policy-rc.d
fi
trap '[ -n "$guard" ] && $sudo rm -f "$guard"' EXIT
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
