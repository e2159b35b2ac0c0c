package io.minibit.core.telemetry;

import io.grpc.ClientInterceptor;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.UUID;

/**
 * The one place a MiniBit process gets its OpenTelemetry SDK from, and the gRPC interceptors
 * that make every call a span and carry the W3C trace context across processes.
 *
 * <p>{@link #fromEnvironment} reads the standard {@code OTEL_*} variables (the SDK's
 * autoconfiguration). Traces and metrics go out over OTLP only when an OTLP endpoint is set
 * ({@code OTEL_EXPORTER_OTLP_ENDPOINT}, or a per-signal one) or an exporter is named
 * ({@code OTEL_TRACES_EXPORTER=otlp}); otherwise nothing is exported and calls carry no
 * instrumentation: no spans are made for them, and a trace a caller sampled is only handed on to
 * the calls made while serving it ({@link TraceRelay}), so processes downstream that export still
 * see one trace. A daemon's metrics can always be read in the Prometheus text format
 * ({@link #writePrometheus}), which is what {@code /metrics} serves; a command's
 * ({@link #forCommand}) go out over OTLP only, and the Prometheus libraries, which the CLI does
 * not carry, are never loaded for it.
 *
 * <p>OTLP goes over gRPC (the default, on grpc-java's channel: {@link GrpcChannelSenderProvider})
 * or HTTP ({@code OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf}, on the JDK's HttpClient), never
 * through OkHttp. Thread-safe.
 */
public final class Telemetry implements AutoCloseable {
  /** Instrumentation scope of MiniBit's own spans and instruments. */
  public static final String SCOPE = "io.minibit";

  // Without an SDK the gRPC instrumentation would only make no-op spans on every call, and
  // building it costs a short-lived command 8% of its CPU: calls pass through instead.
  private static final Telemetry NOOP = new Telemetry(OpenTelemetry.noop(), null, () -> { });

  private final OpenTelemetry sdk;
  private final PrometheusMetrics prometheus; // null: no metrics kept for a scrape
  private final ClientInterceptor clientInterceptor;
  private final ServerInterceptor serverInterceptor;
  private final Runnable shutdown;

  private Telemetry(OpenTelemetry sdk, PrometheusMetrics prometheus,
      ClientInterceptor clientInterceptor, ServerInterceptor serverInterceptor,
      Runnable shutdown) {
    this.sdk = sdk;
    this.prometheus = prometheus;
    this.clientInterceptor = clientInterceptor;
    this.serverInterceptor = serverInterceptor;
    this.shutdown = shutdown;
  }

  private Telemetry(OpenTelemetry sdk, PrometheusMetrics prometheus, Runnable shutdown) {
    this(sdk, prometheus, PassThrough.INSTANCE, PassThrough.INSTANCE, shutdown);
  }

  /** Every call a span: for a process whose spans go somewhere. */
  private static Telemetry traced(OpenTelemetrySdk sdk, PrometheusMetrics prometheus) {
    GrpcTelemetry grpc = GrpcTelemetry.create(sdk);
    return new Telemetry(sdk, prometheus, grpc.createClientInterceptor(),
        grpc.createServerInterceptor(), sdk::close);
  }

  /**
   * No spans for calls, only the relay of a caller's sampled trace: the gRPC instrumentation
   * costs every call a span's worth of work (and a swarm makes thousands of calls a minute),
   * which a process that exports nothing would pay for nothing.
   */
  private static Telemetry relaying(OpenTelemetrySdk sdk, PrometheusMetrics prometheus) {
    TraceRelay relay = new TraceRelay(sdk.getPropagators().getTextMapPropagator());
    return new Telemetry(sdk, prometheus, relay, relay, sdk::close);
  }

  /** No spans, no metrics: for components a test starts without caring for telemetry. */
  public static Telemetry noop() {
    return NOOP;
  }

  /**
   * The SDK as the process environment configures it; {@code serviceName} unless
   * {@code OTEL_SERVICE_NAME} says otherwise.
   */
  public static Telemetry fromEnvironment(String serviceName) {
    return fromEnvironment(serviceName, UUID.randomUUID().toString(), System.getenv());
  }

  /**
   * As above, with {@code instanceId} as this process's {@code service.instance.id} (a peer's
   * id, so that its spans and metrics lead to it among many peers that look alike). The
   * resource also carries {@code service.version}; {@code OTEL_RESOURCE_ATTRIBUTES} (the k8s
   * manifests put the node's and the pod's names there) adds to both, and wins over them.
   */
  public static Telemetry fromEnvironment(String serviceName, String instanceId) {
    return fromEnvironment(serviceName, instanceId, System.getenv());
  }

