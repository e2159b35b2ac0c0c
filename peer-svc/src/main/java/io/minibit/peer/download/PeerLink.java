package io.minibit.peer.download;

import io.grpc.Status;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorReason;
import io.minibit.core.store.BlockStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The wire side of one remote peer, as the {@link Scheduler} uses it: pings, the subscription to
 * its bitfield and HAVEs, and GetBlocks calls. A link only carries requests out and reports what
 * comes back through its {@link Events}; every decision is the scheduler's.
 *
 * <p>Every request carries the peer's connection generation and every event reports the one it
 * belongs to: the scheduler ignores events of a connection it has since reset.
 *
 * <p>Implementations are called from the scheduler's loop only; their events may arrive on any
 * thread.
 */
interface PeerLink {
  /**
   * Pings {@code pings} times in a row: the first answer of a connection is reported as no RTT
   * sample (it also set the connection up), the others are.
   */
  void connect(int generation, int pings);

  /** Subscribes to the peer's bitfield, HAVEs and chokes, telling it the blocks we hold. */
  void subscribe(int generation);

  /** One more round-trip probe. */
  void ping(int generation);

  /** Starts {@code call}: the peer is to stream the call's blocks within {@code deadline}. */
  void fetch(int generation, RemotePeer.Call call, Duration deadline);

  /** Withdraws {@code call} (another copy of its blocks won, say); its end is still reported. */
  void cancel(RemotePeer.Call call, String reason);

  /** Drops the subscription and every call: the connection of this generation is over. */
  void disconnect(String reason);

  /** Ends the link for good: what it carried is reported to tracing. */
  void close();

  /** Makes the link of one remote peer, reporting to {@code events}. */
  interface Factory {
    PeerLink open(String address, Events events);
  }

  /** What a link reports; any thread may call these, in the order things happened. */
  interface Events {
    /**
     * A ping was answered after {@code rtt} by the peer {@code remotePeerId}; {@code sample} is
     * false for the first ping of a connection, which also sets the connection up.
     */
    void answered(int generation, Duration rtt, String remotePeerId, boolean sample);

    /** The subscription opened with this bitfield (the peer's blocks). */
    void bitfield(int generation, Bitfield has);

    /** The peer verified block {@code index}. */
    void have(int generation, int index);

    /** The peer verified the blocks {@code indices} (a HaveList). */
    void haves(int generation, List<Integer> indices);

    /** The peer chokes or unchokes us. */
    void choked(int generation, boolean choked);

    /**
     * Block {@code index} of {@code call} arrived, {@code bytes} long, and was handed to the
     * store.
     */
    void written(int generation, RemotePeer.Call call, int index, BlockStore.WriteResult result,
        int bytes);

    /**
     * {@code call} ended with {@code status} (OK when every block it was to send came), and the
     * reason the peer gave for a failure, if any.
     */
    void ended(int generation, RemotePeer.Call call, Status status, Optional<ErrorReason> reason);

    /** The connection failed: a ping, or the subscription, ended in error. */
    void failed(int generation, String reason);

    /** The peer broke the protocol (a bad bitfield, a block not asked for): no second chance. */
    void violated(int generation, String reason);

    /** A block could not be written to disk. */
    void writeFailed(java.io.IOException failure);
  }
}
