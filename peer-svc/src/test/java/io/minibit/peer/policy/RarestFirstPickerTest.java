package io.minibit.peer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.Bitfield;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RarestFirstPickerTest {
  private static Bitfield bits(int size, int... set) {
    Bitfield bitfield = new Bitfield(size);
    for (int i : set) {
      bitfield.set(i);
    }
    return bitfield;
  }

  private static final int BLOCK = 256 * 1024;

  /**
   * A picker without the random start, so rarity decides from the first pick, and with a front
   * window as large as the file.
   */
  private static RarestFirstPicker rarest(Bitfield have, Random random) {
    return new RarestFirstPicker(have, random, 0, have.size());
  }

  private static List<Integer> sorted(List<Integer> blocks) {
    return blocks.stream().sorted().toList();
  }

  private static Bitfield none(int size) {
    return new Bitfield(size);
  }

  @Test
  void picksTheRarestBlocksFirst() {
    RarestFirstPicker picker = rarest(none(10), new Random(1));
    Bitfield everything = Bitfield.full(10);
    picker.addAvailability(everything);
    picker.addAvailability(everything);
    picker.addAvailability(bits(10, 0, 1, 2, 3, 4, 5, 6, 8, 9)); // lacks block 7
    picker.addAvailability(bits(10, 0, 1, 2, 3, 4, 5, 6, 7, 8)); // lacks block 9

    assertEquals(3, picker.availability(7));
    assertEquals(3, picker.availability(9));
    assertEquals(4, picker.availability(0));

    List<Integer> picked = picker.pick(everything, 2, none(10));
    assertEquals(Set.of(7, 9), new HashSet<>(picked));
  }

  @Test
  void aBlockHeldByASinglePeerComesFirst() {
    RarestFirstPicker picker = rarest(none(100), new Random(7));
    Bitfield common = Bitfield.full(100);
    common.clear(42);
    picker.addAvailability(common);
    picker.addAvailability(common);
    picker.addAvailability(Bitfield.full(100));

    List<Integer> picked = picker.pick(Bitfield.full(100), 1, none(100));
    assertEquals(List.of(42), picked);
  }

  @Test
  void onlyPicksBlocksThePeerHasAndThatAreMissing() {
    RarestFirstPicker picker = rarest(bits(8, 0, 1), new Random(3));
    Bitfield peer = bits(8, 0, 1, 2, 3);
    picker.addAvailability(peer);

    List<Integer> picked = picker.pick(peer, 8, none(8));
    assertEquals(Set.of(2, 3), new HashSet<>(picked));
  }

  @Test
  void aRequestedBlockIsNotHandedToASecondPeerWhileOthersRemain() {
    RarestFirstPicker picker = rarest(none(4), new Random(5));
    Bitfield all = Bitfield.full(4);
    picker.addAvailability(all);
    picker.addAvailability(all);

    Set<Integer> first = new HashSet<>(picker.pick(all, 2, none(4)));
    Set<Integer> second = new HashSet<>(picker.pick(all, 2, none(4)));
    assertEquals(2, first.size());
    assertEquals(2, second.size());
    assertTrue(first.stream().noneMatch(second::contains), first + " and " + second);
  }

  @Test
  void endgameRequestsTheLastBlocksFromAnotherPeer() {
    RarestFirstPicker picker = rarest(bits(3, 0, 1), new Random(9));
    Bitfield all = Bitfield.full(3);
    picker.addAvailability(all);
    picker.addAvailability(all);

    Bitfield requestedFromA = none(3);
    List<Integer> fromA = picker.pick(all, 4, requestedFromA);
    assertEquals(List.of(2), fromA);
    fromA.forEach(requestedFromA::set);

    // Peer B: nothing unrequested is left, so it duplicates the slow request ...
    assertEquals(List.of(2), picker.pick(all, 4, none(3)));
    // ... but peer A is never asked twice for the same block ...
    assertEquals(List.of(), picker.pick(all, 4, requestedFromA));
    // ... and a third peer finds both copies already asked for.
    assertEquals(List.of(), picker.pick(all, 4, none(3)));
  }

  @Test
  void noBlockIsAskedTwiceWhileAnotherHeldBlockIsNotAskedAtAll() {
    RarestFirstPicker picker = rarest(none(4), new Random(5));
    Bitfield seed = Bitfield.full(4);
    Bitfield leecher = bits(4, 0);
    picker.addAvailability(seed);
    picker.addAvailability(leecher);
    // Block 0 is on its way from another peer.
    assertEquals(List.of(0), picker.pick(bits(4, 0), 1, none(4)));

    // The leecher has nothing fresh to give, but the seed's blocks 1 to 3 are asked of nobody
    // yet: a second copy of block 0 would only take upload from them.
    assertEquals(List.of(), picker.pick(leecher, 4, none(4)));
    // Once every block is asked for, the endgame duplicates it.
    assertEquals(List.of(1, 2, 3), sorted(picker.pick(seed, 4, none(4))));
    assertEquals(List.of(0), picker.pick(leecher, 4, none(4)));
  }

  @Test
  void releasedBlocksArePickedAgain() {
    RarestFirstPicker picker = rarest(none(2), new Random(11));
    Bitfield all = Bitfield.full(2);
    picker.addAvailability(all);

    List<Integer> picked = picker.pick(all, 2, none(2));
    assertEquals(2, picked.size());
    picker.release(picked.get(0));
    assertEquals(List.of(picked.get(0)), picker.pick(all, 2, bits(2, picked.get(1))));
  }

  @Test
  void receivingEveryBlockCompletesThePicker() {
    RarestFirstPicker picker = rarest(none(3), new Random(13));
    Bitfield all = Bitfield.full(3);
    picker.addAvailability(all);
    assertTrue(picker.isInteresting(all));
    for (int index : picker.pick(all, 3, none(3))) {
      assertFalse(picker.isComplete());
      picker.received(index);
    }
    assertTrue(picker.isComplete());
    assertEquals(0, picker.missing());
    assertFalse(picker.isInteresting(all));
    assertEquals(List.of(), picker.pick(all, 3, none(3)));
  }

  @Test
  void tiesAreBrokenAtRandomSoPeersSpreadOut() {
    Bitfield all = Bitfield.full(64);
    Set<Integer> firstPicks = new HashSet<>();
    for (int seed = 0; seed < 20; seed++) {
      // Spread seeds: java.util.Random's first draws from neighbouring seeds are alike, where
      // the daemon's peers each have a Random of their own, seeded apart.
      RarestFirstPicker picker = rarest(none(64), new Random(seed * 0x9E3779B97F4A7C15L));
      picker.addAvailability(all);
      firstPicks.add(picker.pick(all, 1, none(64)).get(0));
    }
    assertTrue(firstPicks.size() > 10, "first picks " + firstPicks);
  }

  @Test
  void aPeerThatLeavesNoLongerCountsTowardsAvailability() {
    RarestFirstPicker picker = rarest(none(2), new Random(17));
    Bitfield one = bits(2, 0);
    picker.addAvailability(one);
    picker.addAvailability(Bitfield.full(2));
    assertEquals(2, picker.availability(0));
    picker.removeAvailability(one);
    assertEquals(1, picker.availability(0));
    picker.addAvailability(1);
    assertEquals(2, picker.availability(1));
  }

  @Test
  void theFirstBlocksArePickedAtRandomThenTheRarest() {
    // Blocks 0..31 are rare (one holder), 32..63 common (three): rarest-first would start on
    // rare blocks only, but the first few picks ignore rarity, so there is soon something to
    // trade whatever the others hold.
    Bitfield rare = new Bitfield(64);
    Bitfield common = new Bitfield(64);
    for (int i = 0; i < 64; i++) {
      (i < 32 ? rare : common).set(i);
    }
    Set<Integer> firstPicks = new HashSet<>();
    for (int seed = 0; seed < 30; seed++) {
      RarestFirstPicker picker = RarestFirstPicker.forDownload(none(64),
          new Random(seed * 0x9E3779B97F4A7C15L), BLOCK);
      picker.addAvailability(rare);
      picker.addAvailability(common);
      picker.addAvailability(common);
      picker.addAvailability(common);
      firstPicks.addAll(picker.pick(Bitfield.full(64), RarestFirstPicker.RANDOM_FIRST,
          none(64)));
      List<Integer> next = picker.pick(Bitfield.full(64), 1, none(64));
      assertEquals(1, next.size());
      assertTrue(next.get(0) < 32, "rarest-first once the random start is over: " + next);
    }
    assertTrue(firstPicks.stream().anyMatch(index -> index >= 32),
        "the random start ignores rarity: " + firstPicks);
    assertTrue(firstPicks.size() > 30, "random starts: " + firstPicks);
  }

  @Test
  void aFirstCallLargerThanTheRandomStartStillCarriesTheRarestBlock() {
    // A whole call of blocks is asked at once: only its first few may be random.
    Bitfield common = Bitfield.full(256);
    common.clear(137);
    for (int seed = 0; seed < 30; seed++) {
      RarestFirstPicker picker = RarestFirstPicker.forDownload(none(256), new Random(seed), BLOCK);
      picker.addAvailability(common);
      picker.addAvailability(common);
      picker.addAvailability(Bitfield.full(256));
      List<Integer> first = picker.pick(Bitfield.full(256), 16, none(256));
      assertEquals(16, first.size());
      assertEquals(16, new HashSet<>(first).size(), "no block twice in one call: " + first);
      assertTrue(first.contains(137), "seed " + seed + ": " + first);
    }
  }

  @Test
  void aLateBlockIsAskedOfAnotherPeerOnceThatHasNothingFresh() {
    RarestFirstPicker picker = rarest(none(8), new Random(19));
    Bitfield all = Bitfield.full(8);
    picker.addAvailability(all);
    picker.addAvailability(all);
    Bitfield requestedFromSlow = none(8);
    List<Integer> slow = picker.pick(all, 1, requestedFromSlow);
    slow.forEach(requestedFromSlow::set);
    int late = slow.get(0);

    picker.markLate(late);
    List<Integer> fresh = picker.pick(all, 6, none(8));
    assertFalse(fresh.contains(late), "fresh blocks first: " + fresh);
    List<Integer> rest = picker.pick(all, 3, none(8));
    assertEquals(2, rest.size(), "the last fresh block, then the late one: " + rest);
    assertEquals(late, rest.get(1));
    assertEquals(2, picker.requests(late));
    assertEquals(List.of(), picker.pick(all, 8, none(8)).stream()
        .filter(index -> index == late).toList(), "never more than two copies at once");
    assertEquals(List.of(), picker.pick(all, 1, requestedFromSlow).stream()
        .filter(index -> index == late).toList(), "the slow peer is not asked twice");

    picker.received(late);
    assertFalse(picker.isLate(late));
  }

  @Test
  void blocksThePeerIsNotAllowedToServeAreNotPicked() {
    RarestFirstPicker picker = rarest(none(6), new Random(23));
    Bitfield all = Bitfield.full(6);
    picker.addAvailability(all);
    List<Integer> even = picker.pick(all, 6, none(6), index -> index % 2 == 0);
    assertEquals(Set.of(0, 2, 4), new HashSet<>(even));
  }

  @Test
  void equallyRareBlocksNearTheFrontOfTheFileComeFirst() {
    // One seed holds a 1,024-block file: every block is as rare as the next. The picks stay
    // within the front window, which moves on as the first blocks arrive.
    RarestFirstPicker picker = new RarestFirstPicker(none(1024), new Random(29), 0, 64);
    picker.preferFront(true);
    Bitfield all = Bitfield.full(1024);
    picker.addAvailability(all);
    Set<Integer> firstWindow = new HashSet<>();
    for (int call = 0; call < 4; call++) {
      List<Integer> picked = picker.pick(all, 16, none(1024));
      assertEquals(16, picked.size());
      assertTrue(picked.stream().allMatch(index -> index < 64), "call " + call + ": " + picked);
      firstWindow.addAll(picked);
    }
    assertEquals(64, firstWindow.size(), "the window, each block once");
    for (int index = 0; index < 32; index++) {
      picker.received(index);
    }
    List<Integer> next = picker.pick(all, 16, none(1024));
    assertTrue(next.stream().allMatch(index -> index >= 64 && index < 96),
        "the window starts at the first missing block, 32: " + next);
  }

  @Test
  void theFrontWindowOnlyBreaksTiesBetweenEquallyRareBlocks() {
    Bitfield common = Bitfield.full(1024);
    common.clear(900);
    RarestFirstPicker picker = new RarestFirstPicker(none(1024), new Random(31), 0, 64);
    picker.preferFront(true);
    picker.addAvailability(common);
    picker.addAvailability(Bitfield.full(1024));
    List<Integer> picked = picker.pick(Bitfield.full(1024), 8, none(1024));
    assertTrue(picked.contains(900), "the rarest block, far from the front: " + picked);
    assertEquals(7, picked.stream().filter(index -> index < 64).count(), picked.toString());
  }

  @Test
  void onceTheFrontWindowIsAskedForThePicksSpreadOverTheRest() {
    // The front blocks are all on their way (from slower peers, say): a peer with room is not
    // left idle, and what it gets is drawn from the whole of the rest, as without a window.
    Set<Integer> beyond = new HashSet<>();
    for (int seed = 0; seed < 10; seed++) {
      RarestFirstPicker picker = new RarestFirstPicker(none(1024),
          new Random(seed * 0x9E3779B97F4A7C15L), 0, 64);
      picker.preferFront(true);
      Bitfield all = Bitfield.full(1024);
      picker.addAvailability(all);
      assertEquals(64, picker.pick(all, 64, none(1024)).size());
      List<Integer> more = picker.pick(all, 16, none(1024));
      assertEquals(16, more.size());
      assertTrue(more.stream().allMatch(index -> index >= 64), more.toString());
      beyond.addAll(more);
    }
    assertTrue(beyond.stream().anyMatch(index -> index >= 512), "spread out: " + beyond);
    assertTrue(beyond.stream().anyMatch(index -> index < 512), "spread out: " + beyond);
  }

  @Test
  void unlessToldToPreferTheFrontEquallyRareBlocksAreDrawnFromTheWholeFile() {
    // Other downloaders among the peers: each should hold blocks the others lack.
    RarestFirstPicker picker = new RarestFirstPicker(none(1024), new Random(37), 0, 64);
    Bitfield all = Bitfield.full(1024);
    picker.addAvailability(all);
    List<Integer> picked = picker.pick(all, 16, none(1024));
    assertTrue(picked.stream().anyMatch(index -> index >= 64), picked.toString());

    picker.preferFront(true);
    assertTrue(picker.pick(all, 16, none(1024)).stream().allMatch(index -> index < 64));
    picker.preferFront(false);
    assertTrue(picker.pick(all, 16, none(1024)).stream().anyMatch(index -> index >= 64));
  }

  @Test
  void theFrontWindowSpansThirtyTwoMebibytesAndAtLeastSixtyFourBlocks() {
    assertEquals(128, RarestFirstPicker.frontWindowBlocks(256 * 1024));
    assertEquals(64, RarestFirstPicker.frontWindowBlocks(1024 * 1024));
    assertEquals(64, RarestFirstPicker.frontWindowBlocks(4 * 1024 * 1024));
  }
}
