package io.minibit.core.grpc;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.minibit.core.DaemonThreads;
import java.util.Optional;

/**
 * The network threads of the connections between peers: one per two cores, at least one, for the
 * connections a peer's downloads open and as many for those its server accepts. gRPC's own
 * default is two per core for a server alone, and a peer is both. On a small host every extra
 * thread is another wake-up to schedule: a block that arrives while another is being read waits
 * for the same thread instead of waking a second one. In a swarm of 16 capped peers on 2 cores
 * (one thread per side instead of two), the network threads of all peers together spent 22.6
 * CPU-s on average against 23.5, less in four of five alternating runs.
 * Made when first asked for, daemon threads, shared by every peer in the JVM. Thread-safe.
 */
public final class PeerNetworkThreads {
  /** Threads per side (downloads' connections, the server's). */
  public static final int PER_SIDE = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

  private PeerNetworkThreads() {}

  /** The event loops of the connections a peer opens to other peers (epoll only). */
  static EventLoopGroup downloads() {
    return Downloads.GROUP;
  }

  /**
   * One of the event loops the connections of downloads run on (see {@link ReadBatching}), for
   * a download's own loop: the events its connections deliver (a block stored, a peer's HAVEs)
   * then reach it without waking another thread, and the calls it starts go out without one.
   * Each call hands out the next loop of the group. Empty where those connections have no loops
   * of their own (no native transport, or Linux before 4.18).
   */
  public static Optional<OneThreadExecutor> downloadLoop() {
    if (!ReadBatching.applies()) {
      return Optional.empty();
    }
    EventLoop loop = Downloads.GROUP.next();
    return Optional.of(new OneThreadExecutor() {
      @Override
      public void execute(Runnable task) {
        loop.execute(task);
      }

      @Override
      public boolean isCurrentThread() {
        return loop.inEventLoop();
      }

      @Override
      public String toString() {
        return "download loop on " + loop;
      }
    });
  }

  /**
   * Has {@code builder}'s server accept and serve its connections on {@link #PER_SIDE} threads,
   * on Linux's native transport where Netty has it, as gRPC would.
   */
  public static NettyServerBuilder applyTo(NettyServerBuilder builder) {
    return builder.bossEventLoopGroup(Server.GROUP).workerEventLoopGroup(Server.GROUP)
        .channelType(Server.CHANNEL);
  }

  private static final class Downloads {
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(PER_SIDE,
        DaemonThreads.network("minibit-peer-link"), EpollIoHandler.newFactory());
  }

  /** The server's threads and its channel type, both on epoll where Netty has it. */
  private static final class Server {
    static final boolean EPOLL = Epoll.isAvailable();
    static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(PER_SIDE,
        DaemonThreads.network("minibit-peer-server"),
        EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    static final Class<? extends ServerChannel> CHANNEL =
        EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }
}
