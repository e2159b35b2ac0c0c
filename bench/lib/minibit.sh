# shellcheck shell=bash
# Running MiniBit inside the benchmark's hosts: a tracker and peer daemons started with
# `ip netns exec`, readiness awaited with bounded polling, and the CLI run in the same namespace
# as the daemon it talks to, over the daemon's Unix socket (the default). Sourced by bench/run.sh,
# after lib/netns.sh.
#
# Globals: DIST (a copy of bin/ and the jars, see mb_snapshot), TRACKER_ADDR (host:port),
# DAEMON_JAVA_OPTS, TRACKER_JAVA_OPTS, PEER_ARGS, BENCH_DIR (for report.py); DAEMON_PIDS and
# DAEMON_LOGS grow as daemons start.

TRACKER_PORT=6969
# Each host's peer daemon's control socket, by host: the hosts share one file system.
declare -gA MB_SOCKETS
# The peer daemons' HTTP port (/metrics), their default.
HTTP_PORT=9881
DAEMON_PIDS=()
DAEMON_LOGS=()

# mb_snapshot ROOT DEST: copies the launchers and the three runnable jars into DEST/bin and
# DEST/lib (the launchers' installed layout), so a rebuild of the tree while the benchmark runs
# cannot swap or delete the jars under the running processes.
mb_snapshot() {
  local root="$1" dest="$2"
  mkdir -p "$dest/bin" "$dest/lib"
  cp -p "$root"/bin/* "$dest/bin/"
  cp -p "$root/tracker-svc/target/minibit-tracker.jar" "$root/peer-svc/target/minibit-peer.jar" \
    "$root/cli/target/minibit.jar" "$dest/lib/"
  "$root/scripts/cli-cds.sh" "$dest/lib/minibit.jar" "$dest/lib/minibit-peer.jar" \
    "$dest/lib/minibit-tracker.jar"
  # The daemons' archives too, as `make build` makes them: recorded for the copies' own paths.
  "$root/scripts/daemon-cds.sh" "$dest/lib/minibit-tracker.jar" "$dest/lib/minibit-peer.jar" \
    "$dest/lib/minibit.jar"
}

# The java process of a daemon started as $1: the launchers exec the JVM, so it is normally $1
# itself; if a launcher ever stops exec-ing, it is $1's java child.
mb_java_pid() {
  local pid="$1" exe child
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  if [[ "$exe" == */java ]]; then
    echo "$pid"
    return 0
  fi
  child="$(pgrep -P "$pid" -x java | head -n 1 || true)"
  [ -n "$child" ] || return 1
  echo "$child"
}

# mb_start_daemon HOST LOG JAVA_OPTS LAUNCHER ARGS...: starts a daemon in HOST's namespace with
# its output in LOG, and records it for mb_stop_daemons.
mb_start_daemon() {
  local host="$1" log="$2" opts="$3" launcher="$4"
  shift 4
  # A simple command, not a function, so that $! is the process that becomes the JVM (ip, env
  # and the launcher each exec the next) and mb_stop_daemons signals the JVM itself.
  ip netns exec "$(net_ns "$host")" env JAVA_OPTS="$opts" "$DIST/bin/$launcher" "$@" \
    >"$log" 2>&1 &
  DAEMON_PIDS+=("$!")
  DAEMON_LOGS+=("$log")
}

# mb_start_tracker HOST DIR
mb_start_tracker() {
  local host="$1" dir="$2"
  mkdir -p "$dir"
  mb_start_daemon "$host" "$dir/tracker.log" "$TRACKER_JAVA_OPTS" minibit-tracker \
    --port "$TRACKER_PORT" --data-dir "$dir/catalog"
}

# mb_start_peer HOST ADDRESS DIR DATA_DIR [JAVA_OPTS]: a peer daemon whose log and pid file are
# in DIR and whose data directory is DATA_DIR, with the words of PEER_ARGS as extra flags.
mb_start_peer() {
  local host="$1" address="$2" dir="$3" data="$4" opts="${5:-$DAEMON_JAVA_OPTS}"
  local -a extra
  read -r -a extra <<<"${PEER_ARGS:-}"
  mkdir -p "$dir" "$data"
  MB_SOCKETS[$host]="$dir/control.sock"
  mb_start_daemon "$host" "$dir/peer.log" "$opts" minibit-peer \
    --tracker "$TRACKER_ADDR" --advertise "$address" --data-dir "$data" \
    --control-socket "${MB_SOCKETS[$host]}" "${extra[@]}"
  echo "$!" >"$dir/pid"
}

