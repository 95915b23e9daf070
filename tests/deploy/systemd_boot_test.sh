#!/usr/bin/env bash
# The .deb under a real systemd as PID 1: what scripts/deb-test.sh cannot show, since it runs
# ExecStart= by hand in a chroot. cpack makes the package from BUILD_DIR; podman boots a Debian 12
# container with systemd as its init; apt installs the package there, and its postinst starts
# the service the way it would on a server.
#   tests/deploy/systemd_boot_test.sh BUILD_DIR     (as root; the release preset's deploy.systemd)
#
# Checks: Type=notify (active only after READY=1, and the STATUS= text shown), the sandbox
# really applied to the process (read-only /, hidden /home, hidepid /proc, no capabilities,
# seccomp), PUT/GET and /metrics on loopback inside it, reload (RELOADING=1/READY=1, same
# process), the journal, a WatchdogSec=2s drop-in (pets keep it alive; a stopped server is
# killed and restarted), stop (Result=success, exit 0), the data across restarts and a reboot of
# the container (the unit is enabled), `systemd-analyze security`, and dpkg -r stopping it.
#
# Why SYS_ADMIN: without it systemd cannot make the unit's mount namespace (ProtectSystem=,
# PrivateTmp=, ProtectProc=, ...) and, taking the container for one that forbids it, skips the
# sandbox with a debug-level message only: the service would run unsandboxed and look fine.
# The container has no network (--network none): the server, the client and the checks are all
# on its own loopback. Only building the cached image reaches Debian's mirror.
#
# podman's state lives in ${LIVEKV_CACHE:-~/.cache/livekv}/podman-systemd, apart from the
# machine's (and from scripts/container-test.sh's store). Kept there between runs: the imported
# root and the systemd image with livekv's Depends (rebuilt when either changes). This run's
# container is removed at exit.
# Exits 77 (skipped, with the reason) when not root, when podman, runc or cpack is missing, or
# when systemd cannot boot as PID 1 in a container on this machine.
set -euo pipefail

build=${1:?usage: tests/deploy/systemd_boot_test.sh BUILD_DIR}
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tag=deploy.systemd

say() { echo "$tag: $*"; }
skip() { echo "$tag: skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (podman with runc)"
for tool in podman runc cpack dpkg-deb flock; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh installs it)"
done
[ -f "$build/CPackConfig.cmake" ] || { echo "$tag: $build has no CPackConfig.cmake" >&2; exit 2; }

cache=${LIVEKV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/livekv}
state=$cache/podman-systemd
work=$(mktemp -d /tmp/livekv-systemd-XXXXXX)
ct=livekv-sysd-$$
base=localhost/livekv-sysd-base:bookworm
image=localhost/livekv-sysd:cached

# nofile as close to the unit's LimitNOFILE=65536 as this machine allows: systemd, lacking
# CAP_SYS_RESOURCE in the container, can only lower the limit it was given.
source "$repo/scripts/lib/podman_store.sh"
nofile=$(hard_limit -n 65536)
podman_store "$state" "$nofile"
# in_ct COMMAND...: runs COMMAND in the container, cut off after 60 s.
in_ct() { timeout 60 "${pod[@]}" exec "$ct" "$@"; }
# unit_prop NAME: one property of livekv.service, as `systemctl show` gives it.
unit_prop() { in_ct systemctl show -p "$1" --value livekv.service; }
# prop_is NAME VALUE, prop_is_not NAME VALUE: for wait_for, which reruns them.
prop_is() { [ "$(unit_prop "$1")" = "$2" ]; }
prop_is_not() { [ "$(unit_prop "$1")" != "$2" ]; }

cleanup() {
  timeout 60 "${pod[@]}" rm -f -t 0 "$ct" >/dev/null 2>&1 || true
  rm -rf "$work"
  podman_store_release
}
trap cleanup EXIT

