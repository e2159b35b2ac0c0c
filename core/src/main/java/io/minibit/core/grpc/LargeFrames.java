package io.minibit.core.grpc;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.ChannelPipeline;
import io.grpc.netty.shaded.io.netty.channel.RecvByteBufAllocator;
import io.grpc.netty.shaded.io.netty.channel.WriteBufferWaterMark;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Settings;

/**
 * HTTP/2 frames of up to 1 MiB between peers instead of the protocol's 16 KiB, so that a 256 KiB
 * block crosses a peer connection in one DATA frame instead of sixteen. Each frame costs both
 * ends the same work whatever its size (its header written and parsed, flow-control accounting,
 * a pass through gRPC's deframer, a wakeup of the downloader's network thread), and in a swarm
 * that work, more than the bytes, was what a daemon spent its CPU on.
 *
 * <p>A receiver raises the largest frame it accepts with SETTINGS_MAX_FRAME_SIZE, which
 * grpc-java does not expose: a downloader's plaintext connection sends a SETTINGS frame of its
 * own once the server has spoken ({@link #ask}, from {@link ReadBatching}), and reads up to a
 * whole frame at once ({@link #reads}), so that its decoder never glues a frame together from
 * smaller reads (a copy of every byte). A server writes a frame that large only if its
 * connection's write buffer takes one: {@link #applyTo} raises the peer server's marks. Peers
 * that do not ask keep 16 KiB frames.
 */
public final class LargeFrames {
  /** The largest frame a downloader asks for: a whole block of up to 1 MiB, with its framing. */
  public static final int MAX_FRAME_BYTES = 1024 * 1024;
  /** HTTP/2's own largest frame, until a receiver asks for more. */
  static final int DEFAULT_FRAME_BYTES = 16 * 1024;

  private LargeFrames() {}

  /**
   * Lets a peer server's connections write a frame of {@link #MAX_FRAME_BYTES} at once: a
   * connection's flow controller writes no more than its channel can buffer before it turns
   * unwritable (64 KiB by default), which would cut a block into frames of that size.
   */
  public static NettyServerBuilder applyTo(NettyServerBuilder builder) {
    return builder.withChildOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
        new WriteBufferWaterMark(MAX_FRAME_BYTES, 2 * MAX_FRAME_BYTES));
  }

  /**
   * Reads as large as a frame of {@link #MAX_FRAME_BYTES} and its header, and as small as the
   * few bytes of a HAVE between them: the size follows what the last reads brought.
   */
  static RecvByteBufAllocator reads() {
    return new AdaptiveRecvByteBufAllocator(64, DEFAULT_FRAME_BYTES,
        MAX_FRAME_BYTES + DEFAULT_FRAME_BYTES);
  }

  /**
   * Asks the server at the other end of {@code pipeline}'s connection for frames of up to
   * {@link #MAX_FRAME_BYTES}. False, asking nothing, while the connection's HTTP/2 handler is not
   * in the pipeline yet. The decoder takes larger frames once the server has acknowledged the
   * settings, which it does before it sends one.
   */
  static boolean ask(ChannelPipeline pipeline) {
    Http2ConnectionHandler http2 = pipeline.get(Http2ConnectionHandler.class);
    if (http2 == null) {
      return false;
    }
    ChannelHandlerContext at = pipeline.context(http2);
    http2.encoder().writeSettings(at, new Http2Settings().maxFrameSize(MAX_FRAME_BYTES),
        at.newPromise());
    at.flush();
    return true;
  }
}
