package io.minibit.core.telemetry;

import io.opentelemetry.sdk.common.export.GrpcSender;
import io.opentelemetry.sdk.common.export.GrpcSenderConfig;
import io.opentelemetry.sdk.common.export.GrpcSenderProvider;

/**
 * OTLP over gRPC (the SDK's default protocol) on grpc-java's own channel, which every MiniBit
 * program ships anyway, in place of the OkHttp sender the OTLP exporter brings by default: that
 * one would put OkHttp, Okio and the Kotlin standard library (some 7 MB) in every jar. The OTLP
 * exporters find it through {@code META-INF/services}; OTLP over HTTP
 * ({@code OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf}) goes through the JDK's HttpClient
 * ({@code opentelemetry-exporter-sender-jdk}).
 */
public final class GrpcChannelSenderProvider implements GrpcSenderProvider {
  @Override
  public GrpcSender createSender(GrpcSenderConfig config) {
    return GrpcChannelSender.create(config);
  }
}
