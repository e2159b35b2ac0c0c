package io.minibit.peer.policy;

import io.minibit.core.Bitfield;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * How a seeder spends its upload on each block once before any block twice (BEP 16's
 * super-seeding, in MiniBit's terms). A seeder shows each subscriber a few blocks only, those it
 * has offered least so far, and offers another each time it sends one; the subscribers then get
 * the rest from each other. With one seeder and many downloaders, its upload is the bottleneck:
 * every block it sends twice is time lost for the whole swarm.
 *
 * <p>The seeder cannot see what a subscriber got elsewhere, so a subscriber that has not fetched
 * its offered blocks for a while (it got them from other peers) is offered more.
 *
 * <p>Pure policy: time comes in as arguments. Not thread-safe; its owner guards it.
 */
public final class SuperSeeding {
  /** Blocks on offer to a subscriber and not sent yet: enough to keep its link busy. */
  public static final int WINDOW = 8;
  /** A subscriber that fetched nothing offered for this long is offered more. */
  public static final Duration IDLE = Duration.ofSeconds(2);

  private final int blockCount;
  private final int[] offered;
  private final Random random;
  private final Map<String, Offer> offers = new HashMap<>();

  private static final class Offer {
    final Set<Integer> pending = new HashSet<>();
    final Bitfield shown;
    Instant lastFetch;

    Offer(int blockCount, Instant now) {
      shown = new Bitfield(blockCount);
      lastFetch = now;
    }
  }

  public SuperSeeding(int blockCount, Random random) {
    this.blockCount = blockCount;
    this.offered = new int[blockCount];
    this.random = random;
  }

  /**
   * A new subscriber that holds {@code has} already: the bitfield to show it, {@link #WINDOW}
   * blocks it lacks, offered least so far.
   */
  public Bitfield join(String peer, Bitfield has, Instant now) {
    Offer offer = new Offer(blockCount, now);
    has.setBits().forEach(offer.shown::set); // not offered: it has them
    offers.put(peer, offer);
    offer(offer, WINDOW);
    Bitfield shown = offer.shown.copy();
    has.setBits().forEach(shown::clear);
    return shown;
  }

  public void leave(String peer) {
    offers.remove(peer);
  }

  /**
   * Block {@code index} was sent to {@code peer}: returns the blocks to offer it in its place
   * (HAVE events), usually one.
   */
  public List<Integer> sent(String peer, int index, Instant now) {
    Offer offer = offers.get(peer);
    if (offer == null) {
      return List.of();
    }
    offer.lastFetch = now;
    if (!offer.pending.remove(index)) {
      return List.of();
    }
    return offer(offer, WINDOW - offer.pending.size());
  }

  /**
   * Offers more to every subscriber in {@code serving} that fetched nothing for {@link #IDLE}:
   * it got its offered blocks elsewhere. Returns the new offers by subscriber.
   */
  public Map<String, List<Integer>> topUp(Set<String> serving, Instant now) {
    Map<String, List<Integer>> more = new HashMap<>();
    offers.forEach((peer, offer) -> {
      if (serving.contains(peer) && Duration.between(offer.lastFetch, now).compareTo(IDLE) >= 0) {
        offer.lastFetch = now;
        List<Integer> added = offer(offer, WINDOW / 2);
        if (!added.isEmpty()) {
          more.put(peer, added);
        }
      }
    });
    return more;
  }

  /**
   * {@code peer} is choked: it cannot fetch what it was offered, so those blocks go back to be
   * offered to others first (it keeps seeing them, and may fetch them once served again).
   */
  public void choked(String peer) {
    Offer offer = offers.get(peer);
    if (offer == null) {
      return;
    }
    for (int index : offer.pending) {
      offered[index]--;
    }
    offer.pending.clear();
  }

  /** {@code peer} is served again: a fresh window of blocks offered least so far. */
  public List<Integer> unchoked(String peer, Instant now) {
    Offer offer = offers.get(peer);
    if (offer == null) {
      return List.of();
    }
    offer.lastFetch = now;
    return offer(offer, WINDOW - offer.pending.size());
  }

  /** How often block {@code index} has been offered. */
  public int offers(int index) {
    return offered[index];
  }

  /** Offers up to {@code count} blocks not shown to this subscriber yet, least offered first. */
  private List<Integer> offer(Offer offer, int count) {
    List<Integer> chosen = new ArrayList<>();
    while (chosen.size() < count) {
      int best = -1;
      int seen = 0;
      for (int i = 0; i < blockCount; i++) {
        if (offer.shown.get(i)) {
          continue;
        }
        if (best < 0 || offered[i] < offered[best]) {
          best = i;
          seen = 1;
        } else if (offered[i] == offered[best] && random.nextInt(++seen) == 0) {
          best = i; // uniform among the least offered
        }
      }
      if (best < 0) {
        break; // every block is shown to it already
      }
      offered[best]++;
      offer.shown.set(best);
      offer.pending.add(best);
      chosen.add(best);
    }
    return chosen;
  }
}
