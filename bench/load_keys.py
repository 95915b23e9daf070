#!/usr/bin/env python3
"""Loads N keys (key:%08d, 100-byte values) into a livekv server through POST /v1/batch.

usage: load_keys.py PORT N [BATCH]
Over HTTPS when LIVEKV_BENCH_CA names the CA file (PEM) that signed the server's certificate;
with LIVEKV_BENCH_TOKEN set, sends it as the bearer token (a server with --auth-file).
"""
import http.client
import json
import os
import ssl
import sys

port, n = int(sys.argv[1]), int(sys.argv[2])
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
value = "v" * 100
ca = os.environ.get("LIVEKV_BENCH_CA")
if ca:
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=60, context=ssl.create_default_context(cafile=ca))
else:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
headers = {"Content-Type": "application/json"}
if os.environ.get("LIVEKV_BENCH_TOKEN"):
    headers["Authorization"] = "Bearer " + os.environ["LIVEKV_BENCH_TOKEN"]
for start in range(0, n, batch):
    ops = [{"op": "put", "key": "key:%08d" % i, "value": value} for i in range(start, min(n, start + batch))]
    conn.request("POST", "/v1/batch", body=json.dumps({"ops": ops}), headers=headers)
    res = conn.getresponse()
    body = res.read()
    if res.status != 200:
        sys.exit("batch at %d failed: %d %s" % (start, res.status, body[:200]))
