#!/usr/bin/env python3
"""Loads N keys with 100-byte values into the peers of bench/suite.sh, the way bench/load_keys.py
loads livekv, so every server answers GETs over the same keys.

usage: load_peers.py redis-resp N [WIDTH]   SET commands in the Redis protocol on stdout, for
                                            `redis-cli --pipe`; keys key:%0{WIDTH}d (default 8;
                                            redis-benchmark's -r keys are key:%012d)
       load_peers.py etcd2 PORT N           PUT /v2/keys/key:%08d, 32 connections in parallel
                                            (etcd's v2 store has no batch; its writes go through
                                            raft and an fsync, so parallel requests share them)
"""
import http.client
import sys
import threading

VALUE = "v" * 100


def redis_resp(n, width):
    out = sys.stdout.buffer
    value = VALUE.encode()
    chunk = []
    for i in range(n):
        key = ("key:%0*d" % (width, i)).encode()
        chunk.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
        if len(chunk) == 10000:
            out.write(b"".join(chunk))
            chunk = []
    out.write(b"".join(chunk))


def etcd2(port, n, connections=32):
    failures = []

    def worker(first):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        body = "value=" + VALUE
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        for i in range(first, n, connections):
            conn.request("PUT", "/v2/keys/key:%08d" % i, body=body, headers=headers)
            res = conn.getresponse()
            res.read()
            if res.status >= 300:
                failures.append("key %d: HTTP %d" % (i, res.status))
                return

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        sys.exit("etcd2 load failed: " + failures[0])


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "redis-resp":
        redis_resp(int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 8)
    elif len(sys.argv) == 4 and sys.argv[1] == "etcd2":
        etcd2(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit(__doc__)
