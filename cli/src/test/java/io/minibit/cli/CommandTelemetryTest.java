package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.minibit.core.telemetry.Telemetry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The CLI carries no Prometheus exporter (core has it as optional), as its test classpath shows:
 * a traced command must neither need nor load it.
 */
class CommandTelemetryTest {
  @Test
  void theCliHasNoPrometheusLibraries() {
    for (String name : List.of("io.opentelemetry.exporter.prometheus.PrometheusMetricReader",
        "io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter",
        "io.prometheus.metrics.model.registry.PrometheusRegistry", "okhttp3.OkHttpClient")) {
      assertThrows(ClassNotFoundException.class, () -> Class.forName(name), name);
    }
  }

  @Test
  void aTracedCommandExportsOverOtlpWithoutPrometheus() throws IOException {
    List<String> received = new CopyOnWriteArrayList<>();
    HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
    collector.createContext("/v1/", exchange -> {
      try (exchange) {
        received.add(exchange.getRequestURI().getPath() + " " + new String(
            exchange.getRequestBody().readAllBytes(), StandardCharsets.ISO_8859_1));
        exchange.sendResponseHeaders(200, -1);
      }
    });
    collector.start();
    try (Telemetry telemetry = Telemetry.forCommand("minibit-cli", Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.getAddress().getPort(),
        "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
        // as a shell shared with the daemons might say: the command leaves prometheus out
        "OTEL_METRICS_EXPORTER", "prometheus,otlp"))) {
      telemetry.tracer().spanBuilder("command-span").startSpan().end();
      telemetry.meter().counterBuilder("minibit.cli.things").build().add(1);
      ByteArrayOutputStream scraped = new ByteArrayOutputStream();
      telemetry.writePrometheus(scraped);
      assertEquals(0, scraped.size(), "a command keeps no metrics for a scrape");
    } finally {
      collector.stop(0);
    }
    assertTrue(received.stream().anyMatch(r -> r.startsWith("/v1/traces ")
        && r.contains("command-span")), received.toString());
    assertTrue(received.stream().anyMatch(r -> r.startsWith("/v1/metrics ")
        && r.contains("minibit.cli.things")), "metrics go out over OTLP: " + received);
  }
}
