#!/usr/bin/env bash
# Runs the web console's real-browser test: installs the pinned node dependencies when they are
# missing or stale, then drives Debian's Chromium against the given binary.
#   tests/browser/run.sh <livekv-binary> [test script, default console_test.mjs]
# Needs node (18 or later), npm and /usr/bin/chromium (scripts/install-deps.sh installs them);
# the first run downloads playwright-core from the npm registry.
set -euo pipefail
[[ $# -eq 1 || $# -eq 2 ]] || { echo "usage: $0 <livekv-binary> [test.mjs]" >&2; exit 2; }
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "$tool not found (scripts/install-deps.sh)" >&2; exit 1; }
done
chromium=${LIVEKV_CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || { echo "$chromium not found (scripts/install-deps.sh)" >&2; exit 1; }

# Trust what the system trusts as well as node's own CA list: machines behind a TLS-inspecting
# proxy carry its CA in the system bundle, which node does not read by itself.
if [[ -z ${NODE_EXTRA_CA_CERTS:-} && -r /etc/ssl/certs/ca-certificates.crt ]]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

# node_modules is rebuilt from package-lock.json when the lock changes; the stamp is the lock it
# was built from. The lock file serializes presets that ctest runs at the same time.
stamp=$here/node_modules/.livekv-lock-stamp
# Set when npm found the registry unreachable in the last ten minutes: the other browser tests of
# the same run skip at once instead of each waiting out npm's own retries (a minute or more).
unreachable=${TMPDIR:-/tmp}/livekv-browser-npm.unreachable
(
  flock 9
  if ! cmp -s "$here/package-lock.json" "$stamp" 2>/dev/null; then
    if [[ -n $(find "$unreachable" -mmin -10 2>/dev/null) ]]; then
      echo "SKIPPED: the npm registry was unreachable moments ago (see the first browser test's log)" >&2
      exit 77
    fi
    echo "installing node dependencies (npm ci)" >&2
    log=$(mktemp)
    if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) 2>"$log"; then
      cat "$log" >&2
      # Without the npm registry the test cannot run at all: say so and report "skipped" (77)
      # rather than pass or blame the page. Any other npm failure is a real failure.
      if grep -Eq 'code (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_[A-Z_]+|CERT_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH)' "$log"; then
        echo "SKIPPED: the npm registry is unreachable from here (network or TLS trust), so playwright-core cannot be installed" >&2
        touch "$unreachable"
        rm -f "$log"
        exit 77
      fi
      rm -f "$log"
      exit 1
    fi
    rm -f "$log" "$unreachable"
    cp "$here/package-lock.json" "$stamp"
  fi
) 9>"${TMPDIR:-/tmp}/livekv-browser-npm.lock"

exec node "$here/${2:-console_test.mjs}" "$bin"
