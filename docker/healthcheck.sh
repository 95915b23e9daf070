#!/bin/bash
# The image's health check: GET /healthz over bash's /dev/tcp, since the image has no curl (and
# needs none). Healthy when livekv answers 200, which it does whenever it serves HTTP at all.
# Host: localhost passes the Host check when livekv listens on 0.0.0.0 (any Host) or names
# localhost among its --allowed-host values. Plain HTTP only: under --tls-cert, replace this.
set -u
exec 3<>"/dev/tcp/127.0.0.1/${LIVEKV_PORT:-8080}" || exit 1
printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 5 status <&3 || exit 1
[[ $status == "HTTP/1.1 200 "* ]]
