#!/usr/bin/env python3
"""Turns the figures of bench/suite.sh into its report.

usage: report.py [--docs 0|1]

Reads   bench/results/latest.tsv        one row per run (group, server, shape, conns, rep, ...)
        bench/results/latest-facts.tsv  single figures (memory, recovery, expiry lag, the run)
        bench/results/latest-fanout.md  bench/feed_fanout.sh's table, or why it is missing
Writes  bench/results/latest.md         medians of the repetitions, ratios, targets met or not
 with --docs 1 (default):
        docs/bench-throughput.png, docs/bench-latency.png, docs/bench-durable.png,
        docs/bench-threads.png          gnuplot charts
        docs/benchmarks.md              the parts between <!-- generated:NAME --> and
                                        <!-- /generated:NAME --> markers; the prose is kept

Ratios are livekv / peer for throughput (higher is better for livekv) and peer / livekv for
latency and memory, so that in every ratio column above 1.0 means livekv is ahead.
"""
import csv
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
RESULTS = os.path.join(ROOT, "bench", "results")
DOCS = os.path.join(ROOT, "docs")

SHAPES = [("get", "GET hit"), ("miss", "GET miss"), ("put", "PUT (everysec)"), ("mix", "90/10 GET/PUT")]
CONNS = [1, 64, 1000]
PEERS = ["nginx", "webdis", "etcd"]


def load():
    rows = list(csv.DictReader(open(os.path.join(RESULTS, "latest.tsv")), delimiter="\t"))
    facts = {r["name"]: r["value"] for r in csv.DictReader(open(os.path.join(RESULTS, "latest-facts.tsv")), delimiter="\t")}
    fanout_path = os.path.join(RESULTS, "latest-fanout.md")
    fanout = open(fanout_path).read().strip() if os.path.exists(fanout_path) else "not run"
    return rows, facts, fanout


class Figures:
    """Medians over the repetitions of each (group, server, shape, conns)."""

    def __init__(self, rows):
        self.runs = {}
        for r in rows:
            self.runs.setdefault((r["group"], r["server"], r["shape"], int(r["conns"])), []).append(r)

    def get(self, group, server, shape, conns, field="rps"):
        vals = [float(r[field]) for r in self.runs.get((group, server, shape, conns), []) if r.get(field)]
        return statistics.median(vals) if vals else None

    def per_cpu(self, group, server, shape, conns):
        """Median over the repetitions of requests per CPU-second the server used."""
        vals = [float(r["rps"]) / (float(r["server_cpu"]) / 100) for r in self.runs.get((group, server, shape, conns), [])
                if r.get("server_cpu") and float(r["server_cpu"]) > 0]
        return statistics.median(vals) if vals else None

    def cpu_us_per_request(self, group, server, shape, conns, *fields):
        """Median over the repetitions of the server's CPU microseconds per request, from its share
        of a core in the sum of FIELDS (server_user, server_sys, server_cpu). Runs lacking one of
        them, as files written before the user / system split do, are left out."""
        vals = []
        for r in self.runs.get((group, server, shape, conns), []):
            if all(r.get(k) for k in fields) and r.get("rps") and float(r["rps"]) > 0:
                vals.append(sum(float(r[k]) for k in fields) / 100 / float(r["rps"]) * 1e6)
        return statistics.median(vals) if vals else None

    def paired(self, a, b, field="rps"):
        """The ratio a / b in each repetition both have: the two ran minutes apart at most, so a
        slowdown of the whole machine that lasted a repetition cancels out of its ratio."""
        by_rep = lambda key: {r["rep"]: float(r[field]) for r in self.runs.get(key, []) if r.get(field)}
        ra, rb = by_rep(a), by_rep(b)
        return [ra[k] / rb[k] for k in sorted(ra, key=int) if k in rb and rb[k] > 0]

    def errors(self, group, server, shape, conns):
        return sum(int(r["errors"]) for r in self.runs.get((group, server, shape, conns), []))

    def spread(self):
        """Largest (max - min) / median of the throughput across repetitions, and where."""
        worst = (0.0, None)
        for key, runs in self.runs.items():
            if len(runs) < 2:
                continue
            v = [float(r["rps"]) for r in runs]
            s = (max(v) - min(v)) / max(statistics.median(v), 1e-9)
            if s > worst[0]:
                worst = (s, key)
        return worst


