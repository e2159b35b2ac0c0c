#!/usr/bin/env bash
# Usage: scripts/cli-cds.sh CLI_JAR [PEER_JAR]
# Writes a class-data archive beside the CLI jar (minibit.jar -> minibit.jsa): the classes one
# command loads. Given the peer daemon's jar, the commands are a `minibit status` and a
# `minibit get` against a daemon started here for the purpose, so the archive holds what calls
# that reach their daemon load (an eighth less CPU for a `minibit get` than the archive of a
# call that fails to connect, which is the fallback without PEER_JAR or when that daemon does
# not start).
# The archive is a static one (-Xshare:dump over the classes the commands loaded), not one
# written at a command's exit: only a static archive holds classes compiled for Java 5 and 6,
# which picocli's are, so a command costs about a tenth less CPU than with a dynamic one.
# bin/minibit uses the archive if present, and the JVM ignores it once the jar changes. The
# archive records the jar's path: a copied jar needs its own.
set -u
# Absolute: the archive records the class path as given, and a relative one would resolve
# only from the directory the archive was made in.
jar="$(readlink -f "${1:?usage: $0 CLI_JAR [PEER_JAR]}")"
peer_jar="${2:-}"
archive="${jar%.jar}.jsa"
java="${JAVA:-java}"
rm -f "$archive"

work="$(mktemp -d "${TMPDIR:-/tmp}/minibit-cds.XXXXXX")"
daemon=""
cleanup() {
  if [ -n "$daemon" ]; then
    kill "$daemon" 2>/dev/null
    wait "$daemon" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# control_target: where the daemon started for the training takes control calls (its Unix
# socket, as the CLI reaches a daemon by default), once it listens (bounded wait); fails if it
# does not start.
control_target() {
  local target
  for _ in $(seq 1 150); do
    target="$(sed -n 's/.*(control \(unix:[^ )]*\)).*/\1/p' "$work/peer.log")"
    if [ -n "$target" ]; then
      echo "$target"
      return 0
    fi
    kill -0 "$daemon" 2>/dev/null || return 1
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
if [ -n "$peer_jar" ]; then
  # Ports the system picks, and a tracker address nobody answers: the daemon only has to take
  # control calls (the `get` ends at once, on the tracker nobody answers).
  "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$peer_jar" --port 0 \
    --control-socket "$work/control.sock" --http-port 0 --data-dir "$work/data" \
    --tracker 127.0.0.1:9 >"$work/peer.log" 2>&1 &
  daemon=$!
  if target="$(control_target)"; then
    record --peer "$target" status
    record --peer "$target" get minibit-cds -o "$work/data"
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
