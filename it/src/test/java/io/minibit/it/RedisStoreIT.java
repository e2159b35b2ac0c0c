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
    Cluster.TrackerProcess trackerB = cluster.startExtraTracker("tracker-b", "--store",
        redis.uri());
    Cluster.PeerProcess seeder = cluster.peer("seeder");
    Cluster.PeerProcess leecher = cluster.peerOn(trackerB.target(), "leecher");
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
    Cluster.Result listed = cluster.cli(CLI_TIMEOUT, "torrents", "--tracker", trackerB.target());
    assertEquals(0, listed.exitCode(), listed + cluster.logs());
    assertTrue(listed.stdout().contains("shared.bin"), listed.toString());

    Cluster.PeerProcess late = cluster.peerOn(trackerB.target(), "late");
    Cluster.Result lateGet = cluster.cli(CLI_TIMEOUT, "--peer", late.controlAddress(), "get",
        "shared.bin");
    assertEquals(0, lateGet.exitCode(), lateGet + cluster.logs());
    assertArrayEquals(Files.readAllBytes(original),
        Files.readAllBytes(Path.of(lateGet.stdout().strip())));
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
