package io.minibit.peer.session;

import io.minibit.core.Bitfield;
import io.minibit.peer.policy.SuperSeeding;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Super-seeding of one torrent: once it is seeding, each subscriber is shown a few blocks at a
 * time (see {@link SuperSeeding}) and offered more as they spread, by HAVEs on its stream. Does
 * nothing while the torrent downloads, or when super-seeding is turned off.
 *
 * <p>Thread-safe: the policy is guarded by its own lock; HAVEs are sent outside it.
 */
final class SuperSeedOffers {
  private final SuperSeeding policy; // guarded by itself; null when turned off
  private final Clock clock;
  private final Subscribers subscribers;
  private final BooleanSupplier seeding;

  SuperSeedOffers(boolean on, int blockCount, Clock clock, Subscribers subscribers,
      BooleanSupplier seeding) {
    this.policy = on ? new SuperSeeding(blockCount, new Random()) : null;
    this.clock = clock;
    this.subscribers = subscribers;
    this.seeding = seeding;
  }

  private boolean active() {
    return policy != null && seeding.getAsBoolean();
  }

  /**
   * What subscriber {@code peerId}, which holds {@code theirs}, is shown as it subscribes: the
   * first blocks offered to it while super-seeding, else {@code whole}.
   */
  Supplier<Bitfield> shown(String peerId, Bitfield theirs, Supplier<Bitfield> whole) {
    if (!active()) {
      return whole;
    }
    return () -> {
      synchronized (policy) {
        return policy.join(peerId, theirs, clock.instant());
      }
    };
  }

  /** {@code peerId}'s stream ended: what was offered to it goes to others. */
  void left(String peerId) {
    if (policy != null) {
      synchronized (policy) {
        policy.leave(peerId);
      }
    }
  }

  /** A choked peer's offers go to others, and a served one gets fresh ones. */
  void chokeChanged(String peerId, boolean choked) {
    if (!active()) {
      return;
    }
    List<Integer> offered;
    synchronized (policy) {
      if (choked) {
        policy.choked(peerId);
        return;
      }
      offered = policy.unchoked(peerId, clock.instant());
    }
    offered.forEach(index -> subscribers.sendHave(peerId, index));
  }

  /**
   * Offers more blocks to the served subscribers (those {@code choking} does not hold back)
   * that got their offered ones elsewhere.
   */
  void topUp(Predicate<String> choking) {
    if (!active()) {
      return;
    }
    Map<String, List<Integer>> more;
    synchronized (policy) {
      Set<String> serving = new HashSet<>(subscribers.peerIds());
      serving.removeIf(choking);
      more = policy.topUp(serving, clock.instant());
    }
    more.forEach((peer, blocks) -> blocks.forEach(index -> subscribers.sendHave(peer, index)));
  }

  /** Block {@code index} went to {@code peerId}: it may be offered the next ones. */
  void sent(String peerId, int index) {
    if (!active()) {
      return;
    }
    List<Integer> offered;
    synchronized (policy) {
      offered = policy.sent(peerId, index, clock.instant());
    }
    offered.forEach(next -> subscribers.sendHave(peerId, next));
  }
}
