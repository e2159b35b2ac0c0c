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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ChokerTest {
  private static final Duration OPTIMISTIC = Duration.ofSeconds(10);
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  /** Six peers: p0 gave us the least, p5 the most. */
  private static List<Candidate> sixPeers() {
    List<Candidate> peers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      peers.add(new Candidate("p" + i, 1000 * i));
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
  void whileSeedingTheyGoByTurnsNotToWhoeverTakesFastest() {
    // Ranked by what we sent them, whoever was served first would stay fastest for good.
    Choker choker = new Choker(Mode.TIT_FOR_TAT, 2, OPTIMISTIC, new Random(2));
    Set<String> served = new HashSet<>();
    for (int round = 0; round < 3; round++) {
      Set<String> unchoked =
          choker.decide(sixPeers(), true, T0.plus(OPTIMISTIC.multipliedBy(round)));
      assertEquals(3, unchoked.size(), "2 regular slots and 1 optimistic");
      served.addAll(unchoked);
    }
    assertEquals(6, served.size(), "every leecher had a turn within three rounds: " + served);
  }

  @Test
  void regularSlotsGoOnlyToGiversTheRestByChance() {
    List<Candidate> peers = new ArrayList<>();
    peers.add(new Candidate("giver", 5_000));
    for (int i = 0; i < 5; i++) {
      peers.add(new Candidate("idle" + i, 0));
    }
    Set<String> fillIns = new HashSet<>();
    for (int seed = 0; seed < 20; seed++) {
      Choker choker = new Choker(Mode.TIT_FOR_TAT, 3, OPTIMISTIC, new Random(seed));
      Set<String> unchoked = choker.decide(peers, false, T0);
      assertEquals(4, unchoked.size(), "every slot is used: " + unchoked);
      assertTrue(unchoked.contains("giver"));
      fillIns.addAll(unchoked);
    }
    assertEquals(6, fillIns.size(), "the unearned slots go round at random: " + fillIns);
  }

  @Test
  void aPeerServedWithoutGivingBackIsTriedLessAndLess() {
    List<Candidate> peers = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      peers.add(new Candidate("giver" + i, 10_000 + i));
    }
    peers.add(new Candidate("freerider", 0));
    peers.add(new Candidate("newcomer", 0));
    int freeRiderTurns = 0;
    int newcomerTurns = 0;
    for (int seed = 0; seed < 200; seed++) {
      Choker choker = new Choker(Mode.TIT_FOR_TAT, 4, OPTIMISTIC, new Random(seed));
      // The free rider has been served for its first few rounds and gave nothing back.
      List<Candidate> early = List.of(peers.get(0), peers.get(4));
      for (int round = 0; round < 4; round++) {
        choker.decide(early, false, T0.plus(OPTIMISTIC.multipliedBy(round)));
      }
      choker.decide(peers, false, T0.plus(OPTIMISTIC.multipliedBy(5)));
      String optimistic = choker.optimistic();
      if ("freerider".equals(optimistic)) {
        freeRiderTurns++;
      } else if ("newcomer".equals(optimistic)) {
        newcomerTurns++;
      }
    }
    assertEquals(200, freeRiderTurns + newcomerTurns, "the givers hold the regular slots");
    // Weights 1/5 against 1: each seed a 1-in-6 draw, about 33 turns against 167 (standard
    // deviation 5.3). The policy puts it outside 12..56 once in 45,000 sets of seeds; an
    // unweighted draw (about 100) inside once in 5 * 10^9, and a free rider shut out for good
    // (0) never.
    assertTrue(freeRiderTurns >= 12 && freeRiderTurns <= 56,
        "free rider " + freeRiderTurns + ", newcomer " + newcomerTurns);
  }

  @Test
  void aGiftClearsAPeersRecord() {
    int aTurns = 0;
    for (int seed = 0; seed < 200; seed++) {
      Choker choker = new Choker(Mode.TIT_FOR_TAT, 1, OPTIMISTIC, new Random(seed));
      for (int round = 0; round < 5; round++) { // served, silent
        choker.decide(List.of(new Candidate("a", 0)), false,
            T0.plus(OPTIMISTIC.multipliedBy(round)));
      }
      choker.decide(List.of(new Candidate("a", 1_000)), false, // then it gave
          T0.plus(OPTIMISTIC.multipliedBy(5)));
      choker.decide(List.of(new Candidate("giver", 9_000), new Candidate("a", 0),
          new Candidate("b", 0)), false, T0.plus(OPTIMISTIC.multipliedBy(7)));
      if ("a".equals(choker.optimistic())) {
        aTurns++;
      }
    }
    // Served in the round it gave, silent since: 1 round unanswered, weight 1/2 against b's 1
    // (about 67 turns). Without the gift clearing its 5 silent rounds, 1/7 (about 25).
    assertTrue(aTurns > 45 && aTurns < 95, "a's turns: " + aTurns + "/200");
  }

  @Test
  void theOptimisticSlotStaysForItsIntervalThenMoves() {
    List<Candidate> peers = new ArrayList<>(sixPeers());
    for (int i = 6; i < 20; i++) {
      peers.add(new Candidate("p" + i, 0));
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
      peers.add(new Candidate("giver" + i, 10_000 + i));
    }
    peers.add(new Candidate("freerider", 0));
    Choker choker = new Choker(Mode.TIT_FOR_TAT, 4, OPTIMISTIC, new Random(4));
    int rounds = 200;
    Map<String, Integer> turns = new HashMap<>();
    for (int round = 0; round < rounds; round++) {
      Set<String> unchoked = choker.decide(peers, false, T0.plus(OPTIMISTIC.multipliedBy(round)));
      unchoked.forEach(peer -> turns.merge(peer, 1, Integer::sum));
      if (unchoked.contains("freerider")) {
        assertEquals("freerider", choker.optimistic(), "never a regular slot");
      }
    }
    for (int i = 2; i < 6; i++) {
      assertEquals(rounds, turns.get("giver" + i), "the four best givers hold the regular slots");
    }
    // Each round the optimistic slot (its interval is one round) goes to giver0, giver1 or the
    // free rider. After k turns unanswered the free rider weighs 1/(1 + k) against each giver's
    // 1, so its next turn comes with chance 1/(3 + 2k) a round, after 3 + 2k rounds on average:
    // k turns take about k^2 + 2k rounds, and 200 rounds give it about 13 (mean 13.0, standard
    // deviation 2.1, worked out exactly over the rounds). The policy puts it outside 6..24 once
    // in 90,000 seeds; a draw that did not weigh it down (a third of the turns, about 67) would
    // put it inside less than once in 10^11. The givers left to chance share the rest, about 93
    // each (60 is five standard deviations below).
    int freeRider = turns.getOrDefault("freerider", 0);
    assertTrue(freeRider >= 6 && freeRider <= 24,
        "the free rider's turns fall off as it keeps taking: " + freeRider + "/" + rounds);
    assertTrue(turns.get("giver0") >= 60 && turns.get("giver1") >= 60,
        "far fewer than even the givers that rank too low for a regular slot: " + turns);
  }

  @Test
  void aFreeRiderGetsUnderAQuarterOfACooperatorsShare() {
    // ChokingTest's swarm as a model, on a clock that moves a choke round at a time: six
    // cooperators with two regular slots each, the optimistic slot moving every third round, and
    // a free rider that serves nobody. A cooperator sends a block a round to each peer it serves,
    // and what a peer sent in the last round is its rate.
    int cooperators = 6;
    int rounds = 300;
    String freeRider = "freerider";
    Duration round = Duration.ofSeconds(1);
    for (int seed = 0; seed < 20; seed++) {
      List<Choker> chokers = new ArrayList<>();
      for (int i = 0; i < cooperators; i++) {
        chokers.add(new Choker(Mode.TIT_FOR_TAT, 2, round.multipliedBy(3),
            new Random(100L * seed + i)));
      }
      Map<String, Integer> gained = new HashMap<>();
      // sent.get(to).get(from): blocks sent in the last round
      Map<String, Map<String, Integer>> sent = new HashMap<>();
      for (int r = 0; r < rounds; r++) {
        Map<String, Map<String, Integer>> sentNow = new HashMap<>();
        for (int i = 0; i < cooperators; i++) {
          String self = "c" + i;
          Map<String, Integer> fromOthers = sent.getOrDefault(self, Map.of());
          List<Candidate> wanting = new ArrayList<>();
          for (int j = 0; j < cooperators; j++) {
            if (j != i) {
              wanting.add(new Candidate("c" + j, fromOthers.getOrDefault("c" + j, 0)));
            }
          }
          wanting.add(new Candidate(freeRider, 0));
          for (String served : chokers.get(i).decide(wanting, false,
              T0.plus(round.multipliedBy(r)))) {
            gained.merge(served, 1, Integer::sum);
            sentNow.computeIfAbsent(served, k -> new HashMap<>()).merge(self, 1, Integer::sum);
          }
        }
        sent = sentNow;
      }
      double cooperatorMean = IntStream.range(0, cooperators)
          .map(i -> gained.getOrDefault("c" + i, 0)).average().orElseThrow();
      double ratio = gained.getOrDefault(freeRider, 0) / cooperatorMean;
      // The free rider holds no regular slot once the cooperators trade, and its weight in the
      // optimistic draw falls with every round it is served: about 0.14 of a cooperator's gain,
      // at most 0.19 over 3,000 seeds. Drawn unweighted it would hold about a quarter of each
      // optimistic slot: some 1.5 blocks a round against a cooperator's 2.75 (0.55).
      assertTrue(ratio > 0 && ratio < 0.25, "seed " + seed + ": the free rider gained "
          + gained.get(freeRider) + " blocks, a cooperator " + cooperatorMean + " on average");
    }
  }

  @Test
  void cooperativeModeServesEveryoneInTurnWithoutRanking() {
    List<Candidate> peers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      peers.add(new Candidate("p" + i, i == 0 ? 0 : 1_000_000)); // p0 never gives
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
        List.of(new Candidate("a", 0), new Candidate("b", 0)), false, T0));
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
    choker.decide(List.of(new Candidate("a", 5)), false, T0);
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
