# Sourced, not run: the Debian package installation that scripts/install-deps.sh and
# bench/install-peers.sh share.
#
# apt_install_missing TAG PACKAGE...
#   Installs those of the PACKAGEs that dpkg does not list as installed, quietly (one line on
#   stderr naming them, prefixed "TAG: "), as root or through sudo. Does nothing, and needs no
#   privileges, when none is missing; runs `apt-get update` at most once. Packaged daemons are
#   kept from starting while it installs (Debian's policy-rc.d, created for the run and removed
#   again at exit): the callers start what they need themselves, on loopback with their own
#   configs and ports. A caller may define apt_provided_elsewhere PACKAGE, which succeeds when
#   something outside dpkg already provides PACKAGE; such packages are not asked for.
#   Exits 1 (with a message) when it needs root and there is no sudo; a failed apt-get exits the
#   caller through its `set -e`.

apt_install_missing() {
  local tag=$1
  shift
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
    declare -F apt_provided_elsewhere >/dev/null && apt_provided_elsewhere "$p" && continue
    missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "$tag: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "$tag: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    # shellcheck disable=SC2064  # expanded now: $sudo is local to this function
    trap "$sudo rm -f /usr/sbin/policy-rc.d" EXIT
  fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
