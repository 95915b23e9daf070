# Sourced, not run: the pass/fail tally of the deployment tests that report check by check
# (scripts/deb-test.sh, tests/deploy/unit_file_test.sh, tests/deploy/systemd_boot_test.sh).
#   pass NAME; fail NAME [WHY]; check NAME COMMAND... (passes when COMMAND succeeds; its output
#   is dropped); checks_done (prints the tally; its status is the test's: 0 only if none failed);
#   quiet NAME COMMAND... (a noisy step the rest depends on: its output is shown only when it
#   fails, and then the test exits 1).
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1${2:+: $2}"; }
check() {
  local name=$1
  shift
  if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name"; fi
}
checks_done() {
  echo "$passed passed, $failed failed"
  ((failed == 0))
}
quiet() {
  local name=$1 log
  shift
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then
    echo "FAIL  $name:" >&2
    tail -40 "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
}
