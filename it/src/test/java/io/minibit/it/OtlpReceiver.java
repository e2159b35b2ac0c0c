package io.minibit.it;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import com.sun.net.httpserver.HttpServer;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.minibit.core.grpc.RawBytes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An OTLP trace receiver on loopback, as a collector would be, for both protocols: it takes the
 * protobuf ExportTraceServiceRequests the services POST to /v1/traces (http/protobuf) or send to
 * TraceService/Export (grpc), and keeps the spans with the protocol they came by. The messages
 * are read by field number (opentelemetry-proto's trace.proto and resource.proto), which is all
 * a test needs and all the wire format promises.
 */
final class OtlpReceiver implements AutoCloseable {
  static final String GRPC = "grpc";
  static final String HTTP = "http/protobuf";
  private static final String TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService";

  /**
   * A received span: its ids in hex (parent empty for a root), name, kind, service, and the
   * OTLP protocol it came by ({@link #GRPC} or {@link #HTTP}).
   */
  record Span(String traceId, String spanId, String parentSpanId, String name, int kind,
      String service, String protocol) {
    static final int SERVER = 2;
    static final int CLIENT = 3;
  }

  private final HttpServer http;
  private final Server grpc;
  private final List<Span> spans = new CopyOnWriteArrayList<>();

  OtlpReceiver() throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    http.createContext("/v1/", exchange -> {
      try (exchange) {
        byte[] body = exchange.getRequestBody().readAllBytes();
        if (exchange.getRequestURI().getPath().equals("/v1/traces")) {
          spans.addAll(parse(body, HTTP));
        }
        exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
        exchange.sendResponseHeaders(200, -1); // an empty ExportTraceServiceResponse
      }
    });
    http.start();
    MethodDescriptor<byte[], byte[]> export = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(TRACE_SERVICE, "Export"))
        .setRequestMarshaller(RawBytes.INSTANCE).setResponseMarshaller(RawBytes.INSTANCE)
        .build();
    grpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerServiceDefinition.builder(TRACE_SERVICE)
            .addMethod(export, ServerCalls.asyncUnaryCall((request, response) -> {
              try {
                spans.addAll(parse(request, GRPC));
              } catch (InvalidProtocolBufferException e) {
                response.onError(Status.INVALID_ARGUMENT.withCause(e).asRuntimeException());
                return;
              }
              response.onNext(new byte[0]); // an empty ExportTraceServiceResponse
              response.onCompleted();
            }))
            .build())
        .build().start();
  }

  /** The OTEL_EXPORTER_OTLP_ENDPOINT for OTEL_EXPORTER_OTLP_PROTOCOL {@code protocol}. */
  String endpoint(String protocol) {
    return "http://127.0.0.1:" + switch (protocol) {
      case GRPC -> grpc.getPort();
      case HTTP -> http.getAddress().getPort();
      default -> throw new IllegalArgumentException(protocol);
    };
  }

  List<Span> spans() {
    return List.copyOf(spans);
  }

  private static List<Span> parse(byte[] request, String protocol)
      throws InvalidProtocolBufferException {
    List<Span> parsed = new ArrayList<>();
    // ExportTraceServiceRequest.resource_spans = 1
    for (UnknownFieldSet resourceSpans : messages(UnknownFieldSet.parseFrom(request), 1)) {
      String service = "";
      // ResourceSpans.resource = 1 -> Resource.attributes = 1 -> KeyValue{key = 1, value = 2}
      for (UnknownFieldSet resource : messages(resourceSpans, 1)) {
        for (UnknownFieldSet attribute : messages(resource, 1)) {
          if (string(attribute, 1).equals("service.name")) {
            service = string(messages(attribute, 2).get(0), 1); // AnyValue.string_value = 1
          }
        }
      }
      // ResourceSpans.scope_spans = 2 -> ScopeSpans.spans = 2
      for (UnknownFieldSet scopeSpans : messages(resourceSpans, 2)) {
        for (UnknownFieldSet span : messages(scopeSpans, 2)) {
          // Span: trace_id = 1, span_id = 2, parent_span_id = 4, name = 5, kind = 6
          long kind = span.getField(6).getVarintList().isEmpty() ? 0
              : span.getField(6).getVarintList().get(0);
          parsed.add(new Span(hex(span, 1), hex(span, 2), hex(span, 4), string(span, 5),
              (int) kind, service, protocol));
        }
      }
    }
    return parsed;
  }

  private static List<UnknownFieldSet> messages(UnknownFieldSet message, int field)
      throws InvalidProtocolBufferException {
    if (!message.hasField(field)) {
      return List.of();
    }
    List<UnknownFieldSet> list = new ArrayList<>();
    for (ByteString bytes : message.getField(field).getLengthDelimitedList()) {
      list.add(UnknownFieldSet.parseFrom(bytes));
    }
    return list;
  }

  private static String string(UnknownFieldSet message, int field) {
    return message.hasField(field)
        ? message.getField(field).getLengthDelimitedList().get(0).toStringUtf8() : "";
  }

  private static String hex(UnknownFieldSet message, int field) {
    return message.hasField(field) ? HexFormat.of().formatHex(
        message.getField(field).getLengthDelimitedList().get(0).toByteArray()) : "";
  }

  @Override
  public void close() {
    http.stop(0);
    grpc.shutdownNow();
    try {
      grpc.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
