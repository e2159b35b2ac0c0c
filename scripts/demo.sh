#!/usr/bin/env bash
# MiniBit demo: a tracker and three peers on this machine. Peer 1 shares a generated file;
# peers 2 and 3 download it at the same time, from every peer that has blocks, and the result
# is checked against md5sum of the original.
#
#   DEMO_SIZE_MB   size of the file (default 64)
#   DEMO_BASE_PORT first port used (default 17000; the demo uses the next ten)
#   DEMO_KEEP=1    keep the working directory (logs, files) afterwards
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
size_mb="${DEMO_SIZE_MB:-64}"
base="${DEMO_BASE_PORT:-17000}"
work="$(mktemp -d "${TMPDIR:-/tmp}/minibit-demo.XXXXXX")"
tracker_port=$((base))
pids=()

cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$status" -ne 0 ]; then
    echo >&2
    echo "demo failed; logs are in $work:" >&2
    tail -n 20 "$work"/*.log >&2 || true
  elif [ "${DEMO_KEEP:-0}" = 1 ]; then
    echo "working directory kept: $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
peer_port() { echo $((base + 10 * $1 + 1)); }
control_socket() { echo "$work/peer$1.sock"; }
http_port() { echo $((base + 10 * $1 + 2)); }
cli() { local n="$1"; shift; "$root/bin/minibit" --peer "unix:$(control_socket "$n")" "$@"; }

# Waits (bounded) until a command succeeds.
await() {
  local what="$1"; shift
  for _ in $(seq 1 100); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "timed out waiting for $what" >&2
  return 1
}

step "starting a tracker on 127.0.0.1:$tracker_port"
"$root/bin/minibit-tracker" --port "$tracker_port" --data-dir "$work/tracker" \
  --http-port "$((base + 9))" \
  >"$work/tracker.log" 2>&1 &
pids+=($!)
await "the tracker" "$root/bin/minibit" torrents --tracker "127.0.0.1:$tracker_port"

for n in 1 2 3; do
  mkdir -p "$work/peer$n"
  echo "starting peer $n: peer port $(peer_port "$n"), control socket $(control_socket "$n"),"\
    "swarm page http://127.0.0.1:$(http_port "$n")/"
  "$root/bin/minibit-peer" --tracker "127.0.0.1:$tracker_port" --port "$(peer_port "$n")" \
    --control-socket "$(control_socket "$n")" --http-port "$(http_port "$n")" \
    --data-dir "$work/peer$n" --advertise 127.0.0.1 \
    >"$work/peer$n.log" 2>&1 &
  pids+=($!)
done
for n in 1 2 3; do await "peer $n" cli "$n" status; done

step "peer 1 shares a ${size_mb} MiB file of random bytes"
head -c "$((size_mb * 1024 * 1024))" /dev/urandom >"$work/peer1/demo.bin"
infohash="$(cli 1 share "$work/peer1/demo.bin")"
echo "infohash: $infohash"

step "the tracker's catalog"
"$root/bin/minibit" torrents --tracker "127.0.0.1:$tracker_port"

step "peers 2 and 3 download it at the same time"
start=$(date +%s.%N)
cli 2 get "$infohash" >"$work/get2.out" 2>"$work/get2.err" &
get2=$!
cli 3 get "$infohash" >"$work/get3.out" 2>"$work/get3.err" &
get3=$!
status=0
wait "$get2" || status=$?
wait "$get3" || status=$?
end=$(date +%s.%N)
for n in 2 3; do
  echo "-- peer $n:"
  grep -v '^\s*$' "$work/get$n.err" | tail -n 8
done
if [ "$status" -ne 0 ]; then
  echo "a download failed (exit $status)" >&2
  exit "$status"
fi
awk -v s="$start" -v e="$end" -v mb="$size_mb" \
  'BEGIN { t = e - s; printf "both downloads done in %.2f s: %.1f MB/s delivered in total\n", t, 2 * mb * 1.048576 / t }'

step "verification"
original="$(md5sum <"$work/peer1/demo.bin" | cut -d' ' -f1)"
echo "md5sum of the original:   $original"
for n in 2 3; do
  file="$(cat "$work/get$n.out")"
  copy="$(md5sum <"$file" | cut -d' ' -f1)"
  echo "md5sum of peer $n's copy: $copy  ($file)"
  if [ "$copy" != "$original" ]; then
    echo "MISMATCH on peer $n" >&2
    exit 1
  fi
done
echo "MD5 matches on both peers."

step "transfers on peer 3"
cli 3 status
