package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferPeer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.Bitfield;
import io.minibit.core.Torrent;
import io.minibit.core.grpc.Channels;
import io.minibit.core.store.BlockStore;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.ScriptedPeer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Faults injected into real processes on loopback: seeders, the downloader and the tracker killed
 * with SIGKILL at moments picked by a seeded random source, and a disk that fills up. Each case
 * prints what it injected and what survived, and checks the downloaded file's SHA-256.
 */
class FaultIT {
  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration AWAIT = Duration.ofSeconds(60);
  private static final int BLOCK = 256 * 1024;

  @TempDir Path root;
  private Cluster cluster;
  private final long seed = Long.getLong("minibit.faults.seed", System.nanoTime());
  private final Random random = new Random(seed);

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void say(String format, Object... args) {
    System.out.printf("[faults] " + format + "%n", args);
  }

  private String share(Cluster.PeerProcess peer, Path file) throws Exception {
    Cluster.Result shared = cluster.cli(CLI_TIMEOUT, "--peer", peer.controlAddress(), "share",
        file.toString());
    assertEquals(0, shared.exitCode(), shared + cluster.logs());
    return shared.stdout().strip();
  }

  private int have(Cluster.PeerProcess peer, String infohash) {
    return peer.transfer(infohash).map(Transfer::getBlocksHave).orElse(0);
  }

  private void assertSameSha256(Path original, Path copy) throws Exception {
    String expected = sha256(original);
    String actual = sha256(copy);
    say("SHA-256 of the original %s, of the copy %s", expected, actual);
    assertEquals(expected, actual, copy + " differs from the original");
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  @Test
  void killingSeedersAtRandomMomentsLeavesTheDownloadToTheRest() throws Exception {
    say("seed %d (replay: -Dminibit.faults.seed=%d)", seed, seed);
    cluster = new Cluster(root);
    cluster.startTracker();
    List<Cluster.PeerProcess> seeders = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      seeders.add(cluster.peer("seeder" + i, "--upload-limit", "2048"));
    }
    Cluster.PeerProcess leecher = cluster.peer("leecher");
    Path original = TestFiles.createFile(root.resolve("source"), "swarm.bin", 24 * 1024 * 1024,
        seed);
    String infohash = null;
    for (Cluster.PeerProcess seeder : seeders) {
      infohash = share(seeder, Files.copy(original, seeder.dataDir.resolve("swarm.bin")));
    }
    int blocks = 96;
    // Two of the three die, each when the download has reached a random point of its first 70%.
    List<Integer> killAt = new ArrayList<>(List.of(random.nextInt(blocks * 7 / 10),
        random.nextInt(blocks * 7 / 10)));
    killAt.sort(null);
    List<Cluster.PeerProcess> victims = new ArrayList<>(seeders);
    java.util.Collections.shuffle(victims, random);

    Cluster.RunningCli get = cluster.startCli("--peer", leecher.controlAddress(), "get", infohash);
    final String hash = infohash;
    for (int k = 0; k < killAt.size(); k++) {
      int at = killAt.get(k);
      int reached = Await.until(AWAIT, at + " blocks", () -> have(leecher, hash), h -> h >= at);
      victims.get(k).kill();
      say("SIGKILL %s at %d of %d blocks", victims.get(k).name, reached, blocks);
    }
    Cluster.Result done = get.finish(CLI_TIMEOUT);
    assertEquals(0, done.exitCode(), done + cluster.logs());
    Transfer transfer = leecher.transfer(hash).orElseThrow();
    say("survived: %s served the rest; %d blocks from %d peers, download complete",
        victims.get(2).name, transfer.getBlocksHave(), transfer.getPeersCount());
    assertSameSha256(original, leecher.dataDir.resolve("swarm.bin"));
  }

