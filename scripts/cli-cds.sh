#!/usr/bin/env bash
# Usage: scripts/cli-cds.sh CLI_JAR [PEER_JAR]
# Writes a class-data archive beside the CLI jar (minibit.jar -> minibit.jsa): the classes one
# command loads. Given the peer daemon's jar, the command is a `minibit status` against a daemon
# started here for the purpose, so the archive holds what a call that reaches its daemon loads
# (an eighth less CPU for a `minibit get` than the archive of a call that fails to connect,
# which is the fallback without PEER_JAR or when that daemon does not start).
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

# control_port: the control port of the daemon started for the training, once it listens
# (bounded wait); fails if it does not start.
control_port() {
  local port
  for _ in $(seq 1 150); do
    port="$(sed -n 's/.*(control 127\.0\.0\.1:\([0-9]*\)).*/\1/p' "$work/peer.log")"
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    kill -0 "$daemon" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

command=(--tracker 127.0.0.1:9 torrents)
if [ -n "$peer_jar" ]; then
  # Ports the system picks, and a tracker address nobody answers: the daemon only has to take
  # one control call.
  "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$peer_jar" --port 0 --control-port 0 \
    --http-port 0 --data-dir "$work/data" --tracker 127.0.0.1:9 >"$work/peer.log" 2>&1 &
  daemon=$!
  if port="$(control_port)"; then
    command=(--peer "127.0.0.1:$port" status)
  else
    echo "note: the peer daemon for the CLI's class-data archive did not start; training" \
      "against no daemon" >&2
  fi
fi
"$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ArchiveClassesAtExit="$archive" \
  -jar "$jar" "${command[@]}" >/dev/null 2>&1
[ -f "$archive" ] || echo "note: no class-data archive for $jar (the CLI starts without one)" >&2
exit 0
