package io.minibit.peer.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorReason;
import io.minibit.core.Torrent;
import io.minibit.core.store.BlockStore;
import io.minibit.peer.policy.Allocation;
import io.minibit.peer.policy.EvenSplitAllocation;
import io.minibit.peer.policy.LatencyWeightedAllocation;
import io.minibit.peer.policy.RarestFirstPicker;
import io.minibit.peer.policy.RequestTiming;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The scheduler alone, on the {@link SchedulerFixture}'s scripted links and clock: what it asks of
 * whom (the refill, the download cap, the endgame, late, silent and failed peers, each peer's
 * budget), and how its peers come and go (backoff, bans, forgetting, the caps on peers).
 */
class SchedulerTest extends SchedulerFixture {
  @Test
  void fromSeedsAloneTheBlocksNearTheFrontOfTheFileComeFirst() throws IOException {
    // 4,096 blocks of 16 KiB: the front window is 2,048 of them (32 MiB).
    int count = 4096;
    int window = RarestFirstPicker.frontWindowBlocks(BLOCK);
    start(torrent(count), fixed(64));
    FakeLink first = join("first", Bitfield.full(count));
    FakeLink second = join("second", Bitfield.full(count));

    List<Integer> asked = new ArrayList<>(first.asked());
    asked.addAll(second.asked());
    assertTrue(asked.size() > 64, "asked " + asked.size());
    // Only the random start may lie beyond the window.
    assertTrue(asked.stream().filter(index -> index >= window).count()
        <= RarestFirstPicker.RANDOM_FIRST, "asked " + asked);
  }

  @Test
  void withAnotherDownloaderAmongThePeersTheBlocksSpreadOverTheFile() throws IOException {
    int count = 4096;
    int window = RarestFirstPicker.frontWindowBlocks(BLOCK);
    start(torrent(count), fixed(64));
    FakeLink downloader = join("downloader", blocks(count, i -> i % 2 == 0));
    FakeLink seed = join("seed", Bitfield.full(count));
    seed.serve(Integer.MAX_VALUE);
    downloader.serve(Integer.MAX_VALUE);

    List<Integer> asked = new ArrayList<>(downloader.asked());
    asked.addAll(seed.asked());
    assertTrue(asked.stream().filter(index -> index >= window).count()
        > RarestFirstPicker.RANDOM_FIRST, "asked " + asked);
  }

  @Test
  void aDownloadLimitHoldsRequestsToTheCapAndRefillsWhenItAllowsMore() throws IOException {
    limiter = new DownloadLimiter(8L * BLOCK, clock); // 8 blocks a second, 2 in the bucket
    Torrent torrent = torrent(64);
    start(torrent, fixed(32));
    // not a seed: a seed is offered more blocks than it is to send, to choose from
    FakeLink seed = join("peer", blocks(64, i -> i < 63));
    assertEquals(2, seed.asked().size(), "what the bucket held at the start");

    for (int step = 0; step < 20; step++) { // two seconds, every block served at once
      timer.advance(Duration.ofMillis(100));
      settle();
      seed.serve(Integer.MAX_VALUE);
    }

    int asked = seed.asked().size();
    assertTrue(asked >= 16 && asked <= 20, "blocks asked for in 2 s at 8 a second: " + asked);
    assertTrue(scheduler.isThrottled());
  }

  @Test
  void blocksAskedForAndNeverSentGoBackToTheCap() throws IOException {
    limiter = new DownloadLimiter(4L * BLOCK, clock); // bucket: one block
    Torrent torrent = torrent(8);
    start(torrent, fixed(8));
    FakeLink choking = join("choking", blocks(8, i -> i < 7));
    RemotePeer.Call refused = choking.fetched.get(0);
    FakeLink other = join("other", blocks(8, i -> i < 7));
    assertEquals(0, other.fetched.size(), "the cap is spent on the first peer's call");

    choking.events.ended(choking.generation, refused, Status.RESOURCE_EXHAUSTED,
        Optional.of(ErrorReason.CHOKED));
    settle();

    assertEquals(1, other.fetched.size(), "the refused block's share of the cap went to b");
  }