  /** As {@link #fromEnvironment(String)}, with {@code env} as the environment. */
  static Telemetry fromEnvironment(String serviceName, Map<String, String> env) {
    return fromEnvironment(serviceName, UUID.randomUUID().toString(), env);
  }

  /** As {@link #fromEnvironment(String, String)}, with {@code env} as the environment. */
  static Telemetry fromEnvironment(String serviceName, String instanceId,
      Map<String, String> env) {
    return fromEnvironment(serviceName, instanceId, env, new PrometheusMetrics());
  }

  /**
   * For a short-lived command (the CLI): as {@link #fromEnvironment(String)}, but its metrics
   * go out over OTLP only and are not kept for a scrape (nothing could scrape a process that
   * lives a second), so the Prometheus exporter and libraries are neither needed nor loaded; a
   * {@code prometheus} in {@code OTEL_METRICS_EXPORTER} (an environment shared with the daemons)
   * is left out. {@link #writePrometheus} writes nothing.
   */
  public static Telemetry forCommand(String serviceName) {
    return forCommand(serviceName, System.getenv());
  }

  /** As {@link #forCommand(String)}, with {@code env} as the environment. */
  public static Telemetry forCommand(String serviceName, Map<String, String> env) {
    return fromEnvironment(serviceName, UUID.randomUUID().toString(), env, null);
  }

  /** {@code prometheus}: where metrics are kept for a scrape, or null for none. */
  private static Telemetry fromEnvironment(String serviceName, String instanceId,
      Map<String, String> env, PrometheusMetrics prometheus) {
    boolean exporting = otlpConfigured(env);
    OpenTelemetrySdk sdk =
        EnvironmentSdk.build(serviceName, instanceId, env, prometheus, exporting);
    Telemetry telemetry = exporting ? traced(sdk, prometheus) : relaying(sdk, prometheus);
    RuntimeMetrics.register(telemetry.meter());
    return telemetry;
  }

  /**
   * Spans go to {@code spans} as each one ends, metrics only to {@link #writePrometheus}; for
   * tests, where several services share a JVM and tell themselves apart by service name.
   */
  public static Telemetry exportingTo(SpanExporter spans, String serviceName) {
    Resource resource = Resource.getDefault().merge(
        Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), serviceName)));
    PrometheusMetrics prometheus = new PrometheusMetrics();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .setResource(resource)
            .addSpanProcessor(SimpleSpanProcessor.create(spans))
            .build())
        .setMeterProvider(SdkMeterProvider.builder()
            .setResource(resource)
            .registerMetricReader(prometheus.reader())
            .build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    return traced(sdk, prometheus);
  }

  /**
   * Whether {@code env} asks for anything to be exported (an OTLP endpoint or an exporter); a
   * short-lived command can skip building the SDK when it does not.
   */
  public static boolean otlpConfigured(Map<String, String> env) {
    for (String name : new String[] {"OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        "OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER"}) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        return true;
      }
    }
    return false;
  }

  public OpenTelemetry openTelemetry() {
    return sdk;
  }

  public Tracer tracer() {
    return sdk.getTracer(SCOPE);
  }

  public Meter meter() {
    return sdk.getMeter(SCOPE);
  }

  /**
   * Makes each call a server span, continuing the caller's trace when it sent one; with nothing
   * to export, only carries a caller's sampled trace on to the calls made while serving it.
   */
  public ServerInterceptor serverInterceptor() {
    return serverInterceptor;
  }

  /**
   * Makes each call a client span and sends the current trace context with it; with nothing to
   * export, only sends the context of a sampled trace.
   */
  public ClientInterceptor clientInterceptor() {
    return clientInterceptor;
  }

  /**
   * Every metric now, in the Prometheus text exposition format (version 0.0.4); nothing for a
   * command's or {@link #noop}'s.
   */
  public void writePrometheus(OutputStream out) throws IOException {
    if (prometheus != null) {
      prometheus.write(out);
    }
  }

  /** What {@link #writePrometheus} writes; only a daemon, which carries Prometheus, asks. */
  public static String prometheusContentType() {
    return PrometheusMetrics.contentType();
  }

  /** Exports what is pending and stops the SDK. */
  @Override
  public void close() {
    shutdown.run();
  }
}