source "$repo/scripts/lib/checks.sh"
# abort WHAT: a step the rest depends on failed: says so with the unit's journal, and exits.
abort() {
  echo "FAIL  $1" >&2
  echo "--- journalctl -u livekv (last 30 lines)" >&2
  in_ct journalctl -u livekv --no-pager -n 30 >&2 2>/dev/null || true
  exit 1
}
# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds or SECONDS pass.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
# http NAME WANT_STATUS WANT_BODY CURL_ARGS...: curl inside the container; WANT_BODY '-' skips
# the body check.
http() {
  local what=$1 want_status=$2 want_body=$3 out status body
  shift 3
  out=$(in_ct curl -sS --max-time 10 -w '\n%{http_code}' "$@" 2>&1) || out=$'\ncurl failed: '"$out"
  status=${out##*$'\n'}
  body=${out%$'\n'*}
  if [[ $status != "$want_status" ]]; then
    fail "$what" "status $status, expected $want_status: ${body:0:300}"
  elif [[ $want_body != - && $body != "$want_body" ]]; then
    fail "$what" "body '${body:0:300}', expected '$want_body'"
  else
    pass "$what"
  fi
}
url=http://127.0.0.1:8080  # the packaged livekv.conf's host and port

t0=$SECONDS
# A run killed by ctest's timeout cannot clean up: remove what runs whose process is gone left
# behind (the container's name carries the process id).
sweep_stale() {
  local c pid
  for c in $(podman ps -a --format '{{.Names}}'); do
    [[ $c =~ ^livekv-sysd-([0-9]+)$ ]] || continue
    pid=${BASH_REMATCH[1]}
    kill -0 "$pid" 2>/dev/null || podman rm -f -t 0 "$c" >/dev/null 2>&1 || true
  done
}

# 1. The package, and the names of its Depends ("a (>= 1) | b" → a).
quiet "cpack -G DEB" cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/cpack"
deb=$(ls "$work"/cpack/livekv_*.deb)
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' |
  grep -v '^$' | sort | tr '\n' ' ')

# 2. The cached images: the debootstrap root, then systemd and the Depends on it. One run at a
# time prepares them (a concurrent run waits here).
exec 9>"$state/lock"
flock -w 600 9 || { echo "$tag: another run held $state/lock for 10 minutes" >&2; exit 1; }
sweep_stale 2>/dev/null || true
source "$repo/scripts/lib/bookworm_root.sh"
tarball=$(bookworm_root_tarball "$tag") || skip "no Debian root to make the image from (debootstrap failed, above)"
stamp="$(stat -c '%s %Y' "$tarball")"
if [ "$(cat "$state/base.stamp" 2>/dev/null)" != "$stamp" ] || ! podman image exists "$base"; then
  say "importing $tarball as $base (once per root tarball)"
  # A failed import means podman's storage does not work here (in a chroot it cannot remount /):
  # a skip, like a failed run below. deploy.container imports a base too, and fails on a machine
  # where podman should work.
  if ! err=$(podman import -q --change 'CMD ["/sbin/init"]' "$tarball" "$base" 2>&1); then
    skip "podman cannot import an image here: $err"
  fi
  echo "$stamp" >"$state/base.stamp"
fi
# A machine where podman cannot run a container at all (a chroot, a host without a usable
# runtime) would fail the build's first RUN below: say so as a skip, as scripts/container-test.sh
# does.
if ! err=$(timeout 60 "${pod[@]}" run --rm --pull=never --network none "$base" true 2>&1); then
  skip "podman cannot run a container here: $err"
fi
# --layers: an unchanged Containerfile, base and Depends reuse the cached layer, and the build
# takes a second. The empty context: the Containerfile copies nothing in.
mkdir -p "$work/context"
quiet "podman build (systemd and livekv's Depends)" nice -n 10 "${pod[@]}" build --pull=never --layers \
  --network host --build-arg "BASE=$base" --build-arg "DEPENDS=$depends" \
  -f "$here/systemd.Containerfile" -t "$image" "$work/context"
# The previous build's image, untagged by this one, is no cache anymore.
podman image prune -f >/dev/null 2>&1 || true
flock -u 9
say "image ready ($((SECONDS - t0)) s)"

# 3. Boot. --systemd=always: podman mounts what systemd expects (tmpfs /run, /tmp, a writable
# cgroup hierarchy) and stops it with SIGRTMIN+3. SYS_ADMIN: see the top of this file.
boot_flags=(--systemd=always --cap-add SYS_ADMIN --network none --pull=never)
if ! err=$(timeout 60 "${pod[@]}" run -d --name "$ct" "${boot_flags[@]}" "$image" 2>&1); then
  skip "podman cannot start a container here: $err"
fi
# is-system-running --wait returns when the boot is over: running, or degraded (a unit failed,
# listed below; the container lacks some of a machine's devices). Anything else: no boot.
# Before that, systemctl needs systemd's socket, which it makes early in the boot.
booted() {
  local s
  wait_for 60 in_ct test -S /run/systemd/private || true
  s=$(timeout 90 "${pod[@]}" exec "$ct" systemctl is-system-running --wait 2>&1) || true
  echo "$s"
  [[ $s == running || $s == degraded ]]
}
if ! state_now=$(booted); then
  echo "--- podman logs $ct" >&2
  podman logs --tail 30 "$ct" >&2 || true
  skip "systemd did not boot as PID 1 in a container (is-system-running: '$state_now')"