  @Test
  void haveEventsThatArriveTogetherCauseOneRefill() throws IOException {
    Torrent torrent = torrent(40);
    start(torrent, fixed(64));
    FakeLink seed = join("a", new Bitfield(40)); // holds nothing yet

    for (int i = 0; i < 20; i++) {
      seed.events.have(seed.generation, i); // queued on the loop, not run yet
    }
    settle();

    // Refilled after each HAVE, it would have made 20 one-block calls.
    assertEquals(2, seed.fetched.size(), "calls: " + seed.asked());
    assertEquals(IntStream.range(0, 20).boxed().toList(),
        seed.asked().stream().sorted().toList());
  }

  @Test
  void aHaveListCountsEachBlockItNamesAndOneOutOfRangeBansItsSender() throws IOException {
    Torrent torrent = torrent(40);
    start(torrent, fixed(64));
    FakeLink seed = join("a", new Bitfield(40));

    seed.events.haves(seed.generation, List.of(3, 17, 39));
    settle();
    assertEquals(Set.of(3, 17, 39), new HashSet<>(seed.asked()));

    FakeLink liar = join("liar", new Bitfield(40));
    liar.events.haves(liar.generation, List.of(5, 40, 6));
    settle();
    assertEquals(1, liar.disconnects, "block 40 is past the end of a 40-block file");
    assertEquals(List.of("liar"), dropped);
  }

  @Test
  void aBlockOnItsWayIsAskedOfASecondPeerOnlyAtTheEndAndTheSlowerCopyIsCancelled()
      throws IOException {
    Torrent torrent = torrent(6);
    start(torrent, fixed(8));
    Bitfield all = blocks(6, i -> i < 5); // block 5 is nowhere, so nobody is a seed
    FakeLink a = join("a", all);
    assertEquals(Set.of(0, 1, 2, 3, 4), new HashSet<>(a.asked()));

    FakeLink b = join("b", all);

    // Every block some peer holds has a request out: the end has come, b gets second copies,
    // one per call so each can be withdrawn alone.
    assertEquals(5, b.fetched.size());
    b.fetched.forEach(call -> assertEquals(1, call.asked.size()));
    RemotePeer.Call first = a.fetched.get(0);
    int index = first.asked.get(0);
    a.deliver(first, index);

    RemotePeer.Call loser = b.callFor(index);
    assertTrue(b.cancelled.contains(loser), "b's copy of block " + index + " is withdrawn");
    b.events.ended(b.generation, loser, Status.CANCELLED, Optional.empty());
    settle();
    assertEquals(1, stats.cancelled());
    assertEquals(List.of(index), stored);
  }

  @Test
  void aLateCallHasItsBlocksAskedOfAnotherPeerOnceThatPeerHasNothingFresh() throws IOException {
    Torrent torrent = torrent(9);
    start(torrent, fixed(2));
    Bitfield held = blocks(9, i -> i < 8);
    FakeLink slow = join("slow", held);
    RemotePeer.Call stuck = slow.fetched.get(0);
    FakeLink fast = join("fast", held);

    clock.advance(RequestTiming.UNMEASURED_LATE_AFTER.plusSeconds(1));
    onLoop(scheduler::tick);
    // The fast peer serves whatever it is asked; once nothing fresh is left, the late blocks.
    for (int round = 0; round < 10 && !stuck.outstanding.isEmpty(); round++) {
      for (RemotePeer.Call call : List.copyOf(fast.fetched)) {
        if (!fast.done.contains(call)) {
          call.asked.forEach(index -> fast.deliver(call, index));
          fast.finish(call);
        }
      }
    }

    assertTrue(stuck.outstanding.isEmpty(), "the late blocks came from the fast peer");
    assertTrue(slow.cancelled.contains(stuck), "the late call is withdrawn");
    assertEquals(8, stored.size());
  }

  @Test
  void aFailedPeersBlocksGoToAnotherAtOnceAndItIsRetriedWithBackoff() throws IOException {
    Torrent torrent = torrent(9);
    start(torrent, fixed(2));
    Bitfield held = blocks(9, i -> i < 8);
    FakeLink failing = join("failing", held);
    RemotePeer.Call lost = failing.fetched.get(0);

    failing.events.ended(failing.generation, lost, Status.UNAVAILABLE.withDescription("gone"),
        Optional.empty());
    settle();
    assertEquals(1, failing.disconnects);
    assertEquals(1, stats.failed());

    // A peer that holds just those blocks: it is asked for them in the same burst it joins.
    FakeLink other = join("other", blocks(9, lost.asked::contains));
    assertEquals(new HashSet<>(lost.asked), new HashSet<>(other.asked()));

    assertEquals(1, failing.connects);
    timer.advance(Duration.ofMinutes(1));
    settle();
    assertEquals(2, failing.connects, "reconnected after its backoff");
  }

