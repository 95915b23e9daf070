# Sourced, not run: a podman store of the deployment tests' own (scripts/container-test.sh,
# tests/deploy/systemd_boot_test.sh), isolated from any other podman use on the machine, and
# podman's settings for this kind of machine.
#
# podman_store STATE_DIR NOFILE
#   Writes STATE_DIR/containers.conf and sets the array `pod` (the podman command line on that
#   store); the function `podman` runs it. NOFILE: the open-file limit containers get, capped at
#   this shell's hard limit.
# podman_store_release
#   For the caller's exit trap: unmounts what the store leaves mounted (containers/storage mounts
#   its overlay directory on itself and never unmounts it). Left mounted, it keeps the root of a
#   chroot the test ran in (scripts/test.sh under fresh-debian) from being removed; podman mounts
#   it again on its next use.
#
# runc: crun fails on this kind of machine ("cgroups in hybrid mode not supported"). Ulimits at or
# below the hard limits: podman's defaults exceed them here, and setrlimit fails in the container.
# The run root and tmpdir are fixed paths: podman records them in its database and refuses a store
# opened with others. TMPDIR is where buildah keeps RUN --mount=type=cache (the image's ccache).

# hard_limit FLAG CAP: `ulimit -H FLAG`, at most CAP.
hard_limit() {
  local v
  v=$(ulimit -H "$1")
  [ "$v" = unlimited ] && v=$2
  echo $((v < $2 ? v : $2))
}

podman_store() {
  local state=$1 nofile nproc
  nofile=$(hard_limit -n "$2")
  nproc=$(hard_limit -u 4096)
  mkdir -p "$state/tmp"
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n[engine]\nruntime = "runc"\n' \
    "$nofile" "$nofile" "$nproc" "$nproc" >"$state/containers.conf"
  pod=(env "CONTAINERS_CONF=$state/containers.conf" "TMPDIR=$state/tmp"
    podman --root "$state/root" --runroot "$state/run" --tmpdir "$state/libpod")
  podman_store_dir=$state
}
podman_store_release() {
  if mountpoint -q "$podman_store_dir/root/overlay" 2>/dev/null; then
    umount "$podman_store_dir/root/overlay" 2>/dev/null || umount -l "$podman_store_dir/root/overlay" || true
  fi
}
podman() { "${pod[@]}" "$@"; }
