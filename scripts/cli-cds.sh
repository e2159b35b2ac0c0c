#!/usr/bin/env bash
# Usage: scripts/cli-cds.sh CLI_JAR
# Writes a class-data archive beside the CLI jar (minibit.jar -> minibit.jsa): the classes one
# command loads, recorded by a run against a port nobody listens on (it fails, as expected).
# bin/minibit uses the archive if present, and the JVM ignores it once the jar changes. The
# archive records the jar's path: a copied jar needs its own.
set -u
jar="${1:?usage: $0 CLI_JAR}"
archive="${jar%.jar}.jsa"
rm -f "$archive"
"${JAVA:-java}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ArchiveClassesAtExit="$archive" \
  -jar "$jar" --tracker 127.0.0.1:9 torrents >/dev/null 2>&1
[ -f "$archive" ] || echo "note: no class-data archive for $jar (the CLI starts without one)" >&2
exit 0
