package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.testing.Await;
import io.minibit.core.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real tracker processes, A and B, each with its own catalog, and peers started with
 * {@code --tracker A,B}: when A is killed, the seeder moves to B and publishes its file there, so a
 * peer that knows only B downloads it, and the CLI given A,B lists B's catalog.
 */
class SeveralTrackersIT {
  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration MOVE_TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path root;
  private Cluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private String catalogOf(String tracker) {
    try {
      return cluster.cli(CLI_TIMEOUT, "torrents", "--tracker", tracker, "--json").stdout();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void whenTheFirstTrackerDiesTheSeederMovesToTheSecondAndAPeerOfTheSecondDownloads()
      throws Exception {
    cluster = new Cluster(root);
    String a = cluster.startOtherTracker("tracker-a");
    String b = cluster.startOtherTracker("tracker-b");
    Cluster.PeerProcess seeder = cluster.peer("seeder", "--tracker", a + "," + b);
    Path original = TestFiles.createFile(seeder.dataDir, "both.bin", 3 * 1024 * 1024 + 5, 31);
    Cluster.Result shared = cluster.cli(CLI_TIMEOUT, "--peer", seeder.controlAddress(),
        "share", original.toString());
    assertEquals(0, shared.exitCode(), shared.toString());
    String infohash = shared.stdout().strip();
    Cluster.Result onB = cluster.cli(CLI_TIMEOUT, "torrents", "--tracker", b);
    assertFalse(onB.stdout().contains(infohash), "published to A only: " + onB);

    cluster.killOtherTracker("tracker-a");

    Await.until(MOVE_TIMEOUT, "the seeder's file in B's catalog, with its seeder", () -> {
      String catalog = catalogOf(b);
      return catalog.contains(infohash) && catalog.contains("\"seeders\": 1");
    });
    assertTrue(Files.readString(root.resolve("seeder.log"))
        .contains("tracker " + a + " unreachable, now using " + b), cluster.logs());

    Cluster.Result listed = cluster.cli(CLI_TIMEOUT, "torrents", "--tracker", a + "," + b);
    assertEquals(0, listed.exitCode(), listed.toString());
    assertTrue(listed.stdout().contains("both.bin"), listed.toString());
    assertEquals("minibit: tracker " + a + " unreachable, now using " + b,
        listed.stderr().strip());

    Cluster.PeerProcess leecher = cluster.peer("leecher", "--tracker", b);
    Cluster.Result got = cluster.cli(CLI_TIMEOUT, "--peer", leecher.controlAddress(), "get",
        "both.bin");
    assertEquals(0, got.exitCode(), got + cluster.logs());
    assertArrayEquals(Files.readAllBytes(original),
        Files.readAllBytes(leecher.dataDir.resolve("both.bin")));
  }
}
