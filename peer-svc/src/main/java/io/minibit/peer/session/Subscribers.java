package io.minibit.peer.session;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.minibit.api.v2.SubscribeResponse;
import io.minibit.core.ErrorReason;
import io.minibit.core.MinibitException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The Subscribe streams open on one torrent: each gets the full bitfield and its choke state
 * first, then a HAVE for every block verified after it, and CHOKE or UNCHOKE when that changes.
 * A subscriber that takes lists of HAVEs gets them as the torrent's {@link HaveWindow} sends
 * them: the blocks verified within {@link HaveWindow#WINDOW} of each other in one event.
 *
 * <p>Events are only written to a stream that is ready for them (its flow-control window has
 * room). Until then they wait, coalesced: the HAVEs as a set of block indices, the choke state as
 * its latest value, so a subscriber that does not read costs one bit per block and nothing more
 * (and one peer list at most: the next is asked of the {@link PeerExchange} once it is sent).
 * A stream that leaves events unread for {@link #MAX_UNREAD} is ended with RESOURCE_EXHAUSTED.
 * A torrent takes at most {@link #MAX_PER_TORRENT} streams, and one address at most {@link
 * #MAX_PER_ADDRESS} of them.
 *
 * <p>Thread-safe: events may be sent from any thread.
 */
public final class Subscribers {
  /** Most Subscribe streams one torrent keeps open. */
  public static final int MAX_PER_TORRENT = 256;
  /** Most Subscribe streams one address may hold open on one torrent. */
  public static final int MAX_PER_ADDRESS = 8;
  /** How long a stream may leave events unread before it is ended. */
  public static final Duration MAX_UNREAD = Duration.ofMinutes(2);

  private final Clock clock;
  private final int blockCount;
  private final Set<SubscriberStream> subscribers = new CopyOnWriteArraySet<>();
  private final HaveWindow haves;

  /** @param timer where the gathered HAVEs are sent at the end of their window */
  public Subscribers(Clock clock, int blockCount, HaveWindow.Timer timer) {
    this.clock = clock;
    this.blockCount = blockCount;
    this.haves = new HaveWindow(clock, timer, this::flushAll);
  }

  /**
   * RESOURCE_EXHAUSTED if the torrent has no room for another stream, or {@code host} holds as
   * many as it may. Checked as a subscription starts, before anything is given to it.
   */
  public void requireRoom(String host) {
    if (subscribers.size() >= MAX_PER_TORRENT) {
      throw new MinibitException(ErrorReason.OVER_LIMIT,
          Map.of("limit", "subscribers_per_torrent", "max", String.valueOf(MAX_PER_TORRENT)),
          String.format("this peer already has %d subscribers for the torrent, the most it "
              + "takes", MAX_PER_TORRENT));
    }
    long fromHost = subscribers.stream().filter(s -> s.host().equals(host)).count();
    if (fromHost >= MAX_PER_ADDRESS) {
      throw new MinibitException(ErrorReason.OVER_LIMIT,
          Map.of("limit", "subscriptions_per_address", "max", String.valueOf(MAX_PER_ADDRESS)),
          String.format("%s already holds %d subscriptions to the torrent, the most one address "
              + "may", host.isEmpty() ? "the caller" : host, MAX_PER_ADDRESS));
    }
  }

  /**
   * Adds the stream of peer {@code peerId}, calling from {@code host}. The bitfield is taken
   * after the stream is registered, so a block verified meanwhile shows up in the bitfield, in a
   * HAVE, or both, but never in neither. {@code onEnd} runs once when the stream ends, whichever
   * side ends it. {@code haveLists}: the subscriber takes HaveList events.
   */
  public void add(String peerId, String host, String connection,
      ServerCallStreamObserver<SubscribeResponse> stream,
          Supplier<io.minibit.core.Bitfield> bitfield,
      boolean unchoked, boolean haveLists, Runnable onEnd) {
    SubscriberStream subscriber = new SubscriberStream(peerId, host, connection, stream, onEnd,
        clock, blockCount, haveLists);
    stream.setOnCancelHandler(() -> drop(subscriber));
    stream.setOnReadyHandler(() -> {
      if (!subscriber.flush()) {
        drop(subscriber);
      }
    });
    synchronized (subscriber) {
      subscribers.add(subscriber);
      subscriber.start(bitfield.get(), unchoked);
    }
  }

  /** Block {@code index} was verified: every stream is told, the ones that take lists soon. */
  public void broadcastHave(int index) {
    boolean gathered = false;
    for (SubscriberStream subscriber : subscribers) {
      if (!subscriber.gather(index)) {
        drop(subscriber);
      } else {
        gathered |= subscriber.takesLists();
      }
    }
    if (gathered) {
      haves.gathered();
    }
  }

  /** Writes what every stream has waiting, as far as each is ready. */
  private void flushAll() {
    for (SubscriberStream subscriber : subscribers) {
      if (!subscriber.flush()) {
        drop(subscriber);
      }
    }
  }

  /** Tells the streams of {@code peerId} alone that block {@code index} is offered to it. */
  public void sendHave(String peerId, int index) {
    for (SubscriberStream subscriber : subscribers) {
      if (subscriber.peerId().equals(peerId) && !subscriber.have(index)) {
        drop(subscriber);
      }
    }
  }

  /** Tells every stream of {@code peerId} that it is now choked or unchoked. */
  public void sendChoke(String peerId, boolean choked) {
    for (SubscriberStream subscriber : subscribers) {
      if (subscriber.peerId().equals(peerId) && !subscriber.choke(choked)) {
        drop(subscriber);
      }
    }
  }

  /**
   * Gives each stream the peers {@code exchange} says are due to it, unless the last list it was
   * given is still unsent. Called every second or so.
   */
  public void exchangePeers(PeerExchange exchange) {
    for (SubscriberStream subscriber : subscribers) {
      if (!subscriber.exchangePeers(exchange)) {
        drop(subscriber);
      }
    }
  }

  /** The peers with a stream open: the ones interested in this torrent. */
  public Set<String> peerIds() {
    return subscribers.stream().map(SubscriberStream::peerId).collect(Collectors.toSet());
  }

  public boolean contains(String peerId) {
    for (SubscriberStream subscriber : subscribers) {
      if (subscriber.peerId().equals(peerId)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code peerId} has a stream open over {@code connection}: a block call that claims
   * a peer id is served only on the connection of that peer's own subscription, so nobody takes
   * another peer's upload slot by claiming its id.
   */
  public boolean subscribedOver(String peerId, String connection) {
    // Asked for every block call served: a loop, not a stream, on this path.
    for (SubscriberStream subscriber : subscribers) {
      if (subscriber.peerId().equals(peerId) && subscriber.connection().equals(connection)) {
        return true;
      }
    }
    return false;
  }

  public int size() {
    return subscribers.size();
  }

  /** Ends every stream with {@code status} (the torrent is going away). */
  public void closeAll(Status status) {
    for (SubscriberStream subscriber : subscribers) {
      subscriber.close(status);
      drop(subscriber);
    }
  }

  /** Forgets a stream that ended, and runs its end action (once), outside its lock. */
  private void drop(SubscriberStream subscriber) {
    if (subscribers.remove(subscriber)) {
      subscriber.ended();
    }
  }
}
