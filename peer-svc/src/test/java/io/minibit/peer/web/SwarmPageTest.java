package io.minibit.peer.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.minibit.api.v2.GetLocalSwarmHealthRequest;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.SwarmHealth;
import io.minibit.api.v2.Transfer;
import io.minibit.core.http.HttpEndpoint;
import io.minibit.core.telemetry.Telemetry;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.Http;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.LocalSwarm;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The peer's HTTP side during a real download (in-process daemons, a real HTTP server): the
 * page, its JSON, /metrics whose counters move, and the swarm health over gRPC.
 */
class SwarmPageTest {
  private static final int BLOCK = 64 * 1024;
  private static final int BLOCKS = 48;
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final List<Telemetry> telemetries = new ArrayList<>();
  @RegisterExtension
  final LocalSwarm swarm = LocalSwarm.builder().telemetry(name -> {
    Telemetry telemetry = Telemetry.exportingTo(InMemorySpanExporter.create(), name);
    telemetries.add(telemetry);
    return telemetry;
  }).build();
  private HttpEndpoint http;

  @AfterEach
  void stop() {
    if (http != null) {
      http.close();
    }
  }

  @Test
  void pageJsonAndMetricsFollowARunningDownload() throws Exception {
    // 3 MiB at 512 KiB/s: about 6 s, time enough to look while it runs
    LocalSwarm.Peer seeder = swarm.peer("seeder", c -> c.withUploadLimit(512 * 1024));
    LocalSwarm.Peer leecher = swarm.peer("leecher", c -> c.withMetricsPerPeer(true));
    TestFiles.createFile(seeder.dataDir(), "watched.bin", BLOCKS * BLOCK, 3);
    String infohash = seeder.control().share(ShareRequest.newBuilder().setPath("watched.bin")
        .setBlockSize(BLOCK).build()).getInfohash();
    Telemetry leecherTelemetry = telemetries.get(telemetries.size() - 1);
    http = HttpEndpoint.start(0, leecherTelemetry, new SwarmPage(leecher.daemon()).pages());
    String base = "http://127.0.0.1:" + http.port();

    String html = Http.body(base + "/");
    assertTrue(html.contains("/api/transfers"), "the page polls the JSON");

    CompletableFuture<Transfer> download = leecher.downloadAsync(infohash);
    JsonObject midway = Await.until(TIMEOUT, "the JSON shows the download part-way",
        () -> transfer(base, infohash),
        t -> t != null && t.get("blocksHave").getAsInt() > 0
            && t.get("blocksHave").getAsInt() < BLOCKS);
    assertEquals("downloading", midway.get("state").getAsString());
    assertEquals(BLOCKS, midway.get("blocks").getAsString().length());
    assertEquals(BLOCKS, midway.getAsJsonArray("availability").size());
    assertTrue(midway.getAsJsonArray("peers").size() >= 1);
    assertEquals(1, midway.getAsJsonObject("swarm").get("seeders").getAsInt());
    String label = "infohash=\"" + infohash + "\"";
    String midwayMetrics = Await.until(TIMEOUT, "the seeder connected and serving in /metrics",
        () -> Http.body(base + "/metrics"), text -> Http.sample(text,
            "minibit_peer_peers_choke", label, "side=\"peer\"", "state=\"unchoked\"")
            .orElse(0) == 1);
    double downloadedMidway = Http.value(midwayMetrics, "minibit_peer_downloaded_bytes_total",
        label);
    assertTrue(downloadedMidway > 0);
    assertEquals(1.0, Http.value(midwayMetrics, "minibit_peer_peers_connected", label));
    assertEquals(0.0, Http.value(midwayMetrics, "minibit_peer_peers_choke", label,
        "side=\"peer\"", "state=\"choked\""));
    String seederLabel = "peer=\"" + swarm.address("seeder") + "\"";
    assertTrue(Http.value(midwayMetrics, "minibit_peer_transfer_rtt_seconds", label,
        seederLabel) > 0, "the seeder's RTT is measured");
    assertEquals(1.0, Http.value(midwayMetrics, "minibit_peer_transfer_share_ratio", label,
        seederLabel), "the only source sent every block so far");

    // while it runs, the peer answers for its swarm over gRPC too
    SwarmHealth health = PeerServiceGrpc.newBlockingStub(swarm.channel(swarm.address("leecher")))
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .getLocalSwarmHealth(GetLocalSwarmHealthRequest.newBuilder().setInfohash(infohash).build())
        .getHealth();
    assertEquals(BLOCKS, health.getAvailabilityCount());
    assertTrue(health.getAvailabilityList().stream().allMatch(n -> n >= 1),
        "the seeder holds every block");
    assertTrue(health.getDistributedCopies() >= 1.0);
    assertEquals(1, health.getSeeders());
    assertEquals(1, health.getLeechers()); // itself

    download.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    String metrics = Await.until(TIMEOUT, "the verified-blocks counter reaches every block",
        () -> Http.body(base + "/metrics"),
        text -> Http.sample(text, "minibit_peer_blocks_verified_total", label).orElse(0)
            == BLOCKS);
    double downloadedAtEnd = Http.value(metrics, "minibit_peer_downloaded_bytes_total", label);
    assertTrue(downloadedAtEnd > downloadedMidway && downloadedAtEnd >= BLOCKS * BLOCK,
        downloadedMidway + " then " + downloadedAtEnd);
    assertEquals(1.0, Http.value(metrics, "minibit_peer_download_progress_ratio", label));
    assertTrue(Http.value(metrics, "minibit_peer_download_duration_seconds_count", label) >= 1);
    // buckets made for the figures: a download's seconds to hours, a block's milliseconds up
    assertTrue(Http.sample(metrics, "minibit_peer_download_duration_seconds_bucket",
        "le=\"3600.0\"").isPresent(), "download duration buckets");
    assertEquals(BLOCKS, Http.value(metrics, "minibit_peer_block_latency_seconds_count", ""),
        "one latency per block");
    assertTrue(Http.value(metrics, "minibit_peer_block_latency_seconds_bucket", "le=\"0.001\"")
        <= Http.value(metrics, "minibit_peer_block_latency_seconds_bucket", "le=\"30.0\""));
    assertEquals(BLOCKS, Http.value(metrics, "minibit_peer_block_latency_seconds_bucket",
        "le=\"30.0\""), "every block within the last bucket");
    assertEquals((double) BLOCKS * BLOCK, Http.value(metrics, "minibit_peer_cache_used_bytes", ""),
        "the download is in the cache");
    assertEquals(0.0, Http.value(metrics, "minibit_peer_cache_limit_bytes", ""));
    assertEquals(0.0, Http.value(metrics, "minibit_peer_bandwidth_limit_bytes_per_second",
        "direction=\"download\""));
    JsonObject done = transfer(base, infohash);
    assertEquals("seeding", done.get("state").getAsString());
    assertEquals("h".repeat(BLOCKS), done.get("blocks").getAsString());
  }