  @Test
  void aStallCountsFromTheLastServingPeerAsTheTickFoundItAndAnyThreadReadsIt() throws IOException {
    start(torrent(3), fixed(1));
    FakeLink only = join("only", blocks(3, i -> true));
    onLoop(scheduler::tick);
    assertEquals(Duration.ZERO, scheduler.stalledFor());

    only.events.choked(only.generation, true);
    settle();
    clock.advance(Duration.ofSeconds(3));
    assertEquals(Duration.ZERO, scheduler.stalledFor(), "known at the next tick, not before");
    onLoop(scheduler::tick);
    assertEquals(Duration.ofSeconds(3), scheduler.stalledFor(), "since the peer last served");
    clock.advance(Duration.ofSeconds(2));
    assertEquals(Duration.ofSeconds(5), scheduler.stalledFor(), "read off the loop, no tick");

    only.events.choked(only.generation, false);
    settle();
    onLoop(scheduler::tick);
    assertEquals(Duration.ZERO, scheduler.stalledFor(), "served again");

    only.events.choked(only.generation, true);
    settle();
    clock.advance(Duration.ofSeconds(1));
    onLoop(scheduler::tick);
    assertEquals(Duration.ofSeconds(1), scheduler.stalledFor(), "choked again");
    onLoop(scheduler::close);
    assertEquals(Duration.ZERO, scheduler.stalledFor(), "closed: nothing to wait for");
  }

  @Test
  void theLastBlockOfAPeerThatChokedUsIsAskedAgainWhenItUnchokes() throws IOException {
    Torrent torrent = torrent(3);
    start(torrent, fixed(4));
    FakeLink only = join("only", blocks(3, i -> true));
    for (RemotePeer.Call call : List.copyOf(only.fetched)) {
      for (int index : call.asked) {
        if (index != 2) {
          only.deliver(call, index);
        }
      }
      only.events.ended(only.generation, call, Status.RESOURCE_EXHAUSTED,
          Optional.of(ErrorReason.CHOKED));
    }
    settle();
    assertEquals(2, stored.size());
    int callsBefore = only.fetched.size();

    only.events.choked(only.generation, false);
    settle();

    RemotePeer.Call again = only.fetched.get(only.fetched.size() - 1);
    assertTrue(only.fetched.size() > callsBefore && again.asked.contains(2),
        "block 2 is asked for again once the peer unchokes us");
    only.deliver(again, 2);
    assertTrue(complete, "the download completes: never stuck at 99%");
  }

  @Test
  void aFasterPeerKeepsMoreBlocksInFlight() throws IOException {
    Torrent torrent = torrent(2048);
    start(torrent, new LatencyWeightedAllocation());
    Bitfield held = blocks(2048, i -> i < 2047);
    FakeLink fast = join("fast", held);
    FakeLink slow = join("slow", held);

    // Both start with the budget of an unmeasured peer; the slow one works through it first.
    for (int step = 0; step < 120; step++) {
      fast.serve(12);
      slow.serve(2);
      clock.advance(Duration.ofMillis(100));
      onLoop(scheduler::tick);
    }

    int fastInFlight = fast.inFlight();
    int slowInFlight = slow.inFlight();
    assertTrue(fastInFlight >= 3 * slowInFlight && slowInFlight >= 1,
        "in flight: fast " + fastInFlight + ", slow " + slowInFlight);
  }

  /**
   * A peer that holds block {@code index} alone and chokes us: as long as nobody is asked for
   * that block, the endgame does not come, and only lateness moves a slow peer's blocks.
   */
  private FakeLink chokerHolding(int blockCount, int index) {
    onLoop(() -> scheduler.addPeers(List.of(new PeerAddress("choker:1", "choker"))));
    FakeLink choker = links.get("choker:1");
    choker.events.answered(choker.generation, Duration.ofMillis(5), "choker", false);
    choker.events.bitfield(choker.generation, blocks(blockCount, i -> i == index));
    settle();
    return choker;
  }

