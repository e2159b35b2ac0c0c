package io.minibit.core.grpc;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.util.concurrent.TimeUnit;

/**
 * What one client may ask of a MiniBit server, so that no caller can exhaust its memory or
 * threads: the largest request message and metadata, the calls (streams) open at once on one
 * connection (more wait until one ends), the per-stream flow-control window (a slow reader
 * stalls its own stream instead of growing buffers), and how long a connection may take to
 * finish its handshake or sit idle. Immutable.
 *
 * @param maxMessageBytes largest request message accepted; a bigger one is RESOURCE_EXHAUSTED
 * @param maxCallsPerConnection calls a single connection may have open at once
 */
public record ServerLimits(int maxMessageBytes, int maxCallsPerConnection) {
  /** Publish carries a manifest: up to 65,536 block hashes of 32 bytes, about 2.3 MB. */
  public static final ServerLimits TRACKER = new ServerLimits(4 * 1024 * 1024, 64);
  /**
   * Requests between peers are small (a few indices, a bitfield of at most 8 KiB); a downloader
   * keeps a pipeline of GetBlocks calls and a Subscribe per torrent open on one connection.
   */
  public static final ServerLimits PEER = new ServerLimits(256 * 1024, 256);
  /** The CLI sends paths and names; a few progress streams at once. */
  public static final ServerLimits CONTROL = new ServerLimits(64 * 1024, 32);

  /** Largest request metadata (headers) accepted. */
  public static final int MAX_METADATA_BYTES = 16 * 1024;
  /** Per-stream flow-control window: bytes a peer may send before the reader consumes them. */
  public static final int FLOW_CONTROL_WINDOW_BYTES = 1024 * 1024;
  /** A connection that has not finished its (TLS) handshake by then is dropped. */
  public static final long HANDSHAKE_TIMEOUT_SECONDS = 10;

  public ServerLimits {
    if (maxMessageBytes < 1024) {
      throw new IllegalArgumentException("maxMessageBytes must be at least 1 KiB");
    }
    if (maxCallsPerConnection < 1) {
      throw new IllegalArgumentException("maxCallsPerConnection must be positive");
    }
  }

  /** Applies these limits to {@code builder} and returns it. */
  public NettyServerBuilder applyTo(NettyServerBuilder builder) {
    return builder
        .maxInboundMessageSize(maxMessageBytes)
        .maxInboundMetadataSize(MAX_METADATA_BYTES)
        .maxConcurrentCallsPerConnection(maxCallsPerConnection)
        .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
        .handshakeTimeout(HANDSHAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        // Clients may ping to keep long Subscribe streams alive, but not flood the server.
        .permitKeepAliveTime(10, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true);
  }
}
