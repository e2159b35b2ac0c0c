package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.grpc.MutualTls;
import io.minibit.core.testing.TestCertificates;
import io.minibit.core.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A name belongs to its first publisher, with real processes: without TLS the publisher is the
 * peer's key (kept in its data directory), with mutual TLS its certificate's subject. Another
 * publisher's file under the name is refused, the owner's new version becomes the latest, and
 * the tracker remembers owners across a restart.
 */
class NamesIT {
  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(120);

  @TempDir
  Path root;

  private Cluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private Cluster.Result share(Cluster.PeerProcess peer, Path file) throws Exception {
    return cluster.cli(CLI_TIMEOUT, "--peer", peer.controlAddress(), "share", file.toString());
  }

  @Test
  void withoutTlsANameBelongsToThePeerKeyThatFirstPublishedIt() throws Exception {
    cluster = new Cluster(root);
    cluster.startTracker();
    Cluster.PeerProcess alice = cluster.peer("alice");
    Cluster.PeerProcess mallory = cluster.peer("mallory");
    Cluster.PeerProcess reader = cluster.peer("reader");
    Path v1 = TestFiles.createFile(Files.createDirectories(alice.dataDir.resolve("v1")),
        "report.bin", 300_000, 1);
    Cluster.Result first = share(alice, v1);
    assertEquals(0, first.exitCode(), first + cluster.logs());
    String v1Hash = first.stdout().strip();

    Path forged = TestFiles.createFile(mallory.dataDir, "report.bin", 300_000, 2);
    Cluster.Result refused = share(mallory, forged);
    assertNotEquals(0, refused.exitCode(), refused.toString());
    assertTrue(refused.stderr().contains("'report.bin' belongs to another publisher"),
        refused.toString());

    cluster.killTracker();
    cluster.startTracker();
    Cluster.Result stillRefused = share(mallory, forged);
    assertNotEquals(0, stillRefused.exitCode(), "after a restart: " + stillRefused);

    Path v2 = TestFiles.createFile(Files.createDirectories(alice.dataDir.resolve("v2")),
        "report.bin", 400_000, 3);
    Cluster.Result second = share(alice, v2);
    assertEquals(0, second.exitCode(), second + cluster.logs());
    String v2Hash = second.stdout().strip();
    assertNotEquals(v1Hash, v2Hash);

    Cluster.Result fetched = cluster.cli(CLI_TIMEOUT, "--peer", reader.controlAddress(),
        "get", "report.bin");
    assertEquals(0, fetched.exitCode(), fetched + cluster.logs());
    assertArrayEquals(Files.readAllBytes(v2), Files.readAllBytes(Path.of(fetched.stdout()
        .strip())), "the name fetches its owner's latest version");

    Cluster.Result listed = cluster.cli(CLI_TIMEOUT, "torrents", "--tracker", cluster.tracker());
    assertEquals(0, listed.exitCode(), listed.toString());
    List<String> rows = listed.stdout().lines().toList();
    assertTrue(rows.stream().anyMatch(r -> r.startsWith(v1Hash + "  report.bin  older ")),
        listed.stdout());
    assertTrue(rows.stream().anyMatch(r -> r.startsWith(v2Hash + "  report.bin  latest ")),
        listed.stdout());
  }

  @Test
  void withMutualTlsANameBelongsToTheCertificateThatFirstPublishedIt() throws Exception {
    TestCertificates swarm = TestCertificates.newCa(root, "swarm");
    MutualTls trackerCert = swarm.issue("tracker");
    MutualTls aliceCert = swarm.issue("alice");
    MutualTls malloryCert = swarm.issue("mallory");
    cluster = new Cluster(root).withTrackerTls(aliceCert);
    cluster.startTracker(TestCertificates.flags(trackerCert).toArray(String[]::new));
    Cluster.PeerProcess alice = cluster.peer("alice",
        TestCertificates.flags(aliceCert).toArray(String[]::new));
    Cluster.PeerProcess mallory = cluster.peer("mallory",
        TestCertificates.flags(malloryCert).toArray(String[]::new));

    Path original = TestFiles.createFile(alice.dataDir, "plan.bin", 200_000, 4);
    Cluster.Result first = share(alice, original);
    assertEquals(0, first.exitCode(), first + cluster.logs());
    Path forged = TestFiles.createFile(mallory.dataDir, "plan.bin", 200_000, 5);
    Cluster.Result refused = share(mallory, forged);

    assertNotEquals(0, refused.exitCode(), refused.toString());
    assertTrue(refused.stderr().contains("belongs to another publisher (tls:CN=alice)"),
        refused.toString());
    List<String> torrents = new ArrayList<>(List.of("torrents", "--tracker", cluster.tracker()));
    torrents.addAll(TestCertificates.flags(aliceCert));
    Cluster.Result listed = cluster.cli(CLI_TIMEOUT, torrents.toArray(String[]::new));
    assertEquals(1, listed.stdout().lines().filter(r -> r.contains("plan.bin")).count(),
        listed.toString());
  }
}
