#!/usr/bin/env python3
"""A WebSocket subscriber to livekv's /wal that proves a write reaches the feed.

    ws_probe.py HOST PORT KEY VALUE

Subscribes to /wal?key=KEY (RFC 6455 handshake, Python's standard library only: the deployment
tests run where no WebSocket client is installed), waits for the subscription's first message
(progress, docs/feed.md), then PUTs VALUE at KEY over plain HTTP and reads frames until the put
event for KEY arrives. Prints the event and exits 0; exits 1 naming what went wrong. Every read
is bounded: the whole probe gives up after 20 s.

Importable: watch_put(host, port, key, value) returns the event (check_dashboard.py uses it to
make the feed's series move).
"""
import base64
import hashlib
import http.client
import json
import os
import socket
import struct
import sys
import time
import urllib.parse

DEADLINE_SECONDS = 20.0


class ProbeError(Exception):
    pass


# RFC 6455 section 1.3: the server proves it read the handshake with base64(SHA-1(key + this)).
ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _accept_for(key):
    return base64.b64encode(hashlib.sha1((key + ACCEPT_GUID).encode()).digest()).decode()


class _Conn:
    """One client WebSocket: masked frames out, unmasked frames in, pings answered."""

    def __init__(self, host, port, target, deadline):
        self.deadline = deadline
        self.sock = socket.create_connection((host, port), timeout=self._left())
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self._recv(1)
            if len(head) > 16384:
                raise ProbeError("handshake answer head too long")
        self.buf = b""
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise ProbeError(f"upgrade refused: {lines[0]!r}")
        headers = {k.strip().lower(): v.strip() for k, v in
                   (line.split(":", 1) for line in lines[1:] if ":" in line)}
        if headers.get("sec-websocket-accept") != _accept_for(key):
            raise ProbeError("Sec-WebSocket-Accept does not match the key sent")

    def _left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ProbeError("timed out")
        return left

    def _recv(self, n):
        out = b""
        while len(out) < n:
            self.sock.settimeout(self._left())
            try:
                chunk = self.sock.recv(n - len(out))
            except socket.timeout:
                raise ProbeError("timed out waiting for the server") from None
            if not chunk:
                raise ProbeError("connection closed by the server")
            out += chunk
        return out

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def read_text(self):
        """The next text message (fragments joined); pings are answered, a close is an error."""
        parts = []
        while True:
            b0, b1 = self._recv(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._recv(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._recv(8))[0]
            if b1 & 0x80:
                raise ProbeError("the server masked a frame (RFC 6455 5.1 forbids it)")
            payload = self._recv(n)
            if opcode == 0x9:
                self._send(0xA, payload)
            elif opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise ProbeError(f"server closed the feed: {code} {payload[2:].decode(errors='replace')}")
            elif opcode in (0x1, 0x0):
                parts.append(payload)
                if b0 & 0x80:
                    return b"".join(parts).decode()
            # 0xA (an unsolicited pong) is ignored.

    def close(self):
        try:
            self._send(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


def watch_put(host, port, key, value, timeout=DEADLINE_SECONDS):
    """Subscribes to KEY, PUTs VALUE there, returns the put event as a dict (ProbeError if not)."""
    deadline = time.monotonic() + timeout
    quoted = urllib.parse.quote(key, safe="")
    conn = _Conn(host, port, f"/wal?key={quoted}", deadline)
    try:
        first = json.loads(conn.read_text())
        if first.get("op") != "progress":
            raise ProbeError(f"expected a progress message first, got {first}")
        rest = http.client.HTTPConnection(host, port, timeout=max(1.0, deadline - time.monotonic()))
        rest.request("PUT", f"/v1/kv/{quoted}", body=value.encode())
        answer = rest.getresponse()
        answer.read()
        rest.close()
        if answer.status not in (200, 201):
            raise ProbeError(f"PUT /v1/kv/{key} answered {answer.status}")
        while True:
            event = json.loads(conn.read_text())
            if event.get("op") == "put" and event.get("key") == key:
                if event.get("value") != value:
                    raise ProbeError(f"put event carries {event.get('value')!r}, not {value!r}")
                return event
    finally:
        conn.close()


def main(argv):
    if len(argv) != 5:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    host, port, key, value = argv[1], int(argv[2]), argv[3], argv[4]
    try:
        event = watch_put(host, port, key, value)
    except (ProbeError, OSError, ValueError) as e:
        print(f"ws_probe: {e}", file=sys.stderr)
        return 1
    print(json.dumps(event))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
