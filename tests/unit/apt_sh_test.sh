#!/usr/bin/env bash
# scripts/lib/apt.sh against stub dpkg-query, id and sudo on PATH (nothing is installed, nothing
# outside a temporary directory is touched): what it asks apt for, when it asks nothing, the
# policy-rc.d guard around the install, and the refusal without root or sudo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
# The guard's path, moved into the temporary directory.
sed "s|/usr/sbin/policy-rc.d|$work/policy-rc.d|g" "$here/../../scripts/lib/apt.sh" >"$work/apt.sh"

cat >"$work/bin/dpkg-query" <<'STUB'
#!/bin/sh
for a; do last=$a; done
case " $MISSING " in *" $last "*) exit 1 ;; esac
printf 'install ok installed'
STUB
cat >"$work/bin/id" <<'STUB'
#!/bin/sh
echo "$FAKE_UID"
STUB
cat >"$work/bin/sudo" <<'STUB'
#!/bin/sh
echo "sudo $*" >>"$LOG"
case $1 in
  apt-get) if [ -e "$GUARD" ]; then echo "guard present" >>"$LOG"; fi ;;
  *) "$@" ;;
esac
STUB
chmod +x "$work/bin/"*

fail() { echo "FAIL: $*" >&2; exit 1; }
run() {  # run MISSING FAKE_UID PATH_DIRS SCRIPT: the helper's stderr and exit status in $err / $rc
  local script=$4
  : >"$work/log"
  set +e
  err=$(MISSING=$1 FAKE_UID=$2 LOG="$work/log" GUARD="$work/policy-rc.d" PATH="$3" \
        "$BASH" -c "set -euo pipefail; source '$work/apt.sh'; $script" 2>&1 >/dev/null)
  rc=$?
  set -e
}
path="$work/bin:$PATH"

# Nothing missing: silent, no apt, no sudo.
run "" 1000 "$path" 'apt_install_missing t a b'
[ "$rc" = 0 ] && [ -z "$err" ] && [ ! -s "$work/log" ] || fail "nothing missing: rc=$rc err='$err' $(cat "$work/log")"

# Two missing, through sudo: one line naming them, one update, one install, the guard held during
# the install and removed at exit.
run "b c" 1000 "$path" 'apt_install_missing t a b c'
[ "$rc" = 0 ] || fail "install: rc=$rc $err"
[ "$err" = "t: installing b c" ] || fail "install message: '$err'"
grep -qx "sudo apt-get update -qq" "$work/log" || fail "no update: $(cat "$work/log")"
grep -qx "sudo apt-get install -y -qq --no-install-recommends b c" "$work/log" || fail "install: $(cat "$work/log")"
[ "$(grep -c 'guard present' "$work/log")" = 2 ] || fail "guard not held: $(cat "$work/log")"
[ ! -e "$work/policy-rc.d" ] || fail "guard left behind"

# The caller's hook takes packages something else provides off the list.
run "a b" 1000 "$path" 'apt_provided_elsewhere() { [ "$1" = a ]; }; apt_install_missing t a b'
grep -qx "sudo apt-get install -y -qq --no-install-recommends b" "$work/log" || fail "hook: $(cat "$work/log")"

# Not root and no sudo (a PATH with only the stubs and grep): a clear refusal, exit 1.
rm "$work/bin/sudo"
ln -s "$(command -v grep)" "$work/bin/grep"
run "b" 1000 "$work/bin" 'apt_install_missing t a b'
[ "$rc" = 1 ] && [ "$err" = "t: need root or sudo to install: b" ] || fail "no sudo: rc=$rc err='$err'"
echo "apt.sh: all cases pass"