def num(v):
    if v is None:
        return "—"
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}" if v >= 10 else f"{v:,.2f}"


def ms(us):
    if us is None:
        return "—"
    v = us / 1000
    return f"{v:.0f} ms" if v >= 100 else f"{v:.1f} ms" if v >= 1 else f"{v:.2f} ms"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def x(r):
    return "—" if r is None else f"{r:.2f}×"


def machine():
    info = {}
    try:
        cpuinfo = open("/proc/cpuinfo").read()
        m = re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.M)
        info["cpu"] = m.group(1).strip() if m else "unknown"
        m = re.search(r"^cpu MHz\s*:\s*(.*)$", cpuinfo, re.M)
        info["mhz"] = m.group(1).strip() if m else "?"
        m = re.search(r"^cache size\s*:\s*(.*)$", cpuinfo, re.M)
        info["cache"] = m.group(1).strip() if m else "?"
        info["hypervisor"] = "yes" if re.search(r"^flags\s*:.*\bhypervisor\b", cpuinfo, re.M) else "no"
    except OSError:
        info["cpu"] = "unknown"
    info["nproc"] = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    info["uname"] = " ".join(platform.uname()[i] for i in (0, 2, 4))
    try:
        m = re.search(r"^MemTotal:\s*(\d+)", open("/proc/meminfo").read(), re.M)
        info["mem"] = f"{int(m.group(1)) / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        info["mem"] = "?"
    os_release = {}
    try:
        for line in open("/etc/os-release"):
            k, _, v = line.strip().partition("=")
            os_release[k] = v.strip('"')
    except OSError:
        pass
    info["os"] = os_release.get("PRETTY_NAME", "?")
    versions = {}
    for name, cmd in [("nginx", ["nginx", "-v"]), ("redis", ["redis-server", "--version"]),
                      ("etcd", ["etcd", "--version"]), ("wrk", ["dpkg-query", "-W", "-f=${Version}", "wrk"]),
                      ("webdis", ["dpkg-query", "-W", "-f=${Version}", "webdis"])]:
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
            out = (p.stdout + p.stderr).strip()
            m = re.search(r"(\d+\.\d+[.\d]*[-+~\w.]*)", out)
            versions[name] = m.group(1) if m else out[:40]
        except OSError:
            versions[name] = "not installed"
    info["versions"] = versions
    return info


def machine_md(info, facts):
    v = info["versions"]
    lines = [
        f"- CPU: {info['cpu']}, {info['nproc']} cores online (`nproc`), {info['mhz']} MHz, cache {info['cache']},"
        f" virtual machine: {info['hypervisor']} (the `hypervisor` flag of /proc/cpuinfo)",
        f"- Memory {info['mem']}; {info['uname']}; {info['os']}",
        f"- Peers: nginx {v['nginx']}, redis {v['redis']}, webdis {v['webdis']}, etcd {v['etcd']}; wrk {v['wrk']}",
    ]
    return "\n".join(lines)


def noise_md(facts, figs, rows):
    busy = sum(1 for r in rows if r.get("compilers", "0") not in ("0", ""))
    s, key = figs.spread()
    parts = [f"{facts.get('seconds', '?')} s per run, {facts.get('reps', '?')} repetition(s), medians shown;"
             f" the whole run took {facts.get('bench_minutes', '?')} min."]
    if "waited_s" in facts:
        parts.append(f"Waited {int(facts['waited_s']) // 60} min for the compilers to stop: "
                     + ("the machine was quiet for 60 s before the start." if facts.get("quiet_before_start") == "yes"
                        else "they did not stop in time, so the run started anyway."))
    parts.append(f"Compilers (cc1plus) running: {facts.get('compilers_at_start', '?')} at the start, "
                 f"{facts.get('compilers_at_end', '?')} at the end, during {busy} of {len(rows)} runs.")
    if key:
        parts.append(f"Largest spread between repetitions: {s * 100:.0f} % of the median "
                     f"({key[1]} {key[2]} c{key[3]}, group {key[0]}).")
    return " ".join(parts)


