#!/usr/bin/env bash
# MiniBit benchmark: real tracker and peer JVMs on hosts made of Linux network namespaces, with
# upload caps (tc tbf), measured against the fluid-model lower bound and against aria2 on the
# same hosts. Prints one JSON line per run on stdout; progress goes to stderr. Needs root.
# bench/README.md explains the method.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
# The MiniBit tree whose launchers and jars are measured (--tree): by default, this one.
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
# shellcheck source=lib/netns.sh
source "$BENCH_DIR/lib/netns.sh"
# shellcheck source=lib/minibit.sh
source "$BENCH_DIR/lib/minibit.sh"
# shellcheck source=lib/aria2.sh
source "$BENCH_DIR/lib/aria2.sh"

# The measured JVMs get a fixed, pre-touched heap: this machine maps new memory slowly the first
# time (~0.35 GB/s), which would otherwise be charged to the transfer. They start before the
# clock does. The CLI keeps its launcher's quick-start options.
DAEMON_JAVA_OPTS="${BENCH_JAVA_OPTS:--Xms512m -Xmx512m -XX:+AlwaysPreTouch}"
TRACKER_JAVA_OPTS="${BENCH_TRACKER_JAVA_OPTS:--Xms256m -Xmx256m -XX:+AlwaysPreTouch}"
# Memory mode measures the seeder's footprint, so its heap is not pre-touched: its resident size
# then shows what it really uses, up to the 512 MiB cap.
MEMORY_SEED_JAVA_OPTS="${BENCH_MEMORY_SEED_JAVA_OPTS:--Xmx512m -XX:+UsePerfData}"

TRACKER_ADDR="$NET_SUBNET.1:$TRACKER_PORT"
SEED_ADDR="$NET_SUBNET.10"
RAW_PORT=7000
LOCK_FILE=/run/minibit-bench.lock
PID_FILE=/run/minibit-bench.pid
# Where a run's files (the shared file, every copy) go when there is room: a tmpfs, so that
# neither MiniBit nor aria2 waits for a disk. Empty: always the work directory.
TMPFS_DIR="${BENCH_TMPFS-/dev/shm}"
# What a JVM of the benchmark takes besides its files (a 512 MiB heap and the rest), for the
# room check.
JVM_BYTES=$((640 * 1024 * 1024))

MODE=all
NS=""
SIZE_MB=""
CAP_MBIT=40
MEMORY_CAP_MBIT=0
REPEAT=1
BASELINE=0
WARMUP_MB=32
ARIA2=1
IDLE_SECONDS=60
KEEP=0
OUT=""
PEER_ARGS=""
PROFILE_DIR=""
WORK=""
TMPFS_WORK=""
FAILED=0
COMMIT=unknown

