package io.minibit.peer.download;

import io.grpc.stub.ClientCallStreamObserver;
import io.minibit.api.v1.TransferPeer;
import io.minibit.core.Backoff;
import io.minibit.core.Bitfield;
import java.util.HashSet;
import java.util.Set;

/**
 * What a {@link Download} knows of one remote peer: its connection state, the blocks it has and
 * the ones asked of it, and what it delivered. Not thread-safe: guarded by its download's lock.
 */
final class RemotePeer {
  enum State { CONNECTING, ACTIVE, BACKING_OFF, BANNED, SELF, CLOSED }

  /**
   * Blocks failing their hash after which a peer is banned for the torrent (one may be bad luck
   * with the peer's disk; three are not). A protocol violation bans at once.
   */
  static final int MAX_STRIKES = 3;

  final String address;
  final Backoff backoff;
  String peerId;
  State state = State.CONNECTING;
  /** Incremented on every (re)connection, so callbacks from an older one are ignored. */
  int generation;
  Bitfield has;
  Bitfield requested;
  int callsInFlight;
  ClientCallStreamObserver<?> subscription;
  final Set<ClientCallStreamObserver<?>> calls = new HashSet<>();
  String lastError = "";

  int blocksReceived;
  long bytesReceived;
  int hashFailures;

  RemotePeer(String address, String peerId, int blockCount, Backoff backoff) {
    this.address = address;
    this.peerId = peerId;
    this.backoff = backoff;
    this.requested = new Bitfield(blockCount);
  }

  boolean isActive() {
    return state == State.ACTIVE;
  }

  TransferPeer stats() {
    return TransferPeer.newBuilder()
        .setPeerId(peerId)
        .setAddress(address)
        .setBlocksReceived(blocksReceived)
        .setBytesReceived(bytesReceived)
        .setBlocksAvailable(has == null ? 0 : has.cardinality())
        .setConnected(state == State.ACTIVE)
        .setHashFailures(hashFailures)
        .setStatus(status())
        .build();
  }

  private String status() {
    return switch (state) {
      case CONNECTING -> "connecting";
      case ACTIVE -> "active";
      case BACKING_OFF -> "backing off: " + lastError;
      case BANNED -> "banned: " + lastError;
      case SELF -> "this peer";
      case CLOSED -> "closed";
    };
  }

  @Override
  public String toString() {
    return address;
  }
}
