#!/usr/bin/env bash
# What security costs: GET and PUT throughput with it off, with --auth-file (every request carries a
# bearer token, hashed and compared with each of 100 entries), over HTTPS (--tls-cert), and with
# both, in the same run, the server pinned to CPU 0 (one io thread) and wrk to CPU 1, keep-alive connections (the
# handshake is paid once per connection; the figure is the cost of encrypting every request and
# answer). The settings alternate run by run (off, auth, tls, auth+tls, off, ...), each on a fresh
# in-memory server, so that whatever else the machine does lands on all alike (see
# bench/metrics_cost.sh).
# The certificate is a P-256 ECDSA one made here with the openssl command line; wrk negotiates
# what OpenSSL prefers (TLS 1.3, AES-256-GCM). Prints the medians and their ratios to "off".
#   bench/security_cost.sh [SECONDS per run, default 5] [REPS, default 5] [CONNECTIONS, default 64]
#   LIVEKV_BIN=path/to/livekv bench/security_cost.sh   # measure another build
set -euo pipefail
secs=${1:-5}
reps=${2:-5}
conns=${3:-64}
source "$(dirname "$0")/common.sh"
bin=${LIVEKV_BIN:-$bin}

# A throwaway CA and a server certificate for 127.0.0.1, in the run's work directory.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=bench CA" \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$work/server.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -set_serial 1 -days 1 \
  -extfile "$work/server.ext" -out "$work/server.pem" 2>/dev/null

# An auth file of 100 entries, one of them the bench's token (read and write).
token=$("$bin" --hash-token | sed -n 's/^token: //p')
python3 - "$work/tokens.json" "$token" <<'PY'
import hashlib, json, secrets, sys
path, token = sys.argv[1], sys.argv[2]
entries = [{"name": "bench", "token_sha256": hashlib.sha256(token.encode()).hexdigest(), "roles": ["read", "write"]}]
entries += [{"name": f"other{i}", "token_sha256": secrets.token_hex(32), "roles": ["read"]} for i in range(99)]
json.dump(entries, open(path, "w"))
PY

modes=(off auth tls auth+tls)
run_one() {  # run_one MODE SCRIPT → req/s
  local scheme=http args=() hdr=() ca="" bearer=""
  if [[ $1 == *tls* ]]; then
    scheme=https ca=$work/ca.pem
    args+=(--tls-cert "$work/server.pem" --tls-key "$work/server.key")
  fi
  if [[ $1 == *auth* ]]; then
    args+=(--auth-file "$work/tokens.json")
    hdr=(-H "Authorization: Bearer $token") bearer=$token
  fi
  start 0 --threads 1 --in-memory "${args[@]}"
  LIVEKV_BENCH_CA=$ca LIVEKV_BENCH_TOKEN=$bearer python3 bench/load_keys.py "$port" 1000
  taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" "${hdr[@]}" -s "$2" "$scheme://127.0.0.1:$port" |
    sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p'
  stop
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "| workload ($conns connections, 1 io thread) | off | auth | tls | auth+tls | auth/off | tls/off | auth+tls/off |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for w in get_hit put_unique; do
  declare -A runs=()
  for _ in $(seq 1 "$reps"); do
    for m in "${modes[@]}"; do runs[$m]+="$(run_one "$m" "bench/lua/$w.lua") "; done
  done
  declare -A med=()
  row="| $w |"
  for m in "${modes[@]}"; do
    med[$m]=$(printf '%s\n' ${runs[$m]} | median)
    row+=" ${med[$m]%.*} |"
  done
  for m in auth tls auth+tls; do row+=" $(python3 -c "print(round(${med[$m]} / ${med[off]}, 3))") |"; done
  echo "$row"
  unset runs med
done
