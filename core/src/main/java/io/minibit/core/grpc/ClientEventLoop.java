package io.minibit.core.grpc;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.minibit.core.DaemonThreads;
import java.util.concurrent.TimeUnit;

/**
 * One network thread for the client channels of a short-lived process, which the process stops
 * before it exits. gRPC's shared event loop outlives the last channel by a second, and a JVM
 * that exits while a thread waits in native code (a selector) first waits 300 ms for it: every
 * CLI command paid that at exit. Thread-safe.
 */
public final class ClientEventLoop implements AutoCloseable {
  // Started by the first channel that asks: a command that opens none loads no Netty.
  private EventLoopGroup group; // guarded by this

  /** Runs the channel {@code builder} builds on this loop's thread. */
  synchronized NettyChannelBuilder applyTo(NettyChannelBuilder builder) {
    if (group == null) {
      group = new NioEventLoopGroup(1, DaemonThreads.network("minibit-client"));
    }
    return builder.eventLoopGroup(group).channelType(NioSocketChannel.class);
  }

  /** Stops the thread, waiting up to a second; close the channels that use it first. */
  @Override
  public synchronized void close() {
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(1, TimeUnit.SECONDS);
    }
  }
}
