#!/usr/bin/env bash
# The container image, proven without a Docker engine: podman builds docker/Dockerfile, unchanged,
# on a local stand-in for debian:bookworm-slim (made from the debootstrap root of
# scripts/lib/bookworm_root.sh; nothing is pulled), runs it, and checks what a user relies on:
# REST, the /wal feed, /metrics, a non-root server as PID 1, the health check, SIGTERM → exit 0,
# the data surviving a new container on the same volume, configuration by environment and by a
# mounted config file. Prints the image size. The test deploy.container (tests/deploy/container.cmake).
#   scripts/container-test.sh        # as root
# Exit 0: passed; 1: failed (what and the container's log on stderr); 77: skipped, the reason
# printed (not root, no podman, or podman cannot run a container on this machine).
#
# podman's state (images, the build's layer cache, its ccache cache mount) lives in its own
# store under ${LIVEKV_CACHE:-~/.cache/livekv}/podman, so the machine's other images neither
# matter nor see the local debian:bookworm-slim. Kept between runs there: the base image and the
# last image built (its layers, so an unchanged source builds in seconds). Everything else this
# run makes (containers, volumes, its image tag) is removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
tag=deploy.container

say() { echo "$tag: $*"; }
skip() { echo "$tag: SKIPPED: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root (podman with runc, and debootstrap for the base image)"
command -v podman >/dev/null || skip "podman is not installed (scripts/install-deps.sh installs it)"
command -v runc >/dev/null || skip "runc is not installed (scripts/install-deps.sh installs it)"

cache=${LIVEKV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/livekv}
state=$cache/podman
work=$(mktemp -d)
run_id=livekv-ct-$$
image=localhost/livekv-ct:$$
last_image=localhost/livekv-ct:last
base=docker.io/library/debian:bookworm-slim

source scripts/lib/podman_store.sh
podman_store "$state" 8192

current=""  # the container whose log a failure shows
fail() {
  echo "$tag: FAIL: $*" >&2
  if [ -n "$current" ]; then
    echo "--- podman logs $current (last 30 lines)" >&2
    podman logs --tail 30 "$current" >&2 || true
  fi
  exit 1
}
cleanup() {
  local c
  for c in $(podman ps -a --format '{{.Names}}' 2>/dev/null | grep "^$run_id-" || true); do
    podman rm -f -t 0 "$c" >/dev/null 2>&1 || true
  done
  podman volume rm -f "$run_id-data" >/dev/null 2>&1 || true
  podman rmi "$image" "$image-build" >/dev/null 2>&1 || true
  rm -rf "$work"
  podman_store_release
}
trap cleanup EXIT

# A run killed by a timeout cannot clean up after itself: remove what runs whose process is gone
# left behind (names carry the process id), and what a killed build leaves: buildah's working
# containers (with their mounts) and temporary directories. No other run uses them: we hold
# the lock.
sweep_stale() {
  local id
  for id in $(podman ps -a --external --format '{{.ID}} {{.Names}}' | awk '$2 ~ /-working-container$/ {print $1}'); do
    podman rm -f "$id" >/dev/null 2>&1 || true
  done
  rm -rf "$state"/tmp/buildah[0-9]* "$state"/tmp/storage[0-9]*
  local name pid
  for name in $(podman ps -a --format '{{.Names}}'; podman volume ls --format '{{.Name}}'); do
    [[ $name =~ ^livekv-ct-([0-9]+)- ]] || continue
    pid=${BASH_REMATCH[1]}
    [ "$pid" != $$ ] && ! kill -0 "$pid" 2>/dev/null || continue
    podman rm -f -t 0 "$name" >/dev/null 2>&1 || podman volume rm -f "$name" >/dev/null 2>&1 || true
  done
  for name in $(podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/livekv-ct:[0-9]' || true); do
    pid=${name##*:}
    pid=${pid%-build}
    kill -0 "$pid" 2>/dev/null || podman rmi "$name" >/dev/null 2>&1 || true
  done
}

# debian:bookworm-slim as the official image is made (debuerreotype's "slimify"): the
# debootstrap minbase root without documentation, man pages, locales, apt's lists and downloaded
# packages, and with the image's dpkg and apt settings that keep them out of later installs. The
# Dockerfile's packages and the image size then come out as they would on Docker Hub's image.
import_base() {
  local tarball=$1 root=$work/base
  mkdir -p "$root"
  tar -C "$root" -xf "$tarball"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
    "$root"/usr/share/lintian/overrides/* "$root"/usr/share/linda/*
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
  tar -C "$root" -c . | podman import -q --change 'CMD ["bash"]' - "$base" >/dev/null
  rm -rf "$root"
}

t0=$SECONDS
# One run at a time per store (another worktree's run waits here): the base import, the sweep
# and the prune at the end would otherwise pull images from under a concurrent build.
exec 9>"$state/lock"
flock -w 1800 9 || fail "another run held $state/lock for 30 minutes"
sweep_stale 2>/dev/null || true
source scripts/lib/bookworm_root.sh
tarball=$(bookworm_root_tarball "$tag") || skip "no Debian root to make the base image from (debootstrap failed, above)"
stamp="$(stat -c '%s %Y' "$tarball") slim-1"
if [ "$(cat "$state/base.stamp" 2>/dev/null)" != "$stamp" ] || ! podman image exists "$base"; then
  say "importing $tarball as $base (slimmed; once per root tarball)"
  import_base "$tarball" || fail "podman import of the base failed"
  echo "$stamp" >"$state/base.stamp"
fi
if ! err=$(timeout 120 "${pod[@]}" run --rm --pull=never --network none "$base" true 2>&1); then
  skip "podman cannot run a container here: $err"
fi
say "base ready ($((SECONDS - t0)) s)"

# ---- build: the Dockerfile as users get it ----
# The build stage is tagged too (the second build reuses its layers): untagged, it would be
# pruned at the end, and the next run would install the build packages again.
t_build=$SECONDS
for target in build ""; do
  nice -n 10 "${pod[@]}" build --pull=never --format docker --layers -f docker/Dockerfile \
    ${target:+--target "$target"} -t "$image${target:+-$target}" . >>"$work/build.log" 2>&1 ||
    { tail -40 "$work/build.log" >&2; fail "podman build failed"; }
done
build_seconds=$((SECONDS - t_build))
size=$(podman image inspect --format '{{.Size}}' "$image")
say "built $image in $build_seconds s; image size $size bytes ($((size / 1000000)) MB)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start NAME PORT [podman run options...]: runs the image detached with /data on the test volume.
start() {
  local name=$run_id-$1 port=$2
  shift 2
  current=$name
  # stderr kept aside: without systemd, podman complains that it cannot set up the health
  # check's timer (harmless: the check is run by hand below).
  podman run -d --name "$name" -p "127.0.0.1:$port:8080" -v "$run_id-data:/data" "$@" "$image" \
    >/dev/null 2>"$work/podman.err" || fail "podman run $name failed: $(cat "$work/podman.err")"
  local i
  for i in $(seq 1 150); do  # bounded: 30 s and more (each round asks podman too)
    curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" && return 0
    [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] ||
      fail "$name exited with $(podman inspect --format '{{.State.ExitCode}}' "$name") before serving"
    sleep 0.2
  done
  fail "$name did not answer /healthz on 127.0.0.1:$port"
}

# status_of METHOD URL [curl options...]: the HTTP status; the body goes to $work/body.
status_of() {
  local method=$1 url=$2
  shift 2
  curl -s --max-time 10 -o "$work/body" -w '%{http_code}' -X "$method" "$@" "$url" || echo 000
}

podman volume create "$run_id-data" >/dev/null

# ---- first container: configured by the environment ----
port=$(free_port)
start first "$port" -e LIVEKV_MAX_KEY_BYTES=32
c=$run_id-first
url=http://127.0.0.1:$port

s=$(status_of PUT "$url/v1/kv/greeting" --data-binary 'hello from the container')
[ "$s" = 201 ] || fail "PUT /v1/kv/greeting answered $s: $(cat "$work/body")"
s=$(status_of GET "$url/v1/kv/greeting")
[ "$s" = 200 ] && [ "$(cat "$work/body")" = 'hello from the container' ] ||
  fail "GET /v1/kv/greeting answered $s: $(cat "$work/body")"
say "PUT and GET through 127.0.0.1:$port → container :8080"

long_key=$(printf 'k%.0s' $(seq 1 33))
s=$(status_of PUT "$url/v1/kv/$long_key" --data-binary x)
[ "$s" = 414 ] && grep -q key_too_long "$work/body" ||
  fail "a 33-byte key under LIVEKV_MAX_KEY_BYTES=32 answered $s, not 414 key_too_long: $(cat "$work/body")"
say "LIVEKV_MAX_KEY_BYTES=32 applies: a 33-byte key gets 414 key_too_long"

event=$(python3 tests/deploy/ws_probe.py 127.0.0.1 "$port" feed/probe 'seen live') ||
  fail "the /wal WebSocket did not deliver the PUT"
say "/wal delivered: $event"

curl -sf --max-time 10 "$url/metrics" >"$work/metrics" || fail "/metrics did not answer"
grep -q '^livekv_revision ' "$work/metrics" && grep -q '^livekv_log_bytes ' "$work/metrics" ||
  fail "/metrics lacks livekv_revision or livekv_log_bytes (the log in /data)"
say "/metrics: $(grep -c '^livekv_' "$work/metrics") livekv_ samples, log metrics included"

proc1=$(podman exec "$c" cat /proc/1/status) || fail "podman exec failed"
name1=$(awk '/^Name:/ {print $2}' <<<"$proc1")
uid1=$(awk '/^Uid:/ {print $2}' <<<"$proc1")
[ "$name1" = livekv ] && [ "$uid1" = 10001 ] || fail "PID 1 is $name1 with uid $uid1, not livekv as 10001"
say "PID 1 is livekv, uid 10001 (not root)"

podman healthcheck run "$c" >"$work/health" 2>&1 || fail "podman healthcheck run: $(cat "$work/health")"
health=$(podman inspect --format '{{.State.Health.Status}}' "$c")
[ "$health" = healthy ] || fail "health status is '$health' after a passing check"
say "HEALTHCHECK: $health"

t_stop=$SECONDS
podman stop -t 30 "$c" >/dev/null 2>"$work/podman.err" || fail "podman stop failed: $(cat "$work/podman.err")"
code=$(podman inspect --format '{{.State.ExitCode}}' "$c")
[ "$code" = 0 ] || fail "exit code $code after SIGTERM, not 0"
grep -q 'received signal 15' <<<"$(podman logs "$c" 2>&1)" || fail "the log does not show SIGTERM being handled"
say "podman stop (SIGTERM): exit code 0 after $((SECONDS - t_stop)) s"

# ---- second container, same volume, and a config file: the data outlives the container ----
cat >"$work/livekv.conf" <<'EOF'
# deploy.container's config file
max-key-bytes = 24
fsync = always
# The image's LIVEKV_PORT=8080 wins over this line: the environment beats the file.
port = 9999
EOF
chmod 0644 "$work/livekv.conf"
port=$(free_port)
start second "$port" -v "$work/livekv.conf:/etc/livekv/livekv.conf:ro" -e LIVEKV_CONFIG=/etc/livekv/livekv.conf
url=http://127.0.0.1:$port
s=$(status_of GET "$url/v1/kv/greeting")
[ "$s" = 200 ] && [ "$(cat "$work/body")" = 'hello from the container' ] ||
  fail "after a new container on the volume, GET greeting answered $s: $(cat "$work/body")"
s=$(status_of GET "$url/v1/kv/feed/probe")
[ "$s" = 200 ] && [ "$(cat "$work/body")" = 'seen live' ] || fail "feed/probe lost: $s $(cat "$work/body")"
say "a new container on the same volume serves both keys"

s=$(status_of PUT "$url/v1/kv/$(printf 'k%.0s' $(seq 1 25))" --data-binary x)
[ "$s" = 414 ] || fail "a 25-byte key under the file's max-key-bytes = 24 answered $s: $(cat "$work/body")"
s=$(status_of GET "$url/status")
sources=$(python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["config"]["sources"], sort_keys=True))' \
  <"$work/body") || fail "/status answered $s without config.sources: $(cat "$work/body")"
grep -q '"max-key-bytes": "/etc/livekv/livekv.conf:2"' <<<"$sources" &&
  grep -q '"port": "env LIVEKV_PORT"' <<<"$sources" ||
  fail "/status config.sources is not file for max-key-bytes and env for port: $sources"
say "config file /etc/livekv/livekv.conf applies (a 25-byte key gets 414); sources: $sources"
podman stop -t 30 "$run_id-second" >/dev/null 2>&1

# Kept as the layer cache of the next run (see the header). The previous run's images, untagged
# now, go: a prune removes only images without children, so it repeats (bounded) down the chains.
podman tag "$image" "$last_image"
podman tag "$image-build" "$last_image-build"
podman rmi "$image" "$image-build" >/dev/null
for _ in $(seq 1 40); do
  [ -n "$(podman image prune -f 2>/dev/null)" ] || break
done
say "passed in $((SECONDS - t0)) s (build $build_seconds s); image size $size bytes"
