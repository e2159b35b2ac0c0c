package io.minibit.tracker;

import static io.minibit.tracker.TrackerHarness.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.minibit.api.v2.AnnounceEvent;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.DownloadEta;
import io.minibit.api.v2.GetSwarmHealthRequest;
import io.minibit.api.v2.Manifest;
import io.minibit.api.v2.SwarmHealth;
import io.minibit.core.Bitfield;
import io.minibit.core.Torrent;
import io.minibit.core.testing.TestKeys;
import io.minibit.core.telemetry.Telemetry;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.Http;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Tracker.GetSwarmHealth from announced bitfields, its validation, and the tracker's metrics. */
class SwarmHealthTest {
  private static final Manifest FILM = TestManifests.manifest("film.mkv", 10 * 16 * 1024,
      16 * 1024, 5);
  private static final Torrent TORRENT = Torrent.of(FILM);
  private static final String HASH = TORRENT.infoHash().hex();

  private final Telemetry telemetry =
      Telemetry.exportingTo(SpanExporter.composite(), "minibit-tracker");
  // expiry runs every 500 ms of real time, and expires by the clock the test moves
  @RegisterExtension
  final TrackerHarness tracker = TrackerHarness.builder()
      .config(dataDir -> new TrackerConfig(0, dataDir, Duration.ofSeconds(1),
          Duration.ofSeconds(60), 50, true))
      .telemetry(telemetry)
      .build();

  @BeforeEach
  void start() {
    tracker.tracker().publish(TestKeys.publish(FILM, tracker.clock.instant()));
  }

  /** An announce, with a proof, of the peer whose test key is called {@code name}. */
  private AnnounceRequest.Builder announce(String name) {
    return TestKeys.proven(AnnounceRequest.newBuilder().setInfohash(HASH)
        .setPeerId(TestKeys.peerId(name)).setHost("10.0.0.1").setPort(7000)
        .setEvent(AnnounceEvent.ANNOUNCE_EVENT_STARTED), tracker.clock.instant());
  }

  private static Bitfield blocks(int... indices) {
    Bitfield bitfield = new Bitfield(TORRENT.blockCount());
    for (int i : indices) {
      bitfield.set(i);
    }
    return bitfield;
  }

  private SwarmHealth health() {
    return tracker.tracker().getSwarmHealth(
        GetSwarmHealthRequest.newBuilder().setInfohash(HASH).build()).getHealth();
  }

  @Test
  void healthCountsAnnouncedBitfieldsAndEstimatesEachDownload() {
    assertEquals(10, TORRENT.blockCount());
    tracker.tracker().announce(announce("seeder").setComplete(true).build());
    String halfToken = tracker.tracker().announce(announce("half")
        .setHave(blocks(0, 1, 2, 3, 4).toProto())
        .setDownloadRate(16 * 1024).build()).getSessionToken(); // 5 blocks of 16 KiB missing: 5 s
    tracker.tracker().announce(announce("stuck").setHave(blocks(0).toProto()).build());

    SwarmHealth health = health();
    assertEquals(HASH, health.getInfohash());
    assertEquals(1, health.getSeeders());
    assertEquals(2, health.getLeechers());
    assertEquals(List.of(3, 2, 2, 2, 2, 1, 1, 1, 1, 1), health.getAvailabilityList());
    // the rarest blocks are held once; half the blocks more often
    assertEquals(1.5, health.getDistributedCopies(), 1e-9);
    DownloadEta half = health.getDownloadsList().stream()
        .filter(d -> d.getPeerId().equals(TestKeys.peerId("half"))).findFirst().orElseThrow();
    assertEquals(5, half.getBlocksHave());
    assertEquals(5000, half.getEtaMs());
    DownloadEta stuck = health.getDownloadsList().stream()
        .filter(d -> d.getPeerId().equals(TestKeys.peerId("stuck"))).findFirst().orElseThrow();
    assertEquals(-1, stuck.getEtaMs());

    // a leecher that completes is a seeder from its next announce on
    tracker.tracker().announce(announce("half").setEvent(AnnounceEvent.ANNOUNCE_EVENT_COMPLETED)
        .setComplete(true).setSessionToken(halfToken).build());
    assertEquals(2, health().getSeeders());
    assertEquals(2.0 + 0.1, health().getDistributedCopies(), 1e-9);
  }

  @Test
  void anExpiredPeerNoLongerCounts() {
    tracker.tracker().announce(announce("gone").setComplete(true).build());
    assertEquals(1, health().getSeeders());
    tracker.clock.advance(Duration.ofSeconds(4));
    SwarmHealth after = health();
    assertEquals(0, after.getSeeders());
    assertEquals(0.0, after.getDistributedCopies());
  }

  @Test
  void badBitfieldsAndRatesAreInvalid() {
    Bitfield wrongSize = new Bitfield(TORRENT.blockCount() + 8);
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> tracker.tracker().announce(
        announce("p").setHave(wrongSize.toProto()).build()));
    var spareBitSet = blocks().toProto().toBuilder()
        .setBits(com.google.protobuf.ByteString.copyFrom(new byte[] {0, (byte) 0xff}));
    var e = assertStatus(Status.Code.INVALID_ARGUMENT, () -> tracker.tracker().announce(
        announce("p").setHave(spareBitSet).build()));
    assertTrue(e.getStatus().getDescription().contains("have"), e.getStatus().toString());
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> tracker.tracker().announce(
        announce("p").setDownloadRate(Double.NaN).build()));
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> tracker.tracker().announce(
        announce("p").setDownloadRate(-1).build()));
    assertStatus(Status.Code.NOT_FOUND, () -> tracker.tracker().getSwarmHealth(
        GetSwarmHealthRequest.newBuilder().setInfohash("ab".repeat(32)).build()));
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> tracker.tracker().getSwarmHealth(
        GetSwarmHealthRequest.newBuilder().setInfohash("not hex").build()));
  }

  @Test
  void metricsCountAnnouncesExpirationsAndSwarmMembers() throws IOException {
    String before = scrape();
    assertEquals(1.0, Http.value(before, "minibit_tracker_torrents", ""));
    tracker.tracker().announce(announce("a").setComplete(true).build());
    tracker.tracker().announce(announce("b").build());
    String token = tracker.tracker().announce(announce("c").build()).getSessionToken();
    tracker.tracker().announce(announce("c").setEvent(AnnounceEvent.ANNOUNCE_EVENT_UNSPECIFIED)
        .setSessionToken(token).build());

    String after = scrape();
    assertEquals(4.0, Http.value(after, "minibit_tracker_announces_total", ""));
    String swarm = "infohash=\"" + HASH + "\"";
    assertEquals(1.0, Http.value(after, "minibit_tracker_swarm_peers",
        swarm, "role=\"seeder\""));
    assertEquals(2.0, Http.value(after, "minibit_tracker_swarm_peers",
        swarm, "role=\"leecher\""));
    assertEquals(1.0, Http.value(after, "minibit_swarm_distributed_copies", swarm));

    tracker.clock.advance(Duration.ofMinutes(10));
    Await.until(Duration.ofSeconds(20), "the three peers expired", () -> Http.sample(
        scrapeQuietly(), "minibit_tracker_expirations_total", "").orElse(0) == 3.0);
    assertEquals(0.0, Http.sample(scrape(), "minibit_tracker_swarm_peers",
        swarm, "role=\"seeder\"").orElse(0));
  }

  private String scrapeQuietly() {
    try {
      return scrape();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private String scrape() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    telemetry.writePrometheus(out);
    return out.toString(StandardCharsets.UTF_8);
  }
}
