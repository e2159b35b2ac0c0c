package io.minibit.core.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.testing.Http;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The SDK as the OTEL_* variables configure it. */
class TelemetryTest {
  private static String scrape(Telemetry telemetry) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    telemetry.writePrometheus(out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void withoutVariablesTheServiceNameIsTheDefaultAndMetricsAreScrapeable() throws IOException {
    try (Telemetry telemetry = Telemetry.fromEnvironment("minibit-peer", Map.of())) {
      telemetry.meter().counterBuilder("minibit.test.things").build().add(3);
      String text = scrape(telemetry);
      assertTrue(text.contains("minibit_test_things_total{otel_scope_name=\"io.minibit\"} 3.0"),
          text);
      assertTrue(text.contains("service_name=\"minibit-peer\""), text);
    }
  }

  @Test
  void otelServiceNameWins() throws IOException {
    try (Telemetry telemetry = Telemetry.fromEnvironment("minibit-peer",
        Map.of("OTEL_SERVICE_NAME", "edge-peer-7"))) {
      telemetry.meter().counterBuilder("minibit.test.things").build().add(1);
      assertTrue(scrape(telemetry).contains("service_name=\"edge-peer-7\""));
    }
  }

  @Test
  void theResourceNamesTheVersionAndTheInstanceAndTheEnvironmentAddsToIt() throws IOException {
    try (Telemetry telemetry = Telemetry.fromEnvironment("minibit-peer", "mb-0123456789abcdef",
        Map.of("OTEL_RESOURCE_ATTRIBUTES", "k8s.node.name=node-7,k8s.pod.name=minibit-peer-x"))) {
      telemetry.meter().counterBuilder("minibit.test.things").build().add(1);
      String text = scrape(telemetry);
      assertTrue(text.contains("service_instance_id=\"mb-0123456789abcdef\""), text);
      assertTrue(text.contains("service_version=\"" + io.minibit.core.cli.Version.current()
          + "\""), text);
      assertTrue(text.contains("k8s_node_name=\"node-7\""), text);
      assertTrue(text.contains("k8s_pod_name=\"minibit-peer-x\""), text);
    }
    try (Telemetry telemetry = Telemetry.fromEnvironment("minibit-peer", "mb-0123456789abcdef",
        Map.of("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=chosen"))) {
      telemetry.meter().counterBuilder("minibit.test.things").build().add(1);
      assertTrue(scrape(telemetry).contains("service_instance_id=\"chosen\""),
          "the operator's attributes win");
    }
  }

  @Test
  void theJvmAndTheProcessAreMeasuredUnderTheConventionalNames() throws IOException {
    try (Telemetry telemetry = Telemetry.fromEnvironment("minibit-peer", Map.of())) {
      String text = scrape(telemetry);
      double heapUsed = Http.samples(text, "jvm_memory_used_bytes",
          "jvm_memory_type=\"heap\"").sum();
      assertTrue(heapUsed > 0, "heap used, all pools: " + text); // one pool may be empty
      assertTrue(Http.value(text, "jvm_thread_count") > 1, text);
      assertTrue(Http.value(text, "jvm_class_count") > 1000, text);
      assertTrue(Http.value(text, "jvm_cpu_time_seconds_total") > 0, text);
      assertTrue(text.contains("jvm_gc_count_total{"), text);
      double rss = Http.value(text, "process_resident_memory_bytes");
      assertTrue(rss > 10 * 1024 * 1024 && rss < 64L * 1024 * 1024 * 1024, "RSS " + rss);
    }
  }

  @Test
  void spansCarryW3cTraceContext() {
    try (Telemetry telemetry = Telemetry.fromEnvironment("minibit-tracker",
        Map.of("OTEL_TRACES_SAMPLER", "always_on"))) {
      Span span = telemetry.tracer().spanBuilder("probe").startSpan();
      Map<String, String> headers = new HashMap<>();
      TextMapSetter<Map<String, String>> setter = Map::put;
      telemetry.openTelemetry().getPropagators().getTextMapPropagator()
          .inject(Context.root().with(span), headers, setter);
      span.end();
      String traceparent = headers.get("traceparent");
      // version 00, the ids, then flags with "sampled" set
      assertTrue(traceparent.startsWith("00-" + span.getSpanContext().getTraceId() + "-"
          + span.getSpanContext().getSpanId() + "-"), traceparent);
      assertEquals(1, Integer.parseInt(traceparent.substring(53), 16) & 1, traceparent);
    }
  }

  @Test
  void withNothingToExportOnlyTracesACallerSampledAreRecorded() {
    try (Telemetry telemetry = Telemetry.fromEnvironment("minibit-peer", Map.of())) {
      Span root = telemetry.tracer().spanBuilder("download").startSpan();
      Span sampledParent = Span.wrap(SpanContext.createFromRemoteParent(
          "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", TraceFlags.getSampled(),
          TraceState.getDefault()));
      Span child = telemetry.tracer().spanBuilder("GetBlocks")
          .setParent(Context.root().with(sampledParent)).startSpan();

      assertFalse(root.isRecording(), "a trace this process starts costs nothing");
      assertFalse(root.getSpanContext().isSampled());
      assertTrue(child.isRecording(), "a caller's sampled trace goes on");
      assertTrue(child.getSpanContext().isSampled());
      assertEquals("0af7651916cd43dd8448eb211c80319c", child.getSpanContext().getTraceId());
      root.end();
      child.end();
    }
  }

  @Test
  void noopKeepsNoMetrics() throws IOException {
    Telemetry telemetry = Telemetry.noop();
    telemetry.meter().counterBuilder("minibit.test.things").build().add(1);
    assertEquals("", scrape(telemetry));
    telemetry.close(); // and may be closed by anyone
  }
}
