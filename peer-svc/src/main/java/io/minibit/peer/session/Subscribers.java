package io.minibit.peer.session;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.minibit.api.v1.Choke;
import io.minibit.api.v1.Have;
import io.minibit.api.v1.PeerEvent;
import io.minibit.api.v1.Unchoke;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * The Subscribe streams open on one torrent: each gets the full bitfield and its choke state
 * first, then a HAVE for every block verified after it, and CHOKE or UNCHOKE when that changes.
 * Thread-safe: events may be sent from any thread.
 */
public final class Subscribers {
  private static final Logger log = Logger.getLogger(Subscribers.class.getName());
  private static final PeerEvent CHOKE = PeerEvent.newBuilder().setChoke(Choke.getDefaultInstance())
      .build();
  private static final PeerEvent UNCHOKE = PeerEvent.newBuilder()
      .setUnchoke(Unchoke.getDefaultInstance()).build();

  private final Set<Subscriber> subscribers = new CopyOnWriteArraySet<>();

  /**
   * Adds the stream of peer {@code peerId}. The bitfield is taken after the stream is
   * registered, so a block verified meanwhile shows up in the bitfield, in a HAVE, or both, but
   * never in neither.
   */
  public void add(String peerId, ServerCallStreamObserver<PeerEvent> stream,
      Supplier<io.minibit.core.Bitfield> bitfield, boolean unchoked, Runnable onCancel) {
    Subscriber subscriber = new Subscriber(peerId, stream);
    stream.setOnCancelHandler(() -> {
      subscribers.remove(subscriber);
      onCancel.run();
    });
    synchronized (subscriber) {
      subscribers.add(subscriber);
      subscriber.send(PeerEvent.newBuilder().setBitfield(bitfield.get().toProto()).build());
      subscriber.send(unchoked ? UNCHOKE : CHOKE);
    }
  }

  public void broadcastHave(int index) {
    PeerEvent event = PeerEvent.newBuilder().setHave(Have.newBuilder().setIndex(index)).build();
    for (Subscriber subscriber : subscribers) {
      if (!subscriber.send(event)) {
        subscribers.remove(subscriber);
      }
    }
  }

  /** Tells the streams of {@code peerId} alone that block {@code index} is offered to it. */
  public void sendHave(String peerId, int index) {
    PeerEvent event = PeerEvent.newBuilder().setHave(Have.newBuilder().setIndex(index)).build();
    for (Subscriber subscriber : subscribers) {
      if (subscriber.peerId.equals(peerId)) {
        subscriber.send(event);
      }
    }
  }

  /** Tells every stream of {@code peerId} that it is now choked or unchoked. */
  public void sendChoke(String peerId, boolean choked) {
    for (Subscriber subscriber : subscribers) {
      if (subscriber.peerId.equals(peerId)) {
        subscriber.send(choked ? CHOKE : UNCHOKE);
      }
    }
  }

  /** The peers with a stream open: the ones interested in this torrent. */
  public Set<String> peerIds() {
    return subscribers.stream().map(s -> s.peerId).collect(Collectors.toSet());
  }

  public boolean contains(String peerId) {
    return subscribers.stream().anyMatch(s -> s.peerId.equals(peerId));
  }

  public int size() {
    return subscribers.size();
  }

  /** Ends every stream with {@code status} (the torrent is going away). */
  public void closeAll(Status status) {
    for (Subscriber subscriber : subscribers) {
      subscriber.close(status);
    }
    subscribers.clear();
  }

  /** One stream; its lock serializes sends, as a StreamObserver requires. */
  private static final class Subscriber {
    private final String peerId;
    private final ServerCallStreamObserver<PeerEvent> stream;
    private boolean closed;

    Subscriber(String peerId, ServerCallStreamObserver<PeerEvent> stream) {
      this.peerId = peerId;
      this.stream = stream;
    }

    synchronized boolean send(PeerEvent event) {
      if (closed || stream.isCancelled()) {
        closed = true;
        return false;
      }
      try {
        stream.onNext(event);
        return true;
      } catch (RuntimeException e) {
        log.log(Level.FINE, "subscriber went away", e);
        closed = true;
        return false;
      }
    }

    synchronized void close(Status status) {
      if (closed) {
        return;
      }
      closed = true;
      try {
        if (status.isOk()) {
          stream.onCompleted();
        } else {
          stream.onError(status.asRuntimeException());
        }
      } catch (RuntimeException e) {
        log.log(Level.FINE, "subscriber already gone", e);
      }
    }
  }
}
