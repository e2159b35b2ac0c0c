package io.minibit.peer.policy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Decides which of the peers that want our blocks we serve (unchoke), every choke interval.
 *
 * <p>Tit-for-tat (the default, for swarms of strangers): while leeching, the {@code slots}
 * regular slots go to the peers that gave us the most lately; one more, optimistic, slot goes to
 * a random other peer and moves on every optimistic interval, so newcomers get started and better
 * partners get found. Regular slots nobody earned (fewer peers gave us anything lately than
 * there are slots) go by chance too. Chance is weighted: a peer we served for k rounds without
 * getting anything back weighs 1 / (1 + k) against a newcomer's 1, so a free rider, after its
 * first turns, gets few more, while a peer that gives anything is a newcomer again.
 *
 * <p>Once we seed and take nothing, there is no gift to reward, and ranking by how fast a peer
 * takes our data would lock the slots in: a peer is only measured while it is served, so whoever
 * is served first stays fastest, free riders included. A seed serves by turns instead: the
 * regular slots go to the peers that have waited longest, the optimistic one at random, so every
 * leecher gets an even share of the seed (as BitTorrent's own seed-state choker does).
 *
 * <p>Cooperative (for trusted clusters): no rate game; the slots (regular and optimistic alike)
 * go round-robin to the peers that have waited longest.
 *
 * <p>Pure policy: the caller passes time and rates in. Not thread-safe; its owner guards it.
 */
public final class Choker {
  /** Which rule assigns the slots. */
  public enum Mode {
    TIT_FOR_TAT,
    COOPERATIVE;

    /** "tit-for-tat" or "cooperative". */
    public static Mode named(String name) {
      return switch (name.toLowerCase(Locale.ROOT)) {
        case "tit-for-tat", "titfortat", "tft" -> TIT_FOR_TAT;
        case "cooperative" -> COOPERATIVE;
        default -> throw new IllegalArgumentException(
            "unknown choking policy '" + name + "': use tit-for-tat or cooperative");
      };
    }
  }

  /**
   * A peer that wants our blocks.
   *
   * @param receivedRate bytes per second it sent us lately
   */
  public record Candidate(String peer, double receivedRate) {}

  private final Mode mode;
  private final int slots;
  private final Duration optimisticInterval;
  private final Random random;
  private final Map<String, Instant> lastUnchoked = new HashMap<>();
  /** Rounds each peer was served while we leeched without giving anything back. */
  private final Map<String, Integer> unanswered = new HashMap<>();
  private String optimistic;
  private Instant optimisticSince = Instant.MIN;
  private Set<String> unchoked = Set.of();

  /**
   * @param slots regular upload slots; 0 serves nobody (not even optimistically)
   */
  public Choker(Mode mode, int slots, Duration optimisticInterval, Random random) {
    if (slots < 0) {
      throw new IllegalArgumentException("slots " + slots + " < 0");
    }
    this.mode = mode;
    this.slots = slots;
    this.optimisticInterval = optimisticInterval;
    this.random = random;
  }

  /** The peers to serve from now on, out of {@code candidates}. */
  public Set<String> decide(List<Candidate> candidates, boolean seeding, Instant now) {
    Set<String> chosen = new HashSet<>();
    if (slots > 0 && !candidates.isEmpty()) {
      if (mode == Mode.TIT_FOR_TAT) {
        titForTat(candidates, seeding, now, chosen);
      } else {
        roundRobin(candidates, chosen);
      }
    }
    for (String peer : chosen) {
      lastUnchoked.put(peer, now);
    }
    Set<String> present = new HashSet<>();
    candidates.forEach(c -> present.add(c.peer()));
    lastUnchoked.keySet().retainAll(present);
    unanswered.keySet().retainAll(present);
    unchoked = Set.copyOf(chosen);
    return unchoked;
  }

  private void titForTat(List<Candidate> candidates, boolean seeding, Instant now,
      Set<String> chosen) {
    if (!seeding) {
      rememberWhoGaveBack(candidates);
    }
    List<Candidate> ranked = new ArrayList<>(candidates);
    java.util.Collections.shuffle(ranked, random); // equal ranks: a random order, not a fixed one
    ranked.sort(seeding ? longestWaitingFirst()
        : Comparator.comparingDouble(Candidate::receivedRate).reversed());
    for (Candidate candidate : ranked) {
      if (chosen.size() == slots || (!seeding && candidate.receivedRate() == 0)) {
        break;
      }
      chosen.add(candidate.peer());
    }
    List<String> others = new ArrayList<>();
    for (Candidate candidate : candidates) {
      if (!chosen.contains(candidate.peer())) {
        others.add(candidate.peer());
      }
    }
    // Regular slots nobody earned (too few gave us anything lately) go by chance.
    while (chosen.size() < slots && others.size() > 1) {
      String peer = pickByChance(others, seeding);
      chosen.add(peer);
      others.remove(peer);
    }
    boolean keep = optimistic != null && others.contains(optimistic)
        && Duration.between(optimisticSince, now).compareTo(optimisticInterval) < 0;
    if (!keep) {
      optimistic = others.isEmpty() ? null : pickByChance(others, seeding);
      optimisticSince = now;
    }
    if (optimistic != null) {
      chosen.add(optimistic);
    }
  }

  /**
   * A peer we served last round that still gives us nothing is one more round unanswered; any
   * gift clears its record.
   */
  private void rememberWhoGaveBack(List<Candidate> candidates) {
    for (Candidate candidate : candidates) {
      if (candidate.receivedRate() > 0) {
        unanswered.remove(candidate.peer());
      } else if (unchoked.contains(candidate.peer())) {
        unanswered.merge(candidate.peer(), 1, Integer::sum);
      }
    }
  }

  /**
   * One of {@code peers} at random. While leeching, a peer we served for k rounds that gave
   * nothing back weighs 1 / (1 + k) against a newcomer's 1: chances go to peers that may still
   * trade, and a free rider, after its first turns, gets few more. A seed expects nothing back.
   */
  private String pickByChance(List<String> peers, boolean seeding) {
    double[] weights = new double[peers.size()];
    double total = 0;
    for (int i = 0; i < weights.length; i++) {
      weights[i] = seeding ? 1 : 1.0 / (1 + unanswered.getOrDefault(peers.get(i), 0));
      total += weights[i];
    }
    double point = random.nextDouble() * total;
    for (int i = 0; i < weights.length; i++) {
      point -= weights[i];
      if (point < 0) {
        return peers.get(i);
      }
    }
    return peers.get(peers.size() - 1);
  }

  private Comparator<Candidate> longestWaitingFirst() {
    return Comparator.comparing(c -> lastUnchoked.getOrDefault(c.peer(), Instant.MIN));
  }

  private void roundRobin(List<Candidate> candidates, Set<String> chosen) {
    List<Candidate> waiting = new ArrayList<>(candidates);
    java.util.Collections.shuffle(waiting, random);
    waiting.sort(longestWaitingFirst());
    for (Candidate candidate : waiting) {
      if (chosen.size() == slots + 1) {
        break;
      }
      chosen.add(candidate.peer());
    }
  }

  /** The peers served since the last decision. */
  public Set<String> unchoked() {
    return unchoked;
  }

  /** The peer holding the optimistic slot, or null. */
  public String optimistic() {
    return mode == Mode.TIT_FOR_TAT ? optimistic : null;
  }

  /** All slots, regular and optimistic. */
  public int capacity() {
    return slots == 0 ? 0 : slots + 1;
  }

  /** {@code peer} went away: its slot is free for a newcomer before the next decision. */
  public void release(String peer) {
    if (unchoked.contains(peer)) {
      Set<String> shrunk = new HashSet<>(unchoked);
      shrunk.remove(peer);
      unchoked = Set.copyOf(shrunk);
    }
  }

  /**
   * Lets a newcomer in between decisions if a slot is free, so that a new peer does not wait a
   * whole choke interval for its first block. Returns true if {@code peer} is (now) served.
   */
  public boolean admit(String peer, Instant now) {
    if (unchoked.contains(peer)) {
      return true;
    }
    if (unchoked.size() >= capacity()) {
      return false;
    }
    Set<String> grown = new HashSet<>(unchoked);
    grown.add(peer);
    unchoked = Set.copyOf(grown);
    lastUnchoked.put(peer, now);
    return true;
  }
}
