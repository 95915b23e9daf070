#!/usr/bin/env bash
# Installs every Debian 12 package that livekv's build, tests and benchmarks need.
# Idempotent and quiet when everything is already present; runs `apt-get update` at most once.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git
  clang   # the clang-tsa build: clang's -Wthread-safety checks the LIVEKV_GUARDED_BY annotations
  # libraries
  libboost1.81-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libjemalloc-dev
  prometheus-cpp-dev   # metrics: prometheus-cpp's data model, Registry and text serializer
  # tests
  libgtest-dev libgmock-dev curl procps python3
  prometheus   # promtool and a real server for the metrics tests
  chromium nodejs npm   # the web console's browser test (tests/browser)
  # benchmarks
  wrk
)

# A node from elsewhere (NodeSource's nodejs package bundles npm and conflicts with Debian's npm)
# is as good as Debian's: asking apt for npm there would try to replace it.
provided_by_command() {
  case $1 in
    nodejs) command -v node >/dev/null ;;
    npm) command -v npm >/dev/null ;;
    *) return 1 ;;
  esac
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
  provided_by_command "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Packages with daemons (prometheus) must not start them: the tests start what they need on
# loopback and stop it after. policy-rc.d is Debian's switch for that, removed again below.
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  guard=/usr/sbin/policy-rc.d
fi
trap '[ -n "$guard" ] && $sudo rm -f "$guard"' EXIT
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
