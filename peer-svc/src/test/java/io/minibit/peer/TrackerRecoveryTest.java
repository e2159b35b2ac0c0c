package io.minibit.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Peers find a restarted tracker again, and give back what it forgot; a restarted peer is the
 * same peer (its key, its id, its names).
 */
class TrackerRecoveryTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();

  private int seedersOf(String infohash) {
    return swarm.trackerStub().listTorrents(ListTorrentsRequest.getDefaultInstance())
        .getTorrentsList().stream().filter(t -> t.getInfohash().equals(infohash))
        .mapToInt(t -> t.getSeeders()).findFirst().orElse(-1);
  }

  @Test
  void aSeederRepublishesAndReRegistersWithATrackerThatLostEverything() throws Exception {
    Peer seeder = swarm.peer("seeder");
    TestFiles.createFile(seeder.dataDir(), "kept.bin", 300_000, 11);
    String infohash = seeder.control().share(
        ShareRequest.newBuilder().setPath("kept.bin").setBlockSize(64 * 1024).build())
        .getInfohash();
    Await.until(TIMEOUT, "the seeder registered", () -> seedersOf(infohash) == 1);

    swarm.restartTracker(true);
    assertEquals(-1, seedersOf(infohash), "the new tracker starts empty");

    Await.until(TIMEOUT, "the seeder back in the catalog and the swarm",
        () -> seedersOf(infohash) == 1);
    Peer leecher = swarm.peer("leecher");
    Transfer last = leecher.download(DownloadRequest.newBuilder().setName("kept.bin").build());
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, last.getState());
    assertArrayEquals(Files.readAllBytes(seeder.dataDir().resolve("kept.bin")),
        Files.readAllBytes(leecher.dataDir().resolve("kept.bin")));
  }

  @Test
  void aTrackerRestartedWithItsCatalogSeesItsPeersAgain() throws Exception {
    Peer seeder = swarm.peer("seeder");
    TestFiles.createFile(seeder.dataDir(), "kept.bin", 300_000, 12);
    String infohash = seeder.control().share(
        ShareRequest.newBuilder().setPath("kept.bin").build()).getInfohash();
    Await.until(TIMEOUT, "the seeder registered", () -> seedersOf(infohash) == 1);

    swarm.restartTracker(false);
    assertEquals(0, seedersOf(infohash), "the catalog survives; the swarm is soft state");
    Await.until(TIMEOUT, "the seeder re-registered", () -> seedersOf(infohash) == 1);
  }

  @Test
  void aRestartedPeerKeepsItsIdAndTheNamesItOwns() throws Exception {
    Peer seeder = swarm.peer("seeder");
    String peerId = seeder.daemon().peerId();
    TestFiles.createFile(seeder.dataDir(), "doc.bin", 200_000, 13);
    String v1 = seeder.control().share(ShareRequest.newBuilder().setPath("doc.bin").build())
        .getInfohash();
    Await.until(TIMEOUT, "the seeder registered", () -> seedersOf(v1) == 1);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
        PeerConfig.keyFile(seeder.dataDir()))));

    seeder.close();
    Peer restarted = swarm.peer("seeder");

    assertEquals(peerId, restarted.daemon().peerId());
    Await.until(TIMEOUT, "the restarted seeder registered", () -> seedersOf(v1) == 1);
    TestFiles.createFile(Files.createDirectories(restarted.dataDir().resolve("v2")), "doc.bin",
        200_000, 14);
    String v2 = restarted.control().share(ShareRequest.newBuilder().setPath("v2/doc.bin")
        .build()).getInfohash();
    assertNotEquals(v1, v2, "a new version from the name's owner");

    Peer other = swarm.peer("other");
    TestFiles.createFile(other.dataDir(), "doc.bin", 200_000, 15);
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> other.control().share(ShareRequest.newBuilder().setPath("doc.bin").build()));
    assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode(), refused::toString);
    assertTrue(refused.getStatus().getDescription().contains("belongs to another publisher"),
        refused::toString);
  }
}
