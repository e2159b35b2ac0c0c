#!/usr/bin/env bash
# Makes sure this machine has what the images and the end-to-end suite need: Debian's docker.io
# (the engine), docker-compose (the v1 client) and debootstrap, installed with apt-get when
# missing, and a running dockerd, started here when none answers. Needs root for the installs.
set -euo pipefail

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v ip >/dev/null || missing+=(iproute2)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
  exit 0
fi
log=/var/log/minibit-dockerd.log
echo "starting dockerd (log in $log)"
# Its own session, so it outlives this script and the make that ran it.
setsid dockerd >"$log" 2>&1 </dev/null &
for _ in $(seq 1 120); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "dockerd did not come up in 60 s; the end of $log:" >&2
tail -n 20 "$log" >&2
exit 1
