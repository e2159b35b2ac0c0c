package io.minibit.peer.download;

import io.minibit.core.Backoff;
import io.minibit.core.Bitfield;
import io.minibit.peer.policy.RttEstimator;
import io.minibit.peer.session.PeerSnapshot;
import io.minibit.peer.session.RateMeter;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a {@link Scheduler} knows of one remote peer: its connection state, the blocks it has, the
 * calls out to it, and how it has performed. Not thread-safe: only its scheduler's loop touches
 * it (a call's immutable fields aside, which its link reads).
 */
final class RemotePeer {
  enum State { CONNECTING, ACTIVE, BACKING_OFF, BANNED, SELF, CLOSED }

  /**
   * Blocks failing their hash after which a peer is banned for the torrent (one may be bad luck
   * with the peer's disk; three are not). A protocol violation bans at once.
   */
  static final int MAX_STRIKES = 3;

  /** One GetBlocks call out to the peer. */
  static final class Call {
    /** The blocks asked for, in the picker's order. */
    final List<Integer> asked;
    final Set<Integer> outstanding;
    final Instant started;
    /** The peer's UNCHOKE count when the call started: a refusal then is no news after that. */
    final int unchokesAtStart;
    /** Cancelled by the download itself (a duplicate won), not failed. */
    boolean cancelled;
    /** Its blocks were offered to other peers because it is slow. */
    boolean late;
    /** How many of the blocks asked the peer is to send (it chooses which); all, usually. */
    final int limit;
    int received;

    Call(List<Integer> asked, int limit, Instant started, int unchokesAtStart) {
      this.asked = List.copyOf(asked);
      this.outstanding = new HashSet<>(asked);
      this.limit = limit;
      this.started = started;
      this.unchokesAtStart = unchokesAtStart;
    }

    /** Blocks still to come: what counts against the peer's budget. */
    int expected() {
      return Math.max(0, Math.min(outstanding.size(), limit - received));
    }
  }

  final String address;
  /** The wire to the peer; set once, right after the peer is made. */
  PeerLink link;
  final Backoff backoff;
  final RttEstimator rtt = new RttEstimator();
  final RateMeter rate;
  String peerId;
  State state = State.CONNECTING;
  /** Incremented on every (re)connection, so callbacks from an older one are ignored. */
  int generation;
  Bitfield has;
  /** HAVEs came since {@link #has} was last published to other threads. */
  boolean hasChanged;
  Bitfield requested;
  int inFlight;
  /**
   * Not unchoked yet: every peer starts choked and says UNCHOKE, right after its bitfield, when
   * it will serve us; a call refused as choked sets it again.
   */
  boolean chokesUs = true;
  /** UNCHOKE events received: a call refused as choked before the last one is stale news. */
  int unchokes;
  /** Subscribed (its bitfield may still be on its way). */
  boolean subscribed;
  final Set<Call> calls = new HashSet<>();
  String lastError = "";
  Instant lastPing = Instant.MIN;

  int blocksReceived;
  long bytesReceived;
  int hashFailures;
  /** Connections that failed since the last one that worked (showed us its bitfield). */
  int failuresInARow;

  RemotePeer(String address, String peerId, int blockCount, Backoff backoff, RateMeter rate) {
    this.address = address;
    this.peerId = peerId;
    this.backoff = backoff;
    this.rate = rate;
    this.requested = new Bitfield(blockCount);
  }

  boolean isActive() {
    return state == State.ACTIVE;
  }

  /** Connected, not choking us: it may be asked for blocks. */
  boolean isServing() {
    return state == State.ACTIVE && !chokesUs && has != null;
  }

  /**
   * Its figures now, as a source; {@code blocksReceivedByDownload} gives its share. What we
   * sent it is the session's to add.
   */
  PeerSnapshot stats(int blocksReceivedByDownload) {
    return new PeerSnapshot(peerId, address, blocksReceived, bytesReceived,
        has == null ? 0 : has.cardinality(), state == State.ACTIVE, hashFailures, status(),
        rtt.millis(), rate.bytesPerSecond(),
        blocksReceivedByDownload == 0 ? 0 : (double) blocksReceived / blocksReceivedByDownload,
        inFlight, chokesUs, false, 0);
  }

  private String status() {
    return switch (state) {
      case CONNECTING -> "connecting";
      case ACTIVE -> chokesUs ? "choked" : lastError.isEmpty() ? "active" : "active; " + lastError;
      case BACKING_OFF -> "backing off: " + lastError;
      case BANNED -> "banned: " + lastError;
      case SELF -> "this peer";
      case CLOSED -> lastError.isEmpty() ? "closed" : "closed; " + lastError;
    };
  }

  @Override
  public String toString() {
    return address;
  }
}