def targets(figs, facts):
    """(target, livekv figure, reference, ratio, bar, ratio per CPU-second) for every target of issue 7."""
    f = figs.get
    out = []

    def tput(name, lk, ref, refname, bar, cpu_bound=True):
        a, b = f(*lk), f(*ref)
        out.append((name, f"{num(a)} req/s", f"{refname} {num(b)} req/s", ratio(a, b), bar,
                    ratio(figs.per_cpu(*lk), figs.per_cpu(*ref)) if cpu_bound else None, figs.paired(lk, ref)))

    for c in CONNS:
        tput(f"GET hit ≥ 1.0× nginx `return 200` throughput, c{c}", ("http", "livekv", "get", c),
             ("http", "nginx", "get", c), "nginx", 1.0)
    out.append(("GET hit p99 at c64 no worse than nginx's (nginx p99 / livekv p99)",
                ms(f("http", "livekv", "get", 64, "p99_us")), f"nginx {ms(f('http', 'nginx', 'get', 64, 'p99_us'))}",
                ratio(f("http", "nginx", "get", 64, "p99_us"), f("http", "livekv", "get", 64, "p99_us")), 1.0, None,
                figs.paired(("http", "nginx", "get", 64), ("http", "livekv", "get", 64), "p99_us")))
    tput("PUT (everysec, HTTP, c64) ≥ 1.0× redis-benchmark SET (50 clients, no pipelining)",
         ("http", "livekv", "put", 64), ("redis-benchmark", "redis", "set", 50), "redis", 1.0)
    for shape, name in [("get", "GET"), ("put", "PUT")]:
        tput(f"{name} ≥ 2.5× webdis+redis, c64", ("http", "livekv", shape, 64), ("http", "webdis", shape, 64), "webdis", 2.5)
    tput("GET ≥ 4× etcd v2 GET, c64", ("http", "livekv", "get", 64), ("http", "etcd", "get", 64), "etcd v2", 4.0)
    tput("PUT ≥ 10× etcd v3 put, c64", ("http", "livekv", "put", 64), ("http", "etcd", "put", 64), "etcd v3", 10.0)
    tput("`--fsync always`, 64 clients ≥ 1.5× redis appendfsync always, 50 clients",
         ("durable", "livekv", "put", 64), ("durable", "redis", "set", 50), "redis", 1.5, cpu_bound=False)
    out.append(("`--fsync always`, 64 clients ≥ 10× the disk's single synchronous write rate",
                f"{num(f('durable', 'livekv', 'put', 64))} req/s", f"dd oflag=dsync {num(f('durable', 'dd', 'dsync', 1))} writes/s",
                ratio(f("durable", "livekv", "put", 64), f("durable", "dd", "dsync", 1)), 10.0, None, []))
    lk, rd = fnum(facts, "mem_livekv_rss_per_key"), fnum(facts, "mem_redis_used_per_key")
    out.append((f"resident bytes per key ({int(facts.get('big_keys', 0)):,} keys) ≤ redis used_memory per key"
                " (redis / livekv)", f"{num(lk)} B", f"redis {num(rd)} B", ratio(rd, lk), 1.0, None, []))
    t1, t2 = f("threads", "livekv@1", "get", 64), f("threads", "livekv@2", "get", 64)
    n1, n2 = f("threads", "nginx@1", "get", 64), f("threads", "nginx@2", "get", 64)
    out.append(("throughput scales with `--threads` (GET c64, unpinned, 2 threads / 1)",
                f"{num(t2)} vs {num(t1)} req/s", f"nginx 2 workers / 1: {x(ratio(n2, n1))}", ratio(t2, t1), 1.0, None,
                figs.paired(("threads", "livekv@2", "get", 64), ("threads", "livekv@1", "get", 64))))
    return out


# (group, server, shape, conns, server as shown, workload as shown) of the CPU-per-request table.
CPU_SPLIT = [
    ("http", "livekv", "get", 64, "livekv", "GET hit, HTTP c64"),
    ("http", "nginx", "get", 64, "nginx `return 200`", "GET hit, HTTP c64"),
    ("http", "webdis", "get", 64, "webdis+redis", "GET hit, HTTP c64"),
    ("http", "etcd", "get", 64, "etcd (v2 keys API)", "GET hit, HTTP c64"),
    ("http", "livekv", "put", 64, "livekv", "PUT (everysec), HTTP c64"),
    ("http", "webdis", "put", 64, "webdis+redis", "PUT (everysec), HTTP c64"),
    ("http", "etcd", "put", 64, "etcd (v3 gateway)", "PUT, HTTP c64"),
    ("redis-benchmark", "redis", "set", 50, "redis-server", "SET (everysec), redis-benchmark c50"),
    ("durable", "livekv", "put", 64, "livekv", "PUT `--fsync always`, HTTP c64"),
    ("durable", "redis", "set", 50, "redis-server", "SET appendfsync always, redis-benchmark c50"),
]


