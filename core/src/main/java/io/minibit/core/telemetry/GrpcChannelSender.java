package io.minibit.core.telemetry;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Compressor;
import io.grpc.CompressorRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2SecurityUtil;
import io.grpc.netty.shaded.io.netty.handler.ssl.ApplicationProtocolConfig;
import io.grpc.netty.shaded.io.netty.handler.ssl.ApplicationProtocolNames;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.JdkSslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.minibit.core.DaemonThreads;
import io.minibit.core.grpc.RawBytes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.GrpcResponse;
import io.opentelemetry.sdk.common.export.GrpcSender;
import io.opentelemetry.sdk.common.export.GrpcSenderConfig;
import io.opentelemetry.sdk.common.export.GrpcStatusCode;
import io.opentelemetry.sdk.common.export.MessageWriter;
import io.opentelemetry.sdk.common.export.RetryPolicy;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * One OTLP exporter's unary Export calls on a grpc-java channel of its own, configured as the
 * exporter's settings say: the endpoint ({@code http://} plaintext, {@code https://} TLS, with the
 * certificates of {@code OTEL_EXPORTER_OTLP_CERTIFICATE}, {@code ..._CLIENT_KEY} and
 * {@code ..._CLIENT_CERTIFICATE} when set), the timeout (one deadline over all attempts), the
 * connect timeout, the headers, the compression, and the retry policy (gRPC's own retries, on
 * the status codes OTLP calls retryable). Thread-safe.
 */
final class GrpcChannelSender implements GrpcSender {
  /** The codes the OTLP specification says a client may retry. */
  private static final List<String> RETRYABLE = List.of("CANCELLED", "DEADLINE_EXCEEDED",
      "RESOURCE_EXHAUSTED", "ABORTED", "OUT_OF_RANGE", "UNAVAILABLE", "DATA_LOSS");
  private static final String USER_AGENT = "user-agent";

  private final ManagedChannel channel;
  private final MethodDescriptor<MessageWriter, byte[]> method;
  private final Duration timeout;
  private final Supplier<Map<String, List<String>>> headers;
  private final String compression; // null: none

  private GrpcChannelSender(ManagedChannel channel, GrpcSenderConfig config) {
    this.channel = channel;
    this.method = MethodDescriptor.<MessageWriter, byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(config.getFullMethodName())
        .setRequestMarshaller(ExportRequestMarshaller.INSTANCE)
        .setResponseMarshaller(RawBytes.INSTANCE) // the response, which is not read further
        .build();
    this.timeout = config.getTimeout();
    this.headers = config.getHeadersSupplier();
    this.compression = config.getCompressor() == null ? null
        : config.getCompressor().getEncoding();
  }

