# shellcheck shell=bash
# The reference: aria2 (a BitTorrent client) on the benchmark's hosts, with opentracker as its
# tracker and a torrent made by mktorrent, so that MiniBit's figures stand next to those of a
# mature client on the same hosts, caps and file, in the same invocation. Sourced by
# bench/run.sh, after lib/netns.sh and lib/minibit.sh.
#
# Every process started here is recorded in DAEMON_PIDS (lib/minibit.sh), so mb_stop_daemons
# ends it with the rest, and its pid goes into a file beside its log for the CPU readings.
#
# Globals: BENCH_DIR (for report.py), NET_SUBNET.

A2_TRACKER_PORT=6969
A2_RPC_PORT=6800
A2_PEER_PORT=6881

# What every aria2c here runs with. The torrent is private, which already rules out DHT, peer
# exchange and local discovery; the flags say so again. No encryption is required and plain
# text is accepted, so two aria2c settle on it (MiniBit's links are plain TCP too); IPv4 only
# (opentracker hands out IPv4 peers); no preallocation (MiniBit writes blocks where they go into
# a file of the final size, as aria2 does with "none"); no console summary. Its own log records
# notices and above.
A2_OPTS=(--enable-dht=false --enable-dht6=false --bt-enable-lpd=false
  --enable-peer-exchange=false --bt-require-crypto=false --bt-min-crypto-level=plain
  --disable-ipv6=true --listen-port="$A2_PEER_PORT" --file-allocation=none
  --summary-interval=0 --console-log-level=warn --log-level=notice
  --allow-overwrite=true --auto-file-renaming=false)

# a2_start_tracker HOST DIR TORRENT: opentracker on HOST's TCP port 6969 (it serves HTTP
# announces and scrapes there; UDP is bound too, aria2 does not use it), chrooted into DIR,
# logging to DIR/opentracker.log; the pid goes into DIR/aria2_pid. Debian builds it as a closed
# tracker: it serves only the torrents its whitelist names, here TORRENT alone. Waits until the
# port answers.
a2_start_tracker() {
  local host="$1" dir="$2"
  mkdir -p "$dir"
  python3 "$BENCH_DIR/lib/report.py" infohash "$3" >"$dir/whitelist"
  # From DIR, so that the whitelist's relative path holds before the chroot and after it.
  (cd "$dir" && exec ip netns exec "$(net_ns "$host")" opentracker -p "$A2_TRACKER_PORT" \
    -P "$A2_TRACKER_PORT" -d . -w whitelist >opentracker.log 2>&1) &
  DAEMON_PIDS+=("$!")
  DAEMON_LOGS+=("$dir/opentracker.log")
  echo "$!" >"$dir/aria2_pid"
  mb_await "opentracker on $host" 30 mb_port_open "$host" "$A2_TRACKER_PORT"
}

# a2_make_torrent FILE TORRENT ANNOUNCE_ADDRESS: a private torrent of FILE with 256 KiB pieces
# (MiniBit's block size), announcing to http://ANNOUNCE_ADDRESS:6969/announce.
a2_make_torrent() {
  mktorrent -l 18 -p -a "http://$3:$A2_TRACKER_PORT/announce" -o "$2" "$1" >/dev/null
}

# a2_start HOST LOG DIR END_FILE ARGS...: aria2c on HOST with A2_OPTS and ARGS, downloading into
# or seeding from DIR, its log in LOG; the pid goes into aria2_pid beside LOG. END_FILE (may be
# empty) is where the completion hook, if ARGS set one, writes the time.
a2_start() {
  local host="$1" log="$2" dir="$3" end="$4"
  shift 4
  # A simple command, so that $! is aria2c itself (ip and env exec the next).
  ip netns exec "$(net_ns "$host")" env BENCH_ARIA2_END="$end" aria2c "${A2_OPTS[@]}" \
    --dir="$dir" --log="$log" "$@" >"$log.out" 2>&1 &
  DAEMON_PIDS+=("$!")
  DAEMON_LOGS+=("$log.out")
  echo "$!" >"$(dirname "$log")/aria2_pid"
}

# a2_start_seeder HOST LOG DIR TORRENT: seeds DIR's copy of the torrent's file for ever
# (--seed-ratio=0.0): checks it once first (--check-integrity, before any clock starts), and
# answers JSON-RPC on 127.0.0.1:6800 for its upload count.
a2_start_seeder() {
  a2_start "$1" "$2" "$3" "" --check-integrity=true --seed-ratio=0.0 \
    --enable-rpc=true --rpc-listen-port="$A2_RPC_PORT" "$4"
}

# a2_start_swarm_leecher HOST LOG DIR TORRENT HOOK END_FILE: downloads the torrent into DIR,
# then keeps seeding it (--seed-ratio=0.0, no seed time), as a MiniBit daemon does, until it is
# stopped. When the download is complete, HOOK writes the time into END_FILE. Answers JSON-RPC
# on 127.0.0.1:6800 like the seeder.
a2_start_swarm_leecher() {
  a2_start "$1" "$2" "$3" "$6" --seed-ratio=0.0 \
    --enable-rpc=true --rpc-listen-port="$A2_RPC_PORT" --on-bt-download-complete="$5" "$4"
}

# a2_hook FILE: writes the completion hook that records when a leecher's download completed.
a2_hook() {
  cat >"$1" <<'EOF'
#!/usr/bin/env bash
# aria2's --on-bt-download-complete hook: the time the download completed.
echo "$EPOCHREALTIME" >"$BENCH_ARIA2_END"
EOF
  chmod +x "$1"
}

# a2_seeded HOST TORRENT: true once the tracker reports a seeder of the torrent (a scrape from
# HOST): leechers that announce before the seeder would wait for the next announce interval.
a2_seeded() {
  net_exec "$1" python3 "$BENCH_DIR/lib/report.py" seeded "$2"
}

# a2_rpc_status HOST FILE: the transfer's lengths as aria2c on HOST reports them (JSON-RPC
# tellActive), into FILE; nothing if it does not answer.
a2_rpc_status() {
  net_exec "$1" python3 "$BENCH_DIR/lib/report.py" http "http://127.0.0.1:$A2_RPC_PORT/jsonrpc" \
    '{"jsonrpc":"2.0","id":"bench","method":"aria2.tellActive","params":[["gid","status","totalLength","completedLength","uploadLength"]]}' \
    >"$2" 2>/dev/null || rm -f "$2"
}

# a2_get CPU_FILE SECONDS HOST LOG DIR TORRENT HOOK END_FILE: downloads the torrent into DIR on
# HOST and exits once it is complete (--seed-time=0), as `minibit get` does, killed after
# SECONDS; HOOK writes the moment it was complete into END_FILE (aria2c exits about 2 s
# later), and the user and system CPU seconds of aria2c go into CPU_FILE ("USER SYSTEM", GNU
# time).
a2_get() {
  local file="$1" limit="$2" host="$3" log="$4" dir="$5" torrent="$6" hook="$7" end="$8"
  /usr/bin/time -q -o "$file" -f '%U %S' timeout --kill-after=10 "$limit" \
    ip netns exec "$(net_ns "$host")" env BENCH_ARIA2_END="$end" aria2c "${A2_OPTS[@]}" \
    --dir="$dir" --log="$log" --seed-time=0 --on-bt-download-complete="$hook" "$torrent" \
    >"$log.out" 2>&1
}
