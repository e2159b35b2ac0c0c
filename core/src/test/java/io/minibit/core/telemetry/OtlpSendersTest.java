package io.minibit.core.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.minibit.core.grpc.MutualTls;
import io.minibit.core.grpc.RawBytes;
import io.minibit.core.testing.FreePorts;
import io.minibit.core.testing.GrpcCleanup;
import io.minibit.core.testing.TestCertificates;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * OTLP goes out over both protocols the SDK's autoconfiguration offers, without OkHttp: gRPC on
 * grpc-java's channel ({@link GrpcChannelSender}) and http/protobuf on the JDK's HttpClient.
 */
class OtlpSendersTest {
  private static final String EXPORT = "opentelemetry.proto.collector.trace.v1.TraceService/Export";

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  @TempDir Path certs;

  /** What an OTLP/gRPC collector received: each Export request's message and headers. */
  private record Request(String body, Metadata headers) { }

  /**
   * A trace collector on loopback that answers each Export with the next of {@code failures},
   * then with OK; with {@code tls}, only to clients with a certificate of its CA.
   */
  private List<Request> collector(int port, Optional<MutualTls> tls, Status... failures)
      throws IOException {
    List<Request> received = new CopyOnWriteArrayList<>();
    Queue<Status> answers = new ArrayDeque<>(List.of(failures));
    MethodDescriptor<byte[], byte[]> export = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(EXPORT)
        .setRequestMarshaller(RawBytes.INSTANCE).setResponseMarshaller(RawBytes.INSTANCE)
        .build();
    Metadata[] headers = new Metadata[1];
    ServerServiceDefinition service = ServerServiceDefinition.builder(
            "opentelemetry.proto.collector.trace.v1.TraceService")
        .addMethod(export, ServerCalls.asyncUnaryCall((request, response) -> {
          received.add(new Request(new String(request, StandardCharsets.ISO_8859_1),
              headers[0]));
          Status answer;
          synchronized (answers) {
            answer = answers.poll();
          }
          if (answer == null) {
            response.onNext(new byte[0]); // an empty ExportTraceServiceResponse
            response.onCompleted();
          } else {
            response.onError(answer.asRuntimeException());
          }
        }))
        .build();
    NettyServerBuilder builder = NettyServerBuilder.forAddress(
        new InetSocketAddress("127.0.0.1", port)).directExecutor();
    tls.ifPresent(t -> t.applyTo(builder));
    Server server = builder.addService(ServerInterceptors.intercept(service,
            new io.grpc.ServerInterceptor() {
              @Override
              public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(
                  io.grpc.ServerCall<Q, R> call, Metadata metadata,
                  io.grpc.ServerCallHandler<Q, R> next) {
                headers[0] = metadata; // the executor is direct: the handler runs next
                return next.startCall(call, metadata);
              }
            }))
        .build().start();
    grpc.register(server);
    return received;
  }

  private static String header(Metadata headers, String name) {
    return headers.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
  }

  /** A span made by an SDK the variables configure, exported as the SDK closes. */
  private static void traceOneSpan(Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.put("OTEL_METRICS_EXPORTER", "none");
    try (Telemetry telemetry = Telemetry.fromEnvironment("minibit-otlp-test", all)) {
      telemetry.tracer().spanBuilder("probe-span").startSpan().end();
    }
  }

  @Test
  void okHttpIsNotThere() {
    assertThrows(ClassNotFoundException.class, () -> Class.forName("okhttp3.OkHttpClient"));
    assertThrows(ClassNotFoundException.class, () -> Class.forName("kotlin.Unit"));
  }

  @Test
  void grpcTheDefaultProtocolGoesOverGrpcJavasChannelWithHeadersAndCompression()
      throws IOException {
    int port = FreePorts.next();
    List<Request> received = collector(port, Optional.empty());
    traceOneSpan(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + port,
        "OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=swarm-7",
        "OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"));

