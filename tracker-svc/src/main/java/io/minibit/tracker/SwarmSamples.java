package io.minibit.tracker;

import com.google.common.base.Ticker;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.minibit.tracker.SwarmStore.Peer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * When a busy swarm's announces may share one draw of its members, for a tracker on Redis.
 *
 * <p>Drawing an announce's sample from Redis costs Redis about as much per member drawn as the
 * announce's own script. A swarm that takes more announces in {@link #FRESH} than it has members
 * (counting what each asks for) is cheaper to read whole, once per {@link #FRESH}, and each
 * announce then draws its sample from that copy: still uniform over the whole swarm, never the
 * same few members handed to everyone. A swarm too large to hold, or too quiet to gain from it,
 * is drawn for every announce, as before.
 *
 * <p>A copy lags what other trackers record by at most {@link #FRESH}. What this tracker records
 * itself drops the copy at once when it changes the membership (a member joining, leaving or
 * completing, members expiring), so one tracker never hands out a swarm older than its own last
 * change. What members announced (how much they have) may be {@link #FRESH} older than the
 * swarm's. Thread-safe.
 */
final class SwarmSamples {
  /** How long a whole swarm's copy is handed out from. */
  static final Duration FRESH = Duration.ofMillis(500);

  /** The largest swarm held whole. */
  static final int MAX_HELD_MEMBERS = 2_000;

  /**
   * Members held across every swarm's copy, bounding the memory they take: a member, without
   * its bitfield, is a few hundred bytes.
   */
  static final long MAX_HELD_TOTAL = 50_000;

  /**
   * What an announce does for its sample.
   *
   * @param held the swarm's whole membership to draw from, or null to draw from Redis
   * @param count how many members to draw from Redis when {@code held} is null
   * @param keep whether a draw from Redis that took the whole swarm is kept for the next
   *     announces
   * @param generation the changes recorded to the swarm when planned: a draw planned before a
   *     later change is not kept
   */
  record Plan(Members held, int count, boolean keep, long generation) {}

  /** The plan of an announce handed no sample. */
  static final Plan NOBODY = new Plan(Members.of(List.of()), 0, false, 0);

  private final Ticker ticker;
  private final Cache<String, Swarm> swarms;
  /** Whole swarms read in the last {@link #FRESH}; any change this tracker records drops one. */
  private final Cache<String, Members> held;

  SwarmSamples() {
    this(Ticker.systemTicker());
  }

  /** @param ticker the clock the copies age by */
  SwarmSamples(Ticker ticker) {
    this.ticker = ticker;
    // a quiet swarm's rate is forgotten, however many swarms pass through
    this.swarms = CacheBuilder.newBuilder().ticker(ticker)
        .expireAfterAccess(FRESH.multipliedBy(20).toNanos(), TimeUnit.NANOSECONDS)
        .maximumSize(100_000).build();
    this.held = CacheBuilder.newBuilder().ticker(ticker)
        .expireAfterWrite(FRESH.toNanos(), TimeUnit.NANOSECONDS)
        .maximumWeight(MAX_HELD_TOTAL)
        .<String, Members>weigher((swarm, copy) -> copy.peers().length + 1)
        .build();
  }

  /** What an announce to {@code swarm} asking for {@code wanted} others does for its sample. */
  Plan plan(String swarm, int wanted) {
    Swarm state = swarms.asMap().computeIfAbsent(swarm, s -> new Swarm());
    long now = ticker.read();
    synchronized (state) {
      long generation = state.generation;
      // every announce counts towards the rate, those answered from a copy too
      int previous = state.announced(now);
      Members copy = held.getIfPresent(swarm);
      if (copy != null) {
        return new Plan(copy, 0, false, generation);
      }
      int perAnnounce = wanted + 1; // the announcing peer may be drawn, and is left out
      int members = state.members;
      if (members > 0 && members <= MAX_HELD_MEMBERS
          && (long) previous * perAnnounce >= members) {
        // room to grow: a draw that comes back short of its count holds the whole swarm
        return new Plan(null, Math.max(perAnnounce, members + members / 4 + 8), true,
            generation);
      }
      return new Plan(null, perAnnounce, false, generation);
    }
  }

  /**
   * Keeps what {@code plan}'s draw from Redis took, if it was the whole swarm and the
   * membership has not changed since the plan.
   */
  void drawn(String swarm, Plan plan, Members members) {
    Swarm state = swarms.getIfPresent(swarm);
    if (!plan.keep() || members.peers().length >= plan.count() || state == null) {
      return;
    }
    synchronized (state) {
      if (state.generation == plan.generation()) {
        held.put(swarm, members);
      }
    }
  }

  /**
   * Records an announce's outcome: the swarm's size after it, and whether it changed who is in
   * the swarm (joined, left, completed, expired), which ends the held copy.
   */
  void recorded(String swarm, int members, boolean changed) {
    Swarm state = swarms.getIfPresent(swarm);
    if (state == null) {
      if (changed) {
        held.invalidate(swarm); // its rate forgotten, a copy of it may still be held
      }
      return;
    }
    synchronized (state) {
      state.members = members;
      if (changed) {
        state.generation++;
        held.invalidate(swarm);
      }
    }
  }

  /** Ends the held copy of {@code swarm}, whose members changed (expired, say). */
  void changed(String swarm) {
    Swarm state = swarms.getIfPresent(swarm);
    recorded(swarm, state == null ? 0 : state.members, true);
  }

  /**
   * Members of a swarm as drawn, with their ids' hashes beside them: a pick compares those
   * rather than reach every member's id. Immutable.
   */
  record Members(Peer[] peers, int[] idHashes) {
    static Members of(List<Peer> drawn) {
      Peer[] peers = drawn.toArray(Peer[]::new);
      int[] hashes = new int[peers.length];
      for (int i = 0; i < peers.length; i++) {
        hashes[i] = peers[i].peerId().hashCode();
      }
      return new Members(peers, hashes);
    }

    /** Up to {@code wanted} members other than {@code peerId}, uniformly at random, each once. */
    List<Peer> pick(String peerId, int wanted) {
      int callerHash = peerId.hashCode();
      int caller = -1;
      for (int i = 0; i < peers.length && caller < 0; i++) {
        if (idHashes[i] == callerHash && peers[i].peerId().equals(peerId)) {
          caller = i;
        }
      }
      int[] places = SampleDraw.places(peers.length, caller, wanted, ThreadLocalRandom.current());
      List<Peer> sample = new ArrayList<>(places.length);
      for (int place : places) {
        sample.add(peers[place]);
      }
      return sample;
    }
  }

  /** One swarm's announce rate and last known size. Guarded by itself. */
  private static final class Swarm {
    long generation;
    int members;
    private long windowStart = Long.MIN_VALUE;
    private int inWindow;
    private int previousWindow;

    /** Counts an announce at {@code now}; returns the announces of the last whole window. */
    int announced(long now) {
      long window = FRESH.toNanos();
      if (windowStart == Long.MIN_VALUE || now - windowStart >= window) {
        boolean adjacent = windowStart != Long.MIN_VALUE && now - windowStart < 2 * window;
        previousWindow = adjacent ? inWindow : 0;
        inWindow = 0;
        windowStart = now;
      }
      inWindow++;
      return Math.max(previousWindow, inWindow - 1);
    }
  }
}