  @Test
  void aDownloaderKilledThreeTimesResumesAndFetchesLittleTwice() throws Exception {
    say("seed %d (replay: -Dminibit.faults.seed=%d)", seed, seed);
    cluster = new Cluster(root);
    cluster.startTracker();
    Cluster.PeerProcess seeder = cluster.peer("seeder", "--upload-limit", "4096");
    Cluster.PeerProcess leecher = cluster.peer("leecher");
    int size = 32 * 1024 * 1024;
    Path original = TestFiles.createFile(seeder.dataDir, "resume.bin", size, seed);
    Torrent torrent = TestFiles.torrentFor(original, 0);
    String infohash = share(seeder, original);

    int kills = 3;
    int blocks = torrent.blockCount();
    for (int k = 1; k <= kills; k++) {
      int at = blocks * k / 4 + random.nextInt(blocks / 8);
      Cluster.RunningCli get = cluster.startCli("--peer", leecher.controlAddress(), "get",
          infohash);
      int reached = Await.until(AWAIT, at + " blocks", () -> have(leecher, infohash),
          h -> h >= at);
      leecher.kill(); // right after writes: blocks are landing all the time
      get.finish(CLI_TIMEOUT);
      int onDisk = verifiedOnDisk(torrent, leecher.dataDir);
      say("SIGKILL the downloader at %d of %d blocks; the bitfield on disk marks %d, every one "
          + "of them right", reached, blocks, onDisk);
      leecher.start();
      Transfer resumed = Await.until(AWAIT, "the blocks on disk checked",
          () -> leecher.transfer(infohash).orElseThrow(),
          transfer -> transfer.getState() != TransferState.TRANSFER_STATE_CHECKING);
      assertTrue(resumed.getBlocksResumed() >= reached, "kept every verified block: "
          + resumed.getBlocksResumed() + " < " + reached);
    }
    Cluster.Result done = cluster.cli(CLI_TIMEOUT, "--peer", leecher.controlAddress(), "get",
        infohash);
    assertEquals(0, done.exitCode(), done + cluster.logs());
    assertSameSha256(original, leecher.dataDir.resolve("resume.bin"));
    long sent = seeder.transfer(infohash).orElseThrow().getUploadedBytes();
    long extraBlocks = (sent - size + BLOCK - 1) / BLOCK;
    say("the seeder sent %d bytes for a %d-byte file: %d blocks more, over %d kills", sent, size,
        extraBlocks, kills);
    // Only what was in flight at each kill can be sent twice; nothing verified is fetched again.
    assertTrue(extraBlocks <= kills * 8L, "sent " + extraBlocks + " blocks too many");
  }

