package io.minibit.peer;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.minibit.core.Logging;
import io.minibit.core.grpc.Channels;
import io.minibit.peer.download.PeerChannels;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code minibit-peer}: the peer daemon. */
@Command(
    name = "minibit-peer",
    mixinStandardHelpOptions = true,
    versionProvider = PeerMain.Version.class,
    sortOptions = false,
    description = {
        "Runs a MiniBit peer: serves the blocks it holds to other peers, downloads from the "
            + "swarm, and takes commands from the local `minibit` CLI.",
        "Every option can also be set through the environment variable named after it "
            + "(--data-dir: MINIBIT_DATA_DIR)."},
    footer = {"", "Example:",
        "  minibit-peer --tracker tracker.example:6969 --data-dir /srv/minibit --advertise 10.0.0.7"})
public final class PeerMain implements Callable<Integer> {
  @Option(names = "--tracker", paramLabel = "HOST:PORT",
      defaultValue = "${env:MINIBIT_TRACKER:-127.0.0.1:6969}",
      description = "Tracker to announce to (default: ${DEFAULT-VALUE}).")
  String tracker;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "${env:MINIBIT_PORT:-6881}",
      description = "Port other peers fetch blocks from (default: ${DEFAULT-VALUE}; 0 picks one).")
  int port;

  @Option(names = "--control-port", paramLabel = "PORT",
      defaultValue = "${env:MINIBIT_CONTROL_PORT:-6880}",
      description = "Port of the control API the CLI uses (default: ${DEFAULT-VALUE}).")
  int controlPort;

  @Option(names = "--control-host", paramLabel = "ADDRESS",
      defaultValue = "${env:MINIBIT_CONTROL_HOST:-127.0.0.1}",
      description = "Address the control API listens on (default: ${DEFAULT-VALUE}, local "
          + "callers only).")
  String controlHost;

  @Option(names = "--data-dir", paramLabel = "DIR",
      defaultValue = "${env:MINIBIT_DATA_DIR:-./minibit-data}",
      description = "The only directory files are shared from and downloaded to "
          + "(default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--advertise", paramLabel = "HOST", defaultValue = "${env:MINIBIT_ADVERTISE:-}",
      description = "Address other peers should dial; default: the address the tracker sees.")
  String advertise;

  @Option(names = "--upload-limit", paramLabel = "KIB_PER_S",
      defaultValue = "${env:MINIBIT_UPLOAD_LIMIT:-0}",
      description = "Cap on upload speed in KiB/s, over all peers (default: 0, no cap).")
  long uploadLimitKib;

  @Option(names = "--no-peers-timeout", paramLabel = "SECONDS",
      defaultValue = "${env:MINIBIT_NO_PEERS_TIMEOUT:-30}",
      description = "How long `minibit get` waits when no peer has what it needs "
          + "(default: ${DEFAULT-VALUE}).")
  long noPeersTimeoutSeconds;

  @Option(names = "--log-level", paramLabel = "LEVEL",
      defaultValue = "${env:MINIBIT_LOG_LEVEL:-INFO}",
      description = "Log level: SEVERE, WARNING, INFO, FINE (default: ${DEFAULT-VALUE}).")
  String logLevel;

  public static void main(String[] args) {
    System.exit(new CommandLine(new PeerMain()).execute(args));
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    Logging.configure(Level.parse(logLevel.toUpperCase(java.util.Locale.ROOT)));
    PeerConfig config;
    try {
      config = new PeerConfig(tracker, port, controlHost, controlPort, dataDir, advertise,
          uploadLimitKib * 1024, Duration.ofSeconds(noPeersTimeoutSeconds));
    } catch (IllegalArgumentException e) {
      System.err.println("minibit-peer: " + e.getMessage());
      return 2;
    }
    ManagedChannel trackerChannel = Channels.forTarget(config.tracker());
    PeerDaemon daemon;
    try {
      daemon = PeerDaemon.start(config,
          NettyServerBuilder.forAddress(new InetSocketAddress(config.port()))
              .maxInboundMessageSize(1024 * 1024),
          NettyServerBuilder.forAddress(new InetSocketAddress(config.controlHost(),
              config.controlPort())),
          trackerChannel, PeerChannels.network(), Clock.systemUTC());
    } catch (IOException e) {
      Channels.close(trackerChannel);
      System.err.println("minibit-peer: cannot start: " + describe(e));
      return 1;
    }
    System.err.printf("minibit-peer %s listening on port %d (control %s:%d), data in %s, "
            + "tracker %s%n", daemon.peerId(), daemon.peerPort(), config.controlHost(),
        daemon.controlPort(), daemon.dataDir(), config.tracker());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      daemon.close();
      Channels.close(trackerChannel);
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
    return 0;
  }

  private static String describe(IOException e) {
    Throwable cause = e;
    while (cause.getCause() != null && !(cause instanceof BindException)) {
      cause = cause.getCause();
    }
    if (cause instanceof BindException) {
      return "a port is already in use (" + cause.getMessage() + ")";
    }
    return e.getMessage();
  }

  /** The version in the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = PeerMain.class.getPackage().getImplementationVersion();
      return new String[] {"minibit-peer " + (version == null ? "dev" : version)};
    }
  }
}
