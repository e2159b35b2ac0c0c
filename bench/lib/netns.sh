# shellcheck shell=bash
# Hosts for the benchmark: Linux network namespaces on one private /24, joined by veth pairs to
# a bridge that lives in a namespace of its own. Sourced by bench/run.sh.
#
# The bridge is deliberately not in the root namespace: once dockerd has run on a machine, the
# root namespace's FORWARD policy is DROP and a bridge there silently loses frames. Nothing of
# the benchmark touches the root namespace, so the host's firewall and routes do not matter.
#
# No namespace has a default route: traffic can only reach loopback and the other hosts' /24.
#
# Globals (read-only here): NET_PREFIX (namespace name prefix), NET_SUBNET (first three octets).

NET_PREFIX="${NET_PREFIX:-mbbench}"
NET_SUBNET="${NET_SUBNET:-10.77.0}"
NET_BRIDGE_NS="$NET_PREFIX-br"

# The namespace of host $1.
net_ns() { echo "$NET_PREFIX-$1"; }

# Every namespace whose name starts with the prefix (ours, or leftovers of an earlier run).
net_list_namespaces() {
  ip netns list | awk -v p="$NET_PREFIX-" 'index($1, p) == 1 { print $1 }'
}

# Removes every namespace with the prefix, and first ends the processes still running inside
# them (daemons of an earlier run that was killed before it could clean up). Idempotent.
net_teardown() {
  local ns pid
  for ns in $(net_list_namespaces); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
  done
  for ns in $(net_list_namespaces); do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
      sleep 0.5
    done
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns delete "$ns" 2>/dev/null || true
  done
}

# Creates the bridge namespace with an up bridge br0 (no address: it only switches frames).
net_setup_bridge() {
  ip netns add "$NET_BRIDGE_NS"
  ip -n "$NET_BRIDGE_NS" link set lo up
  ip -n "$NET_BRIDGE_NS" link add br0 type bridge
  ip -n "$NET_BRIDGE_NS" link set br0 up
}

# net_add_host NAME OCTET: a namespace for host NAME with lo up and eth0 at $NET_SUBNET.OCTET/24,
# whose veth peer (v-NAME) is a port of the bridge. The pair is created inside the bridge
# namespace, so its names cannot clash with anything in the root namespace.
net_add_host() {
  local name="$1" octet="$2" ns
  ns="$(net_ns "$name")"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$NET_BRIDGE_NS" link add "v-$name" type veth peer name eth0 netns "$ns"
  ip -n "$NET_BRIDGE_NS" link set "v-$name" master br0 up
  ip -n "$ns" addr add "$NET_SUBNET.$octet/24" dev eth0
  ip -n "$ns" link set eth0 up
}

# net_cap NAME MBIT: caps host NAME's upload (eth0 egress) at MBIT Mbit/s (10^6 bit/s) with tbf.
# burst 16 KiB (about 3 ms at 40 Mbit/s, ten full frames) keeps the rate steady to within a few
# percent over every half second; latency 50 ms bounds the queue (rate x 50 ms + burst, 266 KB
# at 40 Mbit/s) so many TCP flows lose few packets without adding a bloated queue's delay.
# bench/README.md has the measurements behind these values; TBF_BURST / TBF_LATENCY override.
net_cap() {
  local name="$1" mbit="$2"
  ip netns exec "$(net_ns "$name")" tc qdisc replace dev eth0 root tbf rate "${mbit}mbit" \
    burst "${TBF_BURST:-16kb}" latency "${TBF_LATENCY:-50ms}"
}

# Bytes sent by host $1's eth0 so far (frames, headers included).
net_tx_bytes() {
  ip netns exec "$(net_ns "$1")" cat /sys/class/net/eth0/statistics/tx_bytes
}

# Packets host $1's upload cap has sent and dropped so far, as "SENT DROPPED": a drop is a
# packet its sender has to send again.
net_cap_packets() {
  ip netns exec "$(net_ns "$1")" tc -s qdisc show dev eth0 |
    sed -n 's/^ *Sent [0-9]* bytes \([0-9]*\) pkt (dropped \([0-9]*\),.*/\1 \2/p' | head -n 1
}

# net_exec NAME CMD...: runs CMD inside host NAME's namespace.
net_exec() {
  local name="$1"
  shift
  ip netns exec "$(net_ns "$name")" "$@"
}