def cpu_split_md(figs):
    md = ["### Where the CPU goes: server CPU per request (µs, user + system)", ""]
    md.append("| server | workload | user µs | system µs | total µs |")
    md.append("| --- | --- | --- | --- | --- |")
    for group, server, shape, c, name, workload in CPU_SPLIT:
        key = (group, server, shape, c)
        user = figs.cpu_us_per_request(*key, "server_user")
        system = figs.cpu_us_per_request(*key, "server_sys")
        # Files from before the split still have the total.
        total = figs.cpu_us_per_request(*key, "server_user", "server_sys")
        if total is None:
            total = figs.cpu_us_per_request(*key, "server_cpu")
        md.append(f"| {name} | {workload} | {num(user)} | {num(system)} | {num(total)} |")
    md.append("")
    md.append("The server's user and system CPU time over the run (utime and stime of its processes, webdis "
              "with its redis-server), divided by the requests it answered; medians of the repetitions. The "
              "system part is the kernel's work for the server (sockets, loopback, fsync): where it is alike, "
              "the difference in user µs is each server's own work per request, which is what a faster server "
              "must cut. Results recorded before the split show the total only.")
    return md


def verdict(r, bar):
    if r is None:
        return "not measured"
    return "**met**" if r >= bar else "not met"


def render(rows, facts, fanout, info):
    figs = Figures(rows)
    f = figs.get
    md = []
    md.append(f"Run of {facts.get('started', '?')} on commit {facts.get('commit', '?')}. " + noise_md(facts, figs, rows))
    md.append("")
    md.append(machine_md(info, facts))
    md.append("")
    md.append("### Targets (issue 7)")
    md.append("")
    md.append("| target | livekv | reference | ratio | bar | | ratio per server CPU-second | ratio in each repetition |")
    md.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, lk, ref, r, bar, eff, reps in targets(figs, facts):
        each = " / ".join(f"{v:.2f}" for v in reps) if reps else "—"
        md.append(f"| {name} | {lk} | {ref} | {x(r)} | {bar:.1f}× | {verdict(r, bar)} | {x(eff)} | {each} |")
    md.append("")
    md.append("The verdicts are on throughput, as the targets are stated. The column per server CPU-second divides each server's "
              "requests by the CPU time it used (req/s ÷ its share of a core): it does not depend on how much of "
              "CPU 0 the server got, so it is the steadier figure when something else ran on the machine, and it "
              "says what the ratio would be if both servers had saturated their core. The last one gives the ratio "
              "within each repetition (the two figures measured minutes apart at most): when the machine slowed "
              "down for part of the run, the medians of the two servers can come from different repetitions, and "
              "these show how much of a ratio is the server and how much the moment.")
    md.append("")
    md += cpu_split_md(figs)
    md.append("")
    md.append("### HTTP on one pinned core: req/s · p50 / p99 latency (medians), and livekv's ratio to each peer")
    md.append("")
    md.append("Server on CPU 0 (one io thread, worker or `GOMAXPROCS`), wrk on CPU 1, keep-alive, 100-byte "
              "values over 100,000 keys. nginx's `return 200` is one figure per connection count, the "
              "ceiling of both GET rows. etcd: v2 keys API for GETs, v3 JSON gateway for PUTs.")
    md.append("")
    md.append("| workload | conns | livekv | nginx | ×nginx | webdis+redis | ×webdis | etcd | ×etcd |")
    md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for shape, name in SHAPES:
        for c in CONNS:
            cells = [name, str(c)]
            lk = f("http", "livekv", shape, c)
            cells.append(cell(figs, "livekv", shape, c))
            for peer in PEERS:
                pshape = "get" if peer == "nginx" and shape in ("get", "miss") else shape
                if peer == "nginx" and shape not in ("get", "miss"):
                    cells += ["—", "—"]
                    continue
                cells.append(cell(figs, peer, pshape, c))
                cells.append(x(ratio(lk, f("http", peer, pshape, c))))
            md.append("| " + " | ".join(cells) + " |")
    md.append("")
    md.append("† the client (wrk, one thread on CPU 1) was at ≥ 90 % of its core while the server was below 90 % of "
              "its own: that figure is the load generator's ceiling, not the server's.")
    md.append("")
    md.append("CPU of the server (on CPU 0; webdis: webdis + redis-server) / of wrk (on CPU 1), % of one core, medians:")
    md.append("")
    md.append("| workload | conns | livekv | nginx | webdis+redis | etcd |")
    md.append("| --- | --- | --- | --- | --- | --- |")
    for shape, name in SHAPES:
        for c in CONNS:
            cells = [name, str(c)]
            for server in ["livekv"] + PEERS:
                ps = "get" if server == "nginx" else shape
                cells.append(cpu_cell(figs, "http", server, ps, c) if server != "nginx" or shape in ("get", "miss") else "—")
            md.append("| " + " | ".join(cells) + " |")
    md.append("")
    md.append("### The non-HTTP ceiling: redis-benchmark (50 clients, no pipelining, 100-byte values)")
    md.append("")
    md.append("| figure | livekv over HTTP, c64 | redis-benchmark, c50 | ratio | CPU % server / client: livekv; redis |")
    md.append("| --- | --- | --- | --- | --- |")
    for shape, test, name in [("put", "set", "PUT / SET (everysec)"), ("get", "get", "GET / GET")]:
        lk, rd = f("http", "livekv", shape, 64), f("redis-benchmark", "redis", test, 50)
        md.append(f"| {name} | {num(lk)} req/s · p99 {ms(f('http', 'livekv', shape, 64, 'p99_us'))} | "
                  f"{num(rd)} req/s · p99 {ms(f('redis-benchmark', 'redis', test, 50, 'p99_us'))} | {x(ratio(lk, rd))} | "
                  f"{cpu_cell(figs, 'http', 'livekv', shape, 64)}; {cpu_cell(figs, 'redis-benchmark', 'redis', test, 50)} |")
    md.append("")
    md.append("### Durable writes: acknowledged after fdatasync / fsync")
    md.append("")
    dd = f("durable", "dd", "dsync", 1)
    md.append(f"The disk: `dd bs=4k oflag=dsync` writes {num(dd)} blocks/s, one synchronous write at a time.")
    md.append("")
    md.append("| clients | livekv `--fsync always` | redis appendfsync always | ×redis | ×dd |")
    md.append("| --- | --- | --- | --- | --- |")
    for c in [1, 16, 50, 64]:
        lk = f("durable", "livekv", "put", c)
        rd = f("durable", "redis", "set", c)
        lk_cell = f"{num(lk)} · p99 {ms(f('durable', 'livekv', 'put', c, 'p99_us'))}" if lk else "—"
        rd_cell = f"{num(rd)} · p99 {ms(f('durable', 'redis', 'set', c, 'p99_us'))}" if rd else "—"
        md.append(f"| {c} | {lk_cell} | {rd_cell} | {x(ratio(lk, rd))} | {x(ratio(lk, dd))} |")
    lk64, rd50 = f("durable", "livekv", "put", 64), f("durable", "redis", "set", 50)
    md.append(f"| livekv 64 vs redis 50 | {num(lk64)} | {num(rd50)} | {x(ratio(lk64, rd50))} | |")
    md.append("")
    md.append(f"### Memory, recovery, expiry ({int(facts.get('big_keys', 0)):,} keys key:%08d, 100-byte values)")
    md.append("")
    md.append("| figure | livekv | redis | redis / livekv |")
    md.append("| --- | --- | --- | --- |")
    lk = fnum(facts, "mem_livekv_rss_per_key")
    md.append(f"| resident bytes per key (livekv: VmRSS growth, `--in-memory`; redis: used_memory growth) | "
              f"{num(lk)} | {num(fnum(facts, 'mem_redis_used_per_key'))} | {x(ratio(fnum(facts, 'mem_redis_used_per_key'), lk))} |")
    md.append(f"| VmRSS growth per key | {num(lk)} | {num(fnum(facts, 'mem_redis_rss_per_key'))} | "
              f"{x(ratio(fnum(facts, 'mem_redis_rss_per_key'), lk))} |")
    rl, rs, ra = fnum(facts, "recovery_livekv_log_s"), fnum(facts, "recovery_livekv_snapshot_s"), fnum(facts, "recovery_redis_aof_s")
    md.append(f"| recovery from the log / redis from its AOF (s) | {sec(rl)} | {sec(ra)} | {x(ratio(ra, rl))} |")
    md.append(f"| recovery from a snapshot (s) | {sec(rs)} | | |")
    md.append(f"| expiry lag with TTLs spread over 10 s, ms (`bench_expiry_lag`) | {facts.get('expiry_lag_ms', '—')} "
              f"({facts.get('expiry_expired', '?')} expired) | | |")
    md.append("")
    md.append("### Threads: 1 vs 2, unpinned (GET hit and PUT at c64, wrk with 2 threads, all on 2 cores)")
    md.append("")
    md.append("| server | 1 thread | 2 threads | 2 / 1 | CPU % server / client, 1 thread; 2 threads |")
    md.append("| --- | --- | --- | --- | --- |")
    for server, shape, name in [("livekv", "get", "livekv GET hit"), ("livekv", "put", "livekv PUT"),
                                ("nginx", "get", "nginx `return 200` (workers)")]:
        a, b = f("threads", f"{server}@1", shape, 64), f("threads", f"{server}@2", shape, 64)
        md.append(f"| {name} | {num(a)} | {num(b)} | {x(ratio(b, a))} | "
                  f"{cpu_cell(figs, 'threads', f'{server}@1', shape, 64)}; {cpu_cell(figs, 'threads', f'{server}@2', shape, 64)} |")
    md.append("")
    md.append("### Live feed fan-out (bench/feed_fanout.sh)")
    md.append("")
    md.append(fanout)
    errs = [(k, sum(int(r["errors"]) for r in v)) for k, v in figs.runs.items()]
    errs = [(k, e) for k, e in errs if e]
    if errs:
        md.append("")
        md.append("Socket errors or timeouts (wrk): " + "; ".join(f"{k[1]} {k[2]} c{k[3]}: {e}" for k, e in errs) + ".")
    return "\n".join(md) + "\n", figs


