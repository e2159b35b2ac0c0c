package io.minibit.peer.session;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.minibit.api.v2.Choke;
import io.minibit.api.v2.Have;
import io.minibit.api.v2.HaveList;
import io.minibit.api.v2.KnownPeer;
import io.minibit.api.v2.PeerList;
import io.minibit.api.v2.SubscribeResponse;
import io.minibit.api.v2.Unchoke;
import io.minibit.core.ErrorReason;
import io.minibit.core.MinibitException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One Subscribe stream and the events waiting for it: written while the stream is ready,
 * coalesced until then, as {@link Subscribers} describes.
 *
 * <p>Thread-safe: its lock serializes writes, as a stream needs.
 */
final class SubscriberStream {
  // filed under Subscribers, as these messages always were
  private static final Logger log = Logger.getLogger(Subscribers.class.getName());
  /**
   * Most blocks one HaveList names (a few hundred KiB): the rest go in the next, after a stream
   * that did not read for a while.
   */
  static final int MAX_LIST = 65_536;
  private static final SubscribeResponse CHOKE =
      SubscribeResponse.newBuilder().setChoke(Choke.getDefaultInstance())
      .build();
  private static final SubscribeResponse UNCHOKE = SubscribeResponse.newBuilder()
      .setUnchoke(Unchoke.getDefaultInstance()).build();

  private final String peerId;
  private final String host;
  private final String connection;
  private final ServerCallStreamObserver<SubscribeResponse> stream;
  private final Runnable onEnd;
  private final Clock clock;
  private final int blockCount;
  private final boolean haveLists;
  private final BitSet pendingHaves = new BitSet();
  private Boolean pendingChoke; // the choke state to send, null when it was sent
  private PeerList pendingPeers; // the peer list to send, null when it was sent
  private PeerExchange.Cursor exchanged; // what the peer exchange told this stream
  private Instant unreadSince; // when events began to wait for a stream that was not ready
  private boolean closed;

  /**
   * @param onEnd run once when the stream ends, by {@link #ended}
   * @param blockCount the torrent's blocks: a HAVE of another index is not sent
   * @param haveLists whether the subscriber takes HaveList events: its HAVEs are then gathered
   *     ({@link #gather}) and written as one list at each {@link #flush}
   */
  SubscriberStream(String peerId, String host, String connection,
      ServerCallStreamObserver<SubscribeResponse> stream, Runnable onEnd, Clock clock,
      int blockCount, boolean haveLists) {
    this.peerId = peerId;
    this.host = host;
    this.connection = connection;
    this.stream = stream;
    this.onEnd = onEnd;
    this.clock = clock;
    this.blockCount = blockCount;
    this.haveLists = haveLists;
  }

  String peerId() {
    return peerId;
  }

  String host() {
    return host;
  }

  /** Whether the subscriber takes HaveList events. */
  boolean takesLists() {
    return haveLists;
  }

  /** The connection the stream came over. */
  String connection() {
    return connection;
  }

  /** The stream is forgotten: runs its end action. */
  void ended() {
    onEnd.run();
  }

  /** The first two events, written whatever the stream's readiness: it has just begun. */
  synchronized void start(io.minibit.core.Bitfield bitfield, boolean unchoked) {
    write(SubscribeResponse.newBuilder().setBitfield(bitfield.toProto()).build());
    write(unchoked ? UNCHOKE : CHOKE);
  }

  /** Queues a HAVE and writes what the stream has room for; false once the stream is over. */
  synchronized boolean have(int index) {
    queueHave(index);
    return flush();
  }

  /**
   * Queues a HAVE of a block just verified: a stream that takes lists writes it at its next
   * {@link #flush} (its torrent's {@link HaveWindow} calls one soon), another at once. False
   * once the stream is over.
   */
  synchronized boolean gather(int index) {
    queueHave(index);
    return haveLists ? !isOver() : flush();
  }

  private void queueHave(int index) {
    if (index >= 0 && index < blockCount) {
      pendingHaves.set(index);
    }
  }