  @Test
  void aLateBlockIsAskedOfASecondPeerBeforeTheEndgame() throws IOException {
    Torrent torrent = torrent(6);
    start(torrent, fixed(4));
    chokerHolding(6, 4);
    Bitfield held = blocks(6, i -> i < 4);
    FakeLink slow = join("slow", held);
    RemotePeer.Call stuck = slow.fetched.get(0);
    FakeLink second = join("second", held);
    assertEquals(List.of(), second.asked(), "nothing fresh, nothing late, not the end yet");

    clock.advance(RequestTiming.UNMEASURED_LATE_AFTER.plusMillis(1));
    onLoop(scheduler::tick);

    assertEquals(new HashSet<>(stuck.asked), new HashSet<>(second.asked()),
        "the late blocks are asked of the second peer");
    second.fetched.forEach(call -> call.asked.forEach(index -> second.deliver(call, index)));
    assertEquals(4, stored.size());
    assertTrue(slow.cancelled.contains(stuck), "the slow copy is withdrawn");
  }

  @Test
  void aSilentPeersBlocksComeFromAnotherWithinOneDeadline() throws IOException {
    Torrent torrent = torrent(42);
    start(torrent, fixed(4));
    chokerHolding(42, 41); // no endgame: failing over is lateness's work alone
    Bitfield held = blocks(42, i -> i < 40);
    FakeLink silent = join("silent", held);
    RemotePeer.Call stuck = silent.fetched.get(0);
    Instant due = stuck.started.plus(silent.deadlines.get(stuck));
    FakeLink other = join("other", held);

    // The silent peer never sends nor fails: only its calls' deadlines would end them.
    while (stored.size() < 40 && clock.instant().isBefore(due)) {
      other.serve(4);
      timer.advance(Duration.ofMillis(250));
      onLoop(scheduler::tick);
    }

    assertEquals(40, stored.size(), "every block held came before the silent peer's deadline, "
        + silent.deadlines.get(stuck));
    assertTrue(silent.cancelled.contains(stuck), "the silent peer's call is withdrawn");
    assertEquals(0, stats.failed(), "no call had to fail first");
  }

  @Test
  void theLastBlocksAskedOfAPeerThatVanishedStillComeNeverStuckAt99Percent() throws IOException {
    Torrent torrent = torrent(17);
    start(torrent, fixed(4));
    FakeLink gone = join("gone", blocks(17, i -> i < 16));
    List<Integer> lost = List.copyOf(gone.asked());
    // The other peer holds every block but those: until it gets them, only the vanished one
    // could send them.
    FakeLink other = join("other", blocks(17, i -> i < 16 && !lost.contains(i)));
    boolean announced = false;
    for (int step = 0; stored.size() < 16; step++) {
      assertTrue(step < 4 * 120, "the download ends: " + stored.size() + "/16 after "
          + step / 4 + " s, waiting on " + lost);
      other.serve(Integer.MAX_VALUE);
      if (!announced && stored.size() == 16 - lost.size()) {
        announced = true; // the other peer got the last blocks elsewhere
        lost.forEach(index -> other.events.have(other.generation, index));
        settle();
      }
      gone.expire(); // as gRPC would: its calls end at their deadline
      timer.advance(Duration.ofMillis(250));
      onLoop(scheduler::tick);
    }

    assertEquals(IntStream.range(0, 16).boxed().toList(), stored.stream().sorted().toList());
  }

  @Test
  void aPeersBudgetFollowsItsRateDownAsWellAsUp() throws IOException {
    Torrent torrent = torrent(4096);
    start(torrent, new LatencyWeightedAllocation());
    FakeLink peer = join("peer", blocks(4096, i -> i < 4095));

    for (int step = 0; step < 60; step++) { // 6 s at 400 blocks a second
      peer.serve(40);
      clock.advance(Duration.ofMillis(100));
      onLoop(scheduler::tick);
    }
    int whileFast = peer.inFlight();
    for (int step = 0; step < 200; step++) { // then 20 s at 20 a second
      peer.serve(2);
      clock.advance(Duration.ofMillis(100));
      onLoop(scheduler::tick);
    }
    int whileSlow = peer.inFlight();

    assertTrue(whileFast >= 5 * whileSlow && whileSlow >= 1,
        "in flight: " + whileFast + " while fast, " + whileSlow + " once slow");
  }

  /** Blocks each seeder sent, and the simulated time the download took. */

  private record NearAndFar(int near, int far, Duration took) {}

