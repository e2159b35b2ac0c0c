package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.base.Ticker;
import io.minibit.tracker.SwarmStore.Peer;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** When a swarm's announces share one read of it, driven by a clock the test moves. */
class SwarmSamplesTest {
  private static final String SWARM = "minibit:swarm:ab";
  private static final int WANTED = 10;

  private final AtomicLong nanos = new AtomicLong();
  private final SwarmSamples samples = new SwarmSamples(new Ticker() {
    @Override
    public long read() {
      return nanos.get();
    }
  });

  private static Peer peer(String id) {
    return new Peer(id, "10.0.0.1", 7000, false, 0, 0, 0, Instant.EPOCH, null, 0);
  }

  private static List<Peer> swarm(int members) {
    return IntStream.range(0, members).mapToObj(i -> peer("peer-" + i)).toList();
  }

  /** Announces to a swarm of {@code members} until one plans to keep its draw, and keeps it. */
  private SwarmSamples.Plan holdWhole(List<Peer> members) {
    for (int i = 0; i < 10; i++) {
      SwarmSamples.Plan plan = samples.plan(SWARM, WANTED);
      samples.recorded(SWARM, members.size(), false);
      if (plan.keep()) {
        assertTrue(plan.count() > members.size(), "a draw that can tell it took everyone");
        samples.drawn(SWARM, plan, SwarmSamples.Members.of(members));
        return plan;
      }
      assertEquals(WANTED + 1, plan.count());
    }
    throw new AssertionError("a busy swarm's draw is never kept");
  }

  @Test
  void aQuietSwarmIsDrawnForEveryAnnounce() {
    for (int i = 0; i < 5; i++) {
      SwarmSamples.Plan plan = samples.plan(SWARM, WANTED);
      assertNull(plan.held());
      assertFalse(plan.keep());
      assertEquals(WANTED + 1, plan.count());
      samples.recorded(SWARM, 1_000, false);
      nanos.addAndGet(SwarmSamples.FRESH.toNanos() * 3);
    }
  }

  @Test
  void aBusySwarmIsReadWholeOnceAndHeldForAMomentOnly() {
    List<Peer> members = swarm(30);
    holdWhole(members);

    for (int i = 0; i < 50; i++) {
      assertEquals(List.of(members.toArray()),
          List.of(samples.plan(SWARM, WANTED).held().peers()));
    }
    nanos.addAndGet(SwarmSamples.FRESH.toNanos());
    SwarmSamples.Plan stale = samples.plan(SWARM, WANTED);
    assertNull(stale.held(), "a copy is handed out for " + SwarmSamples.FRESH + " at most");
    assertTrue(stale.keep(), "still busy: read whole again");
  }

  @Test
  void aChangeOfMembershipEndsTheCopyAndADrawFromBeforeItIsNotKept() {
    List<Peer> members = swarm(30);
    holdWhole(members);
    samples.recorded(SWARM, 31, true);
    SwarmSamples.Plan after = samples.plan(SWARM, WANTED);
    assertNull(after.held());

    samples.recorded(SWARM, 32, true); // another member joins while that draw is in flight
    samples.drawn(SWARM, after, SwarmSamples.Members.of(swarm(31)));
    assertNull(samples.plan(SWARM, WANTED).held());

    samples.changed(SWARM);
    SwarmSamples.Plan fresh = samples.plan(SWARM, WANTED);
    samples.drawn(SWARM, fresh, SwarmSamples.Members.of(swarm(32)));
    assertNotNull(samples.plan(SWARM, WANTED).held());
    samples.changed(SWARM); // members expired
    assertNull(samples.plan(SWARM, WANTED).held());
  }

  @Test
  void aDrawThatFilledItsCountIsNotTheWholeSwarmAndIsNotKept() {
    List<Peer> members = swarm(30);
    SwarmSamples.Plan plan = holdWhole(members);
    samples.changed(SWARM);
    SwarmSamples.Plan next = samples.plan(SWARM, WANTED);
    samples.drawn(SWARM, next, SwarmSamples.Members.of(swarm(next.count()))); // the swarm grew past the count
    assertNull(samples.plan(SWARM, WANTED).held());
    assertTrue(plan.keep());
  }

  @Test
  void aSwarmTooLargeToHoldIsAlwaysDrawn() {
    int members = SwarmSamples.MAX_HELD_MEMBERS + 1;
    for (int i = 0; i < 5_000; i++) {
      SwarmSamples.Plan plan = samples.plan(SWARM, WANTED);
      assertFalse(plan.keep());
      assertEquals(WANTED + 1, plan.count());
      samples.recorded(SWARM, members, false);
    }
  }

  @Test
  void aPickLeavesOutTheCallerTakesEachOnceAndReachesEveryone() {
    SwarmSamples.Members members = SwarmSamples.Members.of(swarm(30));
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      List<Peer> sample = members.pick("peer-0", WANTED);
      assertEquals(WANTED, sample.size());
      Set<String> ids = new HashSet<>();
      sample.forEach(p -> ids.add(p.peerId()));
      assertEquals(WANTED, ids.size(), "no peer twice");
      assertFalse(ids.contains("peer-0"));
      seen.addAll(ids);
    }
    assertEquals(29, seen.size());
    assertEquals(29, members.pick("peer-0", 50).size());
    assertEquals(30, members.pick("stranger", 50).size());
    assertEquals(List.of(), SwarmSamples.Members.of(List.of()).pick("peer-0", 50));
    // "Aa" and "BB" share a hash code: only the caller's id is left out
    List<Peer> alike = SwarmSamples.Members.of(List.of(peer("Aa"), peer("BB"))).pick("Aa", 50);
    assertEquals(List.of("BB"), alike.stream().map(Peer::peerId).toList());
  }
}
