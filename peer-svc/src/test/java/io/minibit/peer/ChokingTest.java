package io.minibit.peer;

import static io.minibit.core.testing.MinibitAssertions.assertReason;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.GetBlocksRequest;
import io.minibit.api.v2.GetBlocksResponse;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.SubscribeRequest;
import io.minibit.api.v2.SubscribeResponse;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorReason;
import io.minibit.core.store.BlockStore;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.policy.Choker;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import io.minibit.peer.testing.ScriptedPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Upload slots, CHOKE and UNCHOKE, as other peers see them. */
class ChokingTest {
  private static final int BLOCK = 64 * 1024;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Duration QUICK = Duration.ofMillis(200);

  @TempDir Path root;
  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();
  private final List<Context.CancellableContext> subscriptions = new ArrayList<>();
  private final List<ExecutorService> executors = new ArrayList<>();

  @AfterEach
  void stop() {
    subscriptions.forEach(c -> c.cancel(null));
    executors.forEach(ExecutorService::shutdownNow);
  }

  private String seed(Peer seeder) throws Exception {
    TestFiles.createFile(seeder.dataDir(), "slots.bin", 16 * BLOCK, 41);
    return seeder.control().share(
        ShareRequest.newBuilder().setPath("slots.bin").setBlockSize(BLOCK).build()).getInfohash();
  }

  /** A Subscribe stream of peer {@code peerId}, its events queued as they come. */
  private final class Subscription {
    final String peerId;
    final BlockingQueue<SubscribeResponse> events = new LinkedBlockingQueue<>();
    final Context.CancellableContext context = Context.current().withCancellation();

    Subscription(PeerServiceGrpc.PeerServiceStub stub, String infohash, String peerId) {
      this(stub, infohash, peerId, null);
    }

    /** A subscription that says it holds {@code have} already (nothing if null). */
    Subscription(PeerServiceGrpc.PeerServiceStub stub, String infohash, String peerId,
        Bitfield have) {
      this.peerId = peerId;
      subscriptions.add(context);
      SubscribeRequest.Builder request =
          SubscribeRequest.newBuilder().setInfohash(infohash).setPeerId(peerId);
      if (have != null) {
        request.setHave(have.toProto());
      }
      context.run(() -> stub.subscribe(request.build(),
          new io.grpc.stub.StreamObserver<>() {
            @Override
            public void onNext(SubscribeResponse event) {
              events.add(event);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          }));
    }

    /** The next choke state it is told (skipping bitfield and HAVE events). */
    boolean nextChoked() throws InterruptedException {
      while (true) {
        SubscribeResponse event = events.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (event == null) {
          throw new AssertionError(peerId + " was told nothing within " + TIMEOUT);
        }
        if (event.hasChoke() || event.hasUnchoke()) {
          return event.hasChoke();
        }
      }
    }

    void leave() {
      context.cancel(null);
    }
  }

  private static void drain(Iterator<GetBlocksResponse> blocks) {
    while (blocks.hasNext()) {
      blocks.next();
    }
  }

  @Test
  void aChokedPeerIsRefusedUntilItIsToldItIsServed() throws Exception {
    Peer seeder = swarm.peer("seeder", c -> c.withSwarm(c.swarm()
        .withChoking(Choker.Mode.TIT_FOR_TAT, 1).withIntervals(QUICK, Duration.ofHours(1))));
    String infohash = seed(seeder);
    PeerServiceGrpc.PeerServiceStub async =
        PeerServiceGrpc.newStub(swarm.channel(swarm.address("seeder")));
    PeerServiceGrpc.PeerServiceBlockingStub blocking =
        PeerServiceGrpc.newBlockingStub(swarm.channel(swarm.address("seeder")));

    Subscription alpha = new Subscription(async, infohash, "alpha");
    assertEquals(false, alpha.nextChoked(), "a free slot: served at once");
    Subscription beta = new Subscription(async, infohash, "beta");
    assertEquals(false, beta.nextChoked(), "the optimistic slot is free too");
    Subscription gamma = new Subscription(async, infohash, "gamma");
    assertEquals(true, gamma.nextChoked(), "1 regular + 1 optimistic slot, both taken");

    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> drain(blocking.getBlocks(GetBlocksRequest.newBuilder().setInfohash(infohash)
            .setPeerId("gamma").addIndices(0).build())));
    assertReason(ErrorReason.CHOKED, refused);
    assertTrue(refused.getStatus().getDescription().startsWith("choked"), refused.toString());