  // JdkSslContext's constructors are deprecated in favour of SslContextBuilder, which cannot take
  // an SSLContext as it is; the SDK gives the client key only inside one.
  @SuppressWarnings("deprecation")
  static GrpcChannelSender create(GrpcSenderConfig config) {
    URI endpoint = config.getEndpoint();
    NettyChannelBuilder builder = NettyChannelBuilder.forTarget(endpoint.getRawAuthority())
        .maxInboundMessageSize((int) Math.min(config.getMaxResponseBodySize(),
            Integer.MAX_VALUE))
        .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(config.getConnectTimeout().toMillis(), Integer.MAX_VALUE));
    if ("https".equals(endpoint.getScheme())) {
      SSLContext ssl = config.getSslContext();
      if (ssl == null) {
        builder.useTransportSecurity(); // the JVM's trusted certificates
      } else {
        // The exporter's own trust (and client key): as GrpcSslContexts would configure it,
        // ALPN offering h2, on the SSLContext the SDK built from the OTEL_* certificates.
        builder.sslContext(new JdkSslContext(ssl, true, Http2SecurityUtil.CIPHERS,
            SupportedCipherSuiteFilter.INSTANCE, new ApplicationProtocolConfig(
                ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                ApplicationProtocolNames.HTTP_2), ClientAuth.NONE));
      }
    } else {
      builder.usePlaintext();
    }
    if (config.getExecutorService() != null) {
      builder.executor(config.getExecutorService());
    }
    if (config.getCompressor() != null) {
      io.opentelemetry.sdk.common.export.Compressor compressor = config.getCompressor();
      CompressorRegistry registry = CompressorRegistry.newEmptyInstance();
      registry.register(new Compressor() {
        @Override
        public String getMessageEncoding() {
          return compressor.getEncoding();
        }

        @Override
        public OutputStream compress(OutputStream out) throws IOException {
          return compressor.compress(out);
        }
      });
      builder.compressorRegistry(registry);
    }
    // gRPC sets the user-agent itself, from the channel's; the exporter's goes first in it.
    List<String> userAgent = lowerCaseKeys(config.getHeadersSupplier().get()).get(USER_AGENT);
    if (userAgent != null && !userAgent.isEmpty()) {
      builder.userAgent(userAgent.get(0));
    }
    RetryPolicy retry = config.getRetryPolicy();
    if (retry == null) {
      builder.disableRetry();
    } else {
      builder.defaultServiceConfig(serviceConfig(config.getFullMethodName(), retry))
          .enableRetry();
    }
    return new GrpcChannelSender(builder.build(), config);
  }

  /** A service config that retries the one method as {@code policy} says. */
  private static Map<String, ?> serviceConfig(String fullMethodName, RetryPolicy policy) {
    int slash = fullMethodName.lastIndexOf('/');
    return Map.of("methodConfig", List.of(Map.of(
        "name", List.of(Map.of("service", fullMethodName.substring(0, slash),
            "method", fullMethodName.substring(slash + 1))),
        "retryPolicy", Map.of(
            "maxAttempts", (double) policy.getMaxAttempts(),
            "initialBackoff", seconds(policy.getInitialBackoff()),
            "maxBackoff", seconds(policy.getMaxBackoff()),
            "backoffMultiplier", policy.getBackoffMultiplier(),
            "retryableStatusCodes", RETRYABLE))));
  }

  private static String seconds(Duration duration) {
    return BigDecimal.valueOf(duration.toNanos(), 9).toPlainString() + "s";
  }

  private static Map<String, List<String>> lowerCaseKeys(Map<String, List<String>> headers) {
    Map<String, List<String>> lower = new HashMap<>();
    if (headers != null) {
      headers.forEach((key, values) -> lower.put(key.toLowerCase(Locale.ROOT), values));
    }
    return lower;
  }

  @Override
  public void send(MessageWriter message, Consumer<GrpcResponse> onResponse,
      Consumer<Throwable> onError) {
    CallOptions options = CallOptions.DEFAULT;
    if (timeout.toNanos() < Long.MAX_VALUE) { // MAX_VALUE: no timeout
      options = options.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    if (compression != null) {
      options = options.withCompression(compression);
    }
    ClientCall<MessageWriter, byte[]> call;
    try {
      Metadata metadata = metadata(headers.get());
      call = channel.newCall(method, options);
      call.start(new ClientCall.Listener<>() {
        private byte[] body = new byte[0];

        @Override
        public void onMessage(byte[] message) {
          body = message;
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          onResponse.accept(new Response(GrpcStatusCode.fromValue(status.getCode().value()),
              status.getDescription(), status.isOk() ? body : new byte[0]));
        }
      }, metadata);
      call.request(1);
    } catch (RuntimeException e) { // a header gRPC refuses, a channel shut down
      onError.accept(e);
      return;
    }
    try {
      call.sendMessage(message);
      call.halfClose();
    } catch (RuntimeException e) {
      call.cancel("could not send the export request", e); // the listener hears of it
    }
  }

  /** The exporter's headers as gRPC metadata: {@code -bin} ones given in base64. */
  private static Metadata metadata(Map<String, List<String>> headers) {
    Metadata metadata = new Metadata();
    lowerCaseKeys(headers).forEach((key, values) -> {
      if (key.equals(USER_AGENT)) {
        return; // the channel's
      }
      for (String value : values) {
        if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
          metadata.put(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER),
              Base64.getDecoder().decode(value));
        } else {
          metadata.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);
        }
      }
    });
    return metadata;
  }

  @Override
  public CompletableResultCode shutdown() {
    CompletableResultCode result = new CompletableResultCode();
    channel.shutdown();
    Thread waiter = DaemonThreads.named("otlp-grpc-shutdown").newThread(() -> {
      try {
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      } catch (InterruptedException e) {
        channel.shutdownNow();
        Thread.currentThread().interrupt();
      } finally {
        result.succeed();
      }
    });
    waiter.start();
    return result;
  }

  private record Response(GrpcStatusCode getStatusCode, String getStatusDescription,
      byte[] getResponseMessage) implements GrpcResponse { }
}
