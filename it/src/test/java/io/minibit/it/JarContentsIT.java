package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * What the runnable jars carry, read from the jars the build made (no process is started). The
 * OTLP exporter's default sender would bring OkHttp, Okio and the Kotlin standard library, some
 * 7 MB in every jar: MiniBit sends OTLP on grpc-java's channel and the JDK's HttpClient instead.
 * And the CLI, which never serves metrics, carries no Prometheus exporter.
 */
class JarContentsIT {
  private static final Map<String, Path> JARS = Map.of(
      "cli", Cluster.HOME.resolve("cli/target/minibit.jar"),
      "peer", Cluster.HOME.resolve("peer-svc/target/minibit-peer.jar"),
      "tracker", Cluster.HOME.resolve("tracker-svc/target/minibit-tracker.jar"));
  private static final String SERVICES = "META-INF/services/io.opentelemetry.sdk.common.export.";

  /** The entries of {@code jar} whose names start with one of {@code prefixes}. */
  private static List<String> entries(Path jar, String... prefixes) throws IOException {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      return zip.stream().map(ZipEntry::getName)
          .filter(name -> List.of(prefixes).stream().anyMatch(name::startsWith))
          .limit(10).toList();
    }
  }

  private static String text(Path jar, String entry) throws IOException {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      ZipEntry found = zip.getEntry(entry);
      assertNotNull(found, jar + " has no " + entry);
      try (InputStream in = zip.getInputStream(found)) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }
  }

  @Test
  void noJarCarriesOkHttpOkioOrKotlinAndEachSendsOtlpOverBothProtocols() throws IOException {
    for (Path jar : JARS.values()) {
      assertEquals(List.of(), entries(jar, "okhttp3/", "okio/", "kotlin/",
          "io/opentelemetry/exporter/sender/okhttp/"), jar.toString());
      assertEquals(List.of("io.minibit.core.telemetry.GrpcChannelSenderProvider"),
          text(jar, SERVICES + "GrpcSenderProvider").lines().map(String::strip)
              .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList(),
          jar + ": OTLP/gRPC on grpc-java's channel");
      assertEquals(List.of("io.opentelemetry.exporter.sender.jdk.internal.JdkHttpSenderProvider"),
          text(jar, SERVICES + "HttpSenderProvider").lines().map(String::strip)
              .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList(),
          jar + ": OTLP/HTTP on the JDK's HttpClient");
    }
  }

  @Test
  void theCliCarriesNothingOnlyTheDaemonsUse() throws IOException {
    assertEquals(List.of(), entries(JARS.get("cli"), "io/prometheus/",
        "io/opentelemetry/exporter/prometheus/", "org/yaml/snakeyaml/"));
  }

  @Test
  void theDaemonsCarryWhatMetricsNeed() throws IOException {
    for (String daemon : List.of("peer", "tracker")) {
      Path jar = JARS.get(daemon);
      for (String needed : List.of(
          "io/opentelemetry/exporter/prometheus/PrometheusMetricReader.class",
          "io/prometheus/metrics/expositionformats/PrometheusTextFormatWriter.class",
          "org/yaml/snakeyaml/Yaml.class")) {
        assertTrue(entries(jar, needed).contains(needed), jar + " lacks " + needed);
      }
    }
  }
}
