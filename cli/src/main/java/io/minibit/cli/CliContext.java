package io.minibit.cli;

import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.minibit.cli.http2.Http2Channel;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.ClientEventLoop;
import io.minibit.core.grpc.MutualTls;
import io.minibit.core.grpc.UnixSockets;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a command reads from or writes to the outside world, gathered so a test can
 * replace it: output streams, environment variables, working directory, whether stderr is a
 * terminal, the clock, and how channels are opened. Immutable.
 *
 * @param out where results go (an infohash, a path, a table)
 * @param err where progress, summaries and error lines go
 * @param env environment variables, the source of every option's {@code MINIBIT_*} twin
 * @param workingDirectory what relative paths given on the command line are resolved against
 * @param interactive true when a person watches a terminal, so progress is redrawn in place
 * @param clock paces progress output
 * @param channels opens the channel to the daemon or the tracker
 */
public record CliContext(
    PrintStream out,
    PrintStream err,
    Map<String, String> env,
    Path workingDirectory,
    boolean interactive,
    Clock clock,
    ChannelFactory channels) {

  public CliContext {
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(err, "err");
    env = Map.copyOf(env);
    workingDirectory = workingDirectory.toAbsolutePath().normalize();
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(channels, "channels");
  }

  /**
   * The real process: System streams and environment, the JVM's working directory, channels on
   * {@code loop}'s thread whose calls go through {@code interceptors} (telemetry).
   */
  public static CliContext system(ClientEventLoop loop, ClientInterceptor... interceptors) {
    return new CliContext(
        System.out,
        System.err,
        System.getenv(),
        Path.of(""),
        System.console() != null,
        Clock.systemUTC(),
        channels(loop, interceptors));
  }

  /**
   * How the real process opens channels: the daemon's socket through an {@link Http2Channel}
   * (a command over it costs about a quarter less CPU than over Netty's channel, most of it
   * loading), any other address through Netty on {@code loop}'s thread; every call goes through
   * {@code interceptors}.
   */
  static ChannelFactory channels(ClientEventLoop loop, ClientInterceptor... interceptors) {
    return new ChannelFactory() {
      @Override
      public ManagedChannel open(String target) {
        return UnixSockets.isSocketTarget(target)
            ? Http2Channel.forSocket(Path.of(UnixSockets.socketPath(target)), interceptors)
            : Channels.forTarget(target, Optional.empty(), loop, interceptors);
      }

      @Override
      public ManagedChannel open(String target, MutualTls tls) {
        return Channels.forTarget(target, Optional.of(tls), loop, interceptors);
      }
    };
  }
}
