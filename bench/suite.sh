#!/usr/bin/env bash
# The benchmark suite of issue 7: livekv next to its peers, measured in the same run so that the
# figures are ratios. One command from a fresh checkout:
#
#   bench/suite.sh                              # the full run (5 s per figure, 3 repetitions)
#   BENCH_SECONDS=2 BENCH_REPS=1 bench/suite.sh # a quick look
#
# Environment:
#   BENCH_SECONDS     seconds per wrk / redis-benchmark run (default 5)
#   BENCH_REPS        repetitions of each run; the report shows medians (default 3)
#   BENCH_KEYS        keys for the memory, recovery and expiry figures (default 1000000)
#   BENCH_WAIT_IDLE   minutes to wait, before starting, for no compiler (cc1plus) to have run for
#                     60 s; 0 (default) starts at once. Whether compilers ran is in the report.
#   BENCH_DOCS        1 (default) writes docs/benchmarks.md and docs/bench-*.png; 0 only
#                     bench/results/
#
# Method (docs/benchmarks.md says why): each server under test is pinned to CPU 0 with one io
# thread or worker, wrk (one thread) to CPU 1; HTTP/1.1 keep-alive; 100-byte values over 100 k keys
# loaded beforehand; c1, c64 and c1000 connections. The peers, from Debian packages
# (bench/install-peers.sh), run on loopback with their own configs, ports and data directories
# under a temporary directory, and are stopped at exit:
#   nginx    one worker, `return 200` with a 100-byte body: the HTTP ceiling of one core
#   webdis   one thread, in front of redis-server (AOF, appendfsync everysec, as livekv's PUTs)
#   etcd     3.4 single node: v2 keys API for GETs, v3 JSON gateway for puts
#   redis    redis-benchmark SET/GET, 50 clients, no pipelining: the non-HTTP ceiling
# Every figure of every run goes to bench/results/latest.tsv; bench/report.py turns them into
# bench/results/latest.md, the charts in docs/ and the generated parts of docs/benchmarks.md.
set -euo pipefail
secs=${BENCH_SECONDS:-5}
reps=${BENCH_REPS:-3}
big=${BENCH_KEYS:-1000000}
wait_idle=${BENCH_WAIT_IDLE:-0}
keys=100000
cd "$(dirname "$0")/.."
bench/install-peers.sh
source bench/common.sh # installs livekv's deps, builds it; start/stop; $work, removed at exit
scripts/build.sh release --target bench_expiry_lag >/dev/null
# c1000 needs 1000 descriptors on each side, and the fan-out 10,000.
ulimit -n "$(ulimit -Hn)"

results=$PWD/bench/results
mkdir -p "$results"
raw=$work/latest.tsv
facts=$work/facts.tsv
printf 'group\tserver\tshape\tconns\trep\trps\tp50_us\tp99_us\tnon2xx\terrors\tcompilers\tserver_cpu\tclient_cpu\tserver_user\tserver_sys\n' >"$raw"
printf 'name\tvalue\n' >"$facts"
fact() { printf '%s\t%s\n' "$1" "$2" >>"$facts"; }
log() { echo "suite $(date +%T): $*" >&2; }
compilers() { pgrep -c cc1plus || true; }

# --- the peers: started pinned, on free loopback ports, stopped at exit -------------------------
peer_pids=()
stop_peers() {
  local p
  for p in "${peer_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${peer_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  peer_pids=()
}
trap 'stop_peers; cleanup' EXIT
spawn() {  # spawn NAME CPUS CMD... → $spawned (pid); output in $work/NAME.log
  local name=$1 cpus=$2
  shift 2
  if [ -n "$cpus" ]; then
    taskset -c "$cpus" "$@" >"$work/$name.log" 2>&1 &
  else
    "$@" >"$work/$name.log" 2>&1 &
  fi
  spawned=$!
  peer_pids+=("$spawned")
}
stop_peer() {  # stop_peer PID
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local p keep=()
  for p in "${peer_pids[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done
  peer_pids=("${keep[@]}")
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # wait_port NAME PORT PID: until something accepts on PORT
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "$1 exited:" >&2; cat "$work/$1.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "$1 did not listen on $2" >&2; cat "$work/$1.log" >&2; exit 1
}

