# shellcheck shell=bash
# Hosts for the end-to-end suite, each with a Docker engine of its own. The hosts are network
# namespaces joined by a bridge (bench/lib/netns.sh, sourced before this file); a dockerd is
# started inside each one with `nsenter --net` (not `ip netns exec`, whose fresh /sys hides the
# cgroup mounts dockerd needs), so `docker run --network host` against that engine puts the
# container on that host's network, exactly as on a machine of its own.
#
# Globals: E2E_RUN (short directory for sockets and engine state, e.g. /run/mbe2e), WORK (data).

E2E_RUN="${E2E_RUN:-/run/mbe2e}"

# The socket of HOST's engine.
host_socket() { echo "$E2E_RUN/$1.sock"; }

# host_docker HOST ARGS...: the docker client, talking to HOST's engine.
host_docker() {
  local host="$1"
  shift
  docker -H "unix://$(host_socket "$host")" "$@"
}

# host_engine_start HOST: starts HOST's dockerd (no bridge, no iptables: its containers use the
# host network only) and waits until it answers.
host_engine_start() {
  local host="$1" ns
  ns="$(net_ns "$host")"
  mkdir -p "$E2E_RUN/$host" "$WORK/$host"
  nsenter --net="/run/netns/$ns" setsid dockerd \
    --data-root "$WORK/$host/engine" --exec-root "$E2E_RUN/$host" \
    --pidfile "$E2E_RUN/$host.pid" --host "unix://$(host_socket "$host")" \
    --bridge=none --iptables=false --ip-masq=false --ip-forward=false \
    >"$WORK/$host/dockerd.log" 2>&1 </dev/null &
  await "the Docker engine of $host" 60 host_docker "$host" info
}

# host_engines_stop: removes every container of every engine started from $E2E_RUN, stops the
# engines and unmounts what they leave behind. Idempotent; also cleans up after a run that was
# killed before it could.
host_engines_stop() {
  local pidfile host pid mount
  for pidfile in "$E2E_RUN"/*.pid; do
    [ -e "$pidfile" ] || continue
    host="$(basename "$pidfile" .pid)"
    # shellcheck disable=SC2046 # one word per container id
    timeout 60 docker -H "unix://$(host_socket "$host")" rm -f \
      $(timeout 10 docker -H "unix://$(host_socket "$host")" ps -aq 2>/dev/null) \
      >/dev/null 2>&1 || true
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
  # The engines' network namespace handles and any overlay left mounted, innermost first.
  awk -v run="$E2E_RUN/" -v work="${WORK:-/nonexistent}/" \
    'index($2, run) == 1 || index($2, work) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
  rm -rf "$E2E_RUN"
}

# host_port_open HOST PORT: true once something accepts TCP connections on 127.0.0.1:PORT in
# HOST's namespace.
host_port_open() {
  nsenter --net="/run/netns/$(net_ns "$1")" bash -c "exec 3<>/dev/tcp/127.0.0.1/$2" 2>/dev/null
}

# await WHAT SECONDS CMD...: polls CMD every 0.2 s until it succeeds, for at most SECONDS.
await() {
  local what="$1" limit="$2" deadline
  shift 2
  deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "e2e: timed out after ${limit}s waiting for $what" >&2
      return 1
    fi
    sleep 0.2
  done
}

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }
