package io.minibit.peer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.peer.policy.Choker.Candidate;
import io.minibit.peer.policy.Choker.Mode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChokerTest {
  private static final Duration OPTIMISTIC = Duration.ofSeconds(10);
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  /** Six peers: p0 gave us the least, p5 the most; we sent to p0 the most. */
  private static List<Candidate> sixPeers() {
    List<Candidate> peers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      peers.add(new Candidate("p" + i, 1000 * i, 1000 * (5 - i)));
    }
    return peers;
  }

  @Test
  void whileLeechingTheRegularSlotsGoToWhoGaveUsTheMost() {
    Choker choker = new Choker(Mode.TIT_FOR_TAT, 4, OPTIMISTIC, new Random(1));
    Set<String> unchoked = choker.decide(sixPeers(), false, T0);
    assertEquals(5, unchoked.size(), "4 regular slots and 1 optimistic");
    assertTrue(unchoked.containsAll(Set.of("p5", "p4", "p3", "p2")), unchoked.toString());
    assertTrue(Set.of("p0", "p1").contains(choker.optimistic()));
  }

  @Test
  void whileSeedingTheyGoToWhoTakesOurDataFastest() {
    Choker choker = new Choker(Mode.TIT_FOR_TAT, 4, OPTIMISTIC, new Random(2));
    Set<String> unchoked = choker.decide(sixPeers(), true, T0);
    assertTrue(unchoked.containsAll(Set.of("p0", "p1", "p2", "p3")), unchoked.toString());
    assertTrue(Set.of("p4", "p5").contains(choker.optimistic()));
  }

  @Test
  void theOptimisticSlotStaysForItsIntervalThenMoves() {
    List<Candidate> peers = new ArrayList<>(sixPeers());
    for (int i = 6; i < 20; i++) {
      peers.add(new Candidate("p" + i, 0, 0));
    }
    Choker choker = new Choker(Mode.TIT_FOR_TAT, 4, OPTIMISTIC, new Random(3));
    choker.decide(peers, false, T0);
    String first = choker.optimistic();
    choker.decide(peers, false, T0.plusSeconds(5));
    assertEquals(first, choker.optimistic(), "kept within its interval");

    Set<String> seen = new HashSet<>();
    for (int round = 1; round <= 30; round++) {
      choker.decide(peers, false, T0.plus(OPTIMISTIC.multipliedBy(round)));
      seen.add(choker.optimistic());
    }
    assertTrue(seen.size() > 5, "the optimistic slot rotates among the choked: " + seen);
    assertFalse(seen.contains("p5"), "never a peer that already has a regular slot");
  }

  @Test
  void aFreeRiderOnlyEverGetsOptimisticTurns() {
    List<Candidate> peers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      peers.add(new Candidate("giver" + i, 10_000 + i, 0));
    }
    peers.add(new Candidate("freerider", 0, 0));
    Choker choker = new Choker(Mode.TIT_FOR_TAT, 4, OPTIMISTIC, new Random(4));
    int turns = 0;
    for (int round = 0; round < 40; round++) {
      Set<String> unchoked = choker.decide(peers, false, T0.plus(OPTIMISTIC.multipliedBy(round)));
      if (unchoked.contains("freerider")) {
        turns++;
        assertEquals("freerider", choker.optimistic());
      }
    }
    assertTrue(turns > 0, "optimistic unchokes still let it in");
    assertTrue(turns < 25, "but far less often than the givers: " + turns + "/40");
  }

  @Test
  void cooperativeModeServesEveryoneInTurnWithoutRanking() {
    List<Candidate> peers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      peers.add(new Candidate("p" + i, i == 0 ? 0 : 1_000_000, 0)); // p0 never gives
    }
    Choker choker = new Choker(Mode.COOPERATIVE, 4, OPTIMISTIC, new Random(5));
    Set<String> first = choker.decide(peers, false, T0);
    Set<String> second = choker.decide(peers, false, T0.plusSeconds(10));
    assertEquals(5, first.size(), "every slot is used");
    Set<String> both = new HashSet<>(first);
    both.addAll(second);
    assertEquals(8, both.size(), "those who waited go next: " + first + " then " + second);
    assertNotEquals(first, second);
  }

  @Test
  void fewCandidatesAreAllServed() {
    Choker choker = new Choker(Mode.TIT_FOR_TAT, 4, OPTIMISTIC, new Random(6));
    assertEquals(Set.of("a", "b"), choker.decide(
        List.of(new Candidate("a", 0, 0), new Candidate("b", 0, 0)), false, T0));
  }

  @Test
  void zeroSlotsServeNobody() {
    Choker choker = new Choker(Mode.TIT_FOR_TAT, 0, OPTIMISTIC, new Random(7));
    assertEquals(Set.of(), choker.decide(sixPeers(), false, T0));
    assertFalse(choker.admit("newcomer", T0));
  }

  @Test
  void aNewcomerIsAdmittedBetweenDecisionsOnlyIfASlotIsFree() {
    Choker choker = new Choker(Mode.TIT_FOR_TAT, 2, OPTIMISTIC, new Random(8));
    choker.decide(List.of(new Candidate("a", 5, 0)), false, T0);
    assertTrue(choker.admit("b", T0.plusSeconds(1)));
    assertTrue(choker.admit("c", T0.plusSeconds(1)));
    assertFalse(choker.admit("d", T0.plusSeconds(1)), "2 regular + 1 optimistic slots are taken");
    assertTrue(choker.admit("a", T0.plusSeconds(1)), "already served");
  }

  @Test
  void modesAreChosenByName() {
    assertEquals(Mode.COOPERATIVE, Mode.named("Cooperative"));
    assertEquals(Mode.TIT_FOR_TAT, Mode.named("tit-for-tat"));
  }
}