  /**
   * Downloads 768 blocks from two seeds on the test clock: a near one 10 ms away that sends 4
   * blocks every 10 ms, and a far one 100 ms away that sends a quarter of that (far and with
   * less upload, as in LatencyAllocationTest over real sockets). Each sends only blocks asked
   * for a round trip ago, oldest call first.
   */
  private NearAndFar nearAndFar(Allocation allocation) throws IOException {
    int blocks = 768;
    Duration step = Duration.ofMillis(10);
    start(torrent(blocks), allocation);
    Bitfield all = blocks(blocks, i -> true);
    FakeLink near = join("near", all, Duration.ofMillis(10));
    FakeLink far = join("far", all, Duration.ofMillis(100));
    Instant started = clock.instant();
    for (int steps = 0; !complete; steps++) {
      assertTrue(steps < 10_000, "the download ends: " + stored.size() + "/" + blocks);
      near.serveAsked(4, Duration.ofMillis(10));
      far.serveAsked(1, Duration.ofMillis(100));
      timer.advance(step);
      onLoop(scheduler::tick);
    }
    assertEquals(blocks, new HashSet<>(stored).size());
    Map<String, Integer> received = new HashMap<>();
    scheduler.peers().forEach(peer -> received.put(peer.address, peer.blocksReceived));
    assertEquals(blocks, received.get("near:1") + received.get("far:1"),
        "each block came once: " + received);
    return new NearAndFar(received.get("near:1"), received.get("far:1"),
        Duration.between(started, clock.instant()));
  }

  @Test
  void aFarSlowPeerServesFewerBlocksAndTheDownloadBeatsAnEvenSplit() throws IOException {
    NearAndFar weighted = nearAndFar(new LatencyWeightedAllocation());
    links.clear();
    stored.clear();
    complete = false;
    NearAndFar even = nearAndFar(new EvenSplitAllocation());

    // Both flat out, the two send 5 blocks every 10 ms, the far one 1 of them: at best the 768
    // blocks take 1.54 s, plus the far one's first round trip, and the far one sends a fifth,
    // about 150. Its part is what its rate sends while the download lasts, so the allocation
    // shows in how long that is: a far peer left with a queue at the end (or dealt a fixed part
    // of the blocks) holds the download back, a far peer never asked leaves it to the near one
    // alone (1.9 s). Within 10% of the best, 1.7 s, it is neither.
    assertTrue(weighted.far() <= 768 / 4,
        "the far peer sent " + weighted.far() + ", the near one " + weighted.near());
    assertTrue(weighted.took().compareTo(Duration.ofMillis(1700)) <= 0,
        "latency-weighted: " + weighted.took().toMillis() + " ms; the best is 1,556 ms");
    // An even split deals it half the blocks, and the download waits for them: 3.3 s, the near
    // peer taking back only the last of them, as second copies.
    assertTrue(even.took().compareTo(weighted.took().multipliedBy(3).dividedBy(2)) > 0,
        "latency-weighted " + weighted.took().toMillis() + " ms, even split "
            + even.took().toMillis() + " ms, the far peer sending " + even.far());
    // Dealt half, the far peer sends all but the last of its half (323 of 768 here); the
    // latency-weighted allocation leaves it at most a quarter.
    assertTrue(even.far() >= 768 * 2 / 5 && even.far() <= 768 / 2,
        "an even split deals the far peer half: it sent " + even.far());
  }

  @Test
  void aPeerOverOneOfItsLimitsIsBackedOffNotTakenForChokingUs() throws IOException {
    Torrent torrent = torrent(9);
    start(torrent, fixed(2));
    FakeLink busy = join("busy", blocks(9, i -> true));
    RemotePeer.Call refused = busy.fetched.get(0);

    // No UNCHOKE would ever come for this refusal: waiting for one would idle the peer for good.
    busy.events.ended(busy.generation, refused, Status.RESOURCE_EXHAUSTED,
        Optional.of(ErrorReason.OVER_LIMIT));
    settle();

    assertEquals(0, stats.choked());
    assertEquals(1, stats.failed());
    assertEquals(1, busy.disconnects);
    timer.advance(Duration.ofMinutes(1));
    settle();
    assertEquals(2, busy.connects, "asked again after its backoff");
  }

