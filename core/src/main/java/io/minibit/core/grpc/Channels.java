package io.minibit.core.grpc;

import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.minibit.core.grpc.FrameFollower.Framing;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Client channels as MiniBit opens them: plaintext (or mutual TLS in a private swarm), large enough messages for a block, and the
 * retry policy of {@link #SERVICE_CONFIG} (UNAVAILABLE only, exponential backoff) for the
 * tracker and the unary control calls. Peer-to-peer calls are not retried by the channel
 * (the download engine fails over to other peers instead), nor is the Download progress stream
 * (its UNAVAILABLE means "no peers", which a retry would only repeat).
 */
public final class Channels {
  /** Largest message a client accepts: a 4 MiB block plus framing. */
  public static final int MAX_INBOUND_MESSAGE_BYTES = 5 * 1024 * 1024;
  /** HTTP/2 flow-control window: 16 blocks of 256 KiB on their way before a sender waits. */
  private static final int FLOW_CONTROL_WINDOW_BYTES = 4 * 1024 * 1024;

  /**
   * The service config every channel starts with, as gRPC reads it from JSON (numbers are
   * doubles): up to 4 attempts, 0.2 s doubling to 2 s apart, of a call that failed UNAVAILABLE.
   * Written out here rather than parsed from a JSON resource: a command-line call would load a
   * JSON library's hundred-odd classes for it.
   */
  static final Map<String, ?> SERVICE_CONFIG = Map.of("methodConfig", List.of(Map.of(
      "name", List.of(
          Map.of("service", "minibit.v2.TrackerService"),
          Map.of("service", "minibit.v2.PeerControlService", "method", "Share"),
          Map.of("service", "minibit.v2.PeerControlService", "method", "ListTransfers"),
          Map.of("service", "minibit.v2.PeerControlService", "method", "Remove")),
      "retryPolicy", Map.of(
          "maxAttempts", 4.0,
          "initialBackoff", "0.2s",
          "maxBackoff", "2s",
          "backoffMultiplier", 2.0,
          "retryableStatusCodes", List.of("UNAVAILABLE")))));

  private Channels() {}

  /** A channel to {@code target} ("host:port", "unix:PATH", or any gRPC target URI). */
  public static ManagedChannel forTarget(String target) {
    return forTarget(target, new ClientInterceptor[0]);
  }

  /** A channel to {@code target} whose calls go through {@code interceptors} (telemetry, say). */
  public static ManagedChannel forTarget(String target, ClientInterceptor... interceptors) {
    return secured(netty(target), Optional.empty()).intercept(interceptors).build();
  }

  /** A channel to {@code target}, over mutual TLS if {@code tls} is given, else plaintext. */
  public static ManagedChannel forTarget(String target, Optional<MutualTls> tls) {
    return secured(netty(target), tls).build();
  }

  /**
   * A channel to another peer, over mutual TLS if {@code tls} is given: MiniBit's settings
   * without the channel's retry machinery. Peer calls are never retried by the channel (the
   * download engine asks other peers instead), and with retries on, every call would still go
   * through a retriable stream that buffers what it sends until the first response.
   *
   * <p>Its calls' callbacks run on the network thread that read the message: the download
   * engine's callbacks only hand events on (and hash and write a block, which is quicker than a
   * thread hand-off per message once a swarm sends HAVEs by the thousand). A caller must never
   * block in one. On Linux, its connections wake their network thread once per HTTP/2 frame (or
   * TLS record) rather than per TCP segment: see {@link ReadBatching}.
   */
  public static ManagedChannel toPeer(String target, Optional<MutualTls> tls) {
    NettyChannelBuilder builder = netty(target);
    if (!UnixSockets.isSocketTarget(target)) { // blocks trickle in: wake once per frame
      ReadBatching.applyTo(builder, tls.isPresent() ? Framing.TLS : Framing.HTTP2);
    }
    return secured(builder, tls).disableRetry().directExecutor().build();
  }

  /**
   * A channel to {@code target} on {@code loop}'s thread, over mutual TLS if {@code tls} is
   * given, else plaintext, whose calls go through {@code interceptors}.
   */
  public static ManagedChannel forTarget(String target, Optional<MutualTls> tls,
      ClientEventLoop loop, ClientInterceptor... interceptors) {
    NettyChannelBuilder builder = loop.applyTo(netty(target));
    if (UnixSockets.isSocketTarget(target)) {
      UnixSockets.useSocketChannel(builder); // the loop's group, with the socket's channel type
    }
    return secured(builder, tls).intercept(interceptors).build();
  }

  private static NettyChannelBuilder netty(String target) {
    NettyChannelBuilder builder = UnixSockets.isSocketTarget(target)
        ? UnixSockets.channelBuilder(target) : NettyChannelBuilder.forTarget(target);
    return builder.flowControlWindow(FLOW_CONTROL_WINDOW_BYTES);
  }

  private static NettyChannelBuilder secured(NettyChannelBuilder builder,
      Optional<MutualTls> tls) {
    return tls.isPresent() ? settings(tls.get().applyTo(builder)) : configure(builder);
  }

  /** Applies MiniBit's channel settings to any builder (tests pass an in-process one). */
  public static <T extends ManagedChannelBuilder<T>> T configure(ManagedChannelBuilder<T> builder) {
    return settings(builder.usePlaintext());
  }

  private static <T extends ManagedChannelBuilder<T>> T settings(ManagedChannelBuilder<T> builder) {
    return builder
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
        .defaultServiceConfig(SERVICE_CONFIG)
        .enableRetry();
  }

  /** Shuts a channel down, waiting briefly for calls in flight. */
  public static void close(ManagedChannel channel) {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(2, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
