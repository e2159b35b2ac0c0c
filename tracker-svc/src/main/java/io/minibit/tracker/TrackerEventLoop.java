package io.minibit.tracker;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.IoHandlerFactory;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.minibit.core.DaemonThreads;
import java.util.concurrent.TimeUnit;

/**
 * The one network thread of a tracker: it accepts connections and serves them all. gRPC's
 * defaults give a server an acceptor thread plus two per core, and a Netty thread with nothing
 * scheduled wakes every second to look for work; a tracker answers a few calls a minute, so
 * every thread beyond one only adds wake-ups. Epoll where the platform has it, else NIO.
 * Thread-safe; close it after the server that uses it.
 */
final class TrackerEventLoop implements AutoCloseable {
  private final EventLoopGroup group;
  private final Class<? extends ServerChannel> channelType;

  TrackerEventLoop() {
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.group = new MultiThreadIoEventLoopGroup(1,
        DaemonThreads.network("tracker-network"), io);
    this.channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  /** Makes the server {@code builder} builds accept and serve on this loop's thread. */
  NettyServerBuilder applyTo(NettyServerBuilder builder) {
    return builder.bossEventLoopGroup(group).workerEventLoopGroup(group)
        .channelType(channelType);
  }

  /** Stops the thread, waiting up to a second; close the server first. */
  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(1, TimeUnit.SECONDS);
  }
}
