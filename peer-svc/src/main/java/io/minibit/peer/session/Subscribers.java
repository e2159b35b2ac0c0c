package io.minibit.peer.session;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.minibit.api.v1.Bitfield;
import io.minibit.api.v1.Have;
import io.minibit.api.v1.PeerEvent;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Subscribe streams open on one torrent: each gets the full bitfield first, then a HAVE for
 * every block verified after it. Thread-safe: HAVEs may be broadcast from any thread.
 */
public final class Subscribers {
  private static final Logger log = Logger.getLogger(Subscribers.class.getName());

  private final Set<Subscriber> subscribers = new CopyOnWriteArraySet<>();

  /**
   * Adds a stream. The bitfield is taken after the stream is registered, so a block verified
   * meanwhile shows up in the bitfield, in a HAVE, or both, but never in neither.
   */
  public void add(ServerCallStreamObserver<PeerEvent> stream,
      Supplier<io.minibit.core.Bitfield> bitfield) {
    Subscriber subscriber = new Subscriber(stream);
    stream.setOnCancelHandler(() -> subscribers.remove(subscriber));
    synchronized (subscriber) {
      subscribers.add(subscriber);
      io.minibit.core.Bitfield snapshot = bitfield.get();
      subscriber.send(PeerEvent.newBuilder().setBitfield(Bitfield.newBuilder()
          .setBlockCount(snapshot.size())
          .setBits(ByteString.copyFrom(snapshot.toBytes()))).build());
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
    private final ServerCallStreamObserver<PeerEvent> stream;
    private boolean closed;

    Subscriber(ServerCallStreamObserver<PeerEvent> stream) {
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
