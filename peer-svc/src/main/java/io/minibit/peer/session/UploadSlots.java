package io.minibit.peer.session;

import io.minibit.peer.policy.Choker;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * Whom this peer serves for one torrent. Every choke interval {@link #rechoke} asks the
 * {@link Choker} to pick among the peers subscribed to the torrent and tells each one that
 * changed state (CHOKE or UNCHOKE on its stream); between two rounds, a newcomer gets a free slot
 * at once. GetBlocks calls from a peer not admitted are refused as choked.
 *
 * <p>Thread-safe: all state is guarded by this object's lock; events are sent outside it.
 */
public final class UploadSlots {
  /** What this peer has sent another. */
  public record Sent(String peerId, String host, long bytes, double rate, boolean choked) {}

  private final Choker choker;
  private final Clock clock;
  private final Subscribers subscribers;
  private final BooleanSupplier seeding;
  private final Map<String, PeerUploads> uploads = new HashMap<>();
  private final ToDoubleFunction<String> receivedRates;
  private final Predicate<String> interested;
  private final BiConsumer<String, Boolean> onChokeChange;

  private static final class PeerUploads {
    final RateMeter rate;
    String host = "";
    long bytes;

    PeerUploads(Clock clock) {
      rate = new RateMeter(clock);
    }
  }

  /**
   * @param seeding whether the torrent is whole (the choker ranks peers differently then)
   * @param interested which subscribers want something from us: only they are given slots
   * @param receivedRates bytes per second each peer gave us lately, while downloading
   * @param onChokeChange told of every peer whose choke state changed, after it is told itself
   */
  public UploadSlots(Choker choker, Clock clock, Subscribers subscribers,
      BooleanSupplier seeding, Predicate<String> interested,
      ToDoubleFunction<String> receivedRates, BiConsumer<String, Boolean> onChokeChange) {
    this.choker = choker;
    this.clock = clock;
    this.subscribers = subscribers;
    this.seeding = seeding;
    this.interested = interested;
    this.receivedRates = receivedRates;
    this.onChokeChange = onChokeChange;
  }

  /** True if {@code peerId} may be served now: it holds a slot, or a free one is given to it. */
  public synchronized boolean admit(String peerId, String host) {
    PeerUploads peer = uploads.computeIfAbsent(peerId, id -> new PeerUploads(clock));
    if (!host.isEmpty()) {
      peer.host = host;
    }
    return choker.admit(peerId, clock.instant());
  }

  /**
   * Gives free slots at once to subscribers that now want something from us (we just got a
   * block they lack), as a free slot goes to a newcomer: a peer that had nothing to offer when
   * it subscribed is not kept waiting for the next round.
   */
  public void admitInterested() {
    List<String> admitted = new ArrayList<>();
    synchronized (this) {
      if (choker.unchoked().size() >= choker.capacity()) {
        return;
      }
      for (String peerId : subscribers.peerIds()) {
        if (!choker.unchoked().contains(peerId) && interested.test(peerId)
            && choker.admit(peerId, clock.instant())) {
          admitted.add(peerId);
        }
      }
    }
    for (String peerId : admitted) {
      subscribers.sendChoke(peerId, false);
      onChokeChange.accept(peerId, false);
    }
  }

  /**
   * {@code peerId} closed its subscription: its slot goes at once to a subscriber that wants
   * something from us, else to the next newcomer. A seed stores no block that would hand it
   * out (see {@link #admitInterested}), and a slot left empty until the next round is upload
   * nobody gets.
   */
  public void left(String peerId) {
    synchronized (this) {
      if (subscribers.contains(peerId)) {
        return; // another stream of the same peer is still open
      }
      choker.release(peerId);
    }
    admitInterested();
  }

  public synchronized void recordSent(String peerId, long bytes) {
    PeerUploads peer = uploads.computeIfAbsent(peerId, id -> new PeerUploads(clock));
    peer.bytes += bytes;
    peer.rate.record(bytes);
  }

  public synchronized boolean isChoking(String peerId) {
    return !choker.unchoked().contains(peerId);
  }

  /** Recomputes the slots among the subscribed peers and tells those whose state changed. */
  public void rechoke() {
    Set<String> before;
    Set<String> after;
    Set<String> subscribed = subscribers.peerIds();
    synchronized (this) {
      before = choker.unchoked();
      List<Choker.Candidate> candidates = new ArrayList<>();
      for (String peerId : subscribed) {
        if (!interested.test(peerId)) {
          continue; // it lacks nothing we hold: a slot would go unused
        }
        uploads.computeIfAbsent(peerId, id -> new PeerUploads(clock));
        candidates.add(new Choker.Candidate(peerId, receivedRates.applyAsDouble(peerId)));
      }
      after = choker.decide(candidates, seeding.getAsBoolean(), clock.instant());
      uploads.keySet().removeIf(id -> !subscribed.contains(id) && uploads.get(id).bytes == 0);
    }
    for (String peerId : subscribed) {
      boolean wasUnchoked = before.contains(peerId);
      boolean isUnchoked = after.contains(peerId);
      if (wasUnchoked != isUnchoked) {
        subscribers.sendChoke(peerId, !isUnchoked);
        onChokeChange.accept(peerId, !isUnchoked);
      }
    }
  }

  /** What was sent to each peer, and whether it is choked now. */
  public synchronized List<Sent> sent() {
    List<Sent> sent = new ArrayList<>();
    uploads.forEach((id, peer) -> sent.add(new Sent(id, peer.host, peer.bytes,
        peer.rate.bytesPerSecond(), !choker.unchoked().contains(id))));
    return sent;
  }
}