  @Test
  void withoutTheFlagNoSeriesIsPerRemotePeerAndTransfersAreCountedByState() throws Exception {
    LocalSwarm.Peer seeder = swarm.peer("seeder");
    LocalSwarm.Peer leecher = swarm.peer("leecher");
    TestFiles.createFile(seeder.dataDir(), "counted.bin", BLOCKS * BLOCK, 4);
    String infohash = seeder.control().share(ShareRequest.newBuilder().setPath("counted.bin")
        .setBlockSize(BLOCK).build()).getInfohash();
    leecher.download(infohash);
    Telemetry leecherTelemetry = telemetries.get(telemetries.size() - 1);
    http = HttpEndpoint.start(0, leecherTelemetry, new SwarmPage(leecher.daemon()).pages());

    String metrics = Http.body("http://127.0.0.1:" + http.port() + "/metrics");
    assertTrue(metrics.lines().noneMatch(l -> l.contains("peer=\"")), metrics);
    assertEquals(1.0, Http.value(metrics, "minibit_peer_transfers", "state=\"seeding\""));
    assertEquals(1.0, Http.value(metrics, "minibit_peer_download_progress_ratio",
        "infohash=\"" + infohash + "\""), "per transfer: still there");
  }

  @Test
  void unknownPathsAndMethodsAreRefusedPlainly() throws Exception {
    LocalSwarm.Peer peer = swarm.peer("alone");
    http = HttpEndpoint.start(0, telemetries.get(telemetries.size() - 1),
        new SwarmPage(peer.daemon()).pages());
    String base = "http://127.0.0.1:" + http.port();

    assertEquals(404, Http.get(base + "/nothing-here").statusCode());
    assertEquals(404, Http.get(base + "/api/nothing").statusCode());
    var post = Http.send(HttpRequest.newBuilder(URI.create(base + "/api/transfers"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
    assertEquals(405, post.statusCode());
    assertTrue(post.body().contains("only GET"), post.body());
    JsonObject empty = JsonParser.parseString(Http.body(base + "/api/transfers"))
        .getAsJsonObject();
    assertEquals(peer.daemon().peerId(), empty.get("peerId").getAsString());
    assertEquals(0, empty.getAsJsonArray("transfers").size());
  }

  private static JsonObject transfer(String base, String infohash) {
    JsonObject page = JsonParser.parseString(Http.body(base + "/api/transfers")).getAsJsonObject();
    for (var element : page.getAsJsonArray("transfers")) {
      if (element.getAsJsonObject().get("infohash").getAsString().equals(infohash)) {
        return element.getAsJsonObject();
      }
    }
    return null;
  }
}