fi
pass "systemd booted as PID 1 ($state_now, $((SECONDS - t0)) s since the start)"
[[ $state_now == degraded ]] && in_ct systemctl --failed --no-pager --plain | sed 's/^/      /'

# 4. apt-get install: postinst enables the unit and, systemd running, starts it; the start job
# returns only when READY=1 came (Type=notify) or the start failed.
podman cp "$deb" "$ct:/tmp/" >/dev/null
quiet "apt-get install ./$(basename "$deb")" in_ct env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "/tmp/$(basename "$deb")"
pass "apt-get install ./$(basename "$deb")"
[ "$(unit_prop ActiveState)/$(unit_prop SubState)" = active/running ] ||
  abort "postinst did not start livekv.service: $(unit_prop ActiveState)/$(unit_prop SubState), Result=$(unit_prop Result)"
pass "postinst started it: active (running)"
check "enabled" in_ct systemctl is-enabled livekv
status_text=$(unit_prop StatusText)
check "Type=notify: READY=1 with STATUS='$status_text'" [ "$(unit_prop Type)" = notify -a -n "$status_text" ]

# 5. The sandbox, seen from the running process (root in the container reads its /proc entries).
pid=$(unit_prop MainPID)
proc_status=$(in_ct cat "/proc/$pid/status")
mounts=$(in_ct cat "/proc/$pid/mountinfo")
# mount_opts MOUNT_POINT: the options of the topmost mount there; fs_opts: its file system's.
mount_opts() { awk -v m="$1" '$5 == m { print $6 }' <<<"$mounts" | tail -1; }
fs_opts() { awk -v m="$1" '$5 == m { for (i = 7; $i != "-"; i++); print $(i + 3) }' <<<"$mounts" | tail -1; }
check "runs as livekv" [ "$(in_ct stat -c %U "/proc/$pid")" = livekv ]
# status_field NAME: a field of the process's /proc/PID/status.
status_field() { awk -v f="$1:" '$1 == f { print $2 }' <<<"$proc_status"; }
check "no capabilities (CapEff $(status_field CapEff), CapBnd $(status_field CapBnd))" \
  [ "$(status_field CapEff)" = 0000000000000000 -a "$(status_field CapBnd)" = 0000000000000000 ]
check "NoNewPrivs=$(status_field NoNewPrivs), Seccomp=$(status_field Seccomp) (2: a filter)" \
  [ "$(status_field NoNewPrivs)" = 1 -a "$(status_field Seccomp)" = 2 ]
check "ProtectSystem=strict: / read-only ($(mount_opts /))" grep -q '^ro' <<<"$(mount_opts /)"
check "ReadWritePaths: /var/lib/livekv writable ($(mount_opts /var/lib/livekv))" \
  grep -q '^rw' <<<"$(mount_opts /var/lib/livekv)"
check "ProtectProc=invisible: /proc hidepid=invisible" grep -q 'hidepid=invisible' <<<"$(fs_opts /proc)"
check "ProtectHome: /home inaccessible" grep -q '^ro' <<<"$(mount_opts /home)"
check "PrivateTmp: a /tmp of its own" grep -q 'systemd-private-.*livekv.service' <<<"$mounts"
# A setting systemd could not apply is logged as "... is configured, but ..., ignoring".
skipped=$(in_ct journalctl -u livekv --no-pager | grep -E 'is configured, but|ignoring' || true)
check "no hardening setting skipped${skipped:+: $skipped}" [ -z "$skipped" ]

# 6. Serving.
http "PUT /v1/kv/systemd-test" 201 - -X PUT --data-binary 'under systemd' "$url/v1/kv/systemd-test"
http "GET /v1/kv/systemd-test" 200 'under systemd' "$url/v1/kv/systemd-test"
http "GET /healthz" 200 - "$url/healthz"
http "GET /metrics" 200 - "$url/metrics"
metrics=$(in_ct curl -sS --max-time 10 "$url/metrics" || true)
# The process metrics read /proc/self, which ProtectProc=invisible must leave visible; the
# limit is LimitNOFILE=, or the container's hard limit when that is lower.
max_fds=$(sed -n 's/^process_max_fds //p' <<<"$metrics")
check "/metrics from /proc/self: process_max_fds $max_fds = LimitNOFILE (65536, or this container's $nofile)" \
  [ "$max_fds" = "$nofile" ]
check "journalctl -u livekv: the server's log" \
  grep -q 'livekv listening on http://127.0.0.1:8080' <<<"$(in_ct journalctl -u livekv --no-pager)"

