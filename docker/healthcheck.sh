#!/usr/bin/env bash
# Usage: healthcheck [PORT]
# The images' HEALTHCHECK: asks the daemon's HTTP /healthz on 127.0.0.1:PORT (default
# $MINIBIT_HTTP_PORT) and exits 0 if it answers 200 SERVING, 1 otherwise. Bash's /dev/tcp makes
# the request, so a check every 15 s costs a few milliseconds, not the start of a JVM.
port="${1:-${MINIBIT_HTTP_PORT:?give the HTTP port}}"
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
read -r -t 5 status <&3 || exit 1
[[ "$status" == HTTP/1.?" 200 "* ]]
