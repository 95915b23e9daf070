#!/usr/bin/env bash
# Runs the quick-start curl examples against a real livekv, the way a user would type them, and
# checks each answer's status and body. Usage: readme_examples.sh <path-to-livekv>
# Every wait is bounded (curl --max-time, read -t, a counted loop), so a hung server fails the
# script instead of hanging it.
set -euo pipefail

bin=${1:?usage: readme_examples.sh <path-to-livekv>}
if [[ ! -x $bin ]]; then
  echo "not an executable: $bin" >&2
  exit 2
fi
command -v curl >/dev/null || { echo "curl is required" >&2; exit 2; }

tmp=$(mktemp -d /tmp/livekv-readme-XXXXXX)
server_pid=""

stop_server() {
  # SIGTERM, up to 10 s for a graceful exit, then SIGKILL.
  local i
  kill -TERM "$server_pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$server_pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$server_pid" 2>/dev/null || true
}

cleanup() {
  if [[ -n $server_pid ]]; then stop_server; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The server prints "livekv listening on http://127.0.0.1:PORT" on stdout once it serves; a FIFO
# lets us read that line with a timeout instead of polling a file.
mkfifo "$tmp/stdout"
"$bin" --host 127.0.0.1 --port 0 --data-dir "$tmp/data" >"$tmp/stdout" 2>"$tmp/stderr" &
server_pid=$!
exec 3<"$tmp/stdout"
line=""
if ! read -r -t 20 line <&3; then
  echo "livekv printed no listening line within 20 s; its stderr:" >&2
  cat "$tmp/stderr" >&2
  exit 1
fi
if [[ ! $line =~ ^livekv\ listening\ on\ http://127\.0\.0\.1:([0-9]+)$ ]]; then
  echo "unexpected first line from livekv: '$line'" >&2
  exit 1
fi
base="http://127.0.0.1:${BASH_REMATCH[1]}"

passed=0
failed=0

pass() { passed=$((passed + 1)); echo "ok    $1"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL  $1: $2"
  sed 's/^/        /' "$tmp/headers" "$tmp/body" 2>/dev/null || true
}

# example NAME STATUS BODY_REGEX CURL_ARGS...: runs curl and checks the status code, and that the
# body matches the extended regex (an empty regex matches an empty body only; '-' skips the check,
# for curl -I, which writes the headers where the body would go).
example() {
  local name=$1 want_status=$2 want_body=$3
  shift 3
  : >"$tmp/headers"
  : >"$tmp/body"
  local status
  status=$(curl -sS --max-time 10 -D "$tmp/headers" -o "$tmp/body" -w '%{http_code}' "$@") || status="curl failed"
  if [[ $status != "$want_status" ]]; then
    fail "$name" "status $status, expected $want_status"
  elif [[ -z $want_body && -s $tmp/body ]]; then
    fail "$name" "expected an empty body"
  elif [[ -n $want_body && $want_body != - ]] && ! grep -Eq -- "$want_body" "$tmp/body"; then
    fail "$name" "body does not match /$want_body/"
  else
    pass "$name"
  fi
}

# has_header NAME REGEX: the last example's response has a header line matching REGEX (any case).
has_header() {
  if grep -Eiq -- "$2" "$tmp/headers"; then pass "$1"; else fail "$1" "no header matching /$2/"; fi
}

# Store a value, read it back, look at its metadata.
example "put a new key" 201 '"created":true' -X PUT --data-binary 'hello' "$base/v1/kv/greeting"
example "get it back" 200 '^hello$' "$base/v1/kv/greeting"
has_header "the value has an ETag" '^ETag: "1"'
example "head shows the metadata" 200 - -I "$base/v1/kv/greeting"
has_header "head reports the value's length" '^Content-Length: 5'
has_header "head reports the version" '^KV-Version: 1'
example "put again replaces it" 200 '"created":false' -X PUT --data-binary 'hello again' "$base/v1/kv/greeting"
example "the new value is served" 200 '^hello again$' "$base/v1/kv/greeting"
has_header "the version went up" '^KV-Version: 2'
example "an unchanged value is not sent again" 304 '' -H 'If-None-Match: "2"' "$base/v1/kv/greeting"

# Keys may contain slashes; list them by prefix.
example "put app/config/db" 201 '"key":"app/config/db"' -X PUT -H 'Content-Type: text/plain' \
  --data-binary 'postgres://db:5432' "$base/v1/kv/app/config/db"
example "put app/config/cache" 201 '"created":true' -X PUT --data-binary 'redis://cache' "$base/v1/kv/app/config/cache"
example "the stored Content-Type comes back" 200 '^postgres://db:5432$' "$base/v1/kv/app/config/db"
has_header "text/plain is served as text/plain" '^Content-Type: text/plain'
example "list a prefix" 200 '"items":\[\{"key":"app/config/cache".*\{"key":"app/config/db"' "$base/v1/kv?prefix=app/"
example "list with values" 200 '"value":"postgres://db:5432"' "$base/v1/kv?prefix=app/&values=true"
example "page through with limit" 200 '"next":"app/config/cache"' "$base/v1/kv?prefix=app/&limit=1"

# Delete, and what a missing key looks like.
example "delete a key" 200 '"key":"greeting"' -X DELETE "$base/v1/kv/greeting"
example "a deleted key is gone" 404 '"code":"key_not_found"' "$base/v1/kv/greeting"
has_header "errors are problem+json" '^Content-Type: application/problem\+json'
example "deleting it again is 404" 404 '"code":"key_not_found"' -X DELETE "$base/v1/kv/greeting"

# The live feed with curl: an SSE watch sees a write, from its first revision; a long-poll
# answers when the key changes after the revision it names.
curl -sS -N --max-time 3 "$base/v1/watch?prefix=app/&since=0" >"$tmp/sse" 2>/dev/null &
sse_pid=$!
example "long-poll answers when the key changed after wait=" 200 '^postgres://db:5432$' \
  "$base/v1/kv/app/config/db?wait=1&timeout=5"
example "long-poll times out with 304" 304 '' "$base/v1/kv/app/config/db?wait=5&timeout=1"
wait "$sse_pid" || true
if grep -q '^event: put$' "$tmp/sse" && grep -q '"key":"app/config/db","rev":3' "$tmp/sse"; then
  pass "curl -N /v1/watch streams the writes as server-sent events"
else
  failed=$((failed + 1))
  echo "FAIL  curl -N /v1/watch: no put event for app/config/db in:"
  sed 's/^/        /' "$tmp/sse"
fi

# Operations.
example "status" 200 '"revision":5' "$base/status"
example "healthz" 200 '"status":"ok"' "$base/healthz"
example "readyz" 200 '"status":"ready"' "$base/readyz"

# A graceful stop ends with exit code 0.
kill -TERM "$server_pid"
for ((i = 0; i < 100; i++)); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$server_pid" 2>/dev/null; then
  failed=$((failed + 1))
  echo "FAIL  SIGTERM stops the server: still running after 10 s"
else
  rc=0
  wait "$server_pid" || rc=$?
  server_pid=""
  if [[ $rc == 0 ]]; then pass "SIGTERM stops the server with exit code 0"; else
    failed=$((failed + 1))
    echo "FAIL  SIGTERM stops the server: exit code $rc"
  fi
fi

echo "$passed passed, $failed failed"
if ((failed > 0)); then
  echo "livekv stderr:"
  cat "$tmp/stderr"
  exit 1
fi
