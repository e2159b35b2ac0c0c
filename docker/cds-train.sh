#!/bin/sh
# Run at image build time: starts a daemon once, until it listens, and stops it, so that the JVM
# writes the classes it loaded to an AppCDS archive. Started with -XX:SharedArchiveFile=ARCHIVE,
# the daemon then listens in about half the time (the classes come mapped, already parsed).
# A JVM that cannot use the archive (another JDK, other options) warns and starts without it.
#
# Usage: cds-train.sh ARCHIVE JAR ARGS...
set -eu
archive="$1"
jar="$2"
shift 2
log="$(mktemp)"
java -XX:ArchiveClassesAtExit="$archive" -XX:+UseSerialGC -jar "$jar" "$@" >"$log" 2>&1 &
pid=$!
tries=0
until grep -q "listening on port" "$log"; do
  tries=$((tries + 1))
  if [ "$tries" -gt 600 ] || ! kill -0 "$pid" 2>/dev/null; then
    cat "$log" >&2
    echo "cds-train: $jar did not start listening" >&2
    kill -KILL "$pid" 2>/dev/null || true
    exit 1
  fi
  sleep 0.1
done
kill -TERM "$pid"
wait "$pid" || true
test -s "$archive"
rm -f "$log"
