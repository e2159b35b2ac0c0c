package io.minibit.peer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.Bitfield;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SuperSeedingTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  private static Bitfield none(int size) {
    return new Bitfield(size);
  }

  private static Set<Integer> shown(Bitfield bitfield) {
    Set<Integer> set = new HashSet<>();
    bitfield.setBits().forEach(set::add);
    return set;
  }

  @Test
  void subscribersAreShownDifferentBlocksUntilEveryBlockIsOffered() {
    SuperSeeding seeding = new SuperSeeding(64, new Random(1));
    Set<Integer> all = new HashSet<>();
    for (int peer = 0; peer < 8; peer++) {
      Set<Integer> blocks = shown(seeding.join("p" + peer, none(64), T0));
      assertEquals(SuperSeeding.WINDOW, blocks.size());
      for (int block : blocks) {
        assertTrue(all.add(block), "block " + block + " offered twice while others were not");
      }
    }
    assertEquals(64, all.size());
  }

  @Test
  void eachBlockSentIsReplacedByTheLeastOfferedOne() {
    SuperSeeding seeding = new SuperSeeding(32, new Random(2));
    Set<Integer> first = shown(seeding.join("a", none(32), T0));
    int sent = first.iterator().next();
    List<Integer> next = seeding.sent("a", sent, T0.plusMillis(100));
    assertEquals(1, next.size());
    assertEquals(1, seeding.offers(next.get(0)));
    assertTrue(!first.contains(next.get(0)), "a block it was not shown yet");
    assertEquals(List.of(), seeding.sent("a", sent, T0.plusMillis(200)), "sent twice: no news");
    assertEquals(List.of(), seeding.sent("stranger", 3, T0), "not a subscriber");
  }

  @Test
  void anIdleServedSubscriberIsOfferedMore() {
    SuperSeeding seeding = new SuperSeeding(64, new Random(3));
    seeding.join("busy", none(64), T0);
    seeding.join("idle", none(64), T0);
    seeding.join("choked", none(64), T0);
    seeding.sent("busy", 0, T0.plus(SuperSeeding.IDLE)); // whatever it fetched, it fetched now
    Map<String, List<Integer>> more =
        seeding.topUp(Set.of("busy", "idle"), T0.plus(SuperSeeding.IDLE));
    assertEquals(Set.of("idle"), more.keySet(), "busy fetched lately, choked is not served");
    assertEquals(SuperSeeding.WINDOW / 2, more.get("idle").size());
  }

  @Test
  void whenEveryBlockIsShownNothingMoreIsOffered() {
    SuperSeeding seeding = new SuperSeeding(4, new Random(4));
    assertEquals(4, shown(seeding.join("a", none(4), T0)).size());
    assertEquals(Map.of(), seeding.topUp(Set.of("a"), T0.plusSeconds(60)));
  }

  @Test
  void blocksTheSubscriberHoldsAreNeitherShownNorOffered() {
    SuperSeeding seeding = new SuperSeeding(16, new Random(5));
    Bitfield has = new Bitfield(16);
    for (int i = 0; i < 12; i++) {
      has.set(i);
    }
    Set<Integer> blocks = shown(seeding.join("resumed", has, T0));
    assertEquals(Set.of(12, 13, 14, 15), blocks);
    assertEquals(0, seeding.offers(0), "a block it has is not offered");
  }

  @Test
  void aChokedPeersOffersGoToOthersAndItGetsFreshOnesWhenServedAgain() {
    SuperSeeding seeding = new SuperSeeding(16, new Random(6));
    Set<Integer> first = shown(seeding.join("choked", new Bitfield(16), T0));
    seeding.choked("choked");
    first.forEach(block -> assertEquals(0, seeding.offers(block)));
    assertEquals(SuperSeeding.WINDOW, shown(seeding.join("other", new Bitfield(16), T0)).size());
    List<Integer> fresh = seeding.unchoked("choked", T0.plusSeconds(10));
    assertEquals(SuperSeeding.WINDOW, fresh.size());
    assertTrue(fresh.stream().noneMatch(first::contains), "blocks it was not shown yet");
  }
}
