#!/usr/bin/env bash
# What TLS costs: GET and PUT throughput over plain HTTP and over HTTPS (--tls-cert), in the same
# run, the server pinned to CPU 0 (one io thread) and wrk to CPU 1, keep-alive connections (the
# handshake is paid once per connection; the figure is the cost of encrypting every request and
# answer). The two alternate run by run (plain, tls, plain, tls, ...), each on a fresh in-memory
# server, so that whatever else the machine does lands on both alike (see bench/metrics_cost.sh).
# The certificate is a P-256 ECDSA one made here with the openssl command line; wrk negotiates
# what OpenSSL prefers (TLS 1.3, AES-256-GCM). Prints the medians and their ratio.
#   bench/tls_cost.sh [SECONDS per run, default 5] [REPS, default 5] [CONNECTIONS, default 64]
#   LIVEKV_BIN=path/to/livekv bench/tls_cost.sh   # measure another build
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

run_one() {  # run_one plain|tls SCRIPT → req/s
  local scheme=http tls=()
  if [ "$1" = tls ]; then
    scheme=https
    tls=(--tls-cert "$work/server.pem" --tls-key "$work/server.key")
  fi
  start 0 --threads 1 --in-memory "${tls[@]}"
  LIVEKV_BENCH_CA=$([ "$1" = tls ] && echo "$work/ca.pem" || true) python3 bench/load_keys.py "$port" 1000
  taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s "$2" "$scheme://127.0.0.1:$port" |
    sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p'
  stop
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "| workload ($conns connections, 1 io thread) | plain HTTP | HTTPS | https/http |"
echo "| --- | --- | --- | --- |"
for w in get_hit put_unique; do
  plain=() tls=()
  for _ in $(seq 1 "$reps"); do
    plain+=("$(run_one plain "bench/lua/$w.lua")")
    tls+=("$(run_one tls "bench/lua/$w.lua")")
  done
  m_plain=$(printf '%s\n' "${plain[@]}" | median)
  m_tls=$(printf '%s\n' "${tls[@]}" | median)
  echo "| $w | ${m_plain%.*} | ${m_tls%.*} | $(python3 -c "print(round($m_tls / $m_plain, 3))") |"
done