  @Test
  void aCrashBetweenTheTwoNamesOfTheFinalRenameLosesNothingAndFetchesNothing() throws Exception {
    cluster = new Cluster(root);
    cluster.startTracker();
    Cluster.PeerProcess seeder = cluster.peer("seeder");
    Cluster.PeerProcess leecher = cluster.peer("leecher");
    Path original = TestFiles.createFile(seeder.dataDir, "renamed.bin", 8 * 1024 * 1024, 11);
    String infohash = share(seeder, original);
    Cluster.Result first = cluster.cli(CLI_TIMEOUT, "--peer", leecher.controlAddress(), "get",
        infohash);
    assertEquals(0, first.exitCode(), first + cluster.logs());
    leecher.kill();
    long sentBefore = seeder.transfer(infohash).orElseThrow().getUploadedBytes();

    // What a SIGKILL between finish's two steps leaves: the file under both its part name and
    // its final name, the bitfield beside them, and no note that the file was verified.
    Torrent torrent = TestFiles.torrentFor(original, 0);
    Path copy = leecher.dataDir.resolve("renamed.bin");
    Files.createLink(BlockStore.partPath(leecher.dataDir, torrent), copy);
    Files.write(BlockStore.bitfieldPath(leecher.dataDir, torrent),
        Bitfield.full(torrent.blockCount()).toBytes());
    Path stamp = leecher.dataDir.resolve(".minibit/transfers/" + infohash + ".verified");
    Files.delete(stamp);
    leecher.start();

    Cluster.Result again = cluster.cli(CLI_TIMEOUT, "--peer", leecher.controlAddress(), "get",
        infohash);
    assertEquals(0, again.exitCode(), again + cluster.logs());
    Transfer done = leecher.transfer(infohash).orElseThrow();
    long fetched = seeder.transfer(infohash).orElseThrow().getUploadedBytes() - sentBefore;
    say("a crash between the two names of the final rename: on restart %d of %d blocks checked "
        + "and kept, %d bytes fetched again, the part file %s", done.getBlocksResumed(),
        done.getBlockCount(), fetched,
        Files.exists(BlockStore.partPath(leecher.dataDir, torrent)) ? "left" : "gone");
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.getState());
    assertEquals(0, fetched, "nothing verified is fetched again");
    assertFalse(Files.exists(BlockStore.partPath(leecher.dataDir, torrent)));
    assertFalse(Files.exists(BlockStore.bitfieldPath(leecher.dataDir, torrent)));
    assertTrue(Files.exists(stamp), "verified again, and noted");
    assertSameSha256(original, copy);
  }

  /**
   * Checks, as a restarted peer would find them, that every block the saved bitfield marks is on
   * disk and matches its hash; returns how many are marked.
   */
  private static int verifiedOnDisk(Torrent torrent, Path directory) throws IOException {
    Path bits = BlockStore.bitfieldPath(directory, torrent);
    Path part = BlockStore.partPath(directory, torrent);
    Bitfield marked = Bitfield.fromBytes(torrent.blockCount(), Files.readAllBytes(bits));
    try (FileChannel data = FileChannel.open(part)) {
      for (int index : marked.setBits().toArray()) {
        ByteBuffer block = ByteBuffer.allocate(torrent.blockLength(index));
        data.read(block, torrent.blockOffset(index));
        assertTrue(torrent.isValidBlock(index, block.array(), block.position()),
            "block " + index + " is marked verified but its bytes on disk are wrong");
      }
    }
    return marked.cardinality();
  }

  /** A tracker, a seeder capped at {@code uploadKib} KiB/s and a leecher already fetching. */
  private record Pair(Cluster.PeerProcess leecher, Path original, String infohash,
      Cluster.RunningCli get) {}

  private Pair startPair(String name, int mib, String uploadKib, String... trackerArgs)
      throws Exception {
    cluster = new Cluster(root);
    cluster.startTracker(trackerArgs);
    Cluster.PeerProcess seeder = cluster.peer("seeder", "--upload-limit", uploadKib);
    Cluster.PeerProcess leecher = cluster.peer("leecher");
    Path original = TestFiles.createFile(seeder.dataDir, name, mib * 1024 * 1024, mib);
    String infohash = share(seeder, original);
    return new Pair(leecher, original, infohash,
        cluster.startCli("--peer", leecher.controlAddress(), "get", infohash));
  }

  @Test
  void aTrackerKilledMidSwarmComesBackWithItsCatalogAndPeers() throws Exception {
    String[] fast = {"--heartbeat-interval", "1", "--announce-interval", "1"};
    Pair pair = startPair("catalog.bin", 24, "2048", fast);
    Cluster.PeerProcess leecher = pair.leecher();
    Path original = pair.original();
    String infohash = pair.infohash();
    Cluster.RunningCli get = pair.get();
    int atKill = Await.until(AWAIT, "the download under way", () -> have(leecher, infohash),
        h -> h >= 16);
    cluster.killTracker();
    int whileDown = Await.until(AWAIT, "blocks arriving with the tracker down",
        () -> have(leecher, infohash), h -> h >= atKill + 16);
    say("SIGKILL the tracker at %d blocks; the download went on to %d without it", atKill,
        whileDown);

    cluster.startTracker(fast);
    long restarted = System.nanoTime();
    ManagedChannel channel = Channels.forTarget(cluster.tracker());
    try {
      TrackerServiceGrpc.TrackerServiceBlockingStub trackerStub =
          TrackerServiceGrpc.newBlockingStub(channel);
      Await.until(Duration.ofSeconds(10), "both peers registered again",
          () -> swarmSize(trackerStub, infohash), n -> n == 2);
    } finally {
      Channels.close(channel);
    }
    double back = (System.nanoTime() - restarted) / 1e9;
    say("tracker restarted: both peers back in %.1f s of it serving (heartbeat 1 s)", back);
    // One heartbeat interval, and one more of slack for a machine busy with four JVMs.
    assertTrue(back <= 2.0, "the peers took " + back + " s to register again\n" + cluster.logs());
    Cluster.Result listed = cluster.cli(CLI_TIMEOUT, "torrents", "--tracker", cluster.tracker());
    assertEquals(0, listed.exitCode(), listed.toString());
    assertTrue(listed.stdout().contains(infohash), "catalog intact: " + listed);
    say("catalog intact; the download at %d of 96 blocks", have(leecher, infohash));

    Cluster.Result done = get.finish(CLI_TIMEOUT);
    assertEquals(0, done.exitCode(), done + cluster.logs());
    assertSameSha256(original, leecher.dataDir.resolve("catalog.bin"));
  }

  /** Live seeders plus leechers of {@code infohash}, as the tracker counts them. */
  private static int swarmSize(TrackerServiceGrpc.TrackerServiceBlockingStub tracker,
      String infohash) {
    return tracker.withDeadlineAfter(5, TimeUnit.SECONDS)
        .listTorrents(ListTorrentsRequest.getDefaultInstance()).getTorrentsList().stream()
        .filter(t -> t.getInfohash().equals(infohash))
        .mapToInt(t -> t.getSeeders() + t.getLeechers()).sum();
  }

  @Test
  void aDownloadCompletesWithTheTrackerDownThroughout() throws Exception {
    Pair pair = startPair("alone.bin", 16, "4096");
    Cluster.PeerProcess leecher = pair.leecher();
    Path original = pair.original();
    String infohash = pair.infohash();
    Cluster.RunningCli get = pair.get();
    int atKill = Await.until(AWAIT, "the first block", () -> have(leecher, infohash),
        h -> h >= 1);
    cluster.killTracker();
    say("SIGKILL the tracker once the peers had found each other (%d of 64 blocks)", atKill);
    Cluster.Result done = get.finish(CLI_TIMEOUT);
    assertEquals(0, done.exitCode(), done + cluster.logs());
    say("the download completed with the tracker down");
    assertSameSha256(original, leecher.dataDir.resolve("alone.bin"));
  }

  @ParameterizedTest
  @EnumSource(value = ScriptedPeer.Behaviour.class, names = {"CORRUPT", "WRONG_INDEX", "STALL"})
  void aMisbehavingPeerOnTheNetworkIsCaughtAndTheDownloadCompletes(
      ScriptedPeer.Behaviour behaviour) throws Exception {
    cluster = new Cluster(root);
    cluster.startTracker();
    Cluster.PeerProcess seeder = cluster.peer("seeder", "--upload-limit", "2048");
    Cluster.PeerProcess leecher = cluster.peer("leecher");
    TestFiles.SharedFile file = TestFiles.share(seeder.dataDir, "rogue.bin", 8 * 1024 * 1024,
        0, 21);
    String infohash = share(seeder, file.path());
    ManagedChannel channel = Channels.forTarget(cluster.tracker());
    try (ScriptedPeer rogue = ScriptedPeer.joinOverTcp(TrackerServiceGrpc.newBlockingStub(channel),
        "rogue", file, Bitfield.full(file.torrent().blockCount()), behaviour)) {
      Cluster.Result done = cluster.cli(CLI_TIMEOUT, "--peer", leecher.controlAddress(), "get",
          infohash);
      assertEquals(0, done.exitCode(), done + cluster.logs());
      TransferPeer fromRogue = leecher.transfer(infohash).orElseThrow().getPeersList().stream()
          .filter(p -> p.getAddress().equals("127.0.0.1:" + rogue.port())).findFirst()
          .orElseThrow();
      say("a %s peer on port %d was asked for %d blocks; %d of them kept, its status: %s",
          behaviour, rogue.port(), rogue.requested().size(), fromRogue.getBlocksReceived(),
          fromRogue.getStatus());
      assertTrue(!rogue.requested().isEmpty(), "the rogue peer was asked for blocks");
      assertEquals(0, fromRogue.getBlocksReceived(), fromRogue.toString());
      if (behaviour != ScriptedPeer.Behaviour.STALL) {
        assertTrue(fromRogue.getStatus().startsWith("banned: "), fromRogue.toString());
      }
      assertSameSha256(file.path(), leecher.dataDir.resolve("rogue.bin"));
    } finally {
      Channels.close(channel);
    }
  }

  @Test
  void aFullDiskStopsTheDownloadCleanlyAndItResumesOnceSpaceIsFreed() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "mounting a small tmpfs needs root");
    cluster = new Cluster(root);
    cluster.startTracker();
    Cluster.PeerProcess seeder = cluster.peer("seeder");
    Path original = TestFiles.createFile(seeder.dataDir, "big.bin", 24 * 1024 * 1024, 8);
    String infohash = share(seeder, original);
    Path disk = Files.createDirectories(root.resolve("small"));
    run("mount", "-t", "tmpfs", "-o", "size=10m", "minibit-test", disk.toString());
    try {
      Cluster.PeerProcess leecher = cluster.peer("small");
      Cluster.Result full = cluster.cli(CLI_TIMEOUT, "--peer", leecher.controlAddress(), "get",
          infohash);
      say("a 10 MiB disk for a 24 MiB file: get said \"%s\" (exit %d)", full.stderr().strip()
          .lines().reduce((a, b) -> b).orElse(""), full.exitCode());
      assertEquals(1, full.exitCode(), full.toString());
      assertTrue(full.stderr().contains("the disk is full"), full.toString());
      assertTrue(!full.stderr().contains("\tat ") && !full.stderr().contains("Exception"),
          "no stack trace: " + full);
      Transfer failed = leecher.transfer(infohash).orElseThrow();
      assertEquals(TransferState.TRANSFER_STATE_FAILED, failed.getState());
      Torrent torrent = TestFiles.torrentFor(original, 0);
      assertTrue(Files.exists(BlockStore.partPath(leecher.dataDir, torrent)), "the partial is kept");
      Transfer seeding = seeder.transfer(infohash).orElseThrow();
      assertEquals(TransferState.TRANSFER_STATE_SEEDING, seeding.getState(),
          "the seeder is unaffected");

      // Restarted while the disk is still full (to the last byte): the resumed download must
      // fail as clearly again, not strand a transfer that get would wait on forever.
      Path filler = disk.resolve("filler");
      fill(filler);
      leecher.kill();
      leecher.start();
      Cluster.Result stillFull = cluster.cli(CLI_TIMEOUT, "--peer", leecher.controlAddress(),
          "get", infohash);
      say("restarted on the full disk: get said \"%s\" (exit %d)", stillFull.stderr().strip()
          .lines().reduce((a, b) -> b).orElse(""), stillFull.exitCode());
      assertEquals(1, stillFull.exitCode(), stillFull + cluster.logs());
      assertTrue(stillFull.stderr().contains("the disk is full"), stillFull.toString());

      Files.delete(filler);
      run("mount", "-o", "remount,size=40m", disk.toString());
      Cluster.Result resumed = cluster.cli(CLI_TIMEOUT, "--peer", leecher.controlAddress(),
          "get", infohash);
      assertEquals(0, resumed.exitCode(), resumed + cluster.logs());
      Transfer done = leecher.transfer(infohash).orElseThrow();
      say("space freed: resumed from %d verified blocks of %d, download complete",
          done.getBlocksResumed(), done.getBlockCount());
      assertTrue(done.getBlocksResumed() >= failed.getBlocksHave() && failed.getBlocksHave() > 0,
          done.toString());
      assertSameSha256(original, leecher.dataDir.resolve("big.bin"));
      leecher.kill();
    } finally {
      run("umount", "-l", disk.toString());
    }
  }

  /** Writes zeros to {@code file} until the disk it is on has no byte left. */
  private static void fill(Path file) throws IOException {
    byte[] chunk = new byte[64 * 1024];
    try (var out = Files.newOutputStream(file)) {
      while (true) {
        out.write(chunk);
      }
    } catch (IOException e) {
      if (!String.valueOf(e.getMessage()).contains("No space left on device")) {
        throw e;
      }
    }
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), String.join(" ", command));
    String output = new String(process.getInputStream().readAllBytes());
    assertEquals(0, process.exitValue(), String.join(" ", command) + ": " + output);
  }
}
