package io.minibit.core.telemetry;

import io.minibit.core.cli.Version;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdkBuilder;
import io.opentelemetry.sdk.resources.Resource;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Builds the OpenTelemetry SDK from the standard {@code OTEL_*} variables (the SDK's
 * autoconfiguration), with MiniBit's defaults under them: the service name, W3C propagation, and,
 * when nothing is exported, no exporters and no sampling of traces this process starts. Stateless.
 */
final class EnvironmentSdk {
  private EnvironmentSdk() {}

  /**
   * @param prometheus where metrics are kept for a scrape, or null for none (then a
   *     {@code prometheus} in {@code OTEL_METRICS_EXPORTER} is left out)
   * @param exporting whether {@code env} configures an OTLP export ({@link
   *     Telemetry#otlpConfigured})
   */
  static OpenTelemetrySdk build(String serviceName, String instanceId, Map<String, String> env,
      PrometheusMetrics prometheus, boolean exporting) {
    Map<String, String> defaults = new HashMap<>();
    defaults.put("otel.service.name", serviceName);
    defaults.put("otel.propagators", "tracecontext,baggage");
    if (!exporting) {
      defaults.put("otel.traces.exporter", "none");
      defaults.put("otel.metrics.exporter", "none");
      defaults.put("otel.logs.exporter", "none");
      // Spans that go nowhere are not recorded: a trace this process starts is not sampled
      // (its spans cost next to nothing), while one a caller samples is recorded and carried
      // on, so the processes downstream that do export see the whole trace.
      defaults.put("otel.traces.sampler", "parentbased_always_off");
    }
    Map<String, String> fromEnv = new HashMap<>();
    env.forEach((name, value) -> {
      if (name.startsWith("OTEL_")) {
        fromEnv.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value);
      }
    });
    if (prometheus == null) {
      fromEnv.computeIfPresent("otel.metrics.exporter", (name, value) -> withoutPrometheus(value));
    }
    AutoConfiguredOpenTelemetrySdkBuilder builder = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> defaults)
        .addPropertiesCustomizer(config -> fromEnv)
        .addResourceCustomizer((resource, config) -> Resource.create(Attributes.of(
            AttributeKey.stringKey("service.version"), Version.current(),
            AttributeKey.stringKey("service.instance.id"), instanceId)).merge(resource))
        .disableShutdownHook();
    if (prometheus != null) {
      builder.addMeterProviderCustomizer(
          (meters, config) -> meters.registerMetricReader(prometheus.reader()));
    }
    return builder.build().getOpenTelemetrySdk();
  }

  /** {@code exporters} (a list, as OTEL_METRICS_EXPORTER takes it) less prometheus. */
  private static String withoutPrometheus(String exporters) {
    String kept = Arrays.stream(exporters.split(","))
        .map(String::strip)
        .filter(name -> !name.isEmpty() && !name.equals("prometheus"))
        .collect(Collectors.joining(","));
    return kept.isEmpty() ? "none" : kept;
  }
}
