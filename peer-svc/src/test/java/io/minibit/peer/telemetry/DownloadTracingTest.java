package io.minibit.peer.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.api.v2.ShareRequest;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.telemetry.Telemetry;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.TestFiles;
import io.minibit.peer.testing.LocalSwarm;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A download is one trace: the tracker, the seeder and the downloader each export their spans
 * (to one in-memory exporter, told apart by service name), and the spans of all three share the
 * download's trace id with the right parents, because the context travels in the gRPC calls.
 */
class DownloadTracingTest {
  private static final int BLOCK = 64 * 1024;
  private static final AttributeKey<String> SERVICE = AttributeKey.stringKey("service.name");

  @TempDir Path root;
  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final List<Telemetry> telemetries = new ArrayList<>();

  @AfterEach
  void closeTelemetry() {
    telemetries.forEach(Telemetry::close);
  }

  private Telemetry telemetry(String name) {
    Telemetry telemetry = Telemetry.exportingTo(exporter, "minibit-" + name);
    telemetries.add(telemetry);
    return telemetry;
  }

  @Test
  void trackerSeederAndDownloaderSpansShareTheDownloadsTrace() throws Exception {
    String infohash;
    int blocks = 10;
    try (LocalSwarm swarm = LocalSwarm.builder().telemetry(this::telemetry).start(root)) {
      LocalSwarm.Peer seeder = swarm.peer("seeder");
      LocalSwarm.Peer leecher = swarm.peer("leecher");
      TestFiles.createFile(seeder.dataDir(), "traced.bin", blocks * BLOCK - 100, 7);
      infohash = seeder.control().share(ShareRequest.newBuilder().setPath("traced.bin")
          .setBlockSize(BLOCK).build()).getInfohash();

      Transfer done = leecher.download(infohash);
      assertEquals(TransferState.TRANSFER_STATE_SEEDING, done.getState());
      Await.until(Duration.ofSeconds(20), "the download span ended",
          () -> find(span("minibit-leecher", "download")).isPresent());
    }
    List<SpanData> spans = exporter.getFinishedSpanItems();
    SpanData download = find(span("minibit-leecher", "download")).orElseThrow();
    String trace = download.getTraceId();
    assertFalse(download.getParentSpanContext().isValid(), "the download span is a root");
    assertEquals(infohash, download.getAttributes().get(DownloadTrace.INFOHASH));
    Map<String, SpanData> byId = spans.stream().filter(s -> s.getTraceId().equals(trace))
        .collect(Collectors.toMap(SpanData::getSpanId, s -> s, (a, b) -> a));

    // the tracker's GetManifest: server span <- the leecher's client span <- the download span
    SpanData manifestServer = only(spans, span("minibit-tracker",
        "minibit.v2.TrackerService/GetManifest").and(s -> s.getTraceId().equals(trace)));
    assertEquals(SpanKind.SERVER, manifestServer.getKind());
    SpanData manifestClient = byId.get(manifestServer.getParentSpanId());
    assertEquals("minibit-leecher", service(manifestClient));
    assertEquals(SpanKind.CLIENT, manifestClient.getKind());
    assertEquals(download.getSpanId(), manifestClient.getParentSpanId());

    // its announces too
    assertTrue(spans.stream().anyMatch(span("minibit-tracker", "minibit.v2.TrackerService/Announce")
        .and(s -> s.getTraceId().equals(trace))), "no Announce of the download in its trace");

    // each block stream: the seeder's server span <- client span <- "peer <address>" <- download
    List<SpanData> served = spans.stream().filter(span("minibit-seeder",
        "minibit.v2.PeerService/GetBlocks").and(s -> s.getTraceId().equals(trace))).toList();
    assertFalse(served.isEmpty(), "no GetBlocks served by the seeder in the download's trace");
    Set<String> sources = new HashSet<>();
    for (SpanData server : served) {
      assertEquals(SpanKind.SERVER, server.getKind());
      SpanData client = byId.get(server.getParentSpanId());
      assertEquals(SpanKind.CLIENT, client.getKind());
      assertEquals("minibit-leecher", service(client));
      SpanData source = byId.get(client.getParentSpanId());
      assertTrue(source.getName().startsWith("peer "), source.getName());
      assertEquals(download.getSpanId(), source.getParentSpanId());
      sources.add(source.getSpanId());
    }
    // one span per serving peer, however many calls it served, with what it delivered
    assertEquals(1, sources.size(), "the seeder's calls are in one span: " + sources);
    SpanData source = byId.get(sources.iterator().next());
    assertEquals(blocks, source.getAttributes().get(DownloadTrace.BLOCKS));
    assertTrue(source.getAttributes().get(DownloadTrace.BYTES) > (blocks - 1) * BLOCK);

    // pings and subscriptions are not traced, on either side
    List<String> untraced = spans.stream().map(SpanData::getName)
        .filter(name -> name.equals("minibit.v2.PeerService/Ping")
            || name.equals("minibit.v2.PeerService/Subscribe"))
        .toList();
    assertEquals(List.of(), untraced);
  }

  private Optional<SpanData> find(Predicate<SpanData> predicate) {
    return exporter.getFinishedSpanItems().stream().filter(predicate).findFirst();
  }

  private static SpanData only(List<SpanData> spans, Predicate<SpanData> predicate) {
    List<SpanData> found = spans.stream().filter(predicate).toList();
    assertEquals(1, found.size(), () -> "spans: " + found);
    return found.get(0);
  }

  private static Predicate<SpanData> span(String service, String name) {
    return s -> service.equals(service(s)) && s.getName().equals(name);
  }

  private static String service(SpanData span) {
    return span.getResource().getAttribute(SERVICE);
  }
}
