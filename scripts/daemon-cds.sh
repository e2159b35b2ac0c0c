#!/usr/bin/env bash
# Usage: scripts/daemon-cds.sh TRACKER_JAR PEER_JAR CLI_JAR
# Writes a class-data archive beside each daemon's jar (minibit-tracker.jar ->
# minibit-tracker.jsa, minibit-peer.jar -> minibit-peer.jsa): the classes the daemon loads while
# it works, not only while it starts. The training is a small swarm on loopback, on ports the
# system picks: a tracker, a peer that shares a file of MINIBIT_CDS_TRAIN_MIB (32) MiB, and the
# trainee peer, which downloads that file from it and from a third peer downloading it at the
# same time, then shares one of its own, which the two others download. The tracker and the
# trainee are then stopped with SIGTERM, and their JVMs write the archives as they exit.
# bin/launch.sh uses an archive beside a jar, and the JVM ignores it once the jar changes. The
# archive records the jar's path: a copied jar needs its own.
#
# If the training fails, the daemons get no archive (they start without one) and the script
# says why; it exits 0 either way.
set -u
usage="usage: $0 TRACKER_JAR PEER_JAR CLI_JAR"
# Absolute: the archive records the class path as given, and a relative one would resolve
# only from the directory the archive was made in.
tracker_jar="$(readlink -f "${1:?$usage}")"
peer_jar="$(readlink -f "${2:?$usage}")"
cli_jar="$(readlink -f "${3:?$usage}")"
tracker_archive="${tracker_jar%.jar}.jsa"
peer_archive="${peer_jar%.jar}.jsa"
size_mib="${MINIBIT_CDS_TRAIN_MIB:-32}"
aot_mib="${MINIBIT_AOT_TRAIN_MIB:-64}"
java="${JAVA:-java}"
# C1 alone: the JIT does not change which classes load, and C2 would only add to the CPU.
quick=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto)
# The CLI's own archive, when there is one (scripts/cli-cds.sh): a third of each command's CPU.
cli_cds=()
if [ -r "${cli_jar%.jar}.jsa" ]; then
  cli_cds=(-XX:SharedArchiveFile="${cli_jar%.jar}.jsa" -Xlog:disable -Xlog:all=error:stderr)
fi
rm -f "$tracker_archive" "$peer_archive"

work="$(mktemp -d "${TMPDIR:-/tmp}/minibit-daemon-cds.XXXXXX")"
pids=()
trained=""
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  if [ -z "$trained" ]; then
    # A half-trained archive is no better than none, and one JVM may have written it.
    rm -f "$tracker_archive" "$peer_archive"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
  echo "note: no class-data archives for the daemons (training failed: $*); they start" \
    "without one" >&2
  if [ -n "${last_log:-}" ] && [ -s "$last_log" ]; then
    tail -n 5 "$last_log" | sed 's/^/  | /' >&2
  fi
  exit 0
}

# The JVM and its flags for the daemons start runs (the AOT cache's trainee runs on another).
jvm=("$java" "${quick[@]}")

# start NAME ARCHIVE JAR ARGS...: a daemon in the background on $jvm, its output in
# $work/NAME.log; an ARCHIVE other than "-" makes it a trainee. Sets $pid.
start() {
  local name="$1" archive="$2" jar="$3"
  shift 3
  local dump=()
  [ "$archive" = - ] || dump=(-XX:ArchiveClassesAtExit="$archive")
  "${jvm[@]}" "${dump[@]}" -jar "$jar" "$@" >"$work/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
}

# start_tracker ARCHIVE ON_FAILURE: the swarm's tracker (see start), awaited until it listens;
# sets $tracker_pid and $tracker, its address.
start_tracker() {
  start tracker "$1" "$tracker_jar" --port 0 --http-port 0 --data-dir "$work/tracker"
  tracker_pid=$pid
  last_log="$work/tracker.log"
  tracker_port="$(port tracker "$tracker_pid" \
    '.*minibit-tracker listening on port \([0-9]*\).*')" || "$2" "the tracker did not start"
  tracker=127.0.0.1:$tracker_port
}

# start_peer NAME ARCHIVE: a peer of the swarm (see start), its data in $work/NAME and its
# control socket $work/NAME.sock; sets peer_pid[NAME].
start_peer() {
  mkdir -p "$work/$1"
  start "$1" "$2" "$peer_jar" --tracker "$tracker" --advertise 127.0.0.1 --port 0 \
    --control-socket "$work/$1.sock" --http-port 0 --data-dir "$work/$1"
  peer_pid[$1]=$pid
}

