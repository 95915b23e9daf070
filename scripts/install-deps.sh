#!/usr/bin/env bash
# Installs every Debian 12 package that livekv's build, tests and benchmarks need.
#   scripts/install-deps.sh           # build, tests, benchmarks
#   scripts/install-deps.sh --build   # only what building the server needs (the container's build stage)
# Idempotent and quiet when everything is already present; runs `apt-get update` at most once.
set -euo pipefail

build_packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git
  # libraries
  libboost1.81-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libjemalloc-dev
  prometheus-cpp-dev   # metrics: prometheus-cpp's data model, Registry and text serializer
  libssl-dev           # TLS, and token hashes and randomness (OpenSSL 3)
  libcli11-dev         # the command line, environment and config file parser
  libsystemd-dev       # sd_notify: READY/STOPPING/WATCHDOG under systemd's Type=notify
  help2man             # the man page, made from --help at build time (without it: none, no failure)
)
test_packages=(
  clang   # the clang-fuzz build: clang's -Wthread-safety checks the LIVEKV_GUARDED_BY annotations
  libclang-rt-14-dev   # and its fuzz targets: libFuzzer and the sanitizer runtimes for clang 14
  libgtest-dev libgmock-dev curl procps python3
  openssl      # the TLS tests and bench make their own CA and certificates with its command line
  prometheus   # promtool and a real server for the metrics tests
  chromium nodejs npm   # the web console's browser test (tests/browser)
  # deployment tests: the container image (podman with runc), the .deb (cpack's dpkg-shlibdeps,
  # installed into a debootstrap root) and the unit file (systemd-analyze)
  podman runc debootstrap dpkg-dev systemd
  file   # cpack's .deb generator runs it (with dpkg-shlibdeps) to find the binaries to scan
  python3-yaml   # the compose file and Grafana provisioning are checked as YAML
  # benchmarks
  wrk
)
case ${1:-} in
  --build) packages=("${build_packages[@]}") ;;
  "") packages=("${build_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: scripts/install-deps.sh [--build]" >&2; exit 2 ;;
esac

# A node from elsewhere (NodeSource's nodejs package bundles npm and conflicts with Debian's npm)
# is as good as Debian's: asking apt for npm there would try to replace it.
apt_provided_elsewhere() {
  case $1 in
    nodejs) command -v node >/dev/null ;;
    npm) command -v npm >/dev/null ;;
    *) return 1 ;;
  esac
}

# Packages with daemons (prometheus) must not start them: the tests start what they need on
# loopback and stop it after (apt.sh sees to that).
source "$(dirname "$0")/lib/apt.sh"
apt_install_missing install-deps "${packages[@]}"
