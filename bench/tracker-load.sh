#!/usr/bin/env bash
# Announce load on trackers, on loopback: 20,000 peers in 200 swarms of 100 (and, on the embedded
# store, in one swarm of 20,000), announcing and heartbeating. Four runs, each on fresh trackers:
#   embedded      one tracker, its embedded store (memory)
#   embedded-1    the same, every peer in one swarm: what an announce costs must not grow
#   redis         one tracker on a Redis (Debian's redis-server, on a free port)
#   redis-2       two trackers on one Redis, the calls spread over both
# Prints a JSON line per run: announces and heartbeats per second, p50/p99 announce latency, and
# the CPU of the trackers (and of Redis) per call. The load generator (bench/TrackerLoad.java,
# run from source on the tracker's jar) shares the machine; every peer calls from loopback, so
# the trackers take more sessions per address than they would by default. RUNS="embedded redis"
# picks runs.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=tracker-svc/target/minibit-tracker.jar
[ -f "$JAR" ] || { echo "tracker-load: $JAR not found; run 'make build' first" >&2; exit 1; }
command -v redis-server >/dev/null || {
  echo "installing redis-server (the Redis runs of the tracker load)"
  SUDO=$( [ "$(id -u)" -eq 0 ] || echo sudo )
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server
}
SECONDS_MEASURED="${SECONDS_MEASURED:-8}"
IN_FLIGHT="${IN_FLIGHT:-128}"
RUNS="${RUNS:-embedded embedded-1 redis redis-2}"
PEERS=20000
work="$(mktemp -d /tmp/minibit-tracker-load.XXXXXX)"
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
cleanup() { stop_all; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cpu_ticks() { local t=0; for pid in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo "$t"; }
await_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "tracker-load: nothing listens on port $1" >&2; return 1
}
start_tracker() { # PORT [STORE]
  local port="$1" store="${2:-}"
  rm -rf "$work/data-$port"
  # through its launcher, as users run it (its JVM options, its class-data archive)
  JAVA_OPTS="-Xms1g -Xmx1g -XX:+UseParallelGC" bin/minibit-tracker --port "$port" \
    --data-dir "$work/data-$port" \
    --http-port -1 --max-sessions-per-address 100000 ${store:+--store "$store"} \
    >"$work/tracker-$port.log" 2>&1 &
  pids+=($!)
  trackers+=($!)
  targets+=("127.0.0.1:$port")
  await_port "$port"
}

for run in $RUNS; do
  trackers=(); targets=(); redis_pid=""; torrents=200
  case "$run" in
    embedded) start_tracker "$(free_port)" ;;
    embedded-1) torrents=1; start_tracker "$(free_port)" ;;
    redis|redis-2)
      rport="$(free_port)"
      mkdir -p "$work/redis-$rport"
      redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$work/redis-$rport" --logfile "$work/redis-$rport/redis.log" &
      redis_pid=$!; pids+=("$redis_pid")
      await_port "$rport"
      start_tracker "$(free_port)" "redis://127.0.0.1:$rport"
      [ "$run" = redis-2 ] && start_tracker "$(free_port)" "redis://127.0.0.1:$rport"
      ;;
    *) echo "tracker-load: unknown run $run (embedded, embedded-1, redis, redis-2)" >&2; exit 2 ;;
  esac
  before="$(cpu_ticks "${trackers[@]}")"
  redis_before="$( [ -n "$redis_pid" ] && cpu_ticks "$redis_pid" || echo 0)"
  result="$(java -cp "$JAR" bench/TrackerLoad.java "$(IFS=,; echo "${targets[*]}")" "$PEERS" \
    "$torrents" "$SECONDS_MEASURED" "$IN_FLIGHT" | tail -1)"
  after="$(cpu_ticks "${trackers[@]}")"
  redis_after="$( [ -n "$redis_pid" ] && cpu_ticks "$redis_pid" || echo 0)"
  stop_all
  # CPU over the whole load run (joins, warm-up and measured calls together), per call answered.
  python3 - "$run" "$result" "$before" "$after" "$redis_before" "$redis_after" \
    "$(getconf CLK_TCK)" "$PEERS" "$SECONDS_MEASURED" <<'PY'
import json, sys
run, result = sys.argv[1], json.loads(sys.argv[2])
before, after, rb, ra, hz, peers, secs = map(int, sys.argv[3:10])
calls = peers + (result["announces_per_s"] + result["heartbeats_per_s"]) * (secs + 2)
out = {"run": run}
out.update(result)
out["trackers_cpu_s"] = round((after - before) / hz, 2)
out["trackers_cpu_ms_per_call"] = round(1000 * (after - before) / hz / calls, 3)
if run.startswith("redis"):
    out["redis_cpu_s"] = round((ra - rb) / hz, 2)
    out["redis_cpu_ms_per_call"] = round(1000 * (ra - rb) / hz / calls, 3)
print(json.dumps(out))
PY
done
