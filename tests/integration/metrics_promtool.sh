#!/usr/bin/env bash
# Checks a metrics exposition with `promtool check metrics` (Debian package `prometheus`):
# the text must parse, and the lint (names, units, _total suffixes, help text) must be silent.
#
#   metrics_promtool.sh http://127.0.0.1:8080/metrics   # scrape a live server (needs curl)
#   metrics_promtool.sh /tmp/sample.prom                # a saved exposition
#   some_command | metrics_promtool.sh -                # standard input
#
# For a URL the response's Content-Type must also be the 0.0.4 text format.
# Exit status: 0 clean; 1 promtool reported anything or the input could not be read; 2 usage.
set -euo pipefail

usage() {
  echo "usage: $0 <file | http(s)://host:port/metrics | ->" >&2
  exit 2
}
[[ $# -eq 1 ]] || usage
source_arg=$1

if ! command -v promtool >/dev/null; then
  echo "promtool not found (apt-get install prometheus)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
body=$work/body.prom

case $source_arg in
  http://* | https://*)
    curl -fsS --max-time 10 -D "$work/headers" -o "$body" "$source_arg"
    # The last Content-Type seen (after any redirect), without the CR of the header line.
    content_type=$(tr -d '\r' < "$work/headers" |
      awk -F': *' 'tolower($1) == "content-type" { v = $2 } END { print v }')
    expected='text/plain; version=0.0.4; charset=utf-8'
    if [[ $content_type != "$expected" ]]; then
      echo "unexpected Content-Type '$content_type' (want '$expected')" >&2
      exit 1
    fi
    ;;
  -) cat > "$body" ;;
  *) [[ -r $source_arg ]] || { echo "cannot read $source_arg" >&2; exit 1; }
     cp -- "$source_arg" "$body" ;;
esac

if [[ ! -s $body ]]; then
  echo "empty exposition" >&2
  exit 1
fi

# promtool exits non-zero on parse errors and on lint problems; also treat any output as failure
# so that a future promtool that merely warns still fails the check.
set +e
report=$(promtool check metrics < "$body" 2>&1)
rc=$?
set -e
if [[ $rc -ne 0 || -n $report ]]; then
  echo "promtool check metrics failed (exit $rc):" >&2
  printf '%s\n' "$report" >&2
  exit 1
fi
echo "promtool check metrics: OK ($(grep -vc '^#' "$body") samples)"
