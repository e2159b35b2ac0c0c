#!/usr/bin/env bash
# MiniBit benchmark: real tracker and peer JVMs on hosts made of Linux network namespaces, with
# upload caps (tc tbf), measured against the fluid-model lower bound. Prints one JSON line per
# run on stdout; progress goes to stderr. Needs root. bench/README.md explains the method.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
# The MiniBit tree whose launchers and jars are measured (--tree): by default, this one.
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
# shellcheck source=lib/netns.sh
source "$BENCH_DIR/lib/netns.sh"
# shellcheck source=lib/minibit.sh
source "$BENCH_DIR/lib/minibit.sh"

# The measured JVMs get a fixed, pre-touched heap: this machine maps new memory slowly the first
# time (~0.35 GB/s), which would otherwise be charged to the transfer. They start before the
# clock does. The CLI keeps its launcher's quick-start options.
DAEMON_JAVA_OPTS="${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+AlwaysPreTouch}"
TRACKER_JAVA_OPTS="${BENCH_TRACKER_JAVA_OPTS:--Xms256m -Xmx256m -XX:+AlwaysPreTouch}"
# Memory mode measures the seeder's footprint, so its heap is not pre-touched: its resident size
# then shows what it really uses, up to the 512 MiB cap.
MEMORY_SEED_JAVA_OPTS="${BENCH_MEMORY_SEED_JAVA_OPTS:--Xmx512m}"

TRACKER_ADDR="$NET_SUBNET.1:$TRACKER_PORT"
SEED_ADDR="$NET_SUBNET.10"
RAW_PORT=7000
LOCK_FILE=/run/minibit-bench.lock
PID_FILE=/run/minibit-bench.pid

MODE=all
NS=""
SIZE_MB=""
CAP_MBIT=40
MEMORY_CAP_MBIT=0
REPEAT=1
BASELINE=0
WARMUP_MB=32
KEEP=0
OUT=""
PEER_ARGS=""
PROFILE_DIR=""
WORK=""
FAILED=0
COMMIT=unknown

usage() {
  cat <<'EOF'
Usage: bench/run.sh [swarm|pair|memory|capcheck|all] [OPTIONS]

Benchmarks MiniBit on emulated hosts: Linux network namespaces on 10.77.0.0/24 joined by a
bridge in a namespace of its own, each running its own tracker or peer JVM. Prints one line of
JSON per run on stdout. Needs root; installs iproute2, socat, ... with apt-get if missing.

Modes:
  swarm     a tracker, 1 seeder and N leechers, every peer's upload capped; all N leechers
            start `minibit get` at once. Reports each leecher's time, the slowest, the fluid
            lower bound T_min = max(F/u, N*F/(u + N*u)) and slowest/T_min, and how many copies
            the seeder uploaded.
  pair      one seeder and one leecher, no cap: MiniBit's MB/s next to a raw TCP copy (socat)
            of the same bytes between the same two hosts.
  memory    one seeder serving 8 concurrent downloaders of a 1 GiB file; samples the seeder
            JVM's resident size and heap use every second.
  capcheck  raw TCP (1 flow, then 8) through one capped uplink: is the tc tbf rate steady?
  all       pair, swarm with N=8 and N=16, memory (the default).

Options:
  --n N[,N...]      leechers in swarm mode (default 8; 8,16 in `all`)
  --size-mb S       file size in MiB (default: swarm 64, pair 256, memory 1024, capcheck 32)
  --cap-mbit C      upload cap of every swarm peer, Mbit/s (default 40)
  --memory-cap-mbit C
                    upload cap in memory mode, Mbit/s (default 0: none)
  --baseline        in swarm mode, also the client-server baseline: the same N leechers each
                    copy the whole file from the seeder alone over raw TCP (one more JSON line)
  --warmup-mb W     before a swarm or pair measurement, every leecher fetches a W MiB file
                    from the seeder (default 32), so the measured download runs in daemons
                    whose JIT has compiled the transfer path, as in daemons that have been up
                    a while; 0 measures cold daemons (each JVM compiles while it transfers)
  --repeat R        run each measurement R times (default 1)
  --out FILE        also append the JSON lines to FILE
  --peer-args "ARGS"
                    extra flags for every peer daemon, e.g. "--choking cooperative"
  --tree DIR        measure the MiniBit tree in DIR (its bin/ and built jars; `make build` there
                    if a jar is missing) instead of the one this script is in
  --keep            keep the work directory (logs, files); it is kept anyway on failure
  --profile DIR     attach async-profiler (CPU, native frames too) to every daemon while the
                    clock runs and write DIR/RUN-HOST.collapsed (flame-graph input); fetches
                    the profiler from Maven Central and installs jattach when missing
  -h, --help        this help

Environment: BENCH_JAVA_OPTS (peers, default "-Xms512m -Xmx512m -XX:+AlwaysPreTouch"),
BENCH_TRACKER_JAVA_OPTS, BENCH_MEMORY_SEED_JAVA_OPTS (default "-Xmx512m"), TBF_BURST (16kb),
TBF_LATENCY (50ms), BENCH_QUIET_WAIT (seconds to wait for an idle machine before each
measurement, 120), TMPDIR (where the work directory goes).

Examples:
  sudo bench/run.sh swarm --n 8,16 --baseline
  sudo bench/run.sh pair --repeat 3 --out bench-results.jsonl
EOF
}

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  echo "bench: $*" >&2
  exit 1
}
# Arithmetic on decimals: calc 'expression' (max0(x) is x, or 0 if x is negative).
calc() { awk "function max0(x) { return x < 0 ? 0 : x } BEGIN { print $1 }"; }

parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      swarm | pair | memory | capcheck | all) MODE="$1" ;;
      --n) NS="${2:?--n needs a value}"; shift ;;
      --size-mb) SIZE_MB="${2:?--size-mb needs a value}"; shift ;;
      --cap-mbit) CAP_MBIT="${2:?--cap-mbit needs a value}"; shift ;;
      --memory-cap-mbit) MEMORY_CAP_MBIT="${2:?--memory-cap-mbit needs a value}"; shift ;;
      --repeat) REPEAT="${2:?--repeat needs a value}"; shift ;;
      --out) OUT="${2:?--out needs a value}"; shift ;;
      --peer-args) PEER_ARGS="${2?--peer-args needs a value}"; shift ;;
      --tree) ROOT="$(cd "${2:?--tree needs a value}" && pwd)" || die "no directory $2"; shift ;;
      --baseline) BASELINE=1 ;;
      --warmup-mb) WARMUP_MB="${2:?--warmup-mb needs a value}"; shift ;;
      --keep) KEEP=1 ;;
      --profile) PROFILE_DIR="${2:?--profile needs a directory}"; shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
  done
  [[ "$NS" =~ ^([0-9]+)(,[0-9]+)*$ || -z "$NS" ]] || die "--n takes numbers: $NS"
  [[ -z "$SIZE_MB" || "$SIZE_MB" =~ ^[1-9][0-9]*$ ]] || die "--size-mb takes a whole number"
  [[ "$CAP_MBIT" =~ ^[1-9][0-9]*$ ]] || die "--cap-mbit takes a whole number"
  [[ "$MEMORY_CAP_MBIT" =~ ^[0-9]+$ ]] || die "--memory-cap-mbit takes a whole number"
  [[ "$WARMUP_MB" =~ ^[0-9]+$ ]] || die "--warmup-mb takes a whole number"
  [[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || die "--repeat takes a whole number"
  local n
  for n in ${NS//,/ }; do
    if [ "$n" -lt 1 ] || [ "$n" -gt 200 ]; then die "--n: 1 to 200 leechers (one /24)"; fi
  done
}

# ---------------------------------------------------------------------------------------------
# Preconditions

require_root() {
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces, tc): sudo $0 ..."
}

# One run at a time: a run removes every namespace with the prefix when it starts. The lock is
# a pid file (checked and written under flock): a lock held by an open file would be inherited
# by the daemons and outlive a run killed with SIGKILL.
take_lock() {
  local other
  other="$(claim_pid_file 8>"$LOCK_FILE")"
  [ -z "$other" ] || die "another benchmark run is active (pid $other)"
}

# Under the flock on fd 8: prints the pid of another live run, or writes ours into PID_FILE.
claim_pid_file() {
  local holder
  flock -w 30 8 || { echo "(lock $LOCK_FILE busy)"; return 0; }
  holder="$(cat "$PID_FILE" 2>/dev/null || true)"
  if [ -n "$holder" ] && [ "$holder" != "$$" ] && kill -0 "$holder" 2>/dev/null \
      && tr '\0' ' ' <"/proc/$holder/cmdline" 2>/dev/null | grep -q 'run\.sh'; then
    echo "$holder"
  else
    echo "$$" >"$PID_FILE"
  fi
}

release_lock() {
  if [ "$(cat "$PID_FILE" 2>/dev/null || true)" = "$$" ]; then rm -f "$PID_FILE"; fi
}

# Installs the Debian packages that provide missing commands.
ensure_tools() {
  local missing=() pair
  for pair in ip:iproute2 tc:iproute2 socat:socat python3:python3 sha256sum:coreutils \
      timeout:coreutils flock:util-linux pgrep:procps jstat:openjdk-17-jdk-headless \
      jcmd:openjdk-17-jdk-headless java:openjdk-17-jdk-headless; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair##*:}")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
    || { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
}

ensure_jars() {
  local jar
  for jar in tracker-svc/target/minibit-tracker.jar peer-svc/target/minibit-peer.jar \
      cli/target/minibit.jar; do
    if [ ! -f "$ROOT/$jar" ]; then
      log "$jar is missing: make build"
      make -C "$ROOT" build >&2
      return 0
    fi
  done
}

# The commit the jars were built from, as far as the tree can tell ("+dirty": local changes).
describe_commit() {
  local id
  id="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)" || { echo unknown; return 0; }
  if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    id="$id+dirty"
  fi
  echo "$id"
}

on_exit() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  mb_stop_daemons
  net_teardown
  release_lock
  [ "$FAILED" = 0 ] || [ "$status" -ne 0 ] || status=1
  if [ -z "$WORK" ]; then
    exit "$status"
  fi
  if [ "$status" -ne 0 ]; then
    echo "bench: failed (exit $status); logs kept in $WORK" >&2
  elif [ "$KEEP" = 1 ]; then
    echo "bench: work directory kept: $WORK" >&2
  else
    rm -rf "$WORK"
    echo "bench: work directory $WORK removed (--keep keeps it)" >&2
  fi
  exit "$status"
}

# ---------------------------------------------------------------------------------------------
# Helpers shared by the modes

# fact RUN KEY VALUE: records a fact for report.py.
fact() { printf '%s=%s\n' "$2" "$3" >>"$1/facts"; }

leecher() { printf 'l%02d' "$1"; }

# new_run NAME: a fresh run directory.
new_run() {
  local run="$WORK/$1"
  mkdir -p "$run/hosts"
  : >"$run/facts"
  fact "$run" commit "$COMMIT"
  fact "$run" peer_args "$PEER_ARGS"
  fact "$run" jars_built "$(date -r "$DIST/lib/minibit-peer.jar" +%FT%T)"
  echo "$run"
}

# hosts_up HOST:OCTET...: the bridge and one namespace per host.
hosts_up() {
  local spec
  net_teardown
  net_setup_bridge
  for spec in "$@"; do net_add_host "${spec%%:*}" "${spec##*:}"; done
}

hosts_down() {
  mb_stop_daemons
  net_teardown
}

# Machine-wide CPU counters (busy, total) in jiffies, from /proc/stat.
cpu_counters() {
  local _cpu user nice system idle iowait irq softirq steal _rest
  read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
  echo "$((user + nice + system + irq + softirq + steal)) \
$((user + nice + system + idle + iowait + irq + softirq + steal))"
}

# cpu_busy_pct "BUSY TOTAL" "BUSY TOTAL": percent of all cores busy between two readings.
cpu_busy_pct() {
  local b0 t0 b1 t1
  read -r b0 t0 <<<"$1"
  read -r b1 t1 <<<"$2"
  [ "$t1" -gt "$t0" ] || { echo 0; return 0; }
  echo $((100 * (b1 - b0) / (t1 - t0)))
}

# Waits (at most BENCH_QUIET_WAIT seconds, default 120) until the machine is nearly idle, so the
# JVMs' start-up work (JIT, pre-touch, GC), leftover disk writes and anybody else's build are
# over before the clock starts. Prints the busy percentage it settled for.
await_quiet() {
  local limit="${BENCH_QUIET_WAIT:-120}" deadline before busy
  deadline=$((SECONDS + limit))
  sync
  while :; do
    before="$(cpu_counters)"
    sleep 1
    busy="$(cpu_busy_pct "$before" "$(cpu_counters)")"
    if [ "$busy" -le 15 ]; then break; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "the machine is still ${busy}% busy after ${limit}s; measuring anyway"
      break
    fi
  done
  echo "$busy"
}

# new_file PATH MIB: random bytes.
new_file() {
  dd if=/dev/urandom of="$1" bs=1M count="$2" iflag=fullblock status=none
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# prime_page_cache MIB: writes MIB MiB of zeros and deletes them, so that the page cache the
# measured copies fill reuses memory this machine has touched before. Memory a VM has never
# touched is slow to touch the first time (about 0.35 GB/s on the reference machine, against
# 6 GB/s for a page it has touched), and that would be charged to whichever copy comes first:
# MiniBit's or the raw one. The same reason the JVMs pre-touch their heaps.
prime_page_cache() {
  local file="$WORK/page-cache-primer"
  dd if=/dev/zero of="$file" bs=1M count="$1" status=none
  rm -f "$file"
}

# The size of RUN's file in MiB, from its facts.
run_file_mib() { echo $(($(grep -m1 '^file_bytes=' "$1/facts" | cut -d= -f2) / 1048576)); }

# The wall time of `minibit --version` on HOST: what a CLI JVM costs to start, here and now.
cli_start_seconds() {
  local start
  start="$EPOCHREALTIME"
  mb_cli "$1" --version >/dev/null
  calc "$EPOCHREALTIME - $start"
}

# start_minibit RUN SEED_JAVA_OPTS LEECHER...: the tracker on host "tracker", a peer daemon on
# "seed" and on each leecher host, all ready.
start_minibit() {
  local run="$1" seed_opts="$2" host i=0
  shift 2
  mb_start_tracker tracker "$run/hosts/tracker"
  echo "$!" >"$run/hosts/tracker/pid"
  mb_await_tracker tracker
  mb_start_peer seed "$SEED_ADDR" "$run/hosts/seed" "$seed_opts"
  for host in "$@"; do
    i=$((i + 1))
    mb_start_peer "$host" "$NET_SUBNET.$((10 + i))" "$run/hosts/$host"
  done
  log "waiting for $(($# + 1)) peer daemons"
  mb_await_peers seed "$@"
}

# share_file RUN MIB: a random file in the seeder's data directory, shared; records its size,
# SHA-256 and infohash, and prints the infohash.
share_file() {
  local run="$1" mib="$2" file infohash
  file="$run/hosts/seed/data/bench.bin"
  new_file "$file" "$mib"
  fact "$run" file_bytes "$((mib * 1024 * 1024))"
  fact "$run" sha256 "$(sha256_of "$file")"
  infohash="$(mb_cli seed share "$file")"
  [[ "$infohash" =~ ^[0-9a-f]{64}$ ]] || die "share printed no infohash: $infohash"
  fact "$run" infohash "$infohash"
  echo "$infohash"
}

# warm_up RUN HOST...: unless --warmup-mb 0, the seeder shares a small file and every HOST
# fetches it at once, so that the daemons have run the transfer path before the clock starts.
warm_up() {
  local run="$1" file infohash host pid
  shift
  fact "$run" warmup_mb "$WARMUP_MB"
  [ "$WARMUP_MB" -gt 0 ] || return 0
  file="$run/hosts/seed/data/warmup.bin"
  new_file "$file" "$WARMUP_MB"
  infohash="$(mb_cli seed share "$file")"
  log "warm-up: $# x minibit get of a $WARMUP_MB MiB file"
  GET_PIDS=()
  for host in "$@"; do
    mb_cli_timeout 600 "$host" get "$infohash" >"$run/hosts/$host/warmup.log" 2>&1 &
    GET_PIDS+=("$!")
  done
  for pid in "${GET_PIDS[@]}"; do
    wait "$pid" || die "the warm-up download failed; see $run/hosts/*/warmup.log"
  done
  GET_PIDS=()
}

# spawn_get RUN HOST INFOHASH SECONDS: `minibit get` on HOST in the background; when it exits,
# records its exit status and end time. Adds the background pid to GET_PIDS.
spawn_get() {
  local run="$1" host="$2" infohash="$3" limit="$4" dir
  dir="$run/hosts/$host"
  (
    rc=0
    mb_cli_timeout "$limit" "$host" get "$infohash" >"$dir/get.out" 2>"$dir/get.err" || rc=$?
    echo "$EPOCHREALTIME" >"$dir/end"
    echo "$rc" >"$dir/rc"
  ) &
  GET_PIDS+=("$!")
}

# spawn_raw_get RUN HOST ADDRESS SECONDS: copies what ADDRESS:RAW_PORT sends into HOST's
# directory, in the background, like spawn_get.
spawn_raw_get() {
  local run="$1" host="$2" address="$3" limit="$4" dir
  dir="$run/hosts/$host"
  (
    rc=0
    timeout --kill-after=5 "$limit" ip netns exec "$(net_ns "$host")" \
      socat -u "TCP:$address:$RAW_PORT" "CREATE:$dir/raw.bin" 2>"$dir/get.err" || rc=$?
    echo "$EPOCHREALTIME" >"$dir/end"
    echo "$rc" >"$dir/rc"
    echo "$dir/raw.bin" >"$dir/get.out"
  ) &
  GET_PIDS+=("$!")
}

# wait_gets: waits for every spawned download.
wait_gets() {
  local pid
  for pid in "${GET_PIDS[@]}"; do wait "$pid" || true; done
  GET_PIDS=()
}

# "OWN KERNEL OTHER": CPU ticks used so far by this script's process tree, by kernel threads
# and by everything else (someone's build, say).
cpu_ticks() { python3 "$BENCH_DIR/lib/report.py" cpu-snapshot "$$"; }

# CPU ticks (user + system) used so far by each host's daemon, into hosts/HOST/FILE.
daemon_cpu() {
  local run="$1" file="$2" pidfile stat fields
  for pidfile in "$run"/hosts/*/pid; do
    [ -f "$pidfile" ] || continue
    stat="$(cat "/proc/$(cat "$pidfile")/stat" 2>/dev/null)" || continue
    read -r -a fields <<<"${stat##*) }"
    echo $((fields[11] + fields[12])) >"$(dirname "$pidfile")/$file"
  done
}

# run_downloads RUN KIND INFOHASH|ADDRESS SECONDS HOST...: starts a download (KIND get or raw)
# on every host at the same moment, waits for all; records t0 and the CPU use meanwhile.
run_downloads() {
  local run="$1" kind="$2" what="$3" limit="$4" host cpu0 ticks0 t0 span
  local -a before after
  shift 4
  # Every host writes a whole copy; a quarter more covers the daemons' own allocations. Up to
  # 2 GiB: only the throughput modes need it, and memory mode writes 8 GiB.
  local primer=$(($(run_file_mib "$run") * $# * 5 / 4))
  prime_page_cache "$((primer < 2048 ? primer : 2048))"
  fact "$run" cpu_busy_before_pct "$(await_quiet)"
  GET_PIDS=()
  daemon_cpu "$run" cpu_before
  ticks0="$(cpu_ticks)"
  cpu0="$(cpu_counters)"
  t0="$EPOCHREALTIME"
  fact "$run" t0 "$t0"
  profile_start "$run"
  for host in "$@"; do
    if [ "$kind" = get ]; then
      spawn_get "$run" "$host" "$what" "$limit"
    else
      spawn_raw_get "$run" "$host" "$what" "$limit"
    fi
  done
  wait_gets
  profile_stop "$run"
  fact "$run" cpu_busy_pct "$(cpu_busy_pct "$cpu0" "$(cpu_counters)")"
  daemon_cpu "$run" cpu_after
  read -r -a before <<<"$ticks0"
  read -r -a after <<<"$(cpu_ticks)"
  span="$(calc "($EPOCHREALTIME - $t0) * $(getconf CLK_TCK) * $(nproc) / 100")"
  # Kernel workers that exit take their ticks with them, so that sum can shrink: at least 0.
  fact "$run" cpu_kernel_pct "$(calc "int(max0((${after[1]} - ${before[1]}) / $span))")"
  fact "$run" cpu_other_pct "$(calc "int(max0((${after[2]} - ${before[2]}) / $span))")"
  fact "$run" clk_tck "$(getconf CLK_TCK)"
}

# verify_copies RUN HOST...: the SHA-256 of each host's copy (the path its get printed).
verify_copies() {
  local run="$1" host file
  shift
  for host in "$@"; do
    file="$(cat "$run/hosts/$host/get.out" 2>/dev/null || true)"
    if [ -n "$file" ] && [ -f "$file" ]; then
      sha256_of "$file" >"$run/hosts/$host/sha256"
    fi
  done
}

# collect_status RUN HOST...: `minibit status` of each host's daemon.
collect_status() {
  local run="$1" host
  shift
  for host in "$@"; do
    mb_cli "$host" status >"$run/hosts/$host/status.txt" 2>&1 || true
  done
}

# report MODE RUN: the run's JSON line on stdout (and in the results files); a run that failed
# marks the whole benchmark failed.
report() {
  local line
  if ! line="$(python3 "$BENCH_DIR/lib/report.py" "$1" "$2")"; then
    FAILED=1
  fi
  [ -n "$line" ] || { FAILED=1; return 0; }
  echo "$line"
  echo "$line" >>"$WORK/results.jsonl"
  [ -z "$OUT" ] || echo "$line" >>"$OUT"
  python3 "$BENCH_DIR/lib/report.py" logs "$2" >&2 || true
}

# serve_raw HOST FILE: socat on HOST sends FILE to every TCP connection on RAW_PORT.
serve_raw() {
  local host="$1" file="$2"
  ip netns exec "$(net_ns "$host")" socat -U "TCP-LISTEN:$RAW_PORT,reuseaddr,fork,backlog=256" \
    "OPEN:$file,rdonly" 2>/dev/null &
  DAEMON_PIDS+=("$!")
  DAEMON_LOGS+=(/dev/null)
  mb_await "socat on $host" 30 mb_port_open "$host" "$RAW_PORT"
}

# --profile: async-profiler, loaded into the running daemons with jattach while the clock runs.
ASYNC_PROFILER_VERSION=4.2
ASYNC_PROFILER_LIB=""

ensure_profiler() {
  [ -n "$PROFILE_DIR" ] || return 0
  mkdir -p "$PROFILE_DIR"
  PROFILE_DIR="$(cd "$PROFILE_DIR" && pwd)"
  command -v jattach >/dev/null || apt-get install -y -q --no-install-recommends jattach >&2
  local jar="$HOME/.m2/repository/tools/profiler/async-profiler/$ASYNC_PROFILER_VERSION"
  jar="$jar/async-profiler-$ASYNC_PROFILER_VERSION-linux-x64.jar"
  [ -f "$jar" ] || mvn -q dependency:get \
    -Dartifact="tools.profiler:async-profiler:$ASYNC_PROFILER_VERSION:jar:linux-x64" >&2
  ASYNC_PROFILER_LIB="$PROFILE_DIR/.lib/libasyncProfiler.so"
  mkdir -p "$PROFILE_DIR/.lib"
  unzip -p "$jar" linux-x64/libasyncProfiler.so >"$ASYNC_PROFILER_LIB"
}

# profile_start RUN / profile_stop RUN: every daemon of RUN, from the clock's start to its end.
profile_start() {
  [ -n "$PROFILE_DIR" ] || return 0
  local pidfile
  for pidfile in "$1"/hosts/*/pid; do
    jattach "$(cat "$pidfile")" load "$ASYNC_PROFILER_LIB" true "start,event=cpu,interval=1ms" \
      >/dev/null 2>&1 || log "cannot profile $(dirname "$pidfile")"
  done
}

profile_stop() {
  [ -n "$PROFILE_DIR" ] || return 0
  local pidfile host
  for pidfile in "$1"/hosts/*/pid; do
    host="$(basename "$(dirname "$pidfile")")"
    jattach "$(cat "$pidfile")" load "$ASYNC_PROFILER_LIB" true \
      "stop,file=$PROFILE_DIR/$(basename "$1")-$host.collapsed" >/dev/null 2>&1 || true
  done
}

# ---------------------------------------------------------------------------------------------
# Modes

# uplink_counters RUN WHEN HOST...: each HOST's eth0 bytes sent and its cap's packet counts so
# far, into tx_WHEN and cap_WHEN beside its other files.
uplink_counters() {
  local run="$1" when="$2" host
  shift 2
  for host in "$@"; do
    net_tx_bytes "$host" >"$run/hosts/$host/tx_$when"
    net_cap_packets "$host" >"$run/hosts/$host/cap_$when"
  done
}

# run_swarm N REP
run_swarm() {
  local n="$1" rep="$2" mib="${SIZE_MB:-64}" run infohash limit i specs=() leechers=()
  run="$(new_run "swarm-n$n-r$rep")"
  log "swarm: N=$n, $mib MiB, $CAP_MBIT Mbit/s uplinks (run $rep)"
  for i in $(seq 1 "$n"); do
    leechers+=("$(leecher "$i")")
    specs+=("$(leecher "$i"):$((10 + i))")
  done
  hosts_up tracker:1 seed:10 "${specs[@]}"
  for i in seed "${leechers[@]}"; do net_cap "$i" "$CAP_MBIT"; done
  start_minibit "$run" "$DAEMON_JAVA_OPTS" "${leechers[@]}"
  fact "$run" mode swarm
  fact "$run" n "$n"
  fact "$run" cap_mbit "$CAP_MBIT"
  fact "$run" seed_address "$SEED_ADDR"
  fact "$run" leechers "${leechers[*]}"
  fact "$run" cli_start_s "$(cli_start_seconds seed)"
  warm_up "$run" "${leechers[@]}"
  infohash="$(share_file "$run" "$mib")"
  uplink_counters "$run" before seed "${leechers[@]}"
  # A generous bound: twenty times the fluid-model time, plus a minute.
  limit="$(calc "int(20 * $mib * 1048576 * 8 / ($CAP_MBIT * 1e6)) + 60")"
  log "swarm: $n x minibit get at once (each stopped after ${limit}s)"
  run_downloads "$run" get "$infohash" "$limit" "${leechers[@]}"
  uplink_counters "$run" after seed "${leechers[@]}"
  collect_status "$run" seed "${leechers[@]}"
  verify_copies "$run" "${leechers[@]}"
  report swarm "$run"
  if [ "$BASELINE" = 1 ]; then
    mb_stop_daemons
    run_client_server "$run" "$n" "$rep" "$mib" "${leechers[@]}"
  fi
  hosts_down
}

# run_client_server SWARM_RUN N REP MIB LEECHER...: on the swarm's hosts (MiniBit stopped), every
# leecher copies the file from the seeder alone over raw TCP at once.
run_client_server() {
  local swarm_run="$1" n="$2" rep="$3" mib="$4" run limit host
  shift 4
  run="$(new_run "client-server-n$n-r$rep")"
  log "client-server: $n raw TCP copies from the seeder at once"
  for host in "$@"; do mkdir -p "$run/hosts/$host"; done
  fact "$run" mode client-server
  fact "$run" n "$n"
  fact "$run" cap_mbit "$CAP_MBIT"
  fact "$run" leechers "$*"
  grep -E '^(file_bytes|sha256)=' "$swarm_run/facts" >>"$run/facts"
  serve_raw seed "$swarm_run/hosts/seed/data/bench.bin"
  limit="$(calc "int(3 * $n * $mib * 1048576 * 8 / ($CAP_MBIT * 1e6)) + 60")"
  run_downloads "$run" raw "$SEED_ADDR" "$limit" "$@"
  verify_copies "$run" "$@"
  report client-server "$run"
}

# run_pair REP
run_pair() {
  local rep="$1" mib="${SIZE_MB:-256}" run infohash dir rc=0
  run="$(new_run "pair-r$rep")"
  log "pair: $mib MiB between two uncapped hosts (run $rep)"
  hosts_up tracker:1 seed:10 l01:11
  start_minibit "$run" "$DAEMON_JAVA_OPTS" l01
  fact "$run" mode pair
  fact "$run" cli_start_s "$(cli_start_seconds l01)"
  warm_up "$run" l01
  infohash="$(share_file "$run" "$mib")"
  run_downloads "$run" get "$infohash" 600 l01
  verify_copies "$run" l01
  log "pair: the same bytes over raw TCP (socat)"
  dir="$run/hosts/l01"
  serve_raw seed "$run/hosts/seed/data/bench.bin"
  prime_page_cache "$((mib * 5 / 4))"
  await_quiet >/dev/null
  fact "$run" raw_t0 "$EPOCHREALTIME"
  ip netns exec "$(net_ns l01)" socat -u "TCP:$SEED_ADDR:$RAW_PORT" "CREATE:$dir/raw.bin" || rc=$?
  fact "$run" raw_end "$EPOCHREALTIME"
  fact "$run" raw_rc "$rc"
  fact "$run" raw_sha256 "$(sha256_of "$dir/raw.bin" 2>/dev/null || echo missing)"
  report pair "$run"
  hosts_down
}

# sample_rss PID FILE: "epoch VmRSS RssAnon RssFile" (kB) every second while PID lives.
sample_rss() {
  local pid="$1" file="$2" key value _unit rss anon filed
  while [ -r "/proc/$pid/status" ]; do
    rss=0 anon=0 filed=0
    while read -r key value _unit; do
      case "$key" in
        VmRSS:) rss="$value" ;;
        RssAnon:) anon="$value" ;;
        RssFile:) filed="$value" ;;
      esac
    done <"/proc/$pid/status" 2>/dev/null || break
    echo "$EPOCHREALTIME $rss $anon $filed" >>"$file"
    sleep 1
  done
}

# run_memory REP
run_memory() {
  local rep="$1" n=8 mib="${SIZE_MB:-1024}" run infohash pid i specs=() leechers=() samplers=()
  run="$(new_run "memory-r$rep")"
  log "memory: one seeder, $n downloaders of $mib MiB (run $rep)"
  for i in $(seq 1 "$n"); do
    leechers+=("$(leecher "$i")")
    specs+=("$(leecher "$i"):$((10 + i))")
  done
  hosts_up tracker:1 seed:10 "${specs[@]}"
  if [ "$MEMORY_CAP_MBIT" -gt 0 ]; then
    for i in seed "${leechers[@]}"; do net_cap "$i" "$MEMORY_CAP_MBIT"; done
  fi
  start_minibit "$run" "$MEMORY_SEED_JAVA_OPTS" "${leechers[@]}"
  pid="$(mb_java_pid "$(cat "$run/hosts/seed/pid")")" || die "no java process for the seeder"
  fact "$run" mode memory
  fact "$run" n "$n"
  fact "$run" cap_mbit "$MEMORY_CAP_MBIT"
  fact "$run" leechers "${leechers[*]}"
  fact "$run" seeder_java_opts "$MEMORY_SEED_JAVA_OPTS"
  fact "$run" seeder_pid "$pid"
  fact "$run" heap_max_bytes "$(jcmd "$pid" VM.flags 2>/dev/null \
    | grep -o 'MaxHeapSize=[0-9]*' | cut -d= -f2)"
  sample_rss "$pid" "$run/rss.txt" &
  samplers+=("$!")
  jstat -gc "$pid" 1000 >"$run/jstat.txt" 2>&1 &
  samplers+=("$!")
  sleep 3 # idle samples before the share: the baseline
  fact "$run" share_start "$EPOCHREALTIME"
  infohash="$(share_file "$run" "$mib")"
  log "memory: $n x minibit get at once"
  run_downloads "$run" get "$infohash" 1800 "${leechers[@]}"
  sleep 2
  kill "${samplers[@]}" 2>/dev/null || true
  for i in "${samplers[@]}"; do wait "$i" 2>/dev/null || true; done
  collect_status "$run" seed
  verify_copies "$run" "${leechers[@]}"
  report memory "$run"
  hosts_down
}

# sample_tx HOST FILE: "epoch tx_bytes" of HOST's eth0 every 0.5 s, until killed.
sample_tx() {
  while :; do
    echo "$EPOCHREALTIME $(net_tx_bytes "$1")" >>"$2"
    sleep 0.5
  done
}

# tbf drops so far on HOST's eth0.
tbf_drops() { net_cap_packets "$1" | cut -d' ' -f2; }

# run_capcheck REP
run_capcheck() {
  local rep="$1" mib="${SIZE_MB:-32}" run file flows sampler drops0 k pids
  run="$(new_run "capcheck-r$rep")"
  log "capcheck: raw TCP through a $CAP_MBIT Mbit/s tbf uplink (run $rep)"
  hosts_up seed:10 l01:11
  net_cap seed "$CAP_MBIT"
  mkdir -p "$run/hosts/seed" "$run/hosts/l01"
  file="$run/hosts/seed/cap.bin"
  new_file "$file" "$mib"
  fact "$run" cap_mbit "$CAP_MBIT"
  fact "$run" file_bytes "$((mib * 1024 * 1024))"
  fact "$run" tbf "burst ${TBF_BURST:-16kb} latency ${TBF_LATENCY:-50ms}"
  serve_raw seed "$file"
  for flows in 1 8; do
    drops0="$(tbf_drops seed)"
    sample_tx seed "$run/tx_$flows.txt" &
    sampler=$!
    fact "$run" "t0_$flows" "$EPOCHREALTIME"
    pids=()
    for k in $(seq 1 "$flows"); do
      ip netns exec "$(net_ns l01)" socat -u "TCP:$SEED_ADDR:$RAW_PORT" - >/dev/null &
      pids+=("$!")
    done
    for k in "${pids[@]}"; do wait "$k" || FAILED=1; done
    fact "$run" "end_$flows" "$EPOCHREALTIME"
    kill "$sampler"
    wait "$sampler" 2>/dev/null || true
    fact "$run" "drops_$flows" "$(($(tbf_drops seed) - drops0))"
  done
  report capcheck "$run"
  hosts_down
}

# ---------------------------------------------------------------------------------------------

main() {
  parse_args "$@"
  require_root
  take_lock
  trap on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ensure_tools
  ensure_jars
  ensure_profiler
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/minibit-bench.XXXXXX")"
  log "work directory: $WORK"
  DIST="$WORK/dist"
  mb_snapshot "$ROOT" "$DIST"
  COMMIT="$(describe_commit)"
  if [ -n "$(net_list_namespaces)" ]; then
    log "removing namespaces left by an earlier run: $(net_list_namespaces | tr '\n' ' ')"
    net_teardown
  fi
  local rep n ns_list="${NS:-8}"
  [ "$MODE" != all ] || ns_list="${NS:-8,16}"
  for rep in $(seq 1 "$REPEAT"); do
    case "$MODE" in
      pair | all) run_pair "$rep" ;;
    esac
    case "$MODE" in
      swarm | all) for n in ${ns_list//,/ }; do run_swarm "$n" "$rep"; done ;;
    esac
    case "$MODE" in
      memory | all) run_memory "$rep" ;;
      capcheck) run_capcheck "$rep" ;;
    esac
  done
  log "results: $WORK/results.jsonl${OUT:+ and $OUT}"
}

main "$@"
