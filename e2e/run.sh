#!/usr/bin/env bash
# MiniBit end to end, deployed the way README.md tells users to: the real images, a tracker on
# one host and a peer on each of four others, each started with `docker run --network host`
# against that host's own Docker engine; then two trackers on one Redis (two more hosts, one for
# the second tracker, one for Redis); then the docker-compose.yml on this machine's engine.
# Hosts are Linux network namespaces on 10.78.0.0/24 joined by a bridge in a namespace of its
# own, every peer's upload capped with tc tbf. Needs root, a running dockerd with the images
# (`make e2e` sees to both). Everything is torn down afterwards, also on failure or Ctrl-C.
#
# Cases:
#   swarm      a file shared on peer1 is fetched by peer2-4 at once; bytes checked (SHA-256);
#              every container's HEALTHCHECK reports healthy
#   peer-stop  peer3's container is stopped mid-download; peer2 and peer4 still finish; peer3,
#              started again, resumes from the blocks it had and finishes
#   tracker-restart
#              the tracker's container is restarted mid-swarm; the downloads finish, the
#              catalog is still there and every peer is back in the swarm
#   two-trackers
#              trackers A (host tracker) and B (host tracker-b) on one Redis (host redis); a
#              file shared through A alone is fetched through B alone; A is killed
#              (docker kill); peers given both trackers still fetch it, and list the catalog,
#              through B; bytes checked
#   compose    docker-compose.yml: two trackers on one Redis and three peers; share on peer1,
#              fetch on peer2, kill tracker-a, fetch on peer3, with the README's
#              `docker-compose` lines; bytes checked
#
# Environment: E2E_SIZE_MB (file size, default 48), E2E_CAP_MBIT (upload cap of every peer,
# default 80), E2E_KEEP=1 (keep the work directory), TRACKER_IMAGE, PEER_IMAGE, REDIS_IMAGE.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

E2E_DIR="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
ROOT="$(cd "$E2E_DIR/.." && pwd)"
NET_PREFIX=mbe2e
NET_SUBNET=10.78.0
# shellcheck source=../bench/lib/netns.sh
source "$ROOT/bench/lib/netns.sh"
# shellcheck source=lib/hosts.sh
source "$E2E_DIR/lib/hosts.sh"

TRACKER_IMAGE="${TRACKER_IMAGE:-minibit/tracker:latest}"
PEER_IMAGE="${PEER_IMAGE:-minibit/peer:latest}"
REDIS_IMAGE="${REDIS_IMAGE:-minibit/redis:latest}"
SIZE_MB="${E2E_SIZE_MB:-48}"
CAP_MBIT="${E2E_CAP_MBIT:-80}"
TRACKER_ADDR="$NET_SUBNET.1:6969"
# The second tracker and Redis of the two-trackers case (the first is on host tracker).
TRACKER_B_ADDR="$NET_SUBNET.3:6969"
REDIS_ADDR="$NET_SUBNET.2:6379"
PEERS=(peer1 peer2 peer3 peer4)
HOSTS=(tracker redis tracker-b "${PEERS[@]}")
COMPOSE=(docker-compose -p minibit-e2e -f "$ROOT/docker-compose.yml")
# The compose trackers' ports on this machine: not 6969 and 6970, which a user's own trackers
# may hold.
export MINIBIT_TRACKER_PORT="${E2E_COMPOSE_TRACKER_PORT:-16969}"
export MINIBIT_TRACKER_B_PORT="${E2E_COMPOSE_TRACKER_B_PORT:-16970}"

PASSED=0
OK=0
COMPOSE_UP=0
START=$SECONDS