usage() {
  cat <<'EOF'
Usage: bench/run.sh [swarm|pair|memory|tracker-idle|capcheck|all] [OPTIONS]

Benchmarks MiniBit on emulated hosts: Linux network namespaces on 10.77.0.0/24 joined by a
bridge in a namespace of its own, each running its own tracker or peer JVM. Prints one line of
JSON per run on stdout. Needs root; installs iproute2, socat, aria2, ... with apt-get if missing.

Modes:
  swarm     a tracker, 1 seeder and N leechers, every peer's upload capped; all N leechers
            start `minibit get` at once. Reports each leecher's time, the slowest, the fluid
            lower bound T_min = max(F/u, N*F/(u + N*u)) and slowest/T_min, how many copies
            the seeder uploaded, every role's CPU, and aria2's figures on the same hosts.
  pair      one seeder and one leecher, no cap: MiniBit's MB/s next to a raw TCP copy (socat)
            and to aria2 between the same two hosts, and each side's CPU per byte.
  memory    one seeder serving 8 concurrent downloaders of a 1 GiB file; samples the seeder
            JVM's resident size and heap use every second.
  tracker-idle
            a tracker, 1 seeder and 16 leechers (uncapped) that fetch a small file, then sit
            idle while they heartbeat: the tracker's and the daemons' CPU per minute.
  capcheck  raw TCP (1 flow, then 8) through one capped uplink: is the tc tbf rate steady?
  all       pair, swarm with N=8 and N=16, memory, tracker-idle (the default).

Options:
  --n N[,N...]      leechers in swarm mode (default 8; 8,16 in `all`)
  --size-mb S       file size in MiB (default: swarm 64, pair 1024, memory 1024,
                    tracker-idle 4, capcheck 32)
  --cap-mbit C      upload cap of every swarm peer, Mbit/s (default 40)
  --memory-cap-mbit C
                    upload cap in memory mode, Mbit/s (default 0: none)
  --baseline        in swarm mode, also the client-server baseline: the same N leechers each
                    copy the whole file from the seeder alone over raw TCP (one more JSON line)
  --no-aria2        skip the reference: no aria2 run after MiniBit's in swarm and pair mode
  --warmup-mb W     before a swarm or pair measurement, every leecher fetches a W MiB file
                    from the seeder (default 32), so the measured download runs in daemons
                    whose JIT has compiled the transfer path, as in daemons that have been up
                    a while ("daemons": "warm"); 0 measures cold daemons (each JVM compiles
                    while it transfers; "daemons": "cold")
  --idle-seconds S  how long tracker-idle watches the idle swarm (default 60)
  --repeat R        run each measurement R times (default 1)
  --out FILE        also append the JSON lines to FILE
  --peer-args "ARGS"
                    extra flags for every peer daemon, e.g. "--choking cooperative"
  --tree DIR        measure the MiniBit tree in DIR (its bin/ and built jars; `make build` there
                    if a jar is missing) instead of the one this script is in
  --keep            keep the work directory and every run's files; logs are kept anyway on
                    failure
  --profile DIR     attach async-profiler (CPU, native frames too) to every daemon while the
                    clock runs and write DIR/RUN-HOST.collapsed (flame-graph input); fetches
                    the profiler from Maven Central and installs jattach when missing
  -h, --help        this help

Environment: BENCH_JAVA_OPTS (peers, default "-Xms512m -Xmx512m -XX:+AlwaysPreTouch"),
BENCH_TRACKER_JAVA_OPTS, BENCH_MEMORY_SEED_JAVA_OPTS (default "-Xmx512m
-XX:+UsePerfData": jstat reads the heap through the JVM's counters), TBF_BURST (16kb),
TBF_LATENCY (50ms), BENCH_TMPFS (the tmpfs for a run's files when it has room, default
/dev/shm; empty: never), TMPDIR (where the work directory goes, and a run's files otherwise),
BENCH_PROFILER_OPTS (appended to --profile's options: ",ann" marks each Java frame C1, C2 or
interpreted).

Examples:
  sudo bench/run.sh swarm --n 8,16 --baseline
  sudo bench/run.sh pair --repeat 3 --out bench-results.jsonl
  sudo bench/run.sh swarm --n 8 --warmup-mb 0       # cold daemons
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
      swarm | pair | memory | tracker-idle | capcheck | all) MODE="$1" ;;
      --n) NS="${2:?--n needs a value}"; shift ;;
      --size-mb) SIZE_MB="${2:?--size-mb needs a value}"; shift ;;
      --cap-mbit) CAP_MBIT="${2:?--cap-mbit needs a value}"; shift ;;
      --memory-cap-mbit) MEMORY_CAP_MBIT="${2:?--memory-cap-mbit needs a value}"; shift ;;
      --repeat) REPEAT="${2:?--repeat needs a value}"; shift ;;
      --out) OUT="${2:?--out needs a value}"; shift ;;
      --peer-args) PEER_ARGS="${2?--peer-args needs a value}"; shift ;;
      --tree) ROOT="$(cd "${2:?--tree needs a value}" && pwd)" || die "no directory $2"; shift ;;
      --baseline) BASELINE=1 ;;
      --no-aria2) ARIA2=0 ;;
      --idle-seconds) IDLE_SECONDS="${2:?--idle-seconds needs a value}"; shift ;;
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
  [[ "$IDLE_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "--idle-seconds takes a whole number"
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

# Installs the Debian packages that provide missing commands (GNU time is a file: `time` is a
# word of bash); aria2, opentracker and mktorrent only when the reference runs.
ensure_tools() {
  local missing=() pair
  local tools="ip:iproute2 tc:iproute2 socat:socat python3:python3 sha256sum:coreutils
      timeout:coreutils flock:util-linux pgrep:procps jstat:openjdk-17-jdk-headless
      jcmd:openjdk-17-jdk-headless java:openjdk-17-jdk-headless /usr/bin/time:time"
  [ "$ARIA2" = 0 ] || tools="$tools aria2c:aria2 opentracker:opentracker mktorrent:mktorrent"
  for pair in $tools; do
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
  if [ "$KEEP" = 1 ]; then
    [ -z "$TMPFS_WORK" ] || touch "$TMPFS_WORK/kept"
    [ -z "$TMPFS_WORK" ] || echo "bench: the runs' files are kept in $TMPFS_WORK" >&2
  else
    remove_files "$WORK"/*/
    [ -z "$TMPFS_WORK" ] || rm -rf "$TMPFS_WORK"
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

# The directory on the tmpfs for the runs' files (TMPFS_WORK), if there is a tmpfs; first
# removes those that runs killed before they could clean up left there (a tmpfs's files are
# memory), but not those a run kept on purpose (--keep).
make_tmpfs_work() {
  local dir
  [ -n "$TMPFS_DIR" ] && [ -d "$TMPFS_DIR" ] || return 0
  for dir in "$TMPFS_DIR"/minibit-bench.*/; do
    if [ -f "$dir/pid" ] && [ ! -e "$dir/kept" ] && ! kill -0 "$(cat "$dir/pid")" 2>/dev/null
    then
      rm -rf "$dir"
    fi
  done
  TMPFS_WORK="$(mktemp -d "$TMPFS_DIR/minibit-bench.XXXXXX")"
  echo "$$" >"$TMPFS_WORK/pid"
}

# ---------------------------------------------------------------------------------------------
# Helpers shared by the modes

# fact RUN KEY VALUE: records a fact for report.py.
fact() { printf '%s=%s\n' "$2" "$3" >>"$1/facts"; }

leecher() { printf 'l%02d' "$1"; }

# peer_aot_cache PID_FILE: "true" if the peer daemon started as the process in PID_FILE runs
# with an AOT cache, read off its JVM's command line (launch.sh decides); "false" when the
# training found no JVM for one or failed, or JAVA_OPTS ruled it out, and the daemons run
# without one (a quarter more CPU in a swarm).
peer_aot_cache() {
  local pid
  if pid="$(mb_java_pid "$(cat "$1")")" \
      && grep -qa -e '-XX:AOTCache=' "/proc/$pid/cmdline" 2>/dev/null; then
    echo true
  else
    echo false
  fi
}

# new_run NAME BYTES JVMS: a fresh run directory. Its files (RUN/files: the daemons' data
# directories with the shared file and every copy, aria2's and the raw ones) go to the tmpfs if
# it has room for the BYTES the run writes, and the machine's memory for them and JVMS daemons
# besides; else into the work directory. The facts say which filesystem (payload_fs).
new_run() {
  local run="$WORK/$1"
  mkdir -p "$run/hosts"
  : >"$run/facts"
  fact "$run" commit "$COMMIT"
  fact "$run" peer_args "$PEER_ARGS"
  fact "$run" jars_built "$(date -r "$DIST/lib/minibit-peer.jar" +%FT%T)"
  if tmpfs_has_room "$2" "$3"; then
    mkdir "$TMPFS_WORK/$1"
    ln -s "$TMPFS_WORK/$1" "$run/files"
  else
    mkdir "$run/files"
  fi
  fact "$run" payload_fs "$(stat -f -c %T "$run/files/")"
  echo "$run"
}

# tmpfs_has_room BYTES JVMS: true if the tmpfs has BYTES free and the memory the kernel deems
# available holds them, JVMS daemons' JVMs and 2 GiB to spare (for the CLIs' JVMs, about 75 MB
# each, and the rest): a tmpfs's files are memory.
tmpfs_has_room() {
  [ -n "$TMPFS_WORK" ] || return 1
  local free avail_kib
  free="$(df --output=avail -B1 "$TMPFS_WORK" | tail -n 1)"
  avail_kib="$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)"
  [ "$1" -le "$free" ] && [ $(($1 + $2 * JVM_BYTES + (2 << 30))) -le $((avail_kib * 1024)) ]
}

# run_bytes MIB COPIES WARMUP_COPIES: what a run writes: the file and COPIES copies of it,
# WARMUP_COPIES of the warm-up file and the page-cache primer (which is deleted again).
run_bytes() {
  echo $((($1 * (1 + $2) + WARMUP_MB * $3 + $(primer_mib "$1" "$2")) * 1048576))
}

# drop_files RUN...: unless --keep, removes the runs' files (RUN/files, wherever it lives) once
# their lines are printed: they take memory on a tmpfs, and the copies were checked.
drop_files() {
  [ "$KEEP" = 0 ] || return 0
  remove_files "$@"
}

# remove_files RUN...: removes the runs' files.
remove_files() {
  local run files
  for run in "$@"; do
    files="${run%/}/files"
    [ -e "$files" ] || [ -L "$files" ] || continue
    rm -rf -- "$(readlink -f "$files")"
    rm -rf -- "$files"
  done
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

# new_file PATH MIB: random bytes.
new_file() {
  dd if=/dev/urandom of="$1" bs=1M count="$2" iflag=fullblock status=none
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# prime_page_cache RUN MIB: writes MIB MiB of zeros beside RUN's files and deletes them, so that
# the page cache (or tmpfs) the measured copies fill reuses memory this machine has touched
# before. Memory a VM has never touched is slow to touch the first time (about 0.35 GB/s on the
# reference machine, against 6 GB/s for a page it has touched), and that would be charged to
# whichever copy comes first: MiniBit's, aria2's or the raw one. The same reason the JVMs
# pre-touch their heaps.
prime_page_cache() {
  local file="$1/files/page-cache-primer"
  dd if=/dev/zero of="$file" bs=1M count="$2" status=none
  rm -f "$file"
}

# primer_mib MIB COPIES: how much to prime before COPIES copies of MIB MiB are written: as much
# and a quarter more for the processes' own allocations, up to 2 GiB (only the throughput modes
# need it, and memory mode writes 8 GiB).
primer_mib() {
  local mib=$(($1 * $2 * 5 / 4))
  echo $((mib < 2048 ? mib : 2048))
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
# "seed" and on each leecher host (data directory RUN/files/HOST), all ready.
start_minibit() {
  local run="$1" seed_opts="$2" host i=0
  shift 2
  mb_start_tracker tracker "$run/hosts/tracker"
  echo "$!" >"$run/hosts/tracker/pid"
  mb_await_tracker tracker
  mb_start_peer seed "$SEED_ADDR" "$run/hosts/seed" "$run/files/seed" "$seed_opts"
  for host in "$@"; do
    i=$((i + 1))
    mb_start_peer "$host" "$NET_SUBNET.$((10 + i))" "$run/hosts/$host" "$run/files/$host"
  done
  log "waiting for $(($# + 1)) peer daemons"
  mb_await_peers seed "$@"
  fact "$run" aot_cache "$(peer_aot_cache "$run/hosts/seed/pid")"
}

# share_file RUN MIB: a random file in the seeder's data directory, shared; records its size,
# SHA-256 and infohash, and prints the infohash.
share_file() {
  local run="$1" mib="$2" file infohash
  file="$run/files/seed/bench.bin"
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
  file="$run/files/seed/warmup.bin"
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
# records its exit status, end time and CPU seconds (get.cpu). Adds the background pid to
# GET_PIDS.
spawn_get() {
  local run="$1" host="$2" infohash="$3" limit="$4" dir
  dir="$run/hosts/$host"
  (
    rc=0
    mb_cli_timed "$dir/get.cpu" "$limit" "$host" get "$infohash" >"$dir/get.out" \
      2>"$dir/get.err" || rc=$?
    echo "$EPOCHREALTIME" >"$dir/end"
    echo "$rc" >"$dir/rc"
  ) &
  GET_PIDS+=("$!")
}

# spawn_raw_get RUN HOST ADDRESS SECONDS: copies what ADDRESS:RAW_PORT sends into HOST's files,
# in the background, like spawn_get.
spawn_raw_get() {
  local run="$1" host="$2" address="$3" limit="$4" dir copy
  dir="$run/hosts/$host"
  copy="$run/files/$host/raw.bin"
  mkdir -p "$(dirname "$copy")"
  (
    rc=0
    timeout --kill-after=5 "$limit" ip netns exec "$(net_ns "$host")" \
      socat -u "TCP:$address:$RAW_PORT" "CREATE:$copy" 2>"$dir/get.err" || rc=$?
    echo "$EPOCHREALTIME" >"$dir/end"
    echo "$rc" >"$dir/rc"
    echo "$copy" >"$dir/get.out"
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

# daemon_cpu RUN FILE: CPU ticks (user + system) used so far by each host's daemon, into
# hosts/HOST/FILE.
daemon_cpu() { process_cpu "$1" pid "$2"; }

# thread_cpu HOST_DIR FILE: "TID NAME TICKS" for each thread of the daemon whose pid is in
# HOST_DIR/pid, into HOST_DIR/FILE (names with spaces joined by _).
thread_cpu() {
  local dir="$1" file="$2" pid task comm ticks
  read -r pid <"$dir/pid"
  for task in /proc/"$pid"/task/*; do
    { read -r comm <"$task/comm" && stat_ticks ticks "$task/stat"; } 2>/dev/null || continue
    echo "${task##*/} ${comm// /_} $ticks"
  done >"$dir/$file"
}

# stat_ticks VAR STAT_FILE: the CPU ticks (user + system) in a /proc .../stat file, into VAR;
# fails if the file is gone. Builtins only: on a busy machine a fork per reading would spread
# the readings over seconds.
stat_ticks() {
  local stat fields
  read -r stat <"$2" || return 1
  read -r -a fields <<<"${stat##*) }"
  printf -v "$1" '%d' $((fields[11] + fields[12]))
}

# process_cpu RUN PID_FILE FILE: CPU ticks (user + system) used so far by the process whose pid
# is in each host's PID_FILE, into hosts/HOST/FILE.
process_cpu() {
  local run="$1" name="$2" file="$3" pidfile pid ticks
  for pidfile in "$run"/hosts/*/"$name"; do
    [ -f "$pidfile" ] || continue
    read -r pid <"$pidfile"
    stat_ticks ticks "/proc/$pid/stat" 2>/dev/null || continue
    echo "$ticks" >"${pidfile%/*}/$file"
  done
}

# run_downloads RUN KIND INFOHASH|ADDRESS SECONDS HOST...: starts a download (KIND get or raw)
# on every host at the same moment, waits for all; records t0 and the CPU use meanwhile.
run_downloads() {
  local run="$1" kind="$2" what="$3" limit="$4" host machine0 t0
  shift 4
  # Every host writes a whole copy. The clock starts at once: a user's download does not wait
  # for the machine to go quiet either.
  prime_page_cache "$run" "$(primer_mib "$(run_file_mib "$run")" $#)"
  GET_PIDS=()
  daemon_cpu "$run" cpu_before
  machine0="$(machine_mark)"
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
  daemon_cpu "$run" cpu_after
  machine_use "$run" "" "$machine0"
  fact "$run" clk_tck "$(getconf CLK_TCK)"
}

# machine_mark: "EPOCH BUSY TOTAL OWN KERNEL OTHER", the readings machine_use starts from.
machine_mark() { echo "$EPOCHREALTIME $(cpu_counters) $(cpu_ticks)"; }

# machine_use RUN PREFIX MARK: how the machine's cores were used since MARK, as RUN's facts
# PREFIXcpu_busy_pct (all of it), PREFIXcpu_kernel_pct (kernel threads) and PREFIXcpu_other_pct
# (processes that are not the benchmark's).
machine_use() {
  local run="$1" prefix="$2" t0 busy0 total0 _own kernel0 other0 span
  local -a now
  read -r t0 busy0 total0 _own kernel0 other0 <<<"$3"
  read -r -a now <<<"$(machine_mark)"
  fact "$run" "${prefix}cpu_busy_pct" "$(cpu_busy_pct "$busy0 $total0" "${now[1]} ${now[2]}")"
  span="$(calc "(${now[0]} - $t0) * $(getconf CLK_TCK) * $(nproc) / 100")"
  # Kernel workers that exit take their ticks with them, so that sum can shrink: at least 0.
  fact "$run" "${prefix}cpu_kernel_pct" "$(calc "int(max0((${now[4]} - $kernel0) / $span))")"
  fact "$run" "${prefix}cpu_other_pct" "$(calc "int(max0((${now[5]} - $other0) / $span))")"
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
    jattach "$(cat "$pidfile")" load "$ASYNC_PROFILER_LIB" true "start,event=cpu,interval=1ms${BENCH_PROFILER_OPTS:-}" \
      >/dev/null 2>&1 || log "cannot profile $(dirname "$pidfile")"
  done
}

profile_stop() {
  [ -n "$PROFILE_DIR" ] || return 0
  local pidfile host
  for pidfile in "$1"/hosts/*/pid; do
    host="$(basename "$(dirname "$pidfile")")"
    jattach "$(cat "$pidfile")" load "$ASYNC_PROFILER_LIB" true \
      "stop${BENCH_PROFILER_OPTS:-},file=$PROFILE_DIR/$(basename "$1")-$host.collapsed" >/dev/null 2>&1 || true
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

# scrape_metrics RUN WHEN HOST...: each HOST's peer daemon's /metrics into metrics_WHEN.txt
# beside its other files (the calls it made and the blocks it received).
scrape_metrics() {
  local run="$1" when="$2" host
  shift 2
  for host in "$@"; do mb_metrics "$host" "$run/hosts/$host/metrics_$when.txt"; done
}

# run_swarm N REP
run_swarm() {
  local n="$1" rep="$2" mib="${SIZE_MB:-64}" run infohash limit i specs=() leechers=()
  run="$(new_run "swarm-n$n-r$rep" "$(run_bytes "$mib" $((n * (1 + ARIA2))) $((n + 1)))" \
    $((n + 2)))"
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
  scrape_metrics "$run" before "${leechers[@]}"
  # A generous bound: twenty times the fluid-model time, plus a minute.
  limit="$(calc "int(20 * $mib * 1048576 * 8 / ($CAP_MBIT * 1e6)) + 60")"
  log "swarm: $n x minibit get at once (each stopped after ${limit}s)"
  run_downloads "$run" get "$infohash" "$limit" "${leechers[@]}"
  scrape_metrics "$run" after "${leechers[@]}"
  uplink_counters "$run" after seed "${leechers[@]}"
  collect_status "$run" seed "${leechers[@]}"
  verify_copies "$run" "${leechers[@]}"
  mb_stop_daemons
  [ "$ARIA2" = 0 ] || aria2_swarm "$run" "$limit" "${leechers[@]}"
  report swarm "$run"
  if [ "$BASELINE" = 1 ]; then
    run_client_server "$run" "$n" "$rep" "$mib" "${leechers[@]}"
  fi
  hosts_down
  drop_files "$run"
}

# run_client_server SWARM_RUN N REP MIB LEECHER...: on the swarm's hosts (MiniBit stopped), every
# leecher copies the file from the seeder alone over raw TCP at once.
run_client_server() {
  local swarm_run="$1" n="$2" rep="$3" mib="$4" run limit host
  shift 4
  run="$(new_run "client-server-n$n-r$rep" "$(run_bytes "$mib" "$n" 0)" 0)"
  log "client-server: $n raw TCP copies from the seeder at once"
  for host in "$@"; do mkdir -p "$run/hosts/$host"; done
  fact "$run" mode client-server
  fact "$run" n "$n"
  fact "$run" cap_mbit "$CAP_MBIT"
  fact "$run" leechers "$*"
  grep -E '^(file_bytes|sha256)=' "$swarm_run/facts" >>"$run/facts"
  serve_raw seed "$swarm_run/files/seed/bench.bin"
  limit="$(calc "int(3 * $n * $mib * 1048576 * 8 / ($CAP_MBIT * 1e6)) + 60")"
  run_downloads "$run" raw "$SEED_ADDR" "$limit" "$@"
  verify_copies "$run" "$@"
  report client-server "$run"
  mb_stop_daemons
  drop_files "$run"
}

# run_pair REP
run_pair() {
  local rep="$1" mib="${SIZE_MB:-1024}" run infohash copy rc=0
  run="$(new_run "pair-r$rep" "$(run_bytes "$mib" $((2 + ARIA2)) 2)" 3)"
  log "pair: $mib MiB between two uncapped hosts (run $rep)"
  hosts_up tracker:1 seed:10 l01:11
  start_minibit "$run" "$DAEMON_JAVA_OPTS" l01
  fact "$run" mode pair
  fact "$run" cli_start_s "$(cli_start_seconds l01)"
  warm_up "$run" l01
  infohash="$(share_file "$run" "$mib")"
  uplink_counters "$run" before seed
  scrape_metrics "$run" before l01
  run_downloads "$run" get "$infohash" 600 l01
  scrape_metrics "$run" after l01
  uplink_counters "$run" after seed
  collect_status "$run" seed l01
  verify_copies "$run" l01
  log "pair: the same bytes over raw TCP (socat)"
  copy="$run/files/l01/raw.bin"
  serve_raw seed "$run/files/seed/bench.bin"
  prime_page_cache "$run" "$(primer_mib "$mib" 1)"
  fact "$run" raw_t0 "$EPOCHREALTIME"
  ip netns exec "$(net_ns l01)" socat -u "TCP:$SEED_ADDR:$RAW_PORT" "CREATE:$copy" || rc=$?
  fact "$run" raw_end "$EPOCHREALTIME"
  fact "$run" raw_rc "$rc"
  fact "$run" raw_sha256 "$(sha256_of "$copy" 2>/dev/null || echo missing)"
  mb_stop_daemons
  [ "$ARIA2" = 0 ] || aria2_pair "$run"
  report pair "$run"
  hosts_down
  drop_files "$run"
}

# aria2_seed RUN: opentracker on the tracker host, a torrent of RUN's file, and an aria2c seeder
# of the seeder's copy, announced to the tracker before anything else starts (a leecher that
# announced first would see no seeder until its next announce, half an hour later).
aria2_seed() {
  local run="$1"
  fact "$run" aria2_version "$(aria2c --version | sed -n '1s/^aria2 version //p')"
  a2_hook "$run/aria2-complete.sh"
  a2_make_torrent "$run/files/seed/bench.bin" "$run/aria2.torrent" "$NET_SUBNET.1"
  a2_start_tracker tracker "$run/hosts/tracker" "$run/aria2.torrent"
  a2_start_seeder seed "$run/hosts/seed/aria2.log" "$run/files/seed" "$run/aria2.torrent"
  mb_await "the aria2 seeder's announce" 300 a2_seeded seed "$run/aria2.torrent"
}

# aria2_swarm RUN SECONDS LEECHER...: the reference on the swarm's hosts and caps (MiniBit
# stopped): an aria2c leecher on every LEECHER, all started at the same moment, fetch the file
# from an aria2c seeder. Each one keeps seeding once it is complete, as MiniBit's daemons do,
# so the others can still fetch from it; its time is when its completion hook ran. All stop when
# the slowest is done, or after SECONDS.
aria2_swarm() {
  local run="$1" limit="$2" host machine0
  shift 2
  aria2_seed "$run"
  log "aria2: $# aria2c leechers at once on the same hosts"
  prime_page_cache "$run" "$(primer_mib "$(run_file_mib "$run")" $#)"
  process_cpu "$run" aria2_pid aria2_cpu_before
  machine0="$(machine_mark)"
  uplink_counters "$run" aria2_before seed "$@"
  fact "$run" aria2_t0 "$EPOCHREALTIME"
  for host in "$@"; do
    a2_start_swarm_leecher "$host" "$run/hosts/$host/aria2.log" "$run/files/$host/aria2" \
      "$run/aria2.torrent" "$run/aria2-complete.sh" "$run/hosts/$host/aria2_end"
  done
  aria2_await_leechers "$run" "$limit" "$@"
  process_cpu "$run" aria2_pid aria2_cpu_after
  machine_use "$run" aria2_ "$machine0"
  uplink_counters "$run" aria2_after seed "$@"
  aria2_finish "$run" "$@"
}

# aria2_await_leechers RUN SECONDS HOST...: waits until every HOST's aria2c has completed its
# download (its hook wrote aria2_end) or exited, for at most SECONDS.
aria2_await_leechers() {
  local run="$1" deadline=$((SECONDS + $2)) host pending
  local -A aria2c=()
  shift 2
  for host in "$@"; do aria2c[$host]="$(cat "$run/hosts/$host/aria2_pid")"; done
  while [ "$SECONDS" -lt "$deadline" ]; do
    pending=0
    for host in "$@"; do
      if [ ! -s "$run/hosts/$host/aria2_end" ] && kill -0 "${aria2c[$host]}" 2>/dev/null; then
        pending=1
        break
      fi
    done
    [ "$pending" = 1 ] || return 0
    sleep 0.1
  done
  log "aria2: not every leecher was done after $2 s"
}

# aria2_pair RUN: the reference between the pair's hosts (MiniBit stopped): aria2c on the leecher
# host fetches the file from an aria2c seeder and exits once its copy is complete
# (--seed-time=0), timed from its start to its exit like `minibit get`, and to the moment its
# completion hook ran.
aria2_pair() {
  local run="$1" machine0 rc=0
  aria2_seed "$run"
  log "aria2: the same file from an aria2c seeder to an aria2c leecher"
  prime_page_cache "$run" "$(primer_mib "$(run_file_mib "$run")" 1)"
  process_cpu "$run" aria2_pid aria2_cpu_before
  machine0="$(machine_mark)"
  fact "$run" aria2_t0 "$EPOCHREALTIME"
  a2_get "$run/hosts/l01/aria2.cpu" 600 l01 "$run/hosts/l01/aria2.log" "$run/files/l01/aria2" \
    "$run/aria2.torrent" "$run/aria2-complete.sh" "$run/hosts/l01/aria2_complete" || rc=$?
  echo "$EPOCHREALTIME" >"$run/hosts/l01/aria2_end"
  process_cpu "$run" aria2_pid aria2_cpu_after
  machine_use "$run" aria2_ "$machine0"
  fact "$run" aria2_rc "$rc"
  aria2_finish "$run" l01
}

# aria2_finish RUN LEECHER...: the seeder's and the leechers' upload counts (those still
# running), then every aria2 process stopped, then the SHA-256 of every leecher's copy.
aria2_finish() {
  local run="$1" host copy
  shift
  for host in seed "$@"; do a2_rpc_status "$host" "$run/hosts/$host/aria2_status.json"; done
  mb_stop_daemons
  for host in "$@"; do
    copy="$run/files/$host/aria2/bench.bin"
    [ ! -f "$copy" ] || sha256_of "$copy" >"$run/hosts/$host/aria2_sha256"
  done
}

# run_tracker_idle REP
run_tracker_idle() {
  local rep="$1" n=16 mib="${SIZE_MB:-4}" run infohash i machine0 threads specs=() leechers=()
  run="$(new_run "tracker-idle-r$rep" "$(run_bytes "$mib" "$n" 0)" $((n + 2)))"
  log "tracker-idle: 1 seeder and $n leechers fetch $mib MiB, then ${IDLE_SECONDS}s idle (run $rep)"
  for i in $(seq 1 "$n"); do
    leechers+=("$(leecher "$i")")
    specs+=("$(leecher "$i"):$((10 + i))")
  done
  hosts_up tracker:1 seed:10 "${specs[@]}"
  start_minibit "$run" "$DAEMON_JAVA_OPTS" "${leechers[@]}"
  fact "$run" mode tracker-idle
  fact "$run" n "$n"
  fact "$run" leechers "${leechers[*]}"
  infohash="$(share_file "$run" "$mib")"
  run_downloads "$run" get "$infohash" 600 "${leechers[@]}"
  verify_copies "$run" "${leechers[@]}"
  log "tracker-idle: ${IDLE_SECONDS}s of heartbeats"
  fact "$run" idle_t0 "$EPOCHREALTIME"
  daemon_cpu "$run" idle_cpu_before
  thread_cpu "$run/hosts/tracker" idle_threads_before
  machine0="$(machine_mark)"
  sleep "$IDLE_SECONDS"
  daemon_cpu "$run" idle_cpu_after
  thread_cpu "$run/hosts/tracker" idle_threads_after
  # Which of the tracker's threads used the window: its network thread's work, or the JVM's
  # own (compilers finishing the downloads' code, the collector).
  threads="$(join <(sort "$run/hosts/tracker/idle_threads_before") \
    <(sort "$run/hosts/tracker/idle_threads_after") \
    | awk '$5 > $3 { t[$2] += $5 - $3 } END { for (n in t) printf "%s:%d ", n, t[n] }')"
  fact "$run" idle_tracker_threads "${threads% }"
  log "tracker-idle: the tracker's threads that ran in the window (CPU ticks): ${threads% }"
  fact "$run" idle_end "$EPOCHREALTIME"
  machine_use "$run" idle_ "$machine0"
  report tracker-idle "$run"
  hosts_down
  drop_files "$run"
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
  run="$(new_run "memory-r$rep" "$(run_bytes "$mib" "$n" 0)" $((n + 2)))"
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
  drop_files "$run"
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
  run="$(new_run "capcheck-r$rep" "$(run_bytes "$mib" 0 0)" 0)"
  log "capcheck: raw TCP through a $CAP_MBIT Mbit/s tbf uplink (run $rep)"
  hosts_up seed:10 l01:11
  net_cap seed "$CAP_MBIT"
  mkdir -p "$run/hosts/seed" "$run/hosts/l01"
  file="$run/files/cap.bin"
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
  drop_files "$run"
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
  make_tmpfs_work
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
    case "$MODE" in
      tracker-idle | all) run_tracker_idle "$rep" ;;
    esac
  done
  log "results: $WORK/results.jsonl${OUT:+ and $OUT}"
}

main "$@"