    alpha.leave();
    assertEquals(false, gamma.nextChoked(), "a slot came free: told at the next round");
    drain(blocking.getBlocks(GetBlocksRequest.newBuilder().setInfohash(infohash)
        .setPeerId("gamma").addIndices(0).build()));
  }

  @Test
  void aPeerThatLacksNothingWeHoldIsNotGivenASlot() throws Exception {
    Peer seeder = swarm.peer("seeder", c -> c.withSwarm(c.swarm()
        .withChoking(Choker.Mode.TIT_FOR_TAT, 1).withIntervals(QUICK, QUICK)));
    String infohash = seed(seeder);
    PeerServiceGrpc.PeerServiceStub async =
        PeerServiceGrpc.newStub(swarm.channel(swarm.address("seeder")));
    Subscription done = new Subscription(async, infohash, "done", Bitfield.full(16));
    assertEquals(true, done.nextChoked(), "it holds every block: not interested");
    Subscription alpha = new Subscription(async, infohash, "alpha");
    assertEquals(false, alpha.nextChoked(), "1 regular + 1 optimistic slot, both free");

    // Rounds go by every 200 ms; the slots the complete peer could have had stay with others.
    Subscription beta = new Subscription(async, infohash, "beta");
    assertEquals(false, beta.nextChoked());
    SubscribeResponse told = done.events.poll(10 * QUICK.toMillis(), TimeUnit.MILLISECONDS);
    assertEquals(null, told, "over ten rounds, the complete peer was told nothing more");
  }

  @Test
  void aPeerIsServedAsSoonAsWeHoldABlockItLacks() throws Exception {
    TestFiles.SharedFile file = TestFiles.share(root.resolve("source"), "slots.bin", 16 * BLOCK,
        BLOCK, 41);
    String infohash = file.torrent().infoHash().hex();
    // The only source holds back until told, so the leecher holds nothing for now; and no
    // round comes (1 hour).
    try (ScriptedPeer holder = ScriptedPeer.join(swarm, "holder", file, Bitfield.full(16),
        ScriptedPeer.Behaviour.HONEST, true)) {
      Peer leecher = swarm.peer("leecher", c -> c.withSwarm(c.swarm()
          .withChoking(Choker.Mode.TIT_FOR_TAT, 1)
          .withIntervals(Duration.ofHours(1), Duration.ofHours(1))));
      leecher.control().download(DownloadRequest.newBuilder().setInfohash(infohash).build())
          .hasNext();
      Await.until(TIMEOUT, "the download registered",
          () -> leecher.transfer(infohash).isPresent());
      Subscription watcher = new Subscription(
          PeerServiceGrpc.newStub(swarm.channel(swarm.address("leecher"))), infohash, "watcher");
      assertEquals(true, watcher.nextChoked(), "the leecher holds nothing it could want yet");

      holder.unchokeAll();
      assertEquals(false, watcher.nextChoked(), "unchoked with the first block, not a round later");
      assertTrue(leecher.transfer(infohash).orElseThrow().getBlocksHave() >= 1);
    }
  }

