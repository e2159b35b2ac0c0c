package io.minibit.peer.download;

import io.minibit.core.Bitfield;
import io.minibit.peer.session.RateMeter;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The remote peers of one download, by address, in the order they joined; who may join (at most
 * {@link #MAX_PEERS} in all and {@link #MAX_PEERS_PER_HOST} on one host, so that announced
 * addresses cannot turn the download into a scanner of one machine's ports); and what other
 * threads may read of them: each source's rate and last published bitfield.
 *
 * <p>The peers themselves are its scheduler's loop's alone; the views by peer id are thread-safe,
 * for any thread to read.
 */
final class PeerRoster {
  /** Most peers one download keeps, whatever the tracker and the peers hand it. */
  static final int MAX_PEERS = 64;
  /** Most peers one download keeps on one host. */
  static final int MAX_PEERS_PER_HOST = 8;

  /** Whether a peer found may join. */
  enum Admission { JOIN, SKIP, FULL }

  private final String localPeerId;
  private final Map<String, RemotePeer> peers = new LinkedHashMap<>();
  private final Map<String, RateMeter> ratesById = new ConcurrentHashMap<>();
  private final Map<String, Bitfield> bitfieldsById = new ConcurrentHashMap<>();

  PeerRoster(String localPeerId) {
    this.localPeerId = localPeerId;
  }

  /** The peers, in the order they joined; on the loop only. */
  Collection<RemotePeer> all() {
    return peers.values();
  }

  /**
   * Whether {@code found} may join: not this peer, not known, room left in all ({@link
   * Admission#FULL} otherwise: no later one may join either) and on its host.
   */
  Admission admission(PeerAddress found) {
    if (found.peerId().equals(localPeerId) || peers.containsKey(found.address())) {
      return Admission.SKIP;
    }
    if (peers.size() >= MAX_PEERS) {
      return Admission.FULL;
    }
    String host = Endpoints.host(found.address());
    if (peers.keySet().stream().filter(known -> Endpoints.host(known).equals(host)).count()
        >= MAX_PEERS_PER_HOST) {
      return Admission.SKIP;
    }
    return Admission.JOIN;
  }

  void add(RemotePeer peer) {
    peers.put(peer.address, peer);
    ratesById.put(peer.peerId, peer.rate);
  }

  void remove(RemotePeer peer) {
    peers.remove(peer.address);
    ratesById.remove(peer.peerId);
    bitfieldsById.remove(peer.peerId);
  }

  /** Shows other threads what {@code peer} holds now. */
  void publish(RemotePeer peer) {
    bitfieldsById.put(peer.peerId, peer.has.copy());
  }

  /** Rate received lately from {@code peerId}; any thread may ask. */
  double receivedRate(String peerId) {
    RateMeter rate = ratesById.get(peerId);
    return rate == null ? 0 : rate.bytesPerSecond();
  }

  /** What {@code peerId} held at the last tick or bitfield, or null; any thread may ask. */
  Bitfield bitfieldOf(String peerId) {
    return bitfieldsById.get(peerId);
  }

  /** Whether {@code peerId} is one of this download's sources; any thread may ask. */
  boolean knows(String peerId) {
    return ratesById.containsKey(peerId);
  }
}
