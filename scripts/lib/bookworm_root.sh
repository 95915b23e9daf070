# Sourced, not run: a pristine Debian 12 (bookworm) root file system, made with debootstrap once and
# cached as a tarball, for the deployment tests (scripts/container-test.sh imports it as the
# container's base image, scripts/deb-test.sh installs the .deb into a copy of it).
#
# bookworm_root_tarball TAG
#   Prints the path of the tarball (a minbase root with ca-certificates), building it first when
#   the cache lacks it (about a minute with a near mirror). Needs root, debootstrap and Debian's
#   mirror; messages go to stderr prefixed "TAG: ". Cache: $LIVEKV_CACHE or ~/.cache/livekv.

bookworm_root_tarball() {
  local tag=$1
  local cache=${LIVEKV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/livekv}
  local tarball=$cache/bookworm-minbase.tar
  if [ ! -s "$tarball" ]; then
    mkdir -p "$cache"
    local tmp
    tmp=$(mktemp -d)
    echo "$tag: building a minimal bookworm root with debootstrap (once; cached in $cache)" >&2
    if ! debootstrap --variant=minbase --include=ca-certificates bookworm "$tmp/root" \
      http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1; then
      tail -20 "$cache/debootstrap.log" >&2
      rm -rf "$tmp"
      return 1
    fi
    # Written under another name first: an interrupted run must not leave half a tarball cached.
    tar -C "$tmp/root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$tmp"
  fi
  echo "$tarball"
}