start_nginx() {  # start_nginx WORKERS CPUS → $nginx_port, $nginx_pid
  nginx_port=$(free_port)
  local d=$work/nginx-$1
  mkdir -p "$d"
  cat >"$d/nginx.conf" <<EOF
worker_processes $1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000000;   # the default (1000) would close wrk's connections mid-run
  keepalive_timeout 300s;
  client_body_temp_path $d/body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { return 200 "$(printf 'v%.0s' $(seq 1 100))"; }
  }
}
EOF
  spawn "nginx-$1" "$2" nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
  nginx_pid=$spawned
  wait_port "nginx-$1" "$nginx_port" "$nginx_pid"
}

start_redis() {  # start_redis NAME CPUS ARGS... → $redis_port, $redis_pid
  local name=$1 cpus=$2
  shift 2
  redis_port=$(free_port)
  mkdir -p "$work/$name"
  spawn "$name" "$cpus" redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
    --dir "$work/$name" --daemonize no --maxclients 10000 "$@"
  redis_pid=$spawned
  wait_port "$name" "$redis_port" "$redis_pid"
  # The port accepts before the AOF is loaded; PING answers only after.
  for _ in $(seq 1 600); do
    [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
}

start_webdis() {  # start_webdis REDIS_PORT CPUS → $webdis_port, $webdis_pid
  webdis_port=$(free_port)
  cat >"$work/webdis.json" <<EOF
{"redis_host": "127.0.0.1", "redis_port": $1, "http_host": "127.0.0.1", "http_port": $webdis_port,
 "threads": 1, "pool_size": 20, "daemonize": false, "database": 0, "verbosity": 0,
 "logfile": "$work/webdis-own.log"}
EOF
  spawn webdis "$2" webdis "$work/webdis.json"
  webdis_pid=$spawned
  wait_port webdis "$webdis_port" "$webdis_pid"
}

start_etcd() {  # start_etcd CPUS → $etcd_port, $etcd_pid
  etcd_port=$(free_port)
  local peer
  peer=$(free_port)
  # GOMAXPROCS=1: one core, like every other server (Go would take it from the affinity anyway).
  spawn etcd "$1" env GOMAXPROCS=1 etcd --name bench --data-dir "$work/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "bench=http://127.0.0.1:$peer" --enable-v2=true --log-level warn --logger zap
  etcd_pid=$spawned
  wait_port etcd "$etcd_port" "$etcd_pid"
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$etcd_port/health" | grep -q true && return 0
    sleep 0.1
  done
  echo "etcd not healthy" >&2; cat "$work/etcd.log" >&2; exit 1
}

# --- measurements ---------------------------------------------------------------------------------
# Each run also records the CPU share of the server (its processes and their children: nginx's
# worker, webdis with its redis-server) and of the client over the run: a server well below 100 %
# of its core with the client near 100 % of its own is a client-bound figure, and the report says so.
# The server's share is also split into user and system time, so that the report can tell, per
# request, the kernel's part (sockets, loopback, fsync) from the server's own work: where the
# kernel's part is alike, the server's own work is what a faster server has to cut.
declare -A pids_of  # server label → the pids whose CPU counts as the server's
hz=$(getconf CLK_TCK)
proc_ticks() {  # proc_ticks PID...: "USER SYSTEM" clock ticks of these processes and their children
  local p all=() u=0 s=0 pu ps
  for p in "$@"; do
    all+=("$p")
    all+=($(pgrep -P "$p" || true))
  done
  for p in "${all[@]}"; do
    # Fields after "pid (comm) ": utime and stime are the 12th and 13th. Both from one read, so
    # that a process exiting between two reads cannot count in one and not the other.
    [ -r "/proc/$p/stat" ] && read -r pu ps < <(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12, $13 }') &&
      u=$((u + pu)) && s=$((s + ps))
  done
  echo "$u $s"
}
now() { date +%s.%N; }
measured() {  # measured LABEL CMD...: runs CMD, its stdout to stdout; sets $srv_cpu, $srv_user,
  # $srv_sys and $cli_cpu (%)
  local label=$1 s0 s1 t0 t1 tf=$work/time
  shift
  s0=$(proc_ticks ${pids_of[$label]})
  t0=$(now)
  { TIMEFORMAT='%U %S'; time "$@" 2>"$work/client.err"; } 2>"$tf"
  t1=$(now)
  s1=$(proc_ticks ${pids_of[$label]})
  # The split keeps a decimal: the report divides it by the request rate, and a whole percent
  # would be a coarser step than the clock ticks it comes from.
  read -r srv_cpu srv_user srv_sys < <(awk -v a="$s0" -v b="$s1" -v hz="$hz" -v t="$t0" -v u="$t1" 'BEGIN {
    split(a, x, " "); split(b, y, " "); k = hz * (u - t) / 100
    printf "%.0f %.1f %.1f\n", (y[1] + y[2] - x[1] - x[2]) / k, (y[1] - x[1]) / k, (y[2] - x[2]) / k }')
  cli_cpu=$(awk -v t="$t0" -v u="$t1" '{ printf "%.0f", ($1 + $2) / (u - t) * 100 }' "$tf")
}
row() {  # row GROUP LABEL SHAPE CONNS REP RPS P50_US P99_US NON2XX ERRORS COMPILERS SRV_CPU CLI_CPU SRV_USER SRV_SYS
  local IFS=$'\t'
  echo "$*" >>"$raw"
}

wrk_run() {  # wrk_run GROUP LABEL REP CONNS PORT SERVER SHAPE [CPUS [THREADS]]: one row of $raw
  local group=$1 label=$2 rep=$3 c=$4 port=$5 server=$6 shape=$7 cpus=${8-1} threads=${9:-1}
  local pin=() busy
  [ -n "$cpus" ] && pin=(taskset -c "$cpus")
  busy=$(compilers)
  measured "$label" "${pin[@]}" wrk -t"$threads" -c"$c" -d"${secs}s" --timeout 10s --latency \
    -s bench/lua/kv.lua "http://127.0.0.1:$port" -- "$server" "$shape" "$keys" >"$work/wrk.out" || true
  grep -q '^RESULT' "$work/wrk.out" || { echo "wrk gave no result for $label $shape c$c:" >&2; cat "$work/wrk.out" "$work/client.err" >&2; exit 1; }
  # RESULT rps=R p50_us=A p99_us=B requests=N non2xx=S errors=E
  set -- $(grep '^RESULT' "$work/wrk.out" | sed 's/[a-z0-9_]*=//g')
  row "$group" "$label" "$shape" "$c" "$rep" "$2" "$3" "$4" "$6" "$7" "$busy" "$srv_cpu" "$cli_cpu" "$srv_user" "$srv_sys"
  log "$group $label $shape c$c rep $rep: $2 req/s, p99 $4 us, CPU server $srv_cpu % (user $srv_user, sys $srv_sys) client $cli_cpu %$([ "$7" = 0 ] || echo ", $7 errors")"
}

rb_run() {  # rb_run GROUP LABEL REP CLIENTS PORT TEST: redis-benchmark for about $secs seconds
  local group=$1 label=$2 rep=$3 c=$4 port=$5 test=$6 rate n busy
  local args=(-p "$port" -t "$test" -c "$c" -P 1 -d 100 -r "$keys" --csv)
  # redis-benchmark counts requests, not seconds: a short run first says how many make $secs.
  rate=$(taskset -c 1 redis-benchmark "${args[@]}" -n $((c < 10 ? 200 * c : 2000)) | awk -F'"' 'NR == 2 { print $4 }')
  n=$(awk -v r="$rate" -v s="$secs" 'BEGIN { n = int(r * s); print (n < 1000 ? 1000 : n) }')
  busy=$(compilers)
  measured "$label" taskset -c 1 redis-benchmark "${args[@]}" -n "$n" >"$work/rb.out"
  # "SET","rps","avg_ms","min_ms","p50_ms","p95_ms","p99_ms","max_ms"
  set -- $(sed -n 2p "$work/rb.out" | tr -d '"' | tr , ' ')
  row "$group" "$label" "$test" "$c" "$rep" "$2" "$(awk -v v="$5" 'BEGIN { printf "%.0f", v * 1000 }')" \
    "$(awk -v v="$7" 'BEGIN { printf "%.0f", v * 1000 }')" 0 0 "$busy" "$srv_cpu" "$cli_cpu" "$srv_user" "$srv_sys"
  log "$group $label $test c$c rep $rep: $2 req/s, p99 $7 ms, CPU server $srv_cpu % (user $srv_user, sys $srv_sys) client $cli_cpu %"
}

dd_rate() {  # the disk's rate of single 4 KiB synchronous writes, in $work
  local out s
  out=$(dd if=/dev/zero of="$work/dd" bs=4k count=1000 oflag=dsync 2>&1 | tail -1)
  rm -f "$work/dd"
  s=$(echo "$out" | sed -n 's/.* copied, \([0-9.e+-]*\) s.*/\1/p')
  python3 -c "print(round(1000 / $s))"
}

vmrss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# --- 0. a quiet machine --------------------------------------------------------------------------
t_start=$(date +%s)
if [ "$wait_idle" != 0 ]; then
  log "waiting up to $wait_idle min for no compiler to run for 60 s"
  quiet=0
  while [ $(( $(date +%s) - t_start )) -lt $(( wait_idle * 60 )) ]; do
    if [ "$(compilers)" = 0 ]; then quiet=$((quiet + 10)); else quiet=0; fi
    [ "$quiet" -ge 60 ] && break
    sleep 10
  done
  fact waited_s $(( $(date +%s) - t_start ))
  fact quiet_before_start "$([ "$quiet" -ge 60 ] && echo yes || echo no)"
fi
fact compilers_at_start "$(compilers)"
fact seconds "$secs"
fact reps "$reps"
fact keys "$keys"
fact big_keys "$big"
fact started "$(date -u +%Y-%m-%dT%H:%MZ)"
fact commit "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src include || echo +dirty)"
t_bench=$(date +%s)

# --- 1. the HTTP matrix: every server up at once, each pinned to CPU 0, idle while not measured ----
log "starting the servers"
start 0 --threads 1 --fsync everysec --data-dir "$work/livekv"
livekv_port=$port
pids_of[livekv]=$pid
python3 bench/load_keys.py "$livekv_port" "$keys"
start_nginx 1 0
pids_of[nginx]=$nginx_pid
start_redis redis-webdis 0 --appendonly yes --appendfsync everysec
python3 bench/load_peers.py redis-resp "$keys" | redis-cli -p "$redis_port" --pipe >/dev/null
start_webdis "$redis_port" 0
pids_of[webdis]="$webdis_pid $redis_pid"
start_etcd 0
pids_of[etcd]=$etcd_pid
log "loading $keys keys into etcd's v2 store (each write is a raft entry and an fsync)"
python3 bench/load_peers.py etcd2 "$etcd_port" "$keys"

# Repetitions outermost: a burst of noise (another process, the host) then hits one repetition of
# every server instead of all repetitions of one, and the median drops it.
for rep in $(seq 1 "$reps"); do
  for c in 1 64 1000; do
    for shape in get miss put mix; do
      wrk_run http livekv "$rep" "$c" "$livekv_port" livekv "$shape"
      # nginx answers every request alike: measured once, it is the ceiling of both GET rows.
      if [ "$shape" = get ]; then wrk_run http nginx "$rep" "$c" "$nginx_port" nginx get; fi
      wrk_run http webdis "$rep" "$c" "$webdis_port" webdis "$shape"
      # etcd's GETs are v2, its puts v3: two stores, so no mix of the two.
      if [ "$shape" != mix ]; then wrk_run http etcd "$rep" "$c" "$etcd_port" etcd "$shape"; fi
    done
  done
done
stop
stop_peers

# --- 2. the non-HTTP ceiling: redis-benchmark, 50 clients, no pipelining --------------------------
log "redis-benchmark"
start_redis redis-bench 0 --appendonly yes --appendfsync everysec
pids_of[redis]=$redis_pid
python3 bench/load_peers.py redis-resp "$keys" 12 | redis-cli -p "$redis_port" --pipe >/dev/null
for rep in $(seq 1 "$reps"); do
  rb_run redis-benchmark redis "$rep" 50 "$redis_port" set
  rb_run redis-benchmark redis "$rep" 50 "$redis_port" get
done
stop_peers

# --- 3. durable writes: fsync on every acknowledged write ----------------------------------------
log "durable writes"
start 0 --threads 1 --fsync always --data-dir "$work/always"
pids_of[livekv]=$pid
start_redis redis-always 0 --appendonly yes --appendfsync always
pids_of[redis]=$redis_pid
for rep in $(seq 1 "$reps"); do
  row durable dd dsync 1 "$rep" "$(dd_rate)" 0 0 0 0 "$(compilers)" 0 0 0 0
  for c in 1 16 64; do
    wrk_run durable livekv "$rep" "$c" "$port" livekv put
  done
  for c in 1 16 50 64; do
    rb_run durable redis "$rep" "$c" "$redis_port" set
  done
done
stop
stop_peers

# --- 4. memory per key after loading $big keys ----------------------------------------------------
log "memory per key ($big keys)"
start 0 --threads 1 --in-memory
curl -s "http://127.0.0.1:$port/status" >/dev/null
before=$(vmrss_kib "$pid")
python3 bench/load_keys.py "$port" "$big"
after=$(vmrss_kib "$pid")
fact mem_livekv_rss_per_key "$(python3 -c "print(round(($after - $before) * 1024 / $big, 1))")"
stop
start_redis redis-memory 0
redis_used() { redis-cli -p "$redis_port" info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p'; }
before=$(redis_used)
rss_before=$(vmrss_kib "$redis_pid")
python3 bench/load_peers.py redis-resp "$big" | redis-cli -p "$redis_port" --pipe >/dev/null
after=$(redis_used)
rss_after=$(vmrss_kib "$redis_pid")
fact mem_redis_used_per_key "$(python3 -c "print(round(($after - $before) / $big, 1))")"
fact mem_redis_rss_per_key "$(python3 -c "print(round(($rss_after - $rss_before) * 1024 / $big, 1))")"
stop_peers

# --- 5. recovery of $big keys: livekv from its log and from a snapshot, redis from its AOF -------
log "recovery ($big keys)"
start "" --fsync no --data-dir "$work/rec" --snapshot-log-bytes 64GiB
python3 bench/load_keys.py "$port" "$big"
stop
start "" --data-dir "$work/rec"
fact recovery_livekv_log_s "$(status_field 'round(d["storage"]["recovery"]["seconds"], 3)')"
curl -sf -X POST "http://127.0.0.1:$port/v1/admin/snapshot" >/dev/null || { echo "snapshot failed" >&2; exit 1; }
stop
start "" --data-dir "$work/rec"
fact recovery_livekv_snapshot_s "$(status_field 'round(d["storage"]["recovery"]["seconds"], 3)')"
stop
# Redis: the same keys as SETs in an AOF (no RDB preamble: the log, like livekv's), then a restart.
start_redis redis-rec "" --appendonly yes --appendfsync no --aof-use-rdb-preamble no
python3 bench/load_peers.py redis-resp "$big" | redis-cli -p "$redis_port" --pipe >/dev/null
stop_peer "$redis_pid"
start_redis redis-rec "" --appendonly yes --aof-use-rdb-preamble no
fact recovery_redis_aof_s "$(sed -n 's/.*DB loaded from append only file: \([0-9.]*\) seconds.*/\1/p' "$work/redis-rec.log" | tail -1)"
stop_peers

# --- 6. expiry lag of $big keys with TTLs ---------------------------------------------------------
log "expiry lag ($big keys over 10 s)"
out=$(build/release/bench_expiry_lag "$big" 10)
echo "$out" >&2
fact expiry_lag_ms "$(echo "$out" | sed -n 's/^expiry lag ms: //p')"
fact expiry_expired "$(echo "$out" | sed -n 's/.*expired=\([0-9]*\).*/\1/p')"

# --- 7. 1 vs 2 io threads, unpinned: does throughput follow the cores? ----------------------------
log "threads"
for t in 1 2; do
  start "" --threads "$t" --fsync everysec --data-dir "$work/threads-$t"
  python3 bench/load_keys.py "$port" "$keys"
  pids_of[livekv@$t]=$pid
  start_nginx "$t" ""
  pids_of[nginx@$t]=$nginx_pid
  for rep in $(seq 1 "$reps"); do
    # Unpinned on both sides, wrk with 2 threads: the 2 cores are shared by server and client.
    wrk_run threads "livekv@$t" "$rep" 64 "$port" livekv get "" 2
    wrk_run threads "livekv@$t" "$rep" 64 "$port" livekv put "" 2
    wrk_run threads "nginx@$t" "$rep" 64 "$nginx_port" nginx get "" 2
  done
  stop
  stop_peers
done

# --- 8. the live feed's fan-out: bench/feed_fanout.sh when the branch that adds it has landed ------
if [ -x bench/feed_fanout.sh ]; then
  log "feed fan-out"
  bench/feed_fanout.sh "$secs" >"$work/fanout.md" || echo "bench/feed_fanout.sh failed" >"$work/fanout.md"
else
  echo "bench/feed_fanout.sh is not in this checkout: fan-out not measured." >"$work/fanout.md"
fi
fact bench_minutes "$(( ($(date +%s) - t_bench + 30) / 60 ))"
fact compilers_at_end "$(compilers)"

cp "$raw" "$results/latest.tsv"
cp "$facts" "$results/latest-facts.tsv"
cp "$work/fanout.md" "$results/latest-fanout.md"
python3 bench/report.py --docs "${BENCH_DOCS:-1}"
log "done: bench/results/latest.md"
