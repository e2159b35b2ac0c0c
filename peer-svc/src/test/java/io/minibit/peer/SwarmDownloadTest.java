package io.minibit.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferPeer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.Bitfield;
import io.minibit.core.grpc.PeerNetworkThreads;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.GrpcCleanup;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import io.minibit.peer.testing.ScriptedPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Downloads through real peer daemons and a real tracker, joined in-process. */
class SwarmDownloadTest {
  private static final int BLOCK = 64 * 1024;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path root;
  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();
  @RegisterExtension
  final GrpcCleanup cleanup = new GrpcCleanup();

  private static String share(Peer peer, String name, int size, long seed) throws Exception {
    TestFiles.createFile(peer.dataDir(), name, size, seed);
    return peer.control().share(
        ShareRequest.newBuilder().setPath(name).setBlockSize(BLOCK).build()).getInfohash();
  }

  @Test
  void twoLeechersDownloadTheSameFileAtOnce() throws Exception {
    Peer seeder = swarm.peer("seeder");
    Peer a = swarm.peer("a");
    Peer b = swarm.peer("b");
    String infohash = share(seeder, "data.bin", 3 * 1024 * 1024 + 123, 1);

    CompletableFuture<Transfer> fromA = a.downloadAsync(infohash);
    CompletableFuture<Transfer> fromB = b.downloadAsync(infohash);

    byte[] original = Files.readAllBytes(seeder.dataDir().resolve("data.bin"));
    assertCompleteCopy(a, fromA.get(), original);
    assertCompleteCopy(b, fromB.get(), original);
  }

  @Test
  void aDownloadsLoopRunsOnTheThreadsOfItsConnectionsWhereTheyHaveTheirOwn() throws Exception {
    assumeTrue(PeerNetworkThreads.downloadLoop().isPresent(),
        "peer connections have event loops of their own on epoll only");
    Set<Thread> before = poolThreads();
    Peer seeder = swarm.peer("seeder");
    Peer leecher = swarm.peer("leecher");
    String infohash = share(seeder, "data.bin", 2 * 1024 * 1024, 13);

    assertCompleteCopy(leecher, leecher.download(infohash),
        Files.readAllBytes(seeder.dataDir().resolve("data.bin")));

    // Every block's events went to the download's loop on a network thread: the daemons'
    // download pools, whose threads start with their first task, never ran one.
    Set<Thread> started = poolThreads();
    started.removeAll(before);
    assertEquals(Set.of(), started);
  }

  /** The live threads of the daemons' download pools (see DaemonExecutors). */
  private static Set<Thread> poolThreads() {
    Set<Thread> threads = new HashSet<>(Thread.getAllStackTraces().keySet());
    threads.removeIf(thread -> !thread.getName().startsWith("peer-download-"));
    return threads;
  }

  @Test
  void aSecondDownloadFromTheSamePeerReusesTheFirstOnesConnection() throws Exception {
    Peer seeder = swarm.peer("seeder");
    Peer leecher = swarm.peer("leecher");
    String first = share(seeder, "first.bin", 300_000, 3);
    String second = share(seeder, "second.bin", 300_000, 4);

    assertEquals(TransferState.TRANSFER_STATE_SEEDING, leecher.download(first).getState());
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, leecher.download(second).getState());

