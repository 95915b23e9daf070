#!/usr/bin/env bash
# The systemd unit (packaging/livekv.service): systemd-analyze verify accepts it, and the lines
# the package promises are there (Type=notify, the user, the hardening), so that dropping one
# fails a test. Usage: unit_file_test.sh UNIT BINARY [MAN_PAGE]
#
# verify checks that ExecStart='s binary exists, and /usr/bin/livekv need not exist here: it runs
# on a copy of the unit whose ExecStart= names the built BINARY instead (v252's --root would need
# a root with systemd's own units in it; the .deb test runs the installed unit's ExecStart=).
# With MAN_PAGE, verify also resolves Documentation=man:livekv(1) against it.
# Exits 77 (skipped) without systemd-analyze.
set -euo pipefail

unit=${1:?usage: unit_file_test.sh UNIT BINARY [MAN_PAGE]}
bin=$(realpath "${2:?usage: unit_file_test.sh UNIT BINARY [MAN_PAGE]}")  # ExecStart= needs an absolute path
man_page=${3:-}
command -v systemd-analyze >/dev/null || { echo "skipped: no systemd-analyze (package systemd)"; exit 77; }

tmp=$(mktemp -d /tmp/livekv-unit-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/../../scripts/lib/checks.sh"

# has_line LINE: the unit holds LINE exactly (not commented out, not a prefix of another line).
has_line() {
  if grep -qxF -- "$1" "$unit"; then pass "$1"; else fail "$1" "missing from $unit"; fi
}

# What the package promises (its postinst, its config file and the server's sd_notify rely on
# these).
has_line "Type=notify"
has_line "ExecStart=/usr/bin/livekv --config /etc/livekv/livekv.conf"
has_line 'ExecReload=/bin/kill -HUP $MAINPID'
has_line "User=livekv"
has_line "Group=livekv"
has_line "Restart=on-failure"
has_line "LimitNOFILE=65536"
has_line "WantedBy=multi-user.target"
# The hardening.
has_line "ProtectSystem=strict"
has_line "ProtectHome=yes"
has_line "NoNewPrivileges=yes"
has_line "PrivateTmp=yes"
has_line "PrivateDevices=yes"
has_line "ReadWritePaths=-/var/lib/livekv"
has_line "CapabilityBoundingSet="
has_line "AmbientCapabilities="
has_line "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"
has_line "SystemCallFilter=@system-service"

# seconds DURATION: a systemd or livekv duration (30s, 1min, 2m, 1500ms, 90) in whole seconds.
seconds() {
  case $1 in
    *ms) echo $((${1%ms} / 1000)) ;;
    *min) echo $((${1%min} * 60)) ;;
    *m) echo $((${1%m} * 60)) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
  esac
}
# systemd's stop timeout must outlast the server's own drain, or a clean shutdown ends in SIGKILL.
stop=$(sed -n 's/^TimeoutStopSec=//p' "$unit")
drain=$("$bin" --config-template | sed -n 's/^# shutdown-timeout = //p')
if [[ -z $stop || -z $drain ]]; then
  fail "TimeoutStopSec > shutdown-timeout" "TimeoutStopSec='$stop', the binary's shutdown-timeout default '$drain'"
elif (($(seconds "$stop") > $(seconds "$drain"))); then
  pass "TimeoutStopSec=$stop > shutdown-timeout $drain"
else
  fail "TimeoutStopSec > shutdown-timeout" "$stop is not longer than $drain"
fi

# systemd-analyze verify: prints nothing and exits 0 for a unit it accepts (unknown keys, bad
# values and missing commands are printed, some without a non-zero exit).
sed "s|^ExecStart=/usr/bin/livekv |ExecStart=$bin |" "$unit" >"$tmp/livekv.service"
man_check=(--man=no)
if [[ -n $man_page && -f $man_page ]] && command -v man >/dev/null; then
  mkdir -p "$tmp/man/man1"
  cp "$man_page" "$tmp/man/man1/"
  man_check=(--man=yes)
fi
if MANPATH=$tmp/man systemd-analyze verify "${man_check[@]}" "$tmp/livekv.service" >"$tmp/verify" 2>&1 &&
  [[ ! -s $tmp/verify ]]; then
  pass "systemd-analyze verify ${man_check[*]}"
else
  fail "systemd-analyze verify ${man_check[*]}" "$(cat "$tmp/verify")"
fi

# The exposure score of `systemd-analyze security` (0 best, 10 worst): a guard against hardening
# lines quietly removed, and printed so a reader sees it. 1.5 with systemd 252.
if systemd-analyze security --offline=true "$tmp/livekv.service" >"$tmp/security" 2>&1; then
  score=$(sed -n 's/.*Overall exposure level for livekv.service: \([0-9.]*\).*/\1/p' "$tmp/security")
  if [[ -n $score ]] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
    pass "systemd-analyze security: exposure $score <= 2.0"
  else
    fail "systemd-analyze security: exposure <= 2.0" "$(grep -E 'Overall|✗' "$tmp/security")"
  fi
else
  fail "systemd-analyze security --offline" "$(cat "$tmp/security")"
fi

checks_done