# 7. Reload: SIGHUP, RELOADING=1 then READY=1; the same process goes on.
if in_ct systemctl reload livekv; then pass "systemctl reload"; else fail "systemctl reload"; fi
check "after reload: active, the same process, STATUS='$(unit_prop StatusText)'" \
  [ "$(unit_prop ActiveState)" = active -a "$(unit_prop MainPID)" = "$pid" ]
check "journal: SIGHUP received" grep -q 'received SIGHUP' <<<"$(in_ct journalctl -u livekv --no-pager)"
check "NRestarts=0" [ "$(unit_prop NRestarts)" = 0 ]

# 8. The watchdog, as the unit's comment says to turn it on.
in_ct mkdir -p /etc/systemd/system/livekv.service.d
in_ct sh -c 'printf "[Service]\nWatchdogSec=2s\n" >/etc/systemd/system/livekv.service.d/watchdog.conf'
in_ct systemctl daemon-reload
in_ct systemctl restart livekv || abort "restart with WatchdogSec=2s"
pid=$(unit_prop MainPID)
started=$(unit_prop ExecMainStartTimestampMonotonic)
# Not a sleep for synchronization: surviving three watchdog periods is the thing checked.
sleep 6
# systemd stamps WatchdogTimestamp at each WATCHDOG=1: the last one must be later than 5 s after
# the start, and the process the same one.
petted=$(unit_prop WatchdogTimestampMonotonic)
check "WatchdogSec=2s: still active after 6 s, same process, last ping $(((petted - started) / 1000)) ms after start" \
  [ "$(unit_prop ActiveState)" = active -a "$(unit_prop MainPID)" = "$pid" -a "$(unit_prop NRestarts)" = 0 \
  -a $((petted - started)) -gt 5000000 ]
# And it is armed: a server that stops pinging (SIGSTOP) is killed and restarted (Restart=).
in_ct kill -STOP "$pid"
if wait_for 30 prop_is_not NRestarts 0 && wait_for 30 prop_is ActiveState active; then
  pass "a stopped server: watchdog timeout, restarted (NRestarts=$(unit_prop NRestarts))"
else
  fail "a stopped server: watchdog timeout, restarted" "NRestarts=$(unit_prop NRestarts) $(unit_prop ActiveState)"
fi
check "journal: 'Watchdog timeout'" grep -q 'Watchdog timeout' <<<"$(in_ct journalctl -u livekv --no-pager)"
http "after the watchdog's restart, GET /v1/kv/systemd-test" 200 'under systemd' "$url/v1/kv/systemd-test"
in_ct rm /etc/systemd/system/livekv.service.d/watchdog.conf
in_ct systemctl daemon-reload

# 9. Stop: SIGTERM, drain, exit 0.
in_ct systemctl stop livekv || fail "systemctl stop"
check "stopped: inactive, Result=success, ExecMainStatus=0" \
  [ "$(unit_prop ActiveState)/$(unit_prop Result)/$(unit_prop ExecMainCode)/$(unit_prop ExecMainStatus)" \
  = inactive/success/1/0 ]
in_ct systemctl start livekv || abort "systemctl start"
http "after stop and start, GET /v1/kv/systemd-test" 200 'under systemd' "$url/v1/kv/systemd-test"
in_ct systemctl restart livekv || abort "systemctl restart"
http "after systemctl restart, GET /v1/kv/systemd-test" 200 'under systemd' "$url/v1/kv/systemd-test"

# 10. A reboot: systemd stops livekv on the way down, and starts it at boot (enabled).
quiet "podman restart" timeout 120 "${pod[@]}" restart -t 60 "$ct"
if state_now=$(booted); then pass "rebooted ($state_now)"; else abort "reboot: is-system-running '$state_now'"; fi
check "after the reboot: active (running), started at boot" \
  [ "$(unit_prop ActiveState)/$(unit_prop SubState)" = active/running ]
http "after the reboot, GET /v1/kv/systemd-test" 200 'under systemd' "$url/v1/kv/systemd-test"

# 11. The exposure score of the running unit (unit_file_test.sh checks the offline one).
score=$(in_ct systemd-analyze security livekv --no-pager 2>&1 |
  sed -n 's/.*Overall exposure level for livekv.service: \([0-9.]*\).*/\1/p')
check "systemd-analyze security livekv: exposure ${score:-?} <= 2.0" \
  awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'

# 12. dpkg -r: prerm stops the service before its files go.
quiet "dpkg -r livekv" in_ct dpkg -r livekv
check "dpkg -r: stopped ($(unit_prop ActiveState))" [ "$(unit_prop ActiveState)" = inactive ]

say "$((SECONDS - t0)) s in all"
checks_done
