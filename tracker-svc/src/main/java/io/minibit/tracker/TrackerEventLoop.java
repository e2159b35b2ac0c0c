package io.minibit.tracker;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.IoHandlerFactory;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.minibit.core.DaemonThreads;
import java.util.concurrent.TimeUnit;

/**
 * The one network thread of a tracker: it accepts connections and serves them all. gRPC's
 * defaults give a server an acceptor thread plus two per core, and a Netty thread with nothing
 * scheduled wakes every second to look for work; a tracker answers a few calls a minute, so
 * every thread beyond one only adds wake-ups. The tracker's connection to a Redis store runs on
 * it too, so an announce is answered on the thread that read it. Epoll where the platform has
 * it, else NIO. Thread-safe; close it after the server and the store that use it.
 */
final class TrackerEventLoop implements AutoCloseable {
  private final EventLoopGroup group;
  private final Class<? extends ServerChannel> channelType;
  private final Class<? extends Channel> clientChannelType;

  TrackerEventLoop() {
    this("tracker-network");
  }

  /** A loop whose thread is named after {@code name}. */
  TrackerEventLoop(String name) {
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    this.group = new MultiThreadIoEventLoopGroup(1, DaemonThreads.network(name), io);
    this.channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    this.clientChannelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /** Makes the server {@code builder} builds accept and serve on this loop's thread. */
  NettyServerBuilder applyTo(NettyServerBuilder builder) {
    return builder.bossEventLoopGroup(group).workerEventLoopGroup(group)
        .channelType(channelType);
  }

  /** A bootstrap for connections out of this loop (to a Redis store). */
  Bootstrap clientBootstrap() {
    return new Bootstrap().group(group).channel(clientChannelType);
  }

  /** Stops the thread, waiting up to a second; close the server first. */
  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(1, TimeUnit.SECONDS);
  }
}
