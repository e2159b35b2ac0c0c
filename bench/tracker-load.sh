#!/usr/bin/env bash
# Announce load on one tracker (embedded store), on loopback: 20,000 peers in 100 swarms of 200,
# then in one swarm of 20,000, each a fresh tracker. Prints a JSON line per run: announces per
# second, p50/p99 latency, and the tracker's CPU per announce. The load generator
# (bench/TrackerLoad.java, run from source on the tracker's jar) shares the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=tracker-svc/target/minibit-tracker.jar
[ -f "$JAR" ] || { echo "tracker-load: $JAR not found; run 'make build' first" >&2; exit 1; }
SECONDS_MEASURED="${SECONDS_MEASURED:-8}"
IN_FLIGHT="${IN_FLIGHT:-128}"
work="$(mktemp -d /tmp/minibit-tracker-load.XXXXXX)"
tracker=""
cleanup() { [ -n "$tracker" ] && kill "$tracker" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

for config in "20000 100" "20000 1"; do
  set -- $config
  port="$(free_port)"
  rm -rf "$work/data"
  java -Xms1g -Xmx1g -XX:+UseParallelGC -jar "$JAR" --port "$port" --data-dir "$work/data" \
    --http-port -1 >"$work/tracker.log" 2>&1 &
  tracker=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  before="$(cpu_ticks "$tracker")"
  result="$(java -cp "$JAR" bench/TrackerLoad.java "127.0.0.1:$port" "$1" "$2" \
    "$SECONDS_MEASURED" "$IN_FLIGHT" | tail -1)"
  after="$(cpu_ticks "$tracker")"
  kill "$tracker"; wait "$tracker" 2>/dev/null || true; tracker=""
  # The tracker's CPU over the whole load run (joins, warm-up and measured announces together),
  # per call it answered.
  python3 - "$result" "$before" "$after" "$(getconf CLK_TCK)" "$1" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); ticks = int(sys.argv[3]) - int(sys.argv[2])
cpu_s = ticks / int(sys.argv[4]); calls = r["announces"] + int(sys.argv[5])
r["tracker_cpu_s"] = round(cpu_s, 2)
r["tracker_cpu_ms_per_call_upper_bound"] = round(1000 * cpu_s / calls, 3)
print(json.dumps(r))
PY
done
