package io.minibit.core.telemetry;

import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The metrics a daemon keeps for {@code /metrics}, written in the Prometheus text format. The
 * only class that uses the Prometheus exporter and libraries, which core depends on optionally:
 * the daemons carry them, the CLI (which never serves metrics) does not, and never loads this
 * class. Thread-safe.
 */
final class PrometheusMetrics {
  private static final PrometheusTextFormatWriter WRITER = PrometheusTextFormatWriter.create();

  private final PrometheusMetricReader reader = PrometheusMetricReader.create();

  /** To register with the SDK's meter provider. */
  MetricReader reader() {
    return reader;
  }

  /** Every metric now, in the Prometheus text exposition format (version 0.0.4). */
  void write(OutputStream out) throws IOException {
    WRITER.write(out, reader.collect(), EscapingScheme.UNDERSCORE_ESCAPING);
  }

  static String contentType() {
    return WRITER.getContentType();
  }
}