# port NAME PID PATTERN: the first value PATTERN (a sed expression with one group) finds in
# NAME's log, awaited with a bound; fails if the daemon exits first.
port() {
  local name="$1" pid="$2" pattern="$3" found
  for _ in $(seq 1 300); do
    found="$(sed -n "s/$pattern/\1/p" "$work/$name.log" | head -n 1)"
    if [ -n "$found" ]; then
      echo "$found"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# cli NAME ARGS...: one CLI command, bounded, its output in $work/NAME.out and .err.
cli() {
  local name="$1"
  shift
  last_log="$work/$name.err"
  timeout --kill-after=5 60 "$java" "${quick[@]}" "${cli_cds[@]}" -jar "$cli_jar" "$@" \
    >"$work/$name.out" 2>"$work/$name.err"
}

# stop PID: SIGTERM and wait, bounded: a trainee writes its archive on the way out.
stop() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && return 1
  wait "$pid" 2>/dev/null
  return 0
}

# workload ON_FAILURE MIB BLOCK_SIZE: the trainee's work in a swarm of three peers, once they
# listen. The other peer shares a file of MIB MiB in blocks of BLOCK_SIZE bytes (0: the daemon's
# choice); the trainee and the third peer download it at once, the trainee from both and serving
# the third. Then the trainee shares a file of its own, which the two others download at once.
# ON_FAILURE (fail or aot_note) is called with the reason, and exits.
workload() {
  local on_failure="$1" mib="$2" block="$3" name
  for name in other third trainee; do
    last_log="$work/$name.log"
    control[$name]="$(port "$name" "${peer_pid[$name]}" \
      '.*(control \(unix:[^ )]*\)).*')" || "$on_failure" "peer $name did not start"
  done
  other=(--peer "${control[other]}")
  third=(--peer "${control[third]}")
  trainee=(--peer "${control[trainee]}")
  head -c "$((mib * 1024 * 1024))" /dev/urandom >"$work/other/theirs.bin"
  head -c "$((mib * 1024 * 1024))" /dev/urandom >"$work/trainee/own.bin"
  cli share-theirs "${other[@]}" share --block-size "$block" "$work/other/theirs.bin" \
    || "$on_failure" "a peer could not share its file"
  both "$on_failure" "the peer daemon could not download a file" \
    get-theirs "${trainee[@]}" get-theirs-3 "${third[@]}" "$(cat "$work/share-theirs.out")"
  cli share-own "${trainee[@]}" share --block-size "$block" "$work/trainee/own.bin" \
    || "$on_failure" "the peer daemon could not share its file"
  both "$on_failure" "the peers could not download the peer daemon's file" \
    get-own "${other[@]}" get-own-3 "${third[@]}" "$(cat "$work/share-own.out")"
  cli status "${trainee[@]}" status || "$on_failure" "the peer daemon's status failed"
}

# both ON_FAILURE WHY NAME1 --peer P1 NAME2 --peer P2 TORRENT: two gets of TORRENT at once.
both() {
  local on_failure="$1" why="$2" first
  cli "$3" "$4" "$5" get --no-peers-timeout 30 "$9" &
  first=$!
  cli "$6" "$7" "$8" get --no-peers-timeout 30 "$9" || "$on_failure" "$why"
  wait "$first" || "$on_failure" "$why"
}

declare -A peer_pid control
start_tracker "$tracker_archive" fail
start_peer other -
start_peer third -
start_peer trainee "$peer_archive"
workload fail "$size_mib" 0
cli torrents --tracker "$tracker" torrents || fail "the tracker's catalog could not be listed"

last_log=""
stop "${peer_pid[trainee]}" || fail "the peer daemon did not stop"
stop "${peer_pid[other]}" || fail "a peer did not stop"
stop "${peer_pid[third]}" || fail "a peer did not stop"
stop "$tracker_pid" || fail "the tracker did not stop"
[ -s "$peer_archive" ] || fail "the peer daemon wrote no archive"
[ -s "$tracker_archive" ] || fail "the tracker wrote no archive"
trained=yes

# The peer's AOT cache (minibit-peer.aot, and minibit-peer.aot.java naming the JVM that made it),
# where a Java 25 or later is found: MINIBIT_AOT_JAVA (none: no cache), else the newest under
# /usr/lib/jvm. The same swarm again, the trainee on that JVM with the launcher's own flags,
# recording (-XX:AOTMode=record); the cache is then made from the recording. bin/minibit-peer
# runs the daemon on that JVM with the cache (see launch.sh), and the methods compiled in
# training are compiled there as soon as their class is initialized. So the training is made to
# compile what a download in a swarm runs: files of MINIBIT_AOT_TRAIN_MIB (64) MiB in 16 KiB
# blocks, so that the code of each GetBlocks call, made and served, runs a few hundred times
# (a call carries up to 16 blocks on loopback, one or two in a capped swarm), and three peers for
# the code that weighs and ranks several sources. Not with C1's thresholds lowered in training:
# every method compiled in training is queued for C1 as its class is initialized, and a few
# thousand more of them, each run a few dozen times, kept the daemons' C1 busy for minutes, the
# hot code waiting behind them. Without such a JVM, or if this training fails, there is no cache
# and the daemon runs as before.
peer_aot="${peer_jar%.jar}.aot"
rm -f "$peer_aot" "$peer_aot.java"

# aot_java: the JVM for the cache, or nothing.
aot_java() {
  if [ -n "${MINIBIT_AOT_JAVA:-}" ]; then
    [ "$MINIBIT_AOT_JAVA" != none ] && [ -x "$MINIBIT_AOT_JAVA" ] && echo "$MINIBIT_AOT_JAVA"
    return 0
  fi
  local release major best="" best_major=24
  for release in /usr/lib/jvm/*/release; do
    [ -r "$release" ] || continue
    major="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")"
    if [ -n "$major" ] && [ "$major" -gt "$best_major" ] && [ -x "${release%/release}/bin/java" ]
    then
      best="${release%/release}/bin/java"
      best_major="$major"
    fi
  done
  [ -n "$best" ] && echo "$best"
  return 0
}

# launcher_flags: the JVM flags bin/minibit-peer gives the daemon (one per line), asked of the
# launcher itself through a JAVA that prints them (those before -cp, or -jar); its class-data
# archive flags left out.
launcher_flags() {
  local dir="${peer_jar%/*}" launcher
  case "$dir" in
    */lib) launcher="${dir%/lib}/bin/minibit-peer" ;;
    */peer-svc/target) launcher="${dir%/peer-svc/target}/bin/minibit-peer" ;;
    *) return 1 ;;
  esac
  [ -x "$launcher" ] || return 1
  printf '#!/bin/sh\nprintf "%%s\\n" "$@"\n' >"$work/print-args"
  chmod +x "$work/print-args"
  JAVA="$work/print-args" JAVA_OPTS="" "$launcher" --port 0 | sed -n '/^-cp$/q;/^-jar$/q;p' \
    | grep -v -e '^-XX:SharedArchiveFile=' -e '^-Xlog:'
}

aot_note() {
  echo "note: no AOT cache for the peer daemon ($*); it runs on the default JVM" >&2
  rm -f "$peer_aot" "$peer_aot.java"
  exit 0
}

aot_jvm="$(aot_java)"
[ -n "$aot_jvm" ] || exit 0
mapfile -t aot_flags < <(launcher_flags) || true
[ "${#aot_flags[@]}" -gt 0 ] || aot_note "the launcher's flags could not be read"
rm -rf "$work/tracker" "$work/other" "$work/third" "$work/trainee" "$work"/*.sock
pids=()
start_tracker - aot_note
start_peer other -
start_peer third -
# As launch.sh runs the daemon on that JVM: Netty's native library and sun.misc.Unsafe allowed.
aot_jvm_flags=("${aot_flags[@]}" --enable-native-access=ALL-UNNAMED
  --sun-misc-unsafe-memory-access=allow)
jvm=("$aot_jvm" "${aot_jvm_flags[@]}" -XX:AOTMode=record -XX:AOTConfiguration="$work/peer.aotconf")
start_peer trainee -
workload aot_note "$aot_mib" 16384
stop "${peer_pid[trainee]}" || aot_note "the trainee did not stop"
stop "${peer_pid[other]}"
stop "${peer_pid[third]}"
stop "$tracker_pid"
[ -s "$work/peer.aotconf" ] || aot_note "the trainee recorded nothing"
if ! "$aot_jvm" "${aot_jvm_flags[@]}" -XX:AOTMode=create -XX:AOTConfiguration="$work/peer.aotconf" \
    -XX:AOTCache="$peer_aot" -jar "$peer_jar" >"$work/aot-create.log" 2>&1; then
  tail -n 3 "$work/aot-create.log" >&2
  aot_note "the cache could not be made"
fi
echo "$aot_jvm" >"$peer_aot.java"
