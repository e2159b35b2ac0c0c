package io.minibit.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.KnownPeer;
import io.minibit.api.v2.PeerList;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.SubscribeRequest;
import io.minibit.api.v2.SubscribeResponse;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferPeer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.Bitfield;
import io.minibit.core.InfoHash;
import io.minibit.core.telemetry.Telemetry;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.Http;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.session.PeerExchange;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import io.minibit.peer.testing.ScriptedPeer;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peer exchange with real daemons and a real tracker that hands each peer one other: once the
 * tracker is gone, a running download still completes, and a peer the tracker never named to a
 * downloader is learned from another peer's list, dialed and used.
 */
class PeerExchangeSwarmTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final int BLOCK = 64 * 1024;
  private static final int BLOCKS = 12;
  /** 64 KiB/s: each download takes about as many seconds as the file has blocks. */
  private static final long DOWNLOAD_LIMIT = BLOCK;

  /**
   * Makes every draw of the tracker's sample the first candidate: with a sample size of 1, the
   * tracker hands each peer the longest-standing other member of the swarm, so who learns whom
   * from it is known in advance.
   */
  private static final class FirstDraw extends Random {
    @Override
    public int nextInt(int bound) {
      return 0;
    }
  }

  @TempDir Path root;
  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final Map<String, Telemetry> telemetries = new HashMap<>();
  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder()
      .tracker(tracker -> tracker.withPeerSampleSize(1))
      .trackerRandom(new FirstDraw())
      .telemetry(name -> telemetries.computeIfAbsent(name,
          n -> Telemetry.exportingTo(spans, "minibit-" + n)))
      .build();

  private Peer limitedPeer(String name) throws IOException {
    return swarm.peer(name, config -> config.withLimits(
        new PeerConfig.Limits(0, DOWNLOAD_LIMIT, 0, Duration.ZERO)));
  }

  private static PeerExchange exchangeOf(Peer peer, String infohash) {
    return peer.daemon().session(InfoHash.parse(infohash)).peerExchange();
  }

  private static boolean holds(Peer peer, String infohash) {
    return peer.daemon().holds(infohash);
  }

  private static List<String> sourcesOf(Peer peer, String infohash) {
    return peer.transfer(infohash).map(Transfer::getPeersList).orElse(List.of()).stream()
        .map(TransferPeer::getPeerId).toList();
  }

  private double learnedMetric(String name) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    telemetries.get(name).writePrometheus(out);
    return Http.sample(out.toString(StandardCharsets.UTF_8), "minibit_peer_pex_learned_total")
        .orElse(0);
  }

  @Test
  void withTheTrackerGoneDownloadsCompleteAndAPeerIsLearnedByExchange() throws Exception {
    Peer seeder = swarm.peer("seeder");
    Path file = TestFiles.createFile(seeder.dataDir(), "pex.bin", BLOCKS * BLOCK, 31);
    String infohash = seeder.control().share(ShareRequest.newBuilder().setPath("pex.bin")
        .setBlockSize(BLOCK).build()).getInfohash();

    // The tracker hands the first leecher the seeder, and the seeder (announcing every second)
    // the first leecher: the seeder can dial it, so it may name it to others.
    Peer first = limitedPeer("first");
    CompletableFuture<Transfer> firstDone = first.downloadAsync(infohash);
    Await.until(TIMEOUT, "the first leecher fetching from the seeder",
        () -> holds(first, infohash)
            && sourcesOf(first, infohash).contains(seeder.daemon().peerId()));
    Await.until(TIMEOUT, "the seeder handed the first leecher by the tracker",
        () -> exchangeOf(seeder, infohash).known().stream()
            .anyMatch(p -> p.peerId().equals(first.daemon().peerId())));

    // The tracker hands the second leecher the seeder only (the longest-standing member).
    Peer second = limitedPeer("second");
    CompletableFuture<Transfer> secondDone = second.downloadAsync(infohash);
    Await.until(TIMEOUT, "the second leecher handed the seeder by the tracker",
        () -> holds(second, infohash) && !exchangeOf(second, infohash).known().isEmpty());
    swarm.stopTracker();
    assertEquals(List.of(seeder.daemon().peerId()), exchangeOf(second, infohash).known()
        .stream().map(PeerExchange.Endpoint::peerId).toList().subList(0, 1),
        "the tracker named the seeder to the second leecher");
    assertTrue(first.blocksHave(infohash) < BLOCKS, "the first download still runs");

    Transfer firstLast = firstDone.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    Transfer secondLast = secondDone.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

    assertEquals(TransferState.TRANSFER_STATE_SEEDING, firstLast.getState());
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, secondLast.getState());
    byte[] original = Files.readAllBytes(file);
    assertArrayEquals(original, Files.readAllBytes(first.dataDir().resolve("pex.bin")));
    assertArrayEquals(original, Files.readAllBytes(second.dataDir().resolve("pex.bin")));
    assertTrue(sourcesOf(second, infohash).contains(first.daemon().peerId()),
        "the second leecher dialed the first, which only the seeder's list named to it: "
            + sourcesOf(second, infohash));
    assertEquals(1, exchangeOf(second, infohash).learned());
    assertEquals(1.0, learnedMetric("second"), "minibit_peer_pex_learned_total");
    assertEquals(0, exchangeOf(first, infohash).learned(),
        "the first leecher's one source named nobody new to it");
    assertEquals(0.0, learnedMetric("first"));
  }

  @Test
  void aListIsCheckedAndBoundedBeforeAnyOfItIsDialed() throws Exception {
    TestFiles.SharedFile file = TestFiles.share(root.resolve("source"), "list.bin", 4 * BLOCK,
        BLOCK, 32);
    String infohash = file.torrent().infoHash().hex();
    // It holds every block but never unchokes: the download stays open while the test looks.
    try (ScriptedPeer namer = ScriptedPeer.join(swarm, "namer", file,
        Bitfield.full(file.torrent().blockCount()), ScriptedPeer.Behaviour.HONEST, true)) {
      Peer leecher = swarm.peer("leecher");
      leecher.downloadAsync(infohash);
      Await.until(TIMEOUT, "the leecher subscribed", () -> namer.subscribers() == 1);

      PeerList.Builder list = PeerList.newBuilder()
          .addPeers(known(leecher.daemon().peerId(), "10.0.0.1", 6881))
          .addPeers(known("bad-host", "not a host", 6881))
          .addPeers(known("bad-port", "10.0.0.2", 0))
          .addPeers(known("bad id", "10.0.0.3", 6881));
      IntStream.range(0, 2 * PeerExchange.MAX_PER_MESSAGE).forEach(
          i -> list.addPeers(known("named-" + i, "named-" + i + ".example", 6881)));
      namer.sendToSubscribers(SubscribeResponse.newBuilder().setPeers(list).build());

      int read = PeerExchange.MAX_PER_MESSAGE - 4; // the first 50 entries, less the 4 bad
      Await.until(TIMEOUT, "the named peers learned",
          () -> exchangeOf(leecher, infohash).learned() == read);
      List<String> expected = IntStream.range(0, read).mapToObj(i -> "named-" + i).toList();
      Await.until(TIMEOUT, "the named peers among the download's sources",
          () -> sourcesOf(leecher, infohash).containsAll(expected));
      List<String> sources = sourcesOf(leecher, infohash);
      assertEquals(read + 1, sources.size(), "the namer and the good entries read: " + sources);
      assertTrue(sources.stream().noneMatch(id -> id.startsWith("bad")), sources.toString());
      assertFalse(sources.contains(leecher.daemon().peerId()), "never itself");
      assertEquals(read, learnedMetric("leecher"));

      // What it learned, it names to its own subscribers: the namer (from the tracker) and the
      // good entries, never the subscriber itself.
      BlockingQueue<SubscribeResponse> events = new LinkedBlockingQueue<>();
      Context.CancellableContext subscription = Context.current().withCancellation();
      try {
        subscription.run(() -> PeerServiceGrpc.newStub(swarm.channel(swarm.address("leecher")))
            .subscribe(SubscribeRequest.newBuilder().setInfohash(infohash)
                .setPeerId("named-0").build(), new StreamObserver<>() {
                  @Override
                  public void onNext(SubscribeResponse event) {
                    events.add(event);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                }));
        SubscribeResponse event;
        do {
          event = events.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } while (event != null && !event.hasPeers());
        assertTrue(event != null, "no peer list within " + TIMEOUT);
        List<String> named = event.getPeers().getPeersList().stream()
            .map(KnownPeer::getPeerId).toList();
        List<String> expectedNamed = new java.util.ArrayList<>(List.of(
            io.minibit.core.testing.TestKeys.peerId("scripted-namer")));
        expectedNamed.addAll(expected.subList(1, expected.size()));
        assertEquals(expectedNamed, named);
      } finally {
        subscription.cancel(null);
      }
    }
  }

  private static KnownPeer known(String peerId, String host, int port) {
    return KnownPeer.newBuilder().setPeerId(peerId).setHost(host).setPort(port).build();
  }
}
