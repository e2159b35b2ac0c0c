package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.testing.Await;
import io.minibit.core.testing.TestFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real tracker and peer JVMs configured only by the standard OTEL_* variables export their
 * spans over OTLP to a receiver the test runs; a download made with the CLI is one trace across
 * the downloader, the tracker and the seeder. The processes use both OTLP protocols, so one run
 * covers both senders the jars carry: gRPC (the default, on grpc-java's channel) for the
 * tracker, the downloader and {@code minibit get}, http/protobuf (the JDK's HttpClient) for the
 * seeder and {@code minibit share}.
 */
class TracingIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path root;
  private Cluster cluster;
  private OtlpReceiver receiver;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (receiver != null) {
      receiver.close();
    }
  }

  @Test
  void aDownloadIsOneTraceAcrossTheProcesses() throws Exception {
    receiver = new OtlpReceiver();
    cluster = new Cluster(root)
        .env("OTEL_METRICS_EXPORTER", "none")
        .env("OTEL_BSP_SCHEDULE_DELAY", "200");
    grpc(); // OTEL_EXPORTER_OTLP_PROTOCOL unset: gRPC is the default
    cluster.startTracker();
    http();
    Cluster.PeerProcess seeder = cluster.peer("seeder");
    grpc();
    Cluster.PeerProcess leecher = cluster.peer("leecher");
    Path file = TestFiles.createFile(seeder.dataDir, "traced.bin", 3 * 1024 * 1024, 5);
    http();
    Cluster.Result shared = cluster.cli(TIMEOUT, "--peer", seeder.controlAddress(), "share",
        file.toString());
    assertEquals(0, shared.exitCode(), shared.toString());
    String infohash = shared.stdout().strip();

    grpc();
    Cluster.Result got = cluster.cli(TIMEOUT, "--peer", leecher.controlAddress(), "get",
        infohash);
    assertEquals(0, got.exitCode(), got.toString());
    for (Cluster.Result command : List.of(shared, got)) {
      assertFalse(command.stderr().contains("export") || command.stderr().contains("Error"),
          "the traced command's exporter worked: " + command);
    }
    for (String protocol : List.of(OtlpReceiver.HTTP, OtlpReceiver.GRPC)) {
      Await.until(TIMEOUT, "the CLI's spans over " + protocol, () -> receiver.spans().stream()
          .anyMatch(s -> s.service().equals("minibit-cli") && s.protocol().equals(protocol)));
    }

    OtlpReceiver.Span download = Await.until(TIMEOUT, "the download span at the receiver",
        () -> receiver.spans().stream().filter(s -> s.name().equals("download")).findFirst()
            .orElse(null), s -> s != null);
    assertEquals("minibit-peer", download.service());
    assertEquals(OtlpReceiver.GRPC, download.protocol());
    assertEquals("", download.parentSpanId(), "the download span is a root");
    String trace = download.traceId();
    Await.until(TIMEOUT, "the seeder's GetBlocks spans in the download's trace", () ->
        receiver.spans().stream().anyMatch(s -> s.traceId().equals(trace)
            && s.kind() == OtlpReceiver.Span.SERVER
            && s.name().equals("minibit.v2.PeerService/GetBlocks")));

    List<OtlpReceiver.Span> spans = receiver.spans().stream()
        .filter(s -> s.traceId().equals(trace)).toList();
    Map<String, OtlpReceiver.Span> byId = spans.stream()
        .collect(Collectors.toMap(OtlpReceiver.Span::spanId, Function.identity(), (a, b) -> a));
    OtlpReceiver.Span manifest = spans.stream()
        .filter(s -> s.kind() == OtlpReceiver.Span.SERVER
            && s.name().equals("minibit.v2.TrackerService/GetManifest"))
        .findFirst().orElseThrow(() -> new AssertionError("no tracker span in " + spans));
    assertEquals("minibit-tracker", manifest.service());
    assertEquals(OtlpReceiver.GRPC, manifest.protocol());
    OtlpReceiver.Span manifestCall = byId.get(manifest.parentSpanId());
    assertEquals(OtlpReceiver.Span.CLIENT, manifestCall.kind());
    assertEquals(download.spanId(), manifestCall.parentSpanId());

    List<OtlpReceiver.Span> served = spans.stream()
        .filter(s -> s.kind() == OtlpReceiver.Span.SERVER
            && s.name().equals("minibit.v2.PeerService/GetBlocks")).toList();
    assertFalse(served.isEmpty());
    for (OtlpReceiver.Span server : served) {
      assertEquals(OtlpReceiver.HTTP, server.protocol(), "the seeder's: " + server);
      OtlpReceiver.Span call = byId.get(server.parentSpanId());
      assertEquals(OtlpReceiver.Span.CLIENT, call.kind(), call.toString());
      // one span per serving peer, the download's child
      OtlpReceiver.Span source = byId.get(call.parentSpanId());
      assertTrue(source.name().startsWith("peer 127.0.0.1:"), source.toString());
      assertEquals(download.spanId(), source.parentSpanId());
    }
  }

  /** Processes started from now on export over OTLP/gRPC, the protocol left to its default. */
  private void grpc() {
    cluster.env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(OtlpReceiver.GRPC))
        .unsetEnv("OTEL_EXPORTER_OTLP_PROTOCOL");
  }

  /** Processes started from now on export over OTLP/HTTP. */
  private void http() {
    cluster.env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(OtlpReceiver.HTTP))
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", OtlpReceiver.HTTP);
  }
}
