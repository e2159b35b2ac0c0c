package io.minibit.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.TorrentSummary;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.LocalSwarm;
import io.minibit.peer.testing.LocalSwarm.Peer;
import io.minibit.peer.web.SwarmPage;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Peers given two trackers, A then B, each with a store of its own: when A stops, their calls
 * move to B, which they get into the swarms of (and a seeder publishes its manifests to), so a
 * peer that knows only B finds the file, and a download under way when A stopped finishes.
 */
class TrackerFailoverTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final List<String> A_THEN_B = List.of("A", "B");

  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().build();

  @BeforeEach
  void startTrackers() throws Exception {
    swarm.startTracker("A");
    swarm.startTracker("B");
  }

  /** The catalog entry of {@code infohash} on the tracker named {@code tracker}. */
  private Optional<TorrentSummary> listed(String tracker, String infohash) {
    return swarm.trackerStub(tracker).withDeadlineAfter(5, TimeUnit.SECONDS)
        .listTorrents(ListTorrentsRequest.getDefaultInstance()).getTorrentsList().stream()
        .filter(t -> t.getInfohash().equals(infohash)).findFirst();
  }

  private int seeders(String tracker, String infohash) {
    return listed(tracker, infohash).map(TorrentSummary::getSeeders).orElse(-1);
  }

  private static String share(Peer peer, String file) {
    return peer.control().share(ShareRequest.newBuilder().setPath(file)
        .setBlockSize(64 * 1024).build()).getInfohash();
  }

  @Test
  void aSeederMovesToTheNextTrackerAndAPeerThatKnowsOnlyThatOneDownloads() throws Exception {
    Peer seeder = swarm.peer("seeder", A_THEN_B, UnaryOperator.identity());
    TestFiles.createFile(seeder.dataDir(), "moved.bin", 700_000, 21);
    String infohash = share(seeder, "moved.bin");
    Await.until(TIMEOUT, "the seeder in A's swarm", () -> seeders("A", infohash) == 1);
    assertEquals(Optional.empty(), listed("B", infohash), "B is not used while A answers");
    assertEquals("A", seeder.daemon().trackerInUse());

    swarm.stopTracker("A");

    Await.until(TIMEOUT, "the seeder published to B and in its swarm",
        () -> seeders("B", infohash) == 1);
    assertEquals("B", seeder.daemon().trackerInUse());
    assertEquals("B", seeder.control().listTransfers(
        io.minibit.api.v2.ListTransfersRequest.getDefaultInstance()).getTracker(),
        "what minibit status shows");
    assertEquals("B", new SwarmPage(seeder.daemon(), "").snapshot().get("tracker"),
        "the swarm page's JSON says which tracker is in use");
    Peer leecher = swarm.peer("leecher", List.of("B"), UnaryOperator.identity());
    Transfer last = leecher.download(DownloadRequest.newBuilder().setName("moved.bin").build());
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, last.getState());
    assertArrayEquals(Files.readAllBytes(seeder.dataDir().resolve("moved.bin")),
        Files.readAllBytes(leecher.dataDir().resolve("moved.bin")));
  }

  @Test
  void aDownloadUnderWayWhenItsTrackerStopsFinishes() throws Exception {
    // a capped seeder: the download takes seconds, and A stops in the middle of it
    Peer seeder = swarm.peer("seeder", A_THEN_B, c -> c.withUploadLimit(384 * 1024));
    TestFiles.createFile(seeder.dataDir(), "long.bin", 1_500_000, 22);
    String infohash = share(seeder, "long.bin");
    Await.until(TIMEOUT, "the seeder in A's swarm", () -> seeders("A", infohash) == 1);
    Peer leecher = swarm.peer("leecher", A_THEN_B, UnaryOperator.identity());
    CompletableFuture<Transfer> download = leecher.downloadAsync(infohash);
    Await.until(TIMEOUT, "the download under way", () -> leecher.blocksHave(infohash) > 0);

    // asked before A stops: once it has, the peers move to B and publish at once
    assertEquals(Optional.empty(), listed("B", infohash),
        "B had never heard of the torrent when A stopped");
    swarm.stopTracker("A");

    Transfer last = download.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(TransferState.TRANSFER_STATE_SEEDING, last.getState());
    assertArrayEquals(Files.readAllBytes(seeder.dataDir().resolve("long.bin")),
        Files.readAllBytes(leecher.dataDir().resolve("long.bin")));
    // both are in B's swarm now, as seeders
    Await.until(TIMEOUT, "both peers seeding through B", () -> seeders("B", infohash) == 2);
    assertEquals("B", leecher.daemon().trackerInUse());
  }
}
