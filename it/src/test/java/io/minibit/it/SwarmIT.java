package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.FreePorts;
import io.minibit.core.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real tracker and peer JVMs on loopback, driven through the CLI as a user drives them.
 */
class SwarmIT {
  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(120);
  private static final int BLOCK = 256 * 1024;

  @TempDir Path root;
  private Cluster cluster;

  @AfterEach
  void stop(TestInfo test) {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static String onlyLine(String stdout) {
    assertTrue(stdout.endsWith("\n") && stdout.indexOf('\n') == stdout.length() - 1,
        "exactly one line on stdout: [" + stdout + "]");
    return stdout.strip();
  }

  @Test
  void twoPeersDownloadAMultiBlockFileThroughTheCli() throws Exception {
    cluster = new Cluster(root);
    cluster.startTracker();
    Cluster.PeerProcess seeder = cluster.peer("seeder");
    Cluster.PeerProcess first = cluster.peer("first");
    Cluster.PeerProcess second = cluster.peer("second");
    Path original = TestFiles.createFile(seeder.dataDir, "payload.bin", 20 * 1024 * 1024 + 77, 42);

    Cluster.Result shared = cluster.cli(CLI_TIMEOUT, "--peer", seeder.controlAddress(),
        "share", original.toString());
    assertEquals(0, shared.exitCode(), shared.toString());
    String infohash = onlyLine(shared.stdout());
    assertTrue(infohash.matches("[0-9a-f]{64}"), infohash);

    Cluster.Result listed = cluster.cli(CLI_TIMEOUT, "torrents", "--tracker", cluster.tracker());
    assertEquals(0, listed.exitCode(), listed.toString());
    assertTrue(listed.stdout().contains("payload.bin") && listed.stdout().contains(infohash),
        listed.toString());

    var byHash = cluster.startCli("--peer", first.controlAddress(), "get", infohash);
    var byName = cluster.startCli("--peer", second.controlAddress(), "get", "payload.bin",
        "-o", second.dataDir.resolve("downloads").toString());
    Cluster.Result firstResult = byHash.finish(CLI_TIMEOUT);
    Cluster.Result secondResult = byName.finish(CLI_TIMEOUT);

    assertEquals(0, firstResult.exitCode(), firstResult + cluster.logs());
    assertEquals(0, secondResult.exitCode(), secondResult + cluster.logs());
    Path firstCopy = Path.of(onlyLine(firstResult.stdout()));
    Path secondCopy = Path.of(onlyLine(secondResult.stdout()));
    assertEquals(first.dataDir.resolve("payload.bin").toRealPath(), firstCopy.toRealPath());
    assertEquals(second.dataDir.resolve("downloads/payload.bin").toRealPath(),
        secondCopy.toRealPath());
    byte[] expected = Files.readAllBytes(original);
    assertArrayEquals(expected, Files.readAllBytes(firstCopy));
    assertArrayEquals(expected, Files.readAllBytes(secondCopy));

    Cluster.Result status = cluster.cli(CLI_TIMEOUT, "--peer", first.controlAddress(), "status");
    assertEquals(0, status.exitCode(), status.toString());
    assertTrue(status.stdout().contains("payload.bin"), status.toString());
  }

  @Test
  void theCliExplainsFailuresInOneLine() throws Exception {
    cluster = new Cluster(root);
    cluster.startTracker();
    Cluster.PeerProcess peer = cluster.peer("lonely");

    Cluster.Result unknown = cluster.cli(CLI_TIMEOUT, "--peer", peer.controlAddress(),
        "get", "no-such-file.bin");
    assertEquals(3, unknown.exitCode(), unknown.toString());
    assertEquals("", unknown.stdout());
    assertEquals(1, unknown.stderr().strip().lines().count(), unknown.toString());

    Cluster.Result noDaemon = cluster.cli(CLI_TIMEOUT, "--peer",
        "127.0.0.1:" + FreePorts.next(), "status");
    assertEquals(4, noDaemon.exitCode(), noDaemon.toString());
    assertTrue(noDaemon.stderr().contains("cannot reach"), noDaemon.toString());

    Cluster.Result outside = cluster.cli(CLI_TIMEOUT, "--peer", peer.controlAddress(),
        "share", "/etc/hostname");
    assertTrue(outside.exitCode() != 0, outside.toString());
    assertTrue(outside.stderr().contains("outside the data directory"), outside.toString());
  }

  @Test
  void aKilledDownloaderResumesWithoutFetchingVerifiedBlocksAgain() throws Exception {
    cluster = new Cluster(root);
    cluster.startTracker();
    // 32 MiB at 4 MiB/s: about 8 s, time enough to kill the downloader part-way.
    Cluster.PeerProcess seeder = cluster.peer("seeder", "--upload-limit", "4096");
    Cluster.PeerProcess leecher = cluster.peer("leecher");
    Path original = TestFiles.createFile(seeder.dataDir, "big.bin", 32 * 1024 * 1024, 7);
    String infohash = onlyLine(cluster.cli(CLI_TIMEOUT, "--peer", seeder.controlAddress(),
        "share", original.toString()).stdout());

    var get = cluster.startCli("--peer", leecher.controlAddress(), "get", infohash);
    int haveAtKill = Await.until(Duration.ofSeconds(60), "a quarter of the blocks",
        () -> leecher.transfer(infohash).map(Transfer::getBlocksHave).orElse(0),
        have -> have >= 32);
    leecher.kill();
    Cluster.Result interrupted = get.finish(CLI_TIMEOUT);
    assertTrue(interrupted.exitCode() != 0, "get cannot succeed when its daemon dies: " + interrupted);
    long uploadedBeforeRestart = seeder.transfer(infohash).orElseThrow().getUploadedBytes();

    leecher.start();
    Transfer resumed = Await.until(Duration.ofSeconds(60), "the blocks on disk checked",
        () -> leecher.transfer(infohash).orElseThrow(),
        transfer -> transfer.getState() != TransferState.TRANSFER_STATE_CHECKING);
    assertTrue(resumed.getBlocksResumed() >= haveAtKill,
        "every block verified before the kill is kept: " + resumed.getBlocksResumed() + " < "
            + haveAtKill);
    assertTrue(resumed.getBlocksResumed() < resumed.getBlockCount(), resumed.toString());

    Cluster.Result finished = cluster.cli(CLI_TIMEOUT, "--peer", leecher.controlAddress(),
        "get", infohash);
    assertEquals(0, finished.exitCode(), finished + cluster.logs());
    assertArrayEquals(Files.readAllBytes(original),
        Files.readAllBytes(leecher.dataDir.resolve("big.bin")));

    Transfer done = leecher.transfer(infohash).orElseThrow();
    long missingBytes = (long) (done.getBlockCount() - done.getBlocksResumed()) * BLOCK;
    assertEquals(missingBytes, done.getDownloadedBytes(),
        "after the restart only the blocks missing at the kill were fetched");
    long servedAfterRestart =
        seeder.transfer(infohash).orElseThrow().getUploadedBytes() - uploadedBeforeRestart;
    assertTrue(servedAfterRestart <= missingBytes + BLOCK,
        "the seeder sent " + servedAfterRestart + " bytes for " + missingBytes + " missing");
  }

  @Test
  void aSeederKilledHalfWayLosesItsBlocksToTheOther() throws Exception {
    cluster = new Cluster(root);
    cluster.startTracker();
    Cluster.PeerProcess first = cluster.peer("first", "--upload-limit", "3072");
    Cluster.PeerProcess second = cluster.peer("second", "--upload-limit", "3072");
    Cluster.PeerProcess leecher = cluster.peer("leecher");
    Path original = TestFiles.createFile(first.dataDir, "shared.bin", 32 * 1024 * 1024, 9);
    Files.copy(original, second.dataDir.resolve("shared.bin"));
    String infohash = onlyLine(cluster.cli(CLI_TIMEOUT, "--peer", first.controlAddress(),
        "share", original.toString()).stdout());
    assertEquals(infohash, onlyLine(cluster.cli(CLI_TIMEOUT, "--peer", second.controlAddress(),
        "share", second.dataDir.resolve("shared.bin").toString()).stdout()));

    var get = cluster.startCli("--peer", leecher.controlAddress(), "get", infohash);
    String firstAddress = "127.0.0.1:" + first.port;
    Transfer atKill = Await.until(Duration.ofSeconds(60), "both seeders serving, a quarter done",
        () -> leecher.transfer(infohash).orElse(Transfer.getDefaultInstance()),
        t -> t.getBlocksHave() >= 32 && t.getPeersList().stream()
            .allMatch(p -> p.getBlocksReceived() > 0) && t.getPeersCount() == 2);
    first.kill();

    Cluster.Result finished = get.finish(CLI_TIMEOUT);
    assertEquals(0, finished.exitCode(), finished + cluster.logs());
    assertArrayEquals(Files.readAllBytes(original),
        Files.readAllBytes(leecher.dataDir.resolve("shared.bin")));
    Transfer done = leecher.transfer(infohash).orElseThrow();
    int fromFirstAtKill = atKill.getPeersList().stream()
        .filter(p -> p.getAddress().equals(firstAddress)).findFirst().orElseThrow()
        .getBlocksReceived();
    int fromFirst = done.getPeersList().stream()
        .filter(p -> p.getAddress().equals(firstAddress)).findFirst().orElseThrow()
        .getBlocksReceived();
    assertTrue(fromFirst < done.getBlockCount(), done.toString());
    assertTrue(fromFirst - fromFirstAtKill <= 32,
        "at most the killed seeder's in-flight blocks arrived after the kill: " + done);
  }
  @Test
  void interruptingShareStopsTheHashingInTheDaemon() throws Exception {
    cluster = new Cluster(root);
    cluster.startTracker();
    Cluster.PeerProcess seeder = cluster.peer("seeder");
    Path huge = seeder.dataDir.resolve("huge.img");
    try (var file = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
      file.setLength(200L << 30); // 200 GiB of zeros that take no space: minutes of hashing
    }

    Cluster.RunningCli share = cluster.startCli("--peer", seeder.controlAddress(), "share",
        huge.toString());
    Await.until(CLI_TIMEOUT, "share shows the hashing", () -> {
      try {
        return Files.readString(share.err()).contains("hashing huge.img");
      } catch (java.io.IOException e) {
        return false;
      }
    });
    new ProcessBuilder("kill", "-INT", String.valueOf(share.process().pid())).start().waitFor();
    Cluster.Result interrupted = share.finish(CLI_TIMEOUT);

    assertTrue(interrupted.exitCode() != 0, interrupted.toString());
    Await.until(CLI_TIMEOUT, "the daemon stops hashing",
        () -> cluster.logs().contains("stopped hashing " + huge));
    Cluster.Result status = cluster.cli(CLI_TIMEOUT, "--peer", seeder.controlAddress(), "status");
    assertTrue(!status.stderr().contains("huge.img") && !status.stdout().contains("huge.img"),
        status.toString());
  }
}
