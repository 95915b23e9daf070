#!/usr/bin/env bash
# The .deb, installed for real: cpack makes it from BUILD_DIR, apt installs it into a pristine
# Debian 12 root (a chroot, no systemd running: a container build or an installer's view), and
# the installed files are checked and run the way livekv.service would run them.
#   scripts/deb-test.sh BUILD_DIR     (as root; the release preset's deploy.deb test)
#
# Checks: the files and the conffile in place, the livekv system user, /var/lib/livekv owned by
# it (0750), the service enabled but not started; the unit's ExecStart= line, as the unit's
# User=, serves PUT/GET/healthz on loopback from the installed config (with LIVEKV_PORT=0, which
# beats the file's port), exits 0 on SIGTERM, and finds its data after a restart; dpkg -r keeps
# the data and the config, a reinstall after it works, dpkg -P deletes both (and keeps the user).
# The root shares this machine's network, so curl reaches the server over loopback; Depends are
# fetched from Debian's mirror (cached across runs, as is the root).
# Exits 77 (skipped, with the reason) when not root or debootstrap, cpack, dpkg-deb or curl is
# missing.
set -euo pipefail

build=${1:?usage: scripts/deb-test.sh BUILD_DIR}
build=$(cd "$build" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

skip() { echo "deb-test: skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (chroot, mount, dpkg inside a root of its own)"
for tool in debootstrap cpack dpkg-deb curl unshare; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh installs it)"
done
[ -f "$build/CPackConfig.cmake" ] || { echo "deb-test: $build has no CPackConfig.cmake" >&2; exit 2; }

# Everything below runs in a mount namespace of its own: the root's /proc and /dev mounts vanish
# with this script even if it is killed before its trap runs, and never show on the host.
# Where / is not a mount point (this script inside a chroot: scripts/test.sh under fresh-debian),
# its propagation cannot be made private; /tmp is then bind-mounted on itself and made private
# instead, which is where the root's mounts go.
if [ -z "${LIVEKV_DEB_TEST_NS:-}" ]; then
  if unshare --mount --propagation private true 2>/dev/null; then
    exec env LIVEKV_DEB_TEST_NS=1 unshare --mount --propagation private bash "$0" "$@"
  fi
  exec env LIVEKV_DEB_TEST_NS=private-tmp unshare --mount --propagation unchanged bash "$0" "$@"
fi
if [ "$LIVEKV_DEB_TEST_NS" = private-tmp ]; then
  mount --bind /tmp /tmp && mount --make-rprivate /tmp
fi

source "$here/lib/bookworm_root.sh"
cache=${LIVEKV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/livekv}
apt_cache=$cache/deb-test-apt  # the mirror's lists and the Depends' .debs, kept for the next run
work=$(mktemp -d /tmp/livekv-deb-XXXXXX)
root=$work/root
server_pid=""

stop_server() {
  # SIGTERM, up to 30 s for the drain (the unit's TimeoutStopSec=), then SIGKILL.
  local i
  kill -TERM "$server_pid" 2>/dev/null || return 0
  for ((i = 0; i < 300; i++)); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null
}

cleanup() {
  [ -n "$server_pid" ] && stop_server || true
  exec 3<&- 2>/dev/null || true
  umount "$root/dev" "$root/proc" 2>/dev/null || true
  # --one-file-system: should an unmount have failed, rm stops at the mount instead of emptying
  # the host's /dev.
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

source "$here/lib/checks.sh"
in_root() { chroot "$root" "$@"; }

# 1. The package.
quiet "cpack -G DEB" cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/cpack"
deb=$(ls "$work"/cpack/livekv_*.deb)
echo "deb-test: $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB; Depends: $(dpkg-deb -f "$deb" Depends)"

# 2. A pristine root, installing it. apt resolves the Depends from the mirror; policy-rc.d forbids
# service starts, as in an image build.
tarball=$(bookworm_root_tarball deb-test)
mkdir -p "$root"
# Without the base .debs debootstrap left in its apt cache (a sixth of the tarball): only the
# Depends fetched below go into ours.
tar -C "$root" -xf "$tarball" --exclude='./var/cache/apt/archives/*.deb'
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mkdir -p "$apt_cache/lists" "$apt_cache/archives"
cp -a "$apt_cache/lists/." "$root/var/lib/apt/lists/"
cp -a "$apt_cache/archives/." "$root/var/cache/apt/archives/"
cp "$deb" "$root/tmp/"
export DEBIAN_FRONTEND=noninteractive
quiet "apt-get update (in the root)" in_root apt-get update -q
quiet "apt-get install ./$(basename "$deb")" \
  in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$deb")"
# The lists and .debs for the next run (-u: only what is newer).
cp -au "$root/var/lib/apt/lists/." "$apt_cache/lists/"
cp -u "$root"/var/cache/apt/archives/*.deb "$apt_cache/archives/" 2>/dev/null || true
pass "apt-get install ./$(basename "$deb") in a pristine bookworm root"

# 3. What the install left.
check "/usr/bin/livekv is executable" test -x "$root/usr/bin/livekv"
check "/lib/systemd/system/livekv.service" test -f "$root/lib/systemd/system/livekv.service"
check "/etc/livekv/livekv.conf" test -f "$root/etc/livekv/livekv.conf"
check "/etc/livekv/livekv.conf is a conffile" \
  grep -q '^ /etc/livekv/livekv.conf ' <(in_root dpkg-query -W -f='${Conffiles}\n' livekv)
if [ -f "$build/packaging/livekv.1.gz" ]; then  # made where help2man was installed
  check "the man page" test -f "$root/usr/share/man/man1/livekv.1.gz"
fi
for doc in README.md LICENSE copyright; do
  check "/usr/share/doc/livekv/$doc" test -f "$root/usr/share/doc/livekv/$doc"
done
user_line=$(in_root getent passwd livekv || true)
IFS=: read -r _ _ uid _ _ home shell <<<"$user_line"
if [[ -n $user_line && $uid -lt 1000 && $home == /var/lib/livekv && $shell == /usr/sbin/nologin ]]; then
  pass "system user livekv (uid $uid, home $home, shell $shell)"
else
  fail "system user livekv" "getent passwd: '$user_line'"
fi
check "group livekv" in_root getent group livekv
dir_stat=$(in_root stat -c '%U:%G %a' /var/lib/livekv 2>&1 || true)
check "/var/lib/livekv is livekv:livekv 750 (it is '$dir_stat')" test "$dir_stat" = "livekv:livekv 750"
check "enabled: multi-user.target.wants/livekv.service" \
  test -L "$root/etc/systemd/system/multi-user.target.wants/livekv.service"

# 4. Run it as the unit would: its ExecStart= line, its User= and Group=, its UMask=, a clean
# environment (systemd passes none of ours), in the installed root. Only the sandboxing of
# [Service] is not reproduced here: systemd is not running.
unit=$root/lib/systemd/system/livekv.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
run_user=$(sed -n 's/^User=//p' "$unit")
run_group=$(sed -n 's/^Group=//p' "$unit")
run_umask=$(sed -n 's/^UMask=//p' "$unit")
base=""
# start_server: starts it in the background and sets server_pid and base (http://127.0.0.1:PORT).
start_server() {
  local fifo
  fifo=$(mktemp -u "$work/stdout-XXXXXX")
  mkfifo "$fifo"
  # shellcheck disable=SC2086  # ExecStart= is a command line: split into its words
  (umask "${run_umask:-0022}" &&
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LIVEKV_PORT=0 \
      setpriv --reuid="$run_user" --regid="$run_group" --init-groups -- $exec_start) \
    >"$fifo" 2>>"$work/stderr" &
  server_pid=$!
  exec 3<"$fifo"
  local line=""
  if ! read -r -t 30 line <&3 || [[ ! $line =~ ^livekv\ listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]]; then
    echo "FAIL  livekv did not print its listening line (got '$line'); its stderr:"
    cat "$work/stderr"
    exit 1
  fi
  base="http://127.0.0.1:${BASH_REMATCH[1]}"
}
# stop_and_check NAME: SIGTERM, and the exit status must be 0.
stop_and_check() {
  local rc=0 i
  kill -TERM "$server_pid"
  for ((i = 0; i < 300; i++)); do  # the unit's TimeoutStopSec=30s
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$server_pid" 2>/dev/null && echo "livekv outlived SIGTERM by 30 s: killed"
  wait "$server_pid" || rc=$?
  server_pid=""
  exec 3<&-
  if ((rc == 0)); then pass "$1: SIGTERM → exit 0"; else fail "$1: SIGTERM → exit $rc"; fi
}
# http NAME WANT_STATUS WANT_BODY CURL_ARGS...: WANT_BODY '-' skips the body check.
http() {
  local name=$1 want_status=$2 want_body=$3 status
  shift 3
  status=$(curl -sS --max-time 10 -o "$work/body" -w '%{http_code}' "$@") || status="curl failed"
  if [[ $status != "$want_status" ]]; then
    fail "$name" "status $status, expected $want_status: $(head -c 300 "$work/body" 2>/dev/null)"
  elif [[ $want_body != - && $(cat "$work/body") != "$want_body" ]]; then
    fail "$name" "body '$(head -c 300 "$work/body")', expected '$want_body'"
  else
    pass "$name"
  fi
}

start_server
pass "ExecStart=$exec_start as $run_user:$run_group serves on $base"
# GET /status names where each setting came from: data-dir from the installed file (which the
# server accepted whole: an unknown name or a bad value there stops it at start), the port from
# the environment, which beats the file's `port = 8080`.
http "GET /status" 200 - "$base/status"
check "/status: data-dir from /etc/livekv/livekv.conf" \
  grep -Eq '"data-dir":"/etc/livekv/livekv.conf:[0-9]+"' "$work/body"
check "/status: port from LIVEKV_PORT, over the file's" grep -q '"port":"env LIVEKV_PORT"' "$work/body"
http "PUT /v1/kv/deb-test" 201 - -X PUT --data-binary 'from the .deb' "$base/v1/kv/deb-test"
http "GET /v1/kv/deb-test" 200 'from the .deb' "$base/v1/kv/deb-test"
http "GET /healthz" 200 - "$base/healthz"
http "GET /readyz" 200 - "$base/readyz"
stop_and_check "first run"
stray=$(in_root find /var/lib/livekv ! -user livekv)
check "every file in /var/lib/livekv belongs to livekv${stray:+ (not: $stray)}" test -z "$stray"

start_server
http "after a restart, GET /v1/kv/deb-test" 200 'from the .deb' "$base/v1/kv/deb-test"
stop_and_check "second run"

# 5. Remove, reinstall, purge.
echo "# an admin's edit" >>"$root/etc/livekv/livekv.conf"
quiet "dpkg -r livekv" in_root dpkg -r livekv
check "dpkg -r: the binary is gone" test ! -e "$root/usr/bin/livekv"
check "dpkg -r: the config stays, edited" grep -q "an admin's edit" "$root/etc/livekv/livekv.conf"
check "dpkg -r: the data stays" test -n "$(ls -A "$root/var/lib/livekv")"
quiet "dpkg -i after dpkg -r" in_root dpkg -i "/tmp/$(basename "$deb")"
check "reinstall: the admin's edit is kept" grep -q "an admin's edit" "$root/etc/livekv/livekv.conf"
dir_stat=$(in_root stat -c '%U:%G %a' /var/lib/livekv 2>&1 || true)
check "reinstall: /var/lib/livekv still livekv:livekv 750" test "$dir_stat" = "livekv:livekv 750"
quiet "dpkg -P livekv" in_root dpkg -P livekv
status=$(in_root dpkg-query -W -f='${db:Status-Status}' livekv 2>/dev/null || echo not-installed)
check "dpkg -P: the package is gone (it is '$status')" test "$status" = not-installed
check "dpkg -P: /etc/livekv is gone" test ! -e "$root/etc/livekv"
check "dpkg -P: /var/lib/livekv is gone" test ! -e "$root/var/lib/livekv"
check "dpkg -P: no unit symlinks left in /etc/systemd" \
  test -z "$(find "$root/etc/systemd" -name 'livekv*' 2>/dev/null)"
check "dpkg -P: the livekv user stays (Debian's way)" in_root getent passwd livekv

checks_done