  synchronized boolean choke(boolean choked) {
    pendingChoke = choked;
    return flush();
  }

  /** Queues the peers due to this stream, if the last list went out; false once it is over. */
  synchronized boolean exchangePeers(PeerExchange exchange) {
    if (pendingPeers == null) {
      if (exchanged == null) {
        exchanged = exchange.subscribed(peerId);
      }
      List<PeerExchange.Endpoint> due = exchange.due(exchanged);
      if (!due.isEmpty()) {
        PeerList.Builder list = PeerList.newBuilder();
        for (PeerExchange.Endpoint peer : due) {
          list.addPeers(KnownPeer.newBuilder().setPeerId(peer.peerId()).setHost(peer.host())
              .setPort(peer.port()).setComplete(peer.complete()));
        }
        pendingPeers = list.build();
      }
    }
    return flush();
  }

  /**
   * Writes the waiting events while the stream is ready; ends a stream that has left events
   * unread for too long. False once the stream is over.
   */
  synchronized boolean flush() {
    if (isOver()) {
      return false;
    }
    while (stream.isReady() && hasPending()) {
      if (pendingChoke != null) {
        SubscribeResponse event = pendingChoke ? CHOKE : UNCHOKE;
        pendingChoke = null;
        write(event);
      } else if (pendingPeers != null) {
        SubscribeResponse event = SubscribeResponse.newBuilder().setPeers(pendingPeers).build();
        pendingPeers = null;
        write(event);
      } else if (haveLists) {
        write(SubscribeResponse.newBuilder().setHaveList(takeHaveList()).build());
      } else {
        int index = pendingHaves.nextSetBit(0);
        pendingHaves.clear(index);
        write(SubscribeResponse.newBuilder().setHave(Have.newBuilder().setIndex(index)).build());
      }
      if (closed) {
        return false;
      }
    }
    if (!hasPending()) {
      unreadSince = null;
      return true;
    }
    Instant now = clock.instant();
    if (unreadSince == null) {
      unreadSince = now;
    } else if (Duration.between(unreadSince, now).compareTo(Subscribers.MAX_UNREAD) > 0) {
      fail(new MinibitException(ErrorReason.OVER_LIMIT,
          Map.of("limit", "unread_seconds", "max",
              String.valueOf(Subscribers.MAX_UNREAD.toSeconds())),
          String.format("events were left unread for more than %d s; subscribe again",
              Subscribers.MAX_UNREAD.toSeconds())));
      return false;
    }
    return true;
  }

  /** Up to {@link #MAX_LIST} of the queued HAVEs, lowest first, taken off the queue. */
  private HaveList takeHaveList() {
    HaveList.Builder list = HaveList.newBuilder();
    for (int index = pendingHaves.nextSetBit(0);
        index >= 0 && list.getIndicesCount() < MAX_LIST; index = pendingHaves.nextSetBit(index)) {
      list.addIndices(index);
      pendingHaves.clear(index);
    }
    return list.build();
  }

  /** Whether the stream was closed here or cancelled by the subscriber (then closed here). */
  private boolean isOver() {
    if (!closed && stream.isCancelled()) {
      closed = true;
    }
    return closed;
  }

  private boolean hasPending() {
    return pendingChoke != null || pendingPeers != null || !pendingHaves.isEmpty();
  }

  private void write(SubscribeResponse event) {
    try {
      stream.onNext(event);
    } catch (RuntimeException e) {
      log.log(Level.FINE, "subscriber went away", e);
      closed = true;
    }
  }

  synchronized void close(Status status) {
    end(status.isOk() ? null : status.asRuntimeException());
  }

  /** Ends the stream with {@code failure}, its reason included. */
  synchronized void fail(MinibitException failure) {
    end(failure.toStatusException());
  }

  /** Completes the stream, or fails it with {@code failure} when not null; once. */
  private void end(StatusRuntimeException failure) {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (failure == null) {
        stream.onCompleted();
      } else {
        stream.onError(failure);
      }
    } catch (RuntimeException e) {
      log.log(Level.FINE, "subscriber already gone", e);
    }
  }
}
