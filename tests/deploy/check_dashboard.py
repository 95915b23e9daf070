#!/usr/bin/env python3
"""deploy.dashboard: the Grafana dashboard asks only for metrics the server exports.

    check_dashboard.py LIVEKV_BINARY

Reads every panel's PromQL in docker/grafana/dashboards/livekv.json (rows' nested panels and the
template variables included), starts the real binary on a loopback ephemeral port with a
temporary data directory (so the log's metrics exist), drives a little traffic (PUT, GET, list,
DELETE, a snapshot, a WebSocket subscriber that sees a write) so that series created on first
use exist, scrapes /metrics, and fails naming each metric or label the server does not export
(a histogram's _bucket, _sum and _count belong to its family). Then the compose file, the
Prometheus config and Grafana's provisioning (check_compose.py). Exit 0 or 1; bounded: the
server gets 10 s to start and each request 10 s.
"""
import http.client
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time

# The helpers beside this file; no __pycache__ left in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_compose  # noqa: E402
import promql_names  # noqa: E402
import ws_probe  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DASHBOARD = os.path.join(REPO, "docker", "grafana", "dashboards", "livekv.json")
# Labels Prometheus attaches to every series it scrapes: never in /metrics, valid in queries.
TARGET_LABELS = {"instance", "job"}
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


def panels_of(panels):
    for panel in panels:
        yield panel
        yield from panels_of(panel.get("panels", []))


def queries(dashboard):
    """(where, PromQL) for every query of the dashboard."""
    for panel in panels_of(dashboard.get("panels", [])):
        for target in panel.get("targets", []):
            if target.get("expr"):
                yield f"panel {panel.get('title')!r} ({target.get('refId')})", target["expr"]
    for var in dashboard.get("templating", {}).get("list", []):
        query = var.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        if var.get("type") != "query" or not query:
            continue
        # label_values(SELECTOR, LABEL): the selector is PromQL, the label a label name.
        m = re.fullmatch(r"\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*", query)
        where = f"variable ${var.get('name')}"
        yield (where, f"{m.group(1)} * on({m.group(2)}) vector(1)") if m else (where, query)


class Server:
    """The real binary on 127.0.0.1, port 0, with a temporary data directory."""

    def __init__(self, binary, data_dir):
        self.proc = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", "0", "--data-dir", data_dir, "--fsync", "always"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.port = None
        deadline = time.monotonic() + 10
        out = b""
        while self.port is None and time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
                m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", out)
                self.port = int(m.group(1)) if m else None
        if self.port is None:
            self.stop()
            raise RuntimeError(f"livekv did not start: {self.proc.stderr.read().decode(errors='replace')}")

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body)
            answer = conn.getresponse()
            return answer.status, answer.read()
        finally:
            conn.close()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def drive_traffic(server):
    """Requests that make every family of series appear: routes, methods, codes, the feed."""
    for i in range(5):
        server.request("PUT", f"/v1/kv/dash/k{i}", body=f"value {i}".encode())
    server.request("GET", "/v1/kv/dash/k0")
    server.request("GET", "/v1/kv?prefix=dash/")
    server.request("DELETE", "/v1/kv/dash/k4")
    server.request("GET", "/v1/kv/dash/missing")
    server.request("POST", "/v1/admin/snapshot")
    ws_probe.watch_put("127.0.0.1", server.port, "dash/feed", "seen")


def exported(metrics_text):
    """(family name → type, sample names, label names) of a text exposition."""
    families, samples, labels = {}, set(), set()
    for line in metrics_text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            families[name] = kind.strip()
        elif line and not line.startswith("#"):
            m = re.match(r"([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})?", line)
            samples.add(m.group(1))
            labels.update(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=\"", m.group(2) or ""))
    return families, samples, labels


def resolves(name, families, samples):
    if name in samples or name in families:
        return True
    for kind, suffixes in SUFFIXES.items():
        for suffix in suffixes:
            if name.endswith(suffix) and families.get(name[: -len(suffix)]) == kind:
                return True
    return False


def main(argv):
    if len(argv) != 2:
        print("usage: check_dashboard.py LIVEKV_BINARY", file=sys.stderr)
        return 2
    with open(DASHBOARD) as f:
        dashboard = json.load(f)
    used = list(queries(dashboard))
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(argv[1], os.path.join(tmp, "data"))
        try:
            drive_traffic(server)
            status, body = server.request("GET", "/metrics")
        finally:
            server.stop()
    if status != 200:
        print(f"FAIL: /metrics answered {status}")
        return 1
    families, samples, labels = exported(body.decode())

    failures = []
    metrics_seen = set()
    for where, expr in used:
        for name in sorted(promql_names.metric_names(expr)):
            metrics_seen.add(name)
            if not resolves(name, families, samples):
                failures.append(f"{where}: metric {name} is not exported by livekv")
        for label in sorted(promql_names.label_names(expr) - labels - TARGET_LABELS):
            failures.append(f"{where}: label {label} is on no series livekv exports")
    if not metrics_seen:
        failures.append("the dashboard has no queries (or none could be read)")
    titles = [p.get("title") for p in panels_of(dashboard.get("panels", [])) if p.get("type") == "row"]
    if "Cluster (replication)" not in titles:
        failures.append("no row 'Cluster (replication)' for the replication panels")
    failures += check_compose.problems(REPO)

    for failure in failures:
        print(f"FAIL: {failure}")
    print(f"{len(used)} queries, {len(metrics_seen)} metrics checked against {len(families)} "
          f"exported families; compose, Prometheus and Grafana provisioning checked")
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
