package io.minibit.tracker;

import com.google.protobuf.ByteString;
import io.minibit.api.v2.PeerEndpoint;
import io.minibit.tracker.SwarmStore.Peer;

/**
 * The wire form of the peers announces hand out, kept for the next announces that hand out the
 * same peer. In a busy swarm one member's record is handed out many times before it announces
 * again (the embedded store keeps it until then, a store on Redis holds a swarm's copy for a
 * moment), and making its endpoint was a fifth of a tracker's CPU: each id and host encoded
 * again as UTF-8.
 *
 * <p>A fixed table, one slot per identity hash, holding the last record seen there: a record
 * replaced by a newer announce simply stops being asked for. Thread-safe without locks: a slot
 * holds one immutable pair, written and read whole.
 */
final class PeerEndpoints {
  private static final int SLOTS = 1 << 14;

  private record Slot(Peer peer, PeerEndpoint endpoint) {}

  private final Slot[] slots = new Slot[SLOTS];

  /** {@code peer} on the wire, made once while it stays in its slot. */
  PeerEndpoint of(Peer peer) {
    int i = System.identityHashCode(peer) & (SLOTS - 1);
    Slot slot = slots[i];
    if (slot != null && slot.peer() == peer) {
      return slot.endpoint();
    }
    // The strings as UTF-8 bytes: protobuf would otherwise scan each one twice (its size, then
    // its encoding), where a peer id or an address (ASCII) is copied in one go.
    PeerEndpoint endpoint = PeerEndpoint.newBuilder()
        .setPeerIdBytes(ByteString.copyFromUtf8(peer.peerId()))
        .setHostBytes(ByteString.copyFromUtf8(peer.host()))
        .setPort(peer.port())
        .setComplete(peer.complete())
        .build();
    slots[i] = new Slot(peer, endpoint);
    return endpoint;
  }
}