say() { printf '%s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "e2e: FAILED: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces, a Docker engine per host)"
for image in "$TRACKER_IMAGE" "$PEER_IMAGE" "$REDIS_IMAGE"; do
  docker image inspect "$image" >/dev/null 2>&1 || fail "image $image is missing: run 'make images'"
done
exec 9>/run/minibit-e2e.lock
flock -n 9 || fail "another e2e run holds /run/minibit-e2e.lock"

WORK="$(mktemp -d /var/tmp/minibit-e2e.XXXXXX)"

# Saves every container's log, removes the containers, engines, namespaces and compose project;
# keeps the logs (not the engines' data) when the run failed.
cleanup() {
  local host
  set +e
  for host in "${HOSTS[@]}"; do
    [ -S "$(host_socket "$host")" ] || continue
    for name in minibit-tracker minibit-peer minibit-redis; do
      timeout 20 docker -H "unix://$(host_socket "$host")" logs "$name" >"$WORK/$host/$name.log" 2>&1 ||
        rm -f "$WORK/$host/$name.log"
    done
  done
  if [ "$COMPOSE_UP" -eq 1 ]; then
    (cd "$ROOT" && timeout 30 "${COMPOSE[@]}" logs --no-color >"$WORK/compose.log" 2>&1)
  fi
  # Also when this run did not get as far: a killed earlier run may have left the project up.
  (cd "$ROOT" && timeout 120 "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1)
  host_engines_stop
  net_teardown
  if [ "$OK" -ne 1 ]; then
    echo "e2e: $PASSED passed, 1 failed" >&2
  fi
  if [ "$OK" -eq 1 ] && [ "${E2E_KEEP:-0}" != 1 ]; then
    rm -rf "$WORK"
  else
    rm -rf "$WORK"/*/engine "$WORK/images.tar" "$WORK/redis.tar" "$WORK"/*/data
    if [ "$OK" -ne 1 ]; then
      for log in "$WORK"/*/minibit-*.log "$WORK/compose.log"; do
        [ -s "$log" ] || continue
        echo "--- the end of $log" >&2
        tail -n 25 "$log" >&2
      done
    fi
    echo "e2e: logs kept in $WORK" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# minibit HOST ARGS...: the CLI inside HOST's peer container, as `docker exec` runs it.
minibit() {
  local host="$1"
  shift
  host_docker "$host" exec minibit-peer minibit "$@"
}

# Blocks of NAME that HOST's peer has verified so far, read from the bitfield beside its .part
# file (one bit a block).
blocks_held() {
  # the part files carry 16 hex digits of the infohash: NAME.<hex>.part.bitfield
  local file
  file="$(find "$WORK/$1/data" -maxdepth 1 -name "$2.*.part.bitfield" | head -n 1)"
  [ -n "$file" ] && [ -f "$file" ] || { echo 0; return; }
  od -An -v -tu1 "$file" | awk '{ for (i = 1; i <= NF; i++) for (b = $i; b > 0; b = int(b / 2)) n += b % 2 }
    END { print n + 0 }'
}

# True once HOST's peer holds at least N verified blocks of NAME.
holds_at_least() { [ "$(blocks_held "$1" "$2")" -ge "$3" ]; }

# make_file HOST NAME: SIZE_MB random MiB in HOST's data directory; prints nothing.
make_file() {
  head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom >"$WORK/$1/data/$2"
  chown 10001:10001 "$WORK/$1/data/$2"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# fetch_start HOST NAME: `minibit get NAME` on HOST in the background; fetch_wait collects it.
declare -A FETCH_PID FETCH_START
fetch_start() {
  local host="$1" name="$2"
  FETCH_START[$host]="$(now_ms)"
  minibit "$host" get "$name" >"$WORK/$host/get-$name.out" 2>"$WORK/$host/get-$name.err" &
  FETCH_PID[$host]=$!
}

# fetch_wait HOST NAME [NOTE]: waits for HOST's fetch (at most 5 minutes), then checks the
# file's bytes.
fetch_wait() {
  local host="$1" name="$2" note="${3:-}" status=0 elapsed
  timeout 300 tail --pid="${FETCH_PID[$host]}" -f /dev/null || true
  wait "${FETCH_PID[$host]}" || status=$?
  elapsed=$(( $(now_ms) - FETCH_START[$host] ))
  if [ "$status" -ne 0 ]; then
    cat "$WORK/$host/get-$name.err" >&2
    fail "$host: minibit get $name exited with $status"
  fi
  verify "$host" "$name" "${note:+$note }fetched in $(awk -v ms="$elapsed" 'BEGIN { printf "%.1f s", ms / 1000 }')"
}

ORIGINAL_SHA=""
verify() {
  local host="$1" name="$2" note="$3" got
  got="$(sha "$WORK/$host/data/$name")"
  [ "$got" = "$ORIGINAL_SHA" ] || fail "$host: $name has SHA-256 $got, the original $ORIGINAL_SHA"
  say "  $host: $name $note, SHA-256 matches (${got:0:16}...)"
}

# share HOST NAME: creates NAME on HOST and shares it there.
share() {
  local host="$1" name="$2" infohash
  make_file "$host" "$name"
  ORIGINAL_SHA="$(sha "$WORK/$host/data/$name")"
  infohash="$(minibit "$host" share "/var/lib/minibit/$name" 2>"$WORK/$host/share.err")" || {
    cat "$WORK/$host/share.err" >&2
    fail "$host: minibit share $name"
  }
  say "  $host: shared $name ($SIZE_MB MiB), infohash ${infohash:0:16}..."
}

# run_container HOST NAME PORT ARGS...: `docker run` on HOST's engine, printed as a user types
# it; then waits for PORT and says how long the container took to listen.
run_container() {
  local host="$1" name="$2" port="$3" start
  shift 3
  mkdir -p "$WORK/$host/data"
  chown 10001:10001 "$WORK/$host/data"
  say "  $host\$ docker run -d --name $name --network host --restart unless-stopped $*" |
    sed "s|$WORK/$host/data|/srv/minibit|"
  start="$(now_ms)"
  host_docker "$host" run -d --name "$name" --network host --restart unless-stopped "$@" >/dev/null
  await "$name on $host to listen on $port" 60 host_port_open "$host" "$port"
  say "    listening $(( $(now_ms) - start )) ms after docker run"
}

# await_port_again HOST PORT WHAT: after a (re)start, how long until PORT listens again.
await_listening() {
  local host="$1" port="$2" what="$3" start="$4"
  await "$what" 60 host_port_open "$host" "$port"
  say "  $what listening $(( $(now_ms) - start )) ms after the command"
}

case_passed() {
  PASSED=$((PASSED + 1))
  say "  PASS ($(( SECONDS - CASE_START )) s)"
}

# ---------------------------------------------------------------------------------------------
step "setup: ${#HOSTS[@]} hosts on $NET_SUBNET.0/24 (tracker .1, redis .2, tracker-b .3, peers .11-.14, uplinks capped at $CAP_MBIT Mbit/s), one Docker engine each"
host_engines_stop
net_teardown
net_setup_bridge
net_add_host tracker 1
net_add_host redis 2
net_add_host tracker-b 3
for i in "${!PEERS[@]}"; do
  net_add_host "${PEERS[$i]}" $((11 + i))
  net_cap "${PEERS[$i]}" "$CAP_MBIT"
done
docker save -o "$WORK/images.tar" "$TRACKER_IMAGE" "$PEER_IMAGE"
docker save -o "$WORK/redis.tar" "$REDIS_IMAGE"
for host in "${HOSTS[@]}"; do
  host_engine_start "$host"
done
load_pids=()
for host in "${HOSTS[@]}"; do
  if [ "$host" = redis ]; then
    host_docker "$host" load -q -i "$WORK/redis.tar" >/dev/null &
  else
    host_docker "$host" load -q -i "$WORK/images.tar" >/dev/null &
  fi
  load_pids+=($!)
done
for pid in "${load_pids[@]}"; do wait "$pid" || fail "loading the images into a host's engine"; done
say "  engines up, images loaded ($(( SECONDS - START )) s)"

step "start: the tracker on host tracker, a peer on hosts peer1-4 (as README.md says)"
# Short heartbeats, so peers are back in the swarm soon after the tracker restarts (case 3).
# Locked down as k8s/ runs them: a read-only root with tmpfs scratch, no capabilities, no
# privilege escalation.
LOCKED=(--read-only --tmpfs /tmp:mode=1777 --cap-drop ALL --security-opt no-new-privileges)
run_container tracker minibit-tracker 6969 "${LOCKED[@]}" \
  -v "$WORK/tracker/data:/var/lib/minibit" -e MINIBIT_HEARTBEAT_INTERVAL=5 "$TRACKER_IMAGE"
for host in "${PEERS[@]}"; do
  run_container "$host" minibit-peer 6881 "${LOCKED[@]}" \
    --tmpfs /run/minibit:uid=10001,gid=10001,mode=0750 \
    -v "$WORK/$host/data:/var/lib/minibit" -e "MINIBIT_TRACKER=$TRACKER_ADDR" "$PEER_IMAGE"
  # The control API is the container's Unix socket (no TCP port): the CLI of docker exec asks.
  await "the control socket of $host" 60 minibit "$host" status
done

# ---------------------------------------------------------------------------------------------
step "case swarm: share on peer1, fetch on peer2, peer3 and peer4 at once"
CASE_START=$SECONDS
share peer1 a.bin
for host in peer2 peer3 peer4; do fetch_start "$host" a.bin; done
for host in peer2 peer3 peer4; do fetch_wait "$host" a.bin; done
container_healthy() {
  [ "$(host_docker "$1" inspect -f '{{.State.Health.Status}}' "$2")" = healthy ]
}
await "the tracker's HEALTHCHECK" 90 container_healthy tracker minibit-tracker
for host in "${PEERS[@]}"; do
  await "the HEALTHCHECK of $host" 90 container_healthy "$host" minibit-peer
done
say "  docker inspect: every container's HEALTHCHECK (HTTP /healthz, asked by bash: no JVM) says healthy"
case_passed

# ---------------------------------------------------------------------------------------------
step "case peer-stop: peer3's container is stopped mid-download"
CASE_START=$SECONDS
share peer1 b.bin
TOTAL_BLOCKS=$((SIZE_MB * 4))
for host in peer2 peer3 peer4; do fetch_start "$host" b.bin; done
await "peer3 to hold some blocks of b.bin" 120 holds_at_least peer3 b.bin 8
host_docker peer3 stop -t 10 minibit-peer >/dev/null
held="$(blocks_held peer3 b.bin)"
[ "$held" -lt "$TOTAL_BLOCKS" ] || fail "peer3 finished b.bin before it could be stopped"
say "  peer3: docker stop minibit-peer with $held of $TOTAL_BLOCKS blocks on disk"
wait "${FETCH_PID[peer3]}" 2>/dev/null || true
for host in peer2 peer4; do fetch_wait "$host" b.bin; done
started="$(now_ms)"
host_docker peer3 start minibit-peer >/dev/null
await_listening peer3 6881 "peer3: docker start minibit-peer:" "$started"
await "peer3's control socket" 60 minibit peer3 status
fetch_start peer3 b.bin
fetch_wait peer3 b.bin "resumed from $held blocks and"
case_passed

# ---------------------------------------------------------------------------------------------
step "case tracker-restart: the tracker's container restarts mid-swarm"
CASE_START=$SECONDS
share peer1 c.bin
for host in peer2 peer3 peer4; do fetch_start "$host" c.bin; done
# Mid-swarm: every downloader has the manifest and some blocks, none has all.
for host in peer2 peer3 peer4; do
  await "$host to hold some blocks of c.bin" 120 holds_at_least "$host" c.bin 4
done
say "  tracker: docker restart minibit-tracker (peer2, peer3, peer4 hold $(blocks_held peer2 c.bin),"\
" $(blocks_held peer3 c.bin), $(blocks_held peer4 c.bin) of $TOTAL_BLOCKS blocks)"
started="$(now_ms)"
host_docker tracker restart -t 10 minibit-tracker >/dev/null
await_listening tracker 6969 "tracker: restarted," "$started"
for host in peer2 peer3 peer4; do fetch_wait "$host" c.bin; done
# The catalog is on the tracker's volume; the swarms are rebuilt from the peers' heartbeats and
# announces, so every peer is a seeder of every file again.
swarms_rebuilt() {
  local table
  table="$(minibit peer1 torrents)" || return 1
  for name in a.bin b.bin c.bin; do
    # NAME SIZE (two words) ... SEEDERS LEECHERS: the seeders are the next to last column.
    awk -v n="$name" '$2 == n && $(NF - 1) == 4 && $NF == 0 { found = 1 } END { exit !found }' \
      <<<"$table" || return 1
  done
}
await "the catalog and all four seeders of each file on the restarted tracker" 90 swarms_rebuilt
minibit peer1 torrents | sed 's/^/  | /'
say "  the restarted tracker kept its catalog (3 torrents) and has all 4 peers back in each swarm"
case_passed

# ---------------------------------------------------------------------------------------------
step "case two-trackers: trackers A and B on one Redis; A is killed, the peers go on with B"
CASE_START=$SECONDS
# save_log HOST NAME AS: keeps the log of HOST's container NAME as $WORK/HOST/AS.log.
save_log() { host_docker "$1" logs "$2" >"$WORK/$1/$3.log" 2>&1 || true; }
# The single tracker of the cases above makes way for A on the same host and address.
save_log tracker minibit-tracker minibit-tracker-single
host_docker tracker rm -f minibit-tracker >/dev/null
# Redis as docs/deployment.md runs it: an append-only file, fsync'ed every second, in /data.
run_container redis minibit-redis 6379 "${LOCKED[@]}" "$REDIS_IMAGE" \
  redis-server --appendonly yes --appendfsync everysec --dir /data --protected-mode no
# A and B share swarm membership, sessions and the catalog through it.
run_container tracker minibit-tracker 6969 "${LOCKED[@]}" -e "MINIBIT_STORE=redis://$REDIS_ADDR" \
  -e MINIBIT_HEARTBEAT_INTERVAL=5 "$TRACKER_IMAGE"
run_container tracker-b minibit-tracker 6969 "${LOCKED[@]}" \
  -e "MINIBIT_STORE=redis://$REDIS_ADDR" -e MINIBIT_HEARTBEAT_INTERVAL=5 "$TRACKER_IMAGE"
# New peers on empty data directories: peer1 knows A alone (what it shares goes through A),
# peer3 B alone (what it fetches comes through B), peer2 and peer4 both.
declare -A TRACKERS_OF=(
  [peer1]="$TRACKER_ADDR" [peer2]="$TRACKER_ADDR,$TRACKER_B_ADDR"
  [peer3]="$TRACKER_B_ADDR" [peer4]="$TRACKER_ADDR,$TRACKER_B_ADDR")
for host in "${PEERS[@]}"; do
  save_log "$host" minibit-peer minibit-peer-single-tracker
  host_docker "$host" rm -f minibit-peer >/dev/null
  find "$WORK/$host/data" -mindepth 1 -delete
  run_container "$host" minibit-peer 6881 "${LOCKED[@]}" \
    --tmpfs /run/minibit:uid=10001,gid=10001,mode=0750 \
    -v "$WORK/$host/data:/var/lib/minibit" -e "MINIBIT_TRACKER=${TRACKERS_OF[$host]}" "$PEER_IMAGE"
  await "the control socket of $host" 60 minibit "$host" status
done
share peer1 d.bin
say "  peer1 shared d.bin through A ($TRACKER_ADDR) alone"
fetch_start peer3 d.bin
fetch_wait peer3 d.bin "through B ($TRACKER_B_ADDR) alone: B has A's catalog and swarm;"
tracker_down() { ! host_port_open tracker 6969; }
host_docker tracker kill minibit-tracker >/dev/null
await "tracker A's port to close" 30 tracker_down
say "  tracker: docker kill minibit-tracker (A); peer2 and peer4 are given $TRACKER_ADDR,$TRACKER_B_ADDR"
for host in peer2 peer4; do fetch_start "$host" d.bin; done
for host in peer2 peer4; do fetch_wait "$host" d.bin "with A dead,"; done
# The CLI fails over too: `minibit torrents` asks the trackers of MINIBIT_TRACKER itself.
listed() { minibit peer2 torrents 2>/dev/null | awk '$2 == "d.bin" { found = 1 } END { exit !found }'; }
listed || { minibit peer2 torrents >&2 || true; fail "peer2: minibit torrents does not list d.bin with A dead"; }
minibit peer2 torrents 2>&1 | sed 's/^/  | /'
[ "$(host_docker tracker inspect -f '{{.State.Running}}' minibit-tracker)" = false ] ||
  fail "tracker A is running again: the fetches did not have to do without it"
say "  A stayed dead throughout: B alone served the catalog and the swarm from Redis"
case_passed

# ---------------------------------------------------------------------------------------------
step "case compose: docker-compose.yml, two trackers on one Redis and three peers on this machine's engine"
CASE_START=$SECONDS
cd "$ROOT"
say "  \$ docker-compose up -d"
COMPOSE_UP=1
"${COMPOSE[@]}" up -d >/dev/null 2>&1 || { "${COMPOSE[@]}" up -d; fail "docker-compose up"; }
compose_exec() { "${COMPOSE[@]}" exec -T "$@"; }
await "peer1's daemon under compose" 90 compose_exec peer1 minibit status
compose_exec peer1 sh -c "head -c $((SIZE_MB / 4))M /dev/urandom > /var/lib/minibit/sample.bin"
say "  \$ docker-compose exec peer1 minibit share /var/lib/minibit/sample.bin"
compose_exec peer1 minibit share /var/lib/minibit/sample.bin 2>&1 | sed 's/^/  | /'
compose_sha() { compose_exec "$1" sha256sum /var/lib/minibit/sample.bin | cut -d' ' -f1; }
ORIGINAL_SHA="$(compose_sha peer1)"
compose_get() {
  local host="$1" got
  await "$host's daemon under compose" 90 compose_exec "$host" minibit status
  say "  \$ docker-compose exec $host minibit get sample.bin"
  compose_exec "$host" minibit get sample.bin 2>&1 | sed 's/^/  | /'
  got="$(compose_sha "$host")"
  [ "$got" = "$ORIGINAL_SHA" ] || fail "compose $host: sample.bin has SHA-256 $got, not $ORIGINAL_SHA"
  say "  $host: SHA-256 matches (${got:0:16}...)"
}
compose_get peer2
compose_healthy() {
  [ "$(docker inspect -f '{{.State.Health.Status}}' "$("${COMPOSE[@]}" ps -q "$1")")" = healthy ]
}
for service in redis tracker-a tracker-b peer1 peer2 peer3; do
  await "the HEALTHCHECK of compose's $service" 90 compose_healthy "$service"
done
say "  every compose service's HEALTHCHECK says healthy"
say "  \$ docker-compose kill tracker-a"
"${COMPOSE[@]}" kill tracker-a >/dev/null 2>&1 || fail "docker-compose kill tracker-a"
compose_get peer3
[ "$(docker inspect -f '{{.State.Running}}' "$("${COMPOSE[@]}" ps -q tracker-a)")" = false ] ||
  fail "compose's tracker-a is running again: peer3 did not have to do without it"
say "  peer3 fetched through tracker-b with tracker-a dead"
case_passed

OK=1
say ""
say "e2e: $PASSED passed, 0 failed ($(( SECONDS - START )) s in all)"
