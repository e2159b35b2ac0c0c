#!/usr/bin/env bash
# Usage: scripts/cli-cds.sh CLI_JAR [PEER_JAR [TRACKER_JAR]]
# Writes a class-data archive beside the CLI jar (minibit.jar -> minibit.jsa): the classes the
# commands load. Given the peer daemon's jar, the commands talk to a daemon started here for the
# purpose, so the archive holds what calls that reach their daemon load (an eighth less CPU for
# a `minibit get` than the archive of a call that fails to connect, which is the fallback without
# PEER_JAR or when that daemon does not start). Given the tracker's jar too, that daemon has a
# tracker of its own, and the training goes the whole way: `minibit share` of a small file and a
# `minibit get` of it that completes, with its progress line and its summary, then `minibit
# torrents`. Without it, the `get` ends at once on a tracker nobody answers.
# The archive is a static one (-Xshare:dump over the classes the commands loaded), not one
# written at a command's exit: only a static archive holds classes compiled for Java 5 and 6,
# which picocli's are, so a command costs about a tenth less CPU than with a dynamic one.
# bin/minibit uses the archive if present, and the JVM ignores it once the jar changes. The
# archive records the jar's path: a copied jar needs its own.
set -u
# Absolute: the archive records the class path as given, and a relative one would resolve
# only from the directory the archive was made in.
jar="$(readlink -f "${1:?usage: $0 CLI_JAR [PEER_JAR [TRACKER_JAR]]}")"
peer_jar="${2:-}"
tracker_jar="${3:-}"
archive="${jar%.jar}.jsa"
java="${JAVA:-java}"
rm -f "$archive"

work="$(mktemp -d "${TMPDIR:-/tmp}/minibit-cds.XXXXXX")"
daemons=()
cleanup() {
  local pid
  for pid in "${daemons[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${daemons[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# logged PID LOG SED_SCRIPT: what SED_SCRIPT prints of LOG once it prints something (bounded
# wait); fails if the daemon PID exits first or it takes too long.
logged() {
  local pid="$1" log="$2" script="$3" value
  for _ in $(seq 1 150); do
    value="$(sed -n "$script" "$log")"
    if [ -n "$value" ]; then
      echo "$value"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# record ARGS...: appends the classes `minibit ARGS...` loads, in the order it loads them, to
# $work/all.classes.
record() {
  "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:off \
    -XX:DumpLoadedClassList="$work/command.classes" -jar "$jar" "$@" >/dev/null 2>&1
  cat "$work/command.classes" >>"$work/all.classes" 2>/dev/null
}

trained=""
tracker="" # HOST:PORT of the tracker started here, if one is
if [ -n "$peer_jar" ] && [ -n "$tracker_jar" ]; then
  "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$tracker_jar" --port 0 \
    --http-port 0 --data-dir "$work/tracker" >"$work/tracker.log" 2>&1 &
  daemons+=($!)
  if port="$(logged "$!" "$work/tracker.log" 's/^minibit-tracker listening on port \([0-9]*\).*/\1/p')"; then
    tracker="127.0.0.1:$port"
  else
    echo "note: the tracker for the CLI's class-data archive did not start; training without" \
      "one" >&2
  fi
fi
if [ -n "$peer_jar" ]; then
  # Ports the system picks; without a tracker of its own, one at an address nobody answers (a
  # `get` then ends at once).
  "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$peer_jar" --port 0 \
    --control-socket "$work/control.sock" --http-port 0 --data-dir "$work/data" \
    --advertise 127.0.0.1 --tracker "${tracker:-127.0.0.1:9}" >"$work/peer.log" 2>&1 &
  daemons+=($!)
  # where the daemon takes control calls: its Unix socket, as the CLI reaches a daemon by default
  if target="$(logged "$!" "$work/peer.log" 's/.*(control \(unix:[^ )]*\)).*/\1/p')"; then
    record --peer "$target" status
    if [ -n "$tracker" ]; then
      head -c 300000 /dev/urandom >"$work/data/minibit-cds.bin"
      record --peer "$target" share "$work/data/minibit-cds.bin"
      record --peer "$target" get minibit-cds.bin
      record --peer "$target" torrents
    fi
    record --peer "$target" get minibit-cds-missing -o "$work/data"
    trained=yes
  else
    echo "note: the peer daemon for the CLI's class-data archive did not start; training" \
      "against no daemon" >&2
  fi
fi
[ -n "$trained" ] || record --tracker 127.0.0.1:9 torrents
# Each class once, in the order it was first loaded.
awk '!seen[$0]++' "$work/all.classes" >"$work/classes" 2>/dev/null
# The JVM says which classes it cannot archive (JFR's, a logger whose library is absent);
# those start as they would without an archive. Its log is shown only when it fails. G1, as
# bin/minibit runs: only then does the archive hold the heap objects (the module graph), on any
# machine the JVM would otherwise give the serial collector.
if ! "$java" -XX:+UseG1GC -Xshare:dump -XX:SharedClassListFile="$work/classes" \
    -XX:SharedArchiveFile="$archive" -cp "$jar" >"$work/dump.log" 2>&1; then
  tail -n 5 "$work/dump.log" >&2
  rm -f "$archive"
fi
[ -f "$archive" ] || echo "note: no class-data archive for $jar (the CLI starts without one)" >&2
exit 0