  @Test
  void aBlockThatFailsItsHashThreeTimesBansItsSender() throws IOException {
    Torrent torrent = torrent(9);
    start(torrent, fixed(4));
    FakeLink liar = join("liar", blocks(9, i -> i < 8));

    for (int strike = 0; strike < 3; strike++) {
      RemotePeer.Call call = liar.fetched.get(liar.fetched.size() - 1);
      liar.events.written(liar.generation, call, call.asked.get(0),
          BlockStore.WriteResult.CORRUPT, BLOCK);
      settle();
    }

    assertEquals(1, liar.disconnects, "banned after three corrupt blocks");
    assertEquals(List.of("liar"), dropped, "no longer one to name to others");
    FakeLink honest = join("honest", blocks(9, i -> i < 8));
    assertFalse(honest.fetched.isEmpty(), "its blocks go to an honest peer");
  }

  @Test
  void aPeerThatKeepsFailingIsForgottenAndItsLinkClosedButMayBeHandedAgain() throws IOException {
    start(torrent(8), fixed(4));
    onLoop(() -> scheduler.addPeers(List.of(new PeerAddress("dead:1", "dead"))));
    FakeLink dead = links.get("dead:1");

    for (int failure = 1; failure < PeerLifecycle.FORGET_AFTER_FAILURES; failure++) {
      dead.events.failed(dead.generation, "connection refused");
      settle();
      timer.advance(Duration.ofMinutes(5)); // past any backoff: it is tried again
      settle();
    }
    assertEquals(PeerLifecycle.FORGET_AFTER_FAILURES, dead.connects);
    assertEquals(1, scheduler.peers().size(), "still tried after " + dead.connects + " failures");
    assertEquals(List.of(), dropped);
    dead.events.failed(dead.generation, "connection refused");
    settle();

    assertEquals(List.of(), List.copyOf(scheduler.peers()));
    assertEquals(List.of("dead"), dropped, "no longer one to name to others");
    assertEquals(1, dead.closes);
    timer.advance(Duration.ofMinutes(5));
    settle();
    assertEquals(PeerLifecycle.FORGET_AFTER_FAILURES, dead.connects, "not tried again");
    onLoop(() -> scheduler.addPeers(List.of(new PeerAddress("dead:1", "dead"))));
    assertEquals(1, scheduler.peers().size(), "a new chance when handed again");
  }

  @Test
  void anAddressThatTurnsOutToBeThisPeerIsDropped() throws IOException {
    start(torrent(8), fixed(4));
    onLoop(() -> scheduler.addPeers(List.of(new PeerAddress("mirror:1", "other-id"))));
    FakeLink mirror = links.get("mirror:1");

    mirror.events.answered(mirror.generation, Duration.ofMillis(1), "me", false);
    settle();

    assertEquals(List.of("other-id"), dropped, "this peer, named under another id");
    assertEquals(1, mirror.disconnects);
  }

  @Test
  void aPeerThatWorksBetweenFailuresIsKept() throws IOException {
    start(torrent(8), fixed(4));
    FakeLink flaky = join("flaky", new Bitfield(8));

    for (int failure = 0; failure < 3 * PeerLifecycle.FORGET_AFTER_FAILURES; failure++) {
      flaky.events.failed(flaky.generation, "reset");
      settle();
      timer.advance(Duration.ofMinutes(5));
      settle();
      flaky.events.answered(flaky.generation, Duration.ofMillis(5), "flaky", false);
      flaky.events.bitfield(flaky.generation, new Bitfield(8));
      settle();
    }

    assertEquals(1, scheduler.peers().size());
    assertEquals(0, flaky.closes);
  }

  @Test
  void aDownloadKeepsABoundedNumberOfPeersInAllAndPerHost() throws IOException {
    start(torrent(8), fixed(4));
    List<PeerAddress> oneHost = IntStream.range(0, 20)
        .mapToObj(port -> new PeerAddress("10.0.0.1:" + (7000 + port), "p" + port))
        .toList();
    onLoop(() -> scheduler.addPeers(oneHost));
    assertEquals(PeerRoster.MAX_PEERS_PER_HOST, scheduler.peers().size());

    List<PeerAddress> many = IntStream.range(0, 200)
        .mapToObj(i -> new PeerAddress("10.1." + (i / 100) + "." + (i % 100) + ":6881",
            "q" + i))
        .toList();
    onLoop(() -> scheduler.addPeers(many));
    assertEquals(PeerRoster.MAX_PEERS, scheduler.peers().size());
    assertEquals(PeerRoster.MAX_PEERS, links.size(), "no link opened beyond the cap");
  }
}