    assertEquals(1, received.size(), received.toString());
    Request request = received.get(0);
    assertTrue(request.body().contains("probe-span"), request.body());
    assertTrue(request.body().contains("minibit-otlp-test"), "the service name");
    assertEquals("swarm-7", header(request.headers(), "x-tenant"));
    assertEquals("gzip", header(request.headers(), "grpc-encoding"));
    assertTrue(header(request.headers(), "user-agent").startsWith("OTel-OTLP-Exporter-Java/"),
        header(request.headers(), "user-agent"));
  }

  @Test
  void grpcWithTlsUsesTheOtelCertificatesClientKeyIncluded() throws IOException {
    TestCertificates ca = TestCertificates.newCa(certs, "observability");
    MutualTls server = ca.issue("collector");
    MutualTls client = ca.issue("peer");
    int port = FreePorts.next();
    List<Request> received = collector(port, Optional.of(server)); // asks for a certificate
    traceOneSpan(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "https://127.0.0.1:" + port,
        "OTEL_EXPORTER_OTLP_CERTIFICATE", ca.caCertificate().toString(),
        "OTEL_EXPORTER_OTLP_CLIENT_KEY", client.privateKey().toString(),
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", client.certificate().toString()));

    assertEquals(1, received.size());
    assertTrue(received.get(0).body().contains("probe-span"));
  }

  @Test
  void httpProtobufGoesOverTheJdkHttpClient() throws IOException {
    List<String> bodies = new CopyOnWriteArrayList<>();
    List<String> contentTypes = new CopyOnWriteArrayList<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
    server.createContext("/v1/traces", exchange -> {
      try (exchange) {
        bodies.add(new String(exchange.getRequestBody().readAllBytes(),
            StandardCharsets.ISO_8859_1));
        contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
        exchange.sendResponseHeaders(200, -1);
      }
    });
    server.start();
    try {
      traceOneSpan(Map.of(
          "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + server.getAddress().getPort(),
          "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"));
    } finally {
      server.stop(0);
    }
    assertEquals(1, bodies.size());
    assertTrue(bodies.get(0).contains("probe-span"), bodies.get(0));
    assertEquals("application/x-protobuf", contentTypes.get(0));
  }

  private static SpanData span() {
    return TestSpanData.builder()
        .setSpanContext(SpanContext.create("0af7651916cd43dd8448eb211c80319c",
            "b7ad6b7169203331", TraceFlags.getSampled(), TraceState.getDefault()))
        .setName("probe-span").setKind(SpanKind.INTERNAL)
        .setStartEpochNanos(1).setEndEpochNanos(2).setHasEnded(true)
        .setStatus(StatusData.unset())
        .build();
  }

  private static CompletableResultCode export(OtlpGrpcSpanExporter exporter) {
    try {
      return exporter.export(List.of(span())).join(20, TimeUnit.SECONDS);
    } finally {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  private static final RetryPolicy QUICK_RETRIES = RetryPolicy.builder()
      .setInitialBackoff(Duration.ofMillis(10)).setMaxBackoff(Duration.ofMillis(50)).build();

  @Test
  void whatOtlpCallsRetryableIsRetried() throws IOException {
    int port = FreePorts.next();
    List<Request> received = collector(port, Optional.empty(),
        Status.UNAVAILABLE, Status.RESOURCE_EXHAUSTED);
    CompletableResultCode result = export(OtlpGrpcSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + port).setRetryPolicy(QUICK_RETRIES).build());

    assertTrue(result.isSuccess());
    assertEquals(3, received.size(), "two refusals, then the export");
    for (Request attempt : received) {
      assertTrue(attempt.body().contains("probe-span"), "each attempt the whole request");
    }
  }

  @Test
  void whatIsNotRetryableFailsTheExportAtOnce() throws IOException {
    int port = FreePorts.next();
    List<Request> received = collector(port, Optional.empty(), Status.INVALID_ARGUMENT);
    CompletableResultCode result = export(OtlpGrpcSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + port).setRetryPolicy(QUICK_RETRIES).build());

    assertTrue(result.isDone());
    assertFalse(result.isSuccess());
    assertEquals(1, received.size());
  }

  @Test
  void aCollectorThatIsNotThereFailsTheExportWithinItsTimeout() throws IOException {
    int port = FreePorts.next(); // nobody listens
    long start = System.nanoTime();
    CompletableResultCode result = export(OtlpGrpcSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + port).setTimeout(Duration.ofSeconds(2))
        .setRetryPolicy(QUICK_RETRIES).build());

    assertTrue(result.isDone(), "within the timeout, retries included");
    assertFalse(result.isSuccess());
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
  }
}