def fnum(facts, k):
    try:
        return float(facts[k])
    except (KeyError, ValueError):
        return None


def sec(v):
    return "—" if v is None else f"{v:.2f}"


def client_bound(figs, group, server, shape, c):
    """The client near 100 % of its core while the server had room: the figure is wrk's, not the server's."""
    cli, srv = figs.get(group, server, shape, c, "client_cpu"), figs.get(group, server, shape, c, "server_cpu")
    return cli is not None and srv is not None and cli >= 90 and srv < 90


def cell(figs, server, shape, c):
    v = figs.get("http", server, shape, c)
    if v is None:
        return "—"
    mark = " †" if client_bound(figs, "http", server, shape, c) else ""
    p50, p99 = figs.get("http", server, shape, c, "p50_us"), figs.get("http", server, shape, c, "p99_us")
    return f"{num(v)}{mark} · {ms(p50).replace(' ms', '')} / {ms(p99)}"


def cpu_cell(figs, group, server, shape, c):
    srv, cli = figs.get(group, server, shape, c, "server_cpu"), figs.get(group, server, shape, c, "client_cpu")
    if srv is None:
        return "—"
    return f"{srv:.0f} / {cli:.0f}"


def charts(figs, outdir):
    f = figs.get
    tmp = tempfile.mkdtemp(prefix="livekv-charts.")

    def val(v):
        return "-" if v is None else f"{v:.1f}"

    with open(os.path.join(tmp, "http.dat"), "w") as out:
        out.write("label livekv nginx webdis etcd\n")
        for shape, name in SHAPES:
            for c in CONNS:
                vals = []
                for s in ["livekv"] + PEERS:
                    ps = "get" if s == "nginx" else shape
                    vals.append(f(("http"), s, ps, c) if (s != "nginx" or shape in ("get", "miss")) else None)
                out.write(f'"{name.split(" (")[0]} c{c}" ' + " ".join(val(v) for v in vals) + "\n")
    with open(os.path.join(tmp, "p99.dat"), "w") as out:
        out.write("label livekv nginx webdis etcd\n")
        for shape, name in SHAPES:
            for c in CONNS:
                vals = []
                for s in ["livekv"] + PEERS:
                    ps = "get" if s == "nginx" else shape
                    v = f("http", s, ps, c, "p99_us") if (s != "nginx" or shape in ("get", "miss")) else None
                    vals.append(None if v is None else v / 1000)
                out.write(f'"{name.split(" (")[0]} c{c}" ' + " ".join(val(v) for v in vals) + "\n")
    with open(os.path.join(tmp, "durable.dat"), "w") as out:
        out.write("clients livekv redis\n")
        for c in [1, 16, 64]:
            out.write(f'"{c}" {val(f("durable", "livekv", "put", c))} {val(f("durable", "redis", "set", c))}\n')
    dd = f("durable", "dd", "dsync", 1) or 0
    with open(os.path.join(tmp, "threads.dat"), "w") as out:
        out.write("threads livekv_get livekv_put nginx\n")
        for t in [1, 2]:
            out.write(f"{t} {val(f('threads', f'livekv@{t}', 'get', 64))} {val(f('threads', f'livekv@{t}', 'put', 64))}"
                      f" {val(f('threads', f'nginx@{t}', 'get', 64))}\n")
    gp = f"""
set terminal pngcairo size 1200,600 font "DejaVu Sans,10"
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key top right autotitle columnhead
set grid ytics
set xtics rotate by -35 nomirror
set bmargin 7
set rmargin 10
set logscale y
set linetype 1 lc rgb "#1f77b4"
set linetype 2 lc rgb "#7f7f7f"
set linetype 3 lc rgb "#d62728"
set linetype 4 lc rgb "#2ca02c"

set output "{outdir}/bench-throughput.png"
set title "Throughput on one pinned core (req/s, log scale, higher is better)"
set ylabel "requests/s"
plot "{tmp}/http.dat" using 2:xtic(1), '' using 3, '' using 4, '' using 5

set output "{outdir}/bench-latency.png"
set title "p99 latency (ms, log scale, lower is better)"
set ylabel "p99 ms"
plot "{tmp}/p99.dat" using 2:xtic(1), '' using 3, '' using 4, '' using 5

unset logscale y
set terminal pngcairo size 800,500 font "DejaVu Sans,10"
set xtics norotate
set bmargin 4
set rmargin 3
set yrange [0:*]
set output "{outdir}/bench-durable.png"
set title "Durable writes: acknowledged after fsync (req/s)"
set xlabel "clients"
set ylabel "writes/s"
plot "{tmp}/durable.dat" using 2:xtic(1) title "livekv --fsync always", '' using 3 title "redis appendfsync always", \\
     {dd} with lines lw 2 dt 2 lc rgb "black" title "dd oflag=dsync ({dd:.0f}/s)"

set output "{outdir}/bench-threads.png"
set style data linespoints
set key top left
set title "1 vs 2 io threads / workers, unpinned, c64 (req/s)"
set xlabel "threads"
set xrange [0.8:2.2]
set xtics (1, 2)
set ylabel "requests/s"
plot "{tmp}/threads.dat" using 1:2 title "livekv GET hit" lw 2 pt 7, '' using 1:3 title "livekv PUT" lw 2 pt 7, \\
     '' using 1:4 title "nginx return 200" lw 2 pt 7
"""
    subprocess.run(["gnuplot"], input=gp, text=True, check=True)


def splice(text, name, content):
    begin, end = f"<!-- generated:{name} -->", f"<!-- /generated:{name} -->"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        sys.exit(f"docs/benchmarks.md has no {begin} ... {end} block")
    return pattern.sub(lambda _: f"{begin}\n{content.rstrip()}\n{end}", text)


def main():
    docs = "1"
    if len(sys.argv) == 3 and sys.argv[1] == "--docs":
        docs = sys.argv[2]
    elif len(sys.argv) != 1:
        sys.exit(__doc__)
    rows, facts, fanout = load()
    info = machine()
    body, figs = render(rows, facts, fanout, info)
    with open(os.path.join(RESULTS, "latest.md"), "w") as out:
        out.write("# livekv benchmark results (bench/suite.sh)\n\n" + body)
    if docs != "0":
        charts(figs, DOCS)
        path = os.path.join(DOCS, "benchmarks.md")
        text = open(path).read()
        text = splice(text, "results", body)
        open(path, "w").write(text)


if __name__ == "__main__":
    main()