# mb_cli HOST ARGS...: the minibit CLI in HOST's namespace, talking to that host's daemon. The
# CLI keeps its launcher's quick-start JVM options, not the daemons' big heap.
mb_cli() {
  local host="$1"
  shift
  net_exec "$host" env -u JAVA_OPTS "$DIST/bin/minibit" \
    --peer "unix:${MB_SOCKETS[$host]}" --tracker "$TRACKER_ADDR" "$@"
}

# mb_cli_timeout SECONDS HOST ARGS...: mb_cli, killed after SECONDS (exit status 124 then).
mb_cli_timeout() {
  local limit="$1" host="$2"
  shift 2
  timeout --kill-after=10 "$limit" ip netns exec "$(net_ns "$host")" env -u JAVA_OPTS \
    "$DIST/bin/minibit" --peer "unix:${MB_SOCKETS[$host]}" --tracker "$TRACKER_ADDR" "$@"
}

# mb_cli_timed CPU_FILE SECONDS HOST ARGS...: mb_cli_timeout, and the user and system CPU seconds
# of the CLI's JVM ("USER SYSTEM", from GNU time: the launchers exec the JVM) into CPU_FILE.
mb_cli_timed() {
  local file="$1" limit="$2" host="$3"
  shift 3
  /usr/bin/time -q -o "$file" -f '%U %S' timeout --kill-after=10 "$limit" \
    ip netns exec "$(net_ns "$host")" env -u JAVA_OPTS \
    "$DIST/bin/minibit" --peer "unix:${MB_SOCKETS[$host]}" --tracker "$TRACKER_ADDR" "$@"
}

# mb_metrics HOST FILE: the Prometheus text of HOST's peer daemon (/metrics) into FILE; no FILE
# if the daemon does not answer.
mb_metrics() {
  net_exec "$1" python3 "$BENCH_DIR/lib/report.py" http "http://127.0.0.1:$HTTP_PORT/metrics" \
    >"$2" 2>/dev/null || rm -f "$2"
}

# True once something accepts TCP connections on 127.0.0.1:PORT in HOST's namespace.
mb_port_open() {
  net_exec "$1" bash -c "exec 3<>/dev/tcp/127.0.0.1/$2" 2>/dev/null
}

# Fails with the log's tail if the daemon recorded at index $1 has exited.
mb_check_alive() {
  local i="$1"
  if ! kill -0 "${DAEMON_PIDS[$i]}" 2>/dev/null; then
    echo "bench: a daemon exited early; the end of ${DAEMON_LOGS[$i]}:" >&2
    tail -n 30 "${DAEMON_LOGS[$i]}" >&2
    return 1
  fi
}

# mb_await WHAT SECONDS CMD...: polls CMD every 0.2 s until it succeeds, for at most SECONDS;
# every daemon must stay alive meanwhile.
mb_await() {
  local what="$1" limit="$2" deadline i
  shift 2
  deadline=$((SECONDS + limit))
  while ! "$@" >/dev/null 2>&1; do
    for i in "${!DAEMON_PIDS[@]}"; do mb_check_alive "$i" || return 1; done
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "bench: timed out after ${limit}s waiting for $what" >&2
      return 1
    fi
    sleep 0.2
  done
}

# mb_await_tracker HOST: the tracker in HOST's namespace answers `minibit torrents`.
mb_await_tracker() {
  local host="$1"
  mb_await "the tracker's port" 120 mb_port_open "$host" "$TRACKER_PORT"
  mb_await "the tracker" 60 net_exec "$host" env -u JAVA_OPTS "$DIST/bin/minibit" torrents \
    --tracker "127.0.0.1:$TRACKER_PORT"
}

# mb_await_peers HOST...: each host's daemon answers `minibit status`. The socket is polled first
# (cheap); the CLI, a JVM start, confirms once per host.
mb_await_peers() {
  local host
  for host in "$@"; do
    mb_await "the control socket of $host" 180 test -S "${MB_SOCKETS[$host]}"
  done
  for host in "$@"; do
    mb_await "the peer daemon of $host" 60 mb_cli "$host" status
  done
}

# Stops every recorded daemon: SIGTERM, up to 15 s to exit, then SIGKILL.
mb_stop_daemons() {
  local pid deadline
  for pid in "${DAEMON_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + 15))
  for pid in "${DAEMON_PIDS[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  DAEMON_PIDS=()
  DAEMON_LOGS=()
}
