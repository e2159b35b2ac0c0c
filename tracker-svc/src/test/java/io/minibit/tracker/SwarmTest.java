package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SwarmTest {
  private static SwarmStore.Peer peer(String id, boolean complete) {
    return new SwarmStore.Peer(id, "10.0.0.1", 6881, complete, 0, 0, 0, Instant.EPOCH, null,
        0);
  }

  /** A Random that counts its draws: a sample's cost. */
  private static final class CountingRandom extends Random {
    int draws;

    CountingRandom(long seed) {
      super(seed);
    }

    @Override
    public int nextInt(int bound) {
      draws++;
      return super.nextInt(bound);
    }
  }

  @Test
  void joinsChangesAndLeavesKeepTheCountsAndTheMembers() {
    Swarm swarm = new Swarm();
    swarm.put(peer("a", false));
    swarm.put(peer("b", true));
    swarm.put(peer("c", false));
    swarm.put(peer("a", true)); // completed
    assertEquals(2, swarm.seeders());
    assertEquals(1, swarm.leechers());

    swarm.remove("b"); // a seeder leaves from the middle: the last member takes its place
    swarm.remove("nobody");

    assertEquals(1, swarm.seeders());
    assertEquals(1, swarm.leechers());
    assertEquals(Set.of("a", "c"), ids(swarm.members()));
    assertTrue(swarm.contains("c") && !swarm.contains("b"));
    swarm.remove("c");
    swarm.remove("a");
    assertTrue(swarm.isEmpty());
    assertEquals(0, swarm.seeders());
  }

  @Test
  void aSampleOfABigSwarmCostsWhatItHoldsNotWhatTheSwarmHolds() {
    Swarm swarm = new Swarm();
    for (int i = 0; i < 20_000; i++) {
      swarm.put(peer("p" + i, i % 3 == 0));
    }
    CountingRandom random = new CountingRandom(5);

    List<SwarmStore.Peer> sample = swarm.sample("p7", 50, random);

    assertEquals(50, sample.size());
    assertEquals(50, ids(sample).size(), "no member twice");
    assertFalse(ids(sample).contains("p7"), "never the caller");
    assertTrue(random.draws <= 51, "draws: " + random.draws);
    assertEquals(20_000, swarm.size(), "sampling moves members, never loses one");
  }

  @Test
  void samplesAreUniformOverTheOthersWhetherOrNotTheCallerIsAMember() {
    Swarm swarm = new Swarm();
    for (int i = 0; i < 10; i++) {
      swarm.put(peer("p" + i, false));
    }
    Random random = new Random(11);
    Map<String, Integer> picked = new HashMap<>();
    int rounds = 30_000;
    for (int round = 0; round < rounds; round++) {
      for (SwarmStore.Peer chosen : swarm.sample(round % 2 == 0 ? "p0" : "stranger", 3,
          random)) {
        picked.merge(chosen.peerId(), 1, Integer::sum);
      }
    }
    // p0 is drawn only for the stranger (half the rounds, 3 of 10); the other nine every round
    // (3 of 9 for p0's turns, 3 of 10 for the stranger's): expected 9,500 each, p0 4,500.
    for (int i = 1; i < 10; i++) {
      int count = picked.get("p" + i);
      assertTrue(Math.abs(count - 9_500) < 400, "p" + i + ": " + count);
    }
    assertTrue(Math.abs(picked.get("p0") - 4_500) < 300, "p0: " + picked.get("p0"));
  }

  @Test
  void aSmallSwarmGivesEveryOtherMember() {
    Swarm swarm = new Swarm();
    swarm.put(peer("me", false));
    swarm.put(peer("you", true));
    assertEquals(Set.of("you"), ids(swarm.sample("me", 50, new Random(1))));
    assertEquals(List.of(), new Swarm().sample("me", 50, new Random(1)));
  }

  private static Set<String> ids(List<SwarmStore.Peer> peers) {
    Set<String> ids = new HashSet<>();
    peers.forEach(peer -> ids.add(peer.peerId()));
    return ids;
  }
}
