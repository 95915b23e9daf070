#!/usr/bin/env bash
# The house's layering, checked on every test run: each room includes only the rooms below it,
# and reaches the store, the log and the hub through their interfaces (docs/architecture.md).
# A rule here is a sentence of that page; a violation names the file, the line and the rule.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
failures=0

# forbid ROOM PATTERN WHY: no file of ROOM (its headers and sources) includes a livekv header
# matching PATTERN (an extended regular expression on the included path).
forbid() {
  local room=$1 pattern=$2 why=$3 hits
  hits=$(grep -HnE "#include \"livekv/(${pattern})" -r "include/livekv/$room" "src/$room" 2>/dev/null || true)
  if [ -n "$hits" ]; then
    printf '%s\n' "$hits" | sed "s|^|layering: $room: $why: |" >&2
    failures=$((failures + 1))
  fi
}

forbid util  'config|server\.hpp|server_metrics|net/|http/|handlers/|store/|wal/|hub/|feed/|metrics/' 'util is the ground floor'
forbid io    'config|server\.hpp|server_metrics|net/|http/|handlers/|store/|wal/|hub/|feed/|metrics/' 'io is the ground floor'
forbid auth  'config|server\.hpp|server_metrics|net/|http/|handlers/|store/|wal/|hub/|feed/' 'auth decides who may do what; the rooms above ask it'
forbid store 'config|server\.hpp|server_metrics|net/|http/|handlers/|wal/|hub/|feed/' 'the store knows the log only as store::commit_log'
forbid wal   'config|server\.hpp|server_metrics|net/|http/|handlers/|hub/|feed/|store/kv_store' 'the WAL reaches the state only as store::state_machine'
forbid hub   'config|server\.hpp|server_metrics|net/|http/|handlers/|wal/|feed/|store/kv_store' 'the hub reads history only as store::commit_history'
forbid feed  'config|server\.hpp|server_metrics|net/http_session|handlers/|wal/|store/kv_store' 'the feed reads history only through the hub'
forbid http  'config|server\.hpp|server_metrics|net/|handlers/|store/|wal/|hub/|feed/' 'http is the message layer: no store, no config'
forbid net   'config|server\.hpp|server_metrics|handlers/|store/|wal/|hub/|feed/' 'a session learns durability from the ticket its handler hands it'
forbid handlers 'net/' 'handlers answer through the request context, never the connection'
forbid metrics 'config|server\.hpp|server_metrics|net/|handlers/|store/|wal/|hub/|feed/' 'metrics are definitions on top of prometheus-cpp'

if [ "$failures" -ne 0 ]; then
  echo "layering: $failures rule(s) broken (see docs/architecture.md)" >&2
  exit 1
fi
echo "layering: every rule holds"