    assertEquals(1, swarm.peerChannelsOpened("leecher"),
        "the channel to the seeder lingers after the first download, and the second takes it");
  }

  @Test
  void aDownloadTakesAPeerThatSubscribedToItAsASourceWithoutWaitingForItsNextAnnounce()
      throws Exception {
    // A tracker that asks for announces every minute: a download would ask every 5 s.
    LocalSwarm swarm = cleanup.register(LocalSwarm.builder()
        .announceInterval(Duration.ofSeconds(60)).start(root.resolve("slow-announces")));
    Peer seeder = swarm.peer("seeder", c -> c.withUploadLimit(512 * 1024));
    String infohash = share(seeder, "late.bin", 3 * 1024 * 1024, 31);
    Peer first = swarm.peer("first");
    CompletableFuture<Transfer> firstDone = first.downloadAsync(infohash);
    Await.until(TIMEOUT, "the first leecher is under way", () -> first.blocksHave(infohash) >= 2);

    Peer second = swarm.peer("second");
    long joined = System.nanoTime();
    CompletableFuture<Transfer> secondDone = second.downloadAsync(infohash);
    Await.until(Duration.ofSeconds(3), "the first leecher lists the second as a peer",
        () -> first.transfer(infohash).orElseThrow().getPeersList().stream()
            .anyMatch(peer -> peer.getAddress().equals(swarm.address("second"))));
    Duration found = Duration.ofNanos(System.nanoTime() - joined);

    assertTrue(found.compareTo(Duration.ofSeconds(3)) < 0, "found after " + found);
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, firstDone.get().getState());
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, secondDone.get().getState());
  }

  private static void assertCompleteCopy(Peer peer, Transfer done, byte[] original)
      throws Exception {
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.getState());
    assertEquals(done.getBlockCount(), done.getBlocksHave());
    assertEquals(done.getBlockCount(),
        done.getPeersList().stream().mapToInt(TransferPeer::getBlocksReceived).sum());
    assertArrayEquals(original, Files.readAllBytes(peer.dataDir().resolve("data.bin")));
    try (var files = Files.list(peer.dataDir())) {
      assertEquals(List.of(), files.map(file -> file.getFileName().toString())
          .filter(name -> name.contains(".part")).toList(), "part files left behind");
    }
  }

  @Test
  void aDownloadLimitHoldsTheLeecherToItsCap() throws Exception {
    Peer seeder = swarm.peer("seeder");
    String infohash = share(seeder, "capped.bin", 3 * 1024 * 1024, 12);
    Peer leecher = swarm.peer("leecher", c -> c.withLimits(
        new PeerConfig.Limits(0, 1024 * 1024, 0, Duration.ZERO)));

    long start = System.nanoTime();
    Transfer done = leecher.download(infohash);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.getState());
    // 12 blocks of 256 KiB at 1 MiB/s: the quarter second the bucket holds at the start pays
    // for the first block, and a bucket not in debt lets one more go at once; each of the other
    // ten waits a quarter second. At least 2.5 s, then (uncapped, this copy over loopback takes
    // a fraction of a second).
    assertTrue(took.compareTo(Duration.ofMillis(2450)) >= 0, "took " + took);
    assertEquals(1024 * 1024, leecher.control().listTransfers(
        io.minibit.api.v2.ListTransfersRequest.getDefaultInstance()).getUsage()
        .getDownloadLimitBytesPerSecond());
  }

  @Test
  void aFollowerThatAsksForFewSnapshotsGetsTheFirstAndTheLastOnly() throws Exception {
    // 2 MiB at 1 MiB/s: about two seconds, four snapshots at the default interval
    Peer seeder = swarm.peer("seeder", c -> c.withUploadLimit(1024 * 1024));
    Peer leecher = swarm.peer("leecher");
    String infohash = share(seeder, "slow.bin", 2 * 1024 * 1024, 4);

    var progress = leecher.control().withDeadlineAfter(1, java.util.concurrent.TimeUnit.MINUTES)
        .download(DownloadRequest.newBuilder().setInfohash(infohash)
            .setProgressIntervalMs(60_000).build());
    List<Transfer> snapshots = new ArrayList<>();
    progress.forEachRemaining(snapshot -> snapshots.add(snapshot.getTransfer()));

    assertEquals(2, snapshots.size(), "snapshots: " + snapshots.size());
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, snapshots.get(1).getState());
    assertTrue(snapshots.get(0).getBlocksHave() < snapshots.get(0).getBlockCount());
  }

  @Test
  void aSeederThatLeavesMidwayLosesItsBlocksToTheOthers() throws Exception {
    // Capped uploads make the download last long enough to stop a seeder part-way: 8 MiB at
    // 1 MiB/s from each, about four seconds, where stopping one takes a fraction of that.
    Peer first = swarm.peer("first", c -> c.withUploadLimit(1024 * 1024));
    Peer second = swarm.peer("second", c -> c.withUploadLimit(1024 * 1024));
    Peer leecher = swarm.peer("leecher");
    String infohash = share(first, "big.bin", 8 * 1024 * 1024, 2);
    Files.copy(first.dataDir().resolve("big.bin"), second.dataDir().resolve("big.bin"));
    assertEquals(infohash, second.control().share(
        ShareRequest.newBuilder().setPath("big.bin").setBlockSize(BLOCK).build()).getInfohash());

    CompletableFuture<Transfer> result = leecher.downloadAsync(infohash);
    // An eighth of the blocks: the two seeders need not share the work evenly, and a first
    // seeder that gave less than a quarter by the end would keep a wait for a quarter waiting.
    Await.until(TIMEOUT, "an eighth of the blocks from the first seeder",
        () -> leecher.transfer(infohash).map(t -> t.getPeersList().stream()
            .filter(p -> p.getAddress().equals(swarm.address("first")))
            .mapToInt(TransferPeer::getBlocksReceived).sum()).orElse(0),
        received -> received >= 8);
    first.close();
    assertTrue(leecher.blocksHave(infohash) < 128, "the first seeder left before the end");

    Transfer done = result.get();
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.getState());
    assertArrayEquals(Files.readAllBytes(second.dataDir().resolve("big.bin")),
        Files.readAllBytes(leecher.dataDir().resolve("big.bin")));
    TransferPeer fromSecond = done.getPeersList().stream()
        .filter(p -> p.getAddress().equals(swarm.address("second"))).findFirst().orElseThrow();
    assertTrue(fromSecond.getBlocksReceived() > 0, done.toString());
  }

  @Test
  void aRestartedLeecherResumesWithoutFetchingVerifiedBlocksAgain() throws Exception {
    Peer seeder = swarm.peer("seeder", c -> c.withUploadLimit(1024 * 1024));
    Peer leecher = swarm.peer("leecher");
    int size = 4 * 1024 * 1024;
    String infohash = share(seeder, "resume.bin", size, 3);

    leecher.control().download(DownloadRequest.newBuilder().setInfohash(infohash).build())
        .hasNext(); // starts the download; the daemon goes on without the caller
    Await.until(TIMEOUT, "a third of the blocks", () -> leecher.blocksHave(infohash),
        have -> have >= 22);
    leecher.close();
    long uploadedBeforeRestart = seeder.transfer(infohash).orElseThrow().getUploadedBytes();

    Peer restarted = swarm.peer("leecher");
    Transfer resumed = Await.until(TIMEOUT, "the blocks on disk checked",
        () -> restarted.transfer(infohash).orElseThrow(),
        transfer -> transfer.getState() != TransferState.TRANSFER_STATE_CHECKING);
    assertTrue(resumed.getBlocksResumed() >= 22, resumed.toString());
    assertTrue(resumed.getBlocksResumed() < resumed.getBlockCount(),
        "the download was stopped before it completed: " + resumed);

    Transfer done = restarted.download(infohash);
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.getState());
    long missingBytes = (long) (done.getBlockCount() - done.getBlocksResumed()) * BLOCK;
    assertEquals(missingBytes, done.getDownloadedBytes(), "only the missing blocks are fetched");
    assertArrayEquals(Files.readAllBytes(seeder.dataDir().resolve("resume.bin")),
        Files.readAllBytes(restarted.dataDir().resolve("resume.bin")));
    long uploadedTotal = seeder.transfer(infohash).orElseThrow().getUploadedBytes();
    assertTrue(uploadedBeforeRestart <= size + 16L * BLOCK);
    long servedAfterRestart = uploadedTotal - uploadedBeforeRestart;
    // A block the seeder was sending as the leecher stopped may be counted on either side.
    assertTrue(servedAfterRestart >= missingBytes && servedAfterRestart <= missingBytes + BLOCK,
        "served " + servedAfterRestart + " bytes after the restart for " + missingBytes + " missing");
  }

  @Test
  void aFastPeerIsAskedForManyBlocksPerCall() throws Exception {
    Peer leecher = swarm.peer("leecher");
    int blocks = 512;
    int block = 16 * 1024;
    TestFiles.SharedFile file = TestFiles.share(root.resolve("source"), "file.bin",
        blocks * block, block, 3);
    try (ScriptedPeer seeder = ScriptedPeer.join(swarm, "seeder", file, Bitfield.full(blocks),
        ScriptedPeer.Behaviour.HONEST, false)) {
      Transfer done = leecher.download(file.torrent().infoHash().hex());

      assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.getState());
      assertArrayEquals(file.content(), Files.readAllBytes(leecher.dataDir().resolve("file.bin")));
      assertEquals(blocks, seeder.requested().size(), "each block asked for once");
      assertTrue(seeder.choices() > 0, "a seed is offered more blocks than it is to send");
      // Refilling after every block would make about one call per block: a round of headers, a
      // deadline and a picker scan each, which caps what one fast peer can deliver.
      double perCall = (double) blocks / seeder.calls();
      assertTrue(perCall >= 8, "blocks per GetBlocks call: " + perCall + " in " + seeder.calls()
          + " calls");
    }
  }
}
