package io.minibit.core.grpc;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.minibit.core.DaemonThreads;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The peer daemon's control API on a Unix domain socket: only processes that may open the
 * socket file (its owner and group: mode 0660, in a directory of mode 0750) reach it, whatever
 * network the daemon shares with other processes (a Kubernetes pod with host networking shares
 * 127.0.0.1 with every process of the node). gRPC targets for it are {@code unix:PATH}.
 *
 * <p>The channels are Java's own (NIO, Java 16's Unix domain sockets): no native library is
 * unpacked and loaded, which the CLI, a JVM per command, would pay for at every start.
 */
public final class UnixSockets {
  /** The prefix of a gRPC target that names a Unix domain socket. */
  public static final String SCHEME = "unix:";

  private static EventLoopGroup loop; // guarded by UnixSockets.class
  /**
   * gRPC asks every accepted connection for SO_KEEPALIVE, which a Unix socket has no use for,
   * and Netty warns of it at each CLI call; held here, so its level is not lost with it.
   */
  private static final Logger BOOTSTRAP_LOG =
      Logger.getLogger("io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap");

  private UnixSockets() {}

  /**
   * Where the daemon listens and the CLI calls by default: {@code /run/minibit/control.sock} for
   * root, else under {@code $XDG_RUNTIME_DIR} (a user's login session), else a directory of the
   * user's own in the temporary directory.
   */
  public static Path defaultControlSocket() {
    if ("root".equals(System.getProperty("user.name"))) {
      return Path.of("/run/minibit/control.sock");
    }
    String runtime = System.getenv("XDG_RUNTIME_DIR");
    if (runtime != null && !runtime.isBlank()) {
      return Path.of(runtime, "minibit", "control.sock");
    }
    return Path.of(System.getProperty("java.io.tmpdir"),
        "minibit-" + System.getProperty("user.name"), "control.sock");
  }

  /** The gRPC target of the socket at {@code path}. */
  public static String target(Path path) {
    return SCHEME + path.toAbsolutePath();
  }

  /** The socket path of the {@code unix:} target {@code target} ("unix:/p" or "unix:///p"). */
  public static String socketPath(String target) {
    return target.substring(SCHEME.length()).replaceFirst("^//", "");
  }

  /** True if {@code target} names a Unix domain socket. */
  public static boolean isSocketTarget(String target) {
    return target.startsWith(SCHEME);
  }

  /** A channel builder to the socket of the {@code unix:} target {@code target}. */
  static NettyChannelBuilder channelBuilder(String target) {
    return useSocketChannel(NettyChannelBuilder
        .forAddress(UnixDomainSocketAddress.of(socketPath(target)))
        .eventLoopGroup(loop()));
  }

  /** Makes {@code builder} connect over a Unix domain socket, on whatever event loop it has. */
  static NettyChannelBuilder useSocketChannel(NettyChannelBuilder builder) {
    return builder.channelType(NioDomainSocketChannel.class, UnixDomainSocketAddress.class);
  }

  /**
   * A server builder that listens on {@code socket}. A socket file left by a daemon that is gone
   * is replaced; one a running daemon answers on is not (FAILED_PRECONDITION), nor is anything
   * that is not a socket. The directory is created if needed. Call {@link #restrict} once the
   * server has started.
   */
  public static NettyServerBuilder serverBuilder(Path socket) throws IOException {
    Path directory = socket.toAbsolutePath().getParent();
    if (!Files.isDirectory(directory)) {
      Files.createDirectories(directory,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
    }
    if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      if (!isSocket(socket)) {
        throw new MinibitException(ErrorCode.FAILED_PRECONDITION,
            socket + " exists and is not a socket: remove it or choose another --control-socket");
      }
      if (answers(socket)) {
        throw new MinibitException(ErrorCode.FAILED_PRECONDITION, "another process listens on "
            + socket + " (a peer daemon already running?): stop it or choose another "
            + "--control-socket");
      }
      Files.delete(socket); // left by a daemon that did not stop cleanly
    }
    BOOTSTRAP_LOG.setLevel(Level.SEVERE);
    return NettyServerBuilder.forAddress(UnixDomainSocketAddress.of(socket))
        .channelType(NioServerDomainSocketChannel.class)
        .bossEventLoopGroup(loop())
        .workerEventLoopGroup(loop());
  }

  /** Lets only the socket's owner and group connect (mode 0660). */
  public static void restrict(Path socket) throws IOException {
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
  }

  private static boolean isSocket(Path path) throws IOException {
    Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    return mode instanceof Integer bits && (bits & 0170000) == 0140000;
  }

  private static boolean answers(Path socket) {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      return channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      return false;
    }
  }

  /** One event loop for every Unix-socket channel and server of the process: they carry little. */
  private static synchronized EventLoopGroup loop() {
    if (loop == null) {
      loop = new NioEventLoopGroup(1, DaemonThreads.named("unix-socket"));
    }
    return loop;
  }
}
