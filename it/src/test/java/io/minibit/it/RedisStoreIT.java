package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.testing.RedisServer;
import io.minibit.core.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trackers on one real Redis (redis-server on a free port), as real processes: what one tracker
 * learns, every other one serves.
 */
class RedisStoreIT {
  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path root;
  private Cluster cluster;
  private RedisServer redis;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void aFileSharedThroughOneTrackerDownloadsThroughAnotherAndSurvivesARedisRestart()
      throws Exception {
    redis = RedisServer.start(root.resolve("redis"), true);
    cluster = new Cluster(root);
    cluster.startTracker("--store", redis.uri());
    String trackerB = cluster.startOtherTracker("tracker-b", "--store", redis.uri());
    Cluster.PeerProcess seeder = cluster.peer("seeder");
    Cluster.PeerProcess leecher = cluster.peer("leecher", "--tracker", trackerB);
    Path original = TestFiles.createFile(seeder.dataDir, "shared.bin", 6 * 1024 * 1024 + 3, 7);

    Cluster.Result shared = cluster.cli(CLI_TIMEOUT, "--peer", seeder.controlAddress(),
        "share", original.toString());
    assertEquals(0, shared.exitCode(), shared.toString());

    // the leecher knows only tracker B, which learned of the file and its seeder through Redis
    Cluster.Result got = cluster.cli(CLI_TIMEOUT, "--peer", leecher.controlAddress(), "get",
        "shared.bin");
    assertEquals(0, got.exitCode(), got + cluster.logs());
    assertArrayEquals(Files.readAllBytes(original),
        Files.readAllBytes(Path.of(got.stdout().strip())));

    // Redis restarts; with its AOF, no manifest is lost, and the trackers reconnect
    redis.stop();
    redis.start();
    Cluster.Result listed = cluster.cli(CLI_TIMEOUT, "torrents", "--tracker", trackerB);
    assertEquals(0, listed.exitCode(), listed + cluster.logs());
    assertTrue(listed.stdout().contains("shared.bin"), listed.toString());

    Cluster.PeerProcess late = cluster.peer("late", "--tracker", trackerB);
    Cluster.Result lateGet = cluster.cli(CLI_TIMEOUT, "--peer", late.controlAddress(), "get",
        "shared.bin");
    assertEquals(0, lateGet.exitCode(), lateGet + cluster.logs());
    assertArrayEquals(Files.readAllBytes(original),
        Files.readAllBytes(Path.of(lateGet.stdout().strip())));
  }

  @Test
  void aTrackerKilledMidDownloadLeavesTheDownloadToTheOtherOneOnTheSameRedis()
      throws Exception {
    redis = RedisServer.start(root.resolve("redis"), true);
    cluster = new Cluster(root);
    cluster.startTracker("--store", redis.uri());
    String a = cluster.tracker();
    String b = cluster.startOtherTracker("tracker-b", "--store", redis.uri());
    String both = a + "," + b;
    // the seeder sends slowly, so that the download is still running when A dies
    Cluster.PeerProcess seeder = cluster.peer("seeder", "--tracker", both,
        "--upload-limit", "1024");
    Cluster.PeerProcess leecher = cluster.peer("leecher", "--tracker", both);
    Path original = TestFiles.createFile(seeder.dataDir, "slow.bin", 4 * 1024 * 1024 + 9, 11);
    Cluster.Result shared = cluster.cli(CLI_TIMEOUT, "--peer", seeder.controlAddress(),
        "share", original.toString());
    assertEquals(0, shared.exitCode(), shared.toString());
    String infohash = shared.stdout().strip();

    Cluster.RunningCli get = cluster.startCli("--peer", leecher.controlAddress(), "get",
        "slow.bin");
    io.minibit.core.testing.Await.until(CLI_TIMEOUT, "the download under way",
        () -> leecher.transfer(infohash).map(t -> t.getBlocksHave() > 0).orElse(false));
    cluster.killTracker();

    Cluster.Result got = get.finish(CLI_TIMEOUT);
    assertEquals(0, got.exitCode(), got + cluster.logs());
    assertArrayEquals(Files.readAllBytes(original),
        Files.readAllBytes(Path.of(got.stdout().strip())));

    // a peer given both finds the file through B alone
    Cluster.PeerProcess late = cluster.peer("late", "--tracker", both);
    Cluster.Result lateGet = cluster.cli(CLI_TIMEOUT, "--peer", late.controlAddress(), "get",
        "slow.bin");
    assertEquals(0, lateGet.exitCode(), lateGet + cluster.logs());
  }

  @Test
  void aRedisRestartedEmptyIsRefilledByThePeersWithinAHeartbeat() throws Exception {
    redis = RedisServer.start(root.resolve("redis"), false); // no persistence at all
    cluster = new Cluster(root);
    cluster.startTracker("--store", redis.uri(), "--heartbeat-interval", "1",
        "--announce-interval", "1");
    Cluster.PeerProcess seeder = cluster.peer("seeder");
    Path original = TestFiles.createFile(seeder.dataDir, "kept.bin", 1024 * 1024, 5);
    Cluster.Result shared = cluster.cli(CLI_TIMEOUT, "--peer", seeder.controlAddress(),
        "share", original.toString());
    assertEquals(0, shared.exitCode(), shared.toString());

    redis.stop();
    redis.start();
    assertEquals(":0", redis.command("DBSIZE"), "Redis came back empty");
    // the seeder's next heartbeat finds no session; it announces again, finds its torrent
    // unknown, and publishes it again
    try {
      io.minibit.core.testing.Await.until(Duration.ofSeconds(30), "the catalog and the swarm"
          + " refilled", () -> {
            try {
              Cluster.Result listed = cluster.cli(CLI_TIMEOUT, "torrents", "--tracker",
                  cluster.tracker(), "--json");
              return listed.stdout().contains("kept.bin")
                  && listed.stdout().contains("\"seeders\": 1");
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + cluster.logs(), e);
    }
    Cluster.PeerProcess leecher = cluster.peer("leecher");
    Cluster.Result got = cluster.cli(CLI_TIMEOUT, "--peer", leecher.controlAddress(), "get",
        "kept.bin");
    assertEquals(0, got.exitCode(), got + cluster.logs());
  }

  @Test
  void aTrackerWhoseRedisIsDownSaysSoAndExits() throws Exception {
    redis = RedisServer.start(root.resolve("redis"), false);
    String uri = redis.uri();
    redis.stop();
    cluster = new Cluster(root);
    Cluster.Result result = cluster.cli(CLI_TIMEOUT, "--version"); // the CLI works meanwhile
    assertEquals(0, result.exitCode(), result.toString());

    ProcessBuilder tracker = new ProcessBuilder(Cluster.HOME.resolve("bin/minibit-tracker")
        .toString(), "--port", "0", "--http-port", "-1", "--data-dir",
        root.resolve("t").toString(), "--store", uri).redirectErrorStream(true);
    Process process = tracker.start();
    String output = new String(process.getInputStream().readAllBytes());
    assertEquals(1, process.waitFor(), output);
    assertTrue(output.contains("cannot start") && output.contains("unreachable")
        && output.contains(uri.substring("redis://".length())), output);
    assertTrue(!output.contains("\tat "), "no stack trace: " + output);
  }
}