  @Test
  void cooperativeSlotsGoRoundEveryInterestedPeer() throws Exception {
    Peer seeder = swarm.peer("seeder", c -> c.withSwarm(c.swarm()
        .withChoking(Choker.Mode.COOPERATIVE, 1).withIntervals(QUICK, QUICK)));
    String infohash = seed(seeder);
    PeerServiceGrpc.PeerServiceStub async =
        PeerServiceGrpc.newStub(swarm.channel(swarm.address("seeder")));
    List<Subscription> peers = new ArrayList<>();
    for (String id : List.of("p1", "p2", "p3", "p4", "p5")) {
      peers.add(new Subscription(async, infohash, id));
    }
    for (Subscription peer : peers) {
      boolean choked = peer.nextChoked();
      while (choked) {
        choked = peer.nextChoked(); // waits for its turn
      }
    }
    Transfer seen = seeder.transfer(infohash).orElseThrow();
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, seen.getState());
    assertEquals(5, seen.getPeersCount(), "every subscriber is listed: " + seen);
  }

  @Test
  void aFreeRiderGetsAClearlySmallerShareYetCompletes() throws Exception {
    // Six cooperators start with half the file each, every block held by three of them, so
    // there is plenty to trade; uploads are capped and each peer has more takers than slots.
    // The seeder only makes the file known: it gives too little to matter.
    int blocks = 192;
    int cooperatorCount = 6;
    TestFiles.SharedFile file = TestFiles.share(root.resolve("source"), "contended.bin",
        blocks * BLOCK, BLOCK, 42);
    UnaryOperator<PeerConfig> sharing = c -> c
        .withUploadLimit(512 * 1024)
        .withSwarm(c.swarm().withChoking(Choker.Mode.TIT_FOR_TAT, 2)
            .withIntervals(Duration.ofMillis(300), Duration.ofMillis(900)));
    Peer seeder = swarm.peer("seeder", c -> sharing.apply(c).withUploadLimit(64 * 1024));
    Files.copy(file.path(), seeder.dataDir().resolve("contended.bin"));
    String infohash = seeder.control().share(ShareRequest.newBuilder().setPath("contended.bin")
        .setBlockSize(BLOCK).build()).getInfohash();
    List<Peer> cooperators = new ArrayList<>();
    for (int k = 0; k < cooperatorCount; k++) {
      Peer peer = swarm.peer("c" + k, sharing);
      try (BlockStore half = BlockStore.openPartial(file.torrent(), peer.dataDir())) {
        for (int index = 0; index < blocks; index++) {
          if ((index + k) % cooperatorCount < cooperatorCount / 2) {
            half.write(index, file.block(index), file.block(index).length);
          }
        }
      }
      cooperators.add(peer);
    }
    Peer freeRider = swarm.peer("freerider", c -> sharing.apply(c)
        .withSwarm(c.swarm().withChoking(Choker.Mode.TIT_FOR_TAT, 0)));

    // A thread each: the common pool may run fewer downloads at once than there are.
    ExecutorService downloads = Executors.newCachedThreadPool();
    executors.add(downloads);
    List<CompletableFuture<Transfer>> cooperating = new ArrayList<>();
    for (Peer peer : cooperators) {
      cooperating.add(CompletableFuture.supplyAsync(() -> peer.download(infohash), downloads));
    }
    CompletableFuture<Transfer> riding =
        CompletableFuture.supplyAsync(() -> freeRider.download(infohash), downloads);

    // Half-way through the trading, what has each gained?
    Await.until(Duration.ofSeconds(60), "the cooperators half-way",
        () -> gained(cooperators, infohash) >= blocks / 4.0);
    double cooperatorsGained = gained(cooperators, infohash);
    double freeRiderGained = gained(List.of(freeRider), infohash);
    System.out.printf("half-way through the trading, the cooperators had gained %.1f blocks"
        + " each on average, the free rider %.0f%n", cooperatorsGained, freeRiderGained);

    cooperating.forEach(download -> assertEquals(TransferState.TRANSFER_STATE_SEEDING,
        download.join().getState()));
    Transfer rider = riding.join();
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, rider.getState(),
        "optimistic unchokes and then the new seeds let the free rider finish: " + rider);
    assertArrayEquals(file.content(),
        Files.readAllBytes(freeRider.dataDir().resolve("contended.bin")));
    assertEquals(0, rider.getUploadedBytes(), "the free rider never uploaded");
    // Typically a fifth to a half of a cooperator's gain (10-24 blocks against 48), but in some
    // runs up to three quarters: the cooperators' regular partners do not always ask them for
    // all they could send, and the spare goes to whoever holds the optimistic slot, the free
    // rider included. With the slots dealt by rate alone it was about 0.8. Over real sockets
    // only the order is certain; the share the policy itself gives a free rider is pinned on
    // seeded draws by ChokerTest.aFreeRiderOnlyEverGetsOptimisticTurns and, in a trading swarm,
    // by ChokerTest.aFreeRiderGetsUnderAQuarterOfACooperatorsShare.
    assertTrue(freeRiderGained < cooperatorsGained, String.format(
        "a free rider gains less than a cooperator while they trade: %.0f blocks against %.1f",
        freeRiderGained, cooperatorsGained));
  }

  /** Blocks each of {@code peers} fetched so far, not counting those it started with: mean. */
  private static double gained(List<Peer> peers, String infohash) {
    return peers.stream().mapToInt(peer -> peer.transfer(infohash)
        .map(t -> t.getBlocksHave() - t.getBlocksResumed()).orElse(0)).average().orElseThrow();
  }
}
