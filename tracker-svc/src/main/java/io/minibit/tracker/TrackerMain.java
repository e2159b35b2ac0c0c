package io.minibit.tracker;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.minibit.core.Logging;
import io.minibit.core.Validation;
import io.minibit.core.cli.DaemonLauncher;
import io.minibit.core.cli.DaemonOptions;
import io.minibit.core.cli.Durations;
import io.minibit.core.cli.LogLevelConverter;
import io.minibit.core.cli.Sizes;
import io.minibit.core.cli.StartupFailures;
import io.minibit.core.cli.TlsOptions;
import io.minibit.core.grpc.MutualTls;
import io.minibit.core.grpc.ServerLimits;
import io.minibit.core.http.HttpEndpoint;
import io.minibit.core.telemetry.Telemetry;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code minibit-tracker} command: parses flags (each with a MINIBIT_* environment twin),
 * starts a {@link TrackerServer} on every interface and runs until the process is stopped.
 */
@Command(
    name = "minibit-tracker",
    versionProvider = TrackerMain.Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = "Runs the MiniBit tracker: a catalog of published manifests, kept in the data"
        + " directory across restarts, and the swarm of peers of each torrent, rebuilt from their"
        + " announces. Serves minibit.v2.TrackerService, grpc.health.v1.Health and server"
        + " reflection over gRPC.%n",
    footer = "%nEvery option can also be set through the environment variable named in its"
        + " description; a flag on the command line wins over the environment.")
public final class TrackerMain implements Callable<Integer> {
  static final int EXIT_FAILURE = DaemonLauncher.EXIT_FAILURE;
  static final int EXIT_USAGE = DaemonLauncher.EXIT_USAGE;
  private static final String NAME = "minibit-tracker";

  @Spec
  private CommandSpec spec;

  @Option(names = "--port", paramLabel = "PORT",
      defaultValue = "${env:MINIBIT_PORT:-" + TrackerConfig.DEFAULT_PORT + "}",
      description = "gRPC port to listen on, on every interface; 0 picks a free one."
          + " Env MINIBIT_PORT. Default: ${DEFAULT-VALUE}.")
  private int port;

  @Option(names = "--data-dir", paramLabel = "DIR",
      defaultValue = "${env:MINIBIT_DATA_DIR:-" + TrackerConfig.DEFAULT_DATA_DIR + "}",
      description = "Directory for the catalog of published manifests (on the embedded store);"
          + " created if missing."
          + " Env MINIBIT_DATA_DIR. Default: ${DEFAULT-VALUE}.")
  private Path dataDir;

  @Option(names = "--store", paramLabel = "URI",
      defaultValue = "${env:MINIBIT_STORE}",
      description = "Keep swarms, sessions and the catalog in this Redis,"
          + " redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], instead of in memory and the data"
          + " directory: every tracker on one Redis serves the same swarms and catalog. Put a"
          + " password in the variable rather than on the command line. Env MINIBIT_STORE."
          + " Default: the embedded store.")
  private String store;

  @Option(names = "--heartbeat-interval", paramLabel = "SECONDS",
      converter = Durations.WholeSeconds.class,
      defaultValue = "${env:MINIBIT_HEARTBEAT_INTERVAL:-"
          + TrackerConfig.DEFAULT_HEARTBEAT_SECONDS + "}",
      description = "Seconds between a peer's heartbeats (an announce counts as one); a peer"
          + " silent for " + SwarmRegistry.MISSED_HEARTBEATS + " intervals leaves every swarm."
          + " Env MINIBIT_HEARTBEAT_INTERVAL. Default: ${DEFAULT-VALUE}.")
  private long heartbeatSeconds;

  @Option(names = "--announce-interval", paramLabel = "SECONDS",
      converter = Durations.WholeSeconds.class,
      defaultValue = "${env:MINIBIT_ANNOUNCE_INTERVAL:-"
          + TrackerConfig.DEFAULT_ANNOUNCE_SECONDS + "}",
      description = "Seconds between a peer's re-announces."
          + " Env MINIBIT_ANNOUNCE_INTERVAL. Default: ${DEFAULT-VALUE}.")
  private long announceSeconds;

  @Option(names = "--peer-sample-size", paramLabel = "N",
      defaultValue = "${env:MINIBIT_PEER_SAMPLE_SIZE:-"
          + TrackerConfig.DEFAULT_PEER_SAMPLE_SIZE + "}",
      description = "Peers an announce gets back when it does not ask for a number, 1.."
          + SwarmStore.MAX_SAMPLE_SIZE + ". Env MINIBIT_PEER_SAMPLE_SIZE."
          + " Default: ${DEFAULT-VALUE}.")
  private int peerSampleSize;

  @Option(names = "--trust-advertised-addresses", paramLabel = "true|false", arity = "1",
      defaultValue = "${env:MINIBIT_TRUST_ADVERTISED_ADDRESSES:-"
          + TrackerConfig.DEFAULT_TRUST_ADVERTISED_ADDRESSES + "}",
      description = "Hand out the host a peer announces (its --advertise) as given; if false,"
          + " the address its announce came from. Env MINIBIT_TRUST_ADVERTISED_ADDRESSES."
          + " Default: ${DEFAULT-VALUE}.")
  private boolean trustAdvertisedAddresses;

  @Option(names = "--max-swarm-members", paramLabel = "N",
      defaultValue = "${env:MINIBIT_MAX_SWARM_MEMBERS:-"
          + TrackerLimits.DEFAULT_MAX_SWARM_MEMBERS + "}",
      description = "Peers one swarm may hold; a new peer of a full swarm is refused"
          + " (RESOURCE_EXHAUSTED). Env MINIBIT_MAX_SWARM_MEMBERS. Default: ${DEFAULT-VALUE}.")
  private int maxSwarmMembers;

  @Option(names = "--max-sessions-per-address", paramLabel = "N",
      defaultValue = "${env:MINIBIT_MAX_SESSIONS_PER_ADDRESS:-"
          + TrackerLimits.DEFAULT_MAX_SESSIONS_PER_ADDRESS + "}",
      description = "Live peer sessions one source address may open; raise it for many peers"
          + " behind one NAT. Env MINIBIT_MAX_SESSIONS_PER_ADDRESS. Default: ${DEFAULT-VALUE}.")
  private int maxSessionsPerAddress;

  @Option(names = "--max-health-members", paramLabel = "N",
      defaultValue = "${env:MINIBIT_MAX_HEALTH_MEMBERS:-"
          + TrackerLimits.DEFAULT_MAX_HEALTH_MEMBERS + "}",
      description = "The largest swarm GetSwarmHealth answers for (its answer lists every"
          + " download). Env MINIBIT_MAX_HEALTH_MEMBERS. Default: ${DEFAULT-VALUE}.")
  private int maxHealthMembers;

  @Option(names = "--max-catalog-bytes", paramLabel = "SIZE", converter = Sizes.Bytes.class,
      defaultValue = "${env:MINIBIT_MAX_CATALOG_BYTES:-256M}",
      description = "Bytes of manifests the catalog may hold (as 512M or 2G); a publish past it"
          + " is refused. The embedded store keeps them all in memory: size the heap for it."
          + " Env MINIBIT_MAX_CATALOG_BYTES. Default: ${DEFAULT-VALUE}.")
  private long maxCatalogBytes;

  @Option(names = "--max-manifests-per-publisher", paramLabel = "N",
      defaultValue = "${env:MINIBIT_MAX_MANIFESTS_PER_PUBLISHER:-"
          + TrackerLimits.DEFAULT_MAX_MANIFESTS_PER_PUBLISHER + "}",
      description = "Manifests one publisher (a key, or a TLS subject) may hold in the catalog,"
          + " every version of every name it owns. Env MINIBIT_MAX_MANIFESTS_PER_PUBLISHER."
          + " Default: ${DEFAULT-VALUE}.")
  private int maxManifestsPerPublisher;

  @Option(names = "--max-bytes-per-publisher", paramLabel = "SIZE", converter = Sizes.Bytes.class,
      defaultValue = "${env:MINIBIT_MAX_BYTES_PER_PUBLISHER:-64M}",
      description = "Bytes of manifests one publisher may hold in the catalog."
          + " Env MINIBIT_MAX_BYTES_PER_PUBLISHER. Default: ${DEFAULT-VALUE}.")
  private long maxBytesPerPublisher;

  @Option(names = "--http-port", paramLabel = "PORT",
      defaultValue = "${env:MINIBIT_HTTP_PORT:-" + TrackerConfig.DEFAULT_HTTP_PORT + "}",
      description = "HTTP port for /metrics (Prometheus text); 0 picks a free one, -1 serves"
          + " no HTTP. Env MINIBIT_HTTP_PORT. Default: ${DEFAULT-VALUE}.")
  private int httpPort;

  @Option(names = "--http-host", paramLabel = "ADDRESS",
      defaultValue = "${env:MINIBIT_HTTP_HOST:-127.0.0.1}",
      description = "Address the HTTP port listens on: 0.0.0.0 for every interface (a "
          + "Prometheus on another machine). Env MINIBIT_HTTP_HOST. Default: ${DEFAULT-VALUE}.")
  private String httpHost;

  @Mixin
  private TlsOptions tlsOptions;

  @Option(names = "--log-level", paramLabel = "LEVEL", converter = LogLevelConverter.class,
      defaultValue = "${env:MINIBIT_LOG_LEVEL:-INFO}",
      description = "Least severe log records to print on stderr: SEVERE, WARNING, INFO, FINE,"
          + " FINEST (or ERROR, WARN, DEBUG, TRACE). Env MINIBIT_LOG_LEVEL."
          + " Default: ${DEFAULT-VALUE}.")
  private Level logLevel;

  @Mixin
  private DaemonOptions daemonOptions;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  private boolean help;

  @Option(names = {"-V", "--version"}, versionHelp = true,
      description = "Print the version and exit.")
  private boolean version;

  /** The build's version, as every MiniBit program reports it. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return io.minibit.core.cli.Version.lines(NAME);
    }
  }

  public static void main(String[] args) {
    DaemonLauncher.main(commandLine(), args);
  }

  /**
   * Runs the command line {@code args}, with the settings of the config file it (or {@code env})
   * names under its flags and variables; returns the exit code.
   */
  static int run(String[] args, Map<String, String> env) {
    return run(commandLine(), args, env);
  }

  /** As above, with {@code command} (made by {@link #commandLine}, its streams set). */
  static int run(CommandLine command, String[] args, Map<String, String> env) {
    return DaemonLauncher.run(command, args, env);
  }

  /** The command, with usage errors reported as one line instead of the whole help. */
  public static CommandLine commandLine() {
    return DaemonLauncher.commandLine(new TrackerMain());
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    Path dir = dataDir.toAbsolutePath().normalize();
    TrackerConfig config;
    Optional<MutualTls> tls;
    try {
      tls = tlsOptions.tls();
      config = new TrackerConfig(port, dir, Duration.ofSeconds(heartbeatSeconds),
          Duration.ofSeconds(announceSeconds), peerSampleSize, trustAdvertisedAddresses,
          store == null || store.isEmpty() ? Optional.empty()
              : Optional.of(RedisAddress.parse(store)),
          new TrackerLimits(maxSwarmMembers, maxSessionsPerAddress, maxHealthMembers,
              maxCatalogBytes, maxManifestsPerPublisher, maxBytesPerPublisher));
      Validation.requireListenPort("--http-port", httpPort, "to turn HTTP off");
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Logging.configure(logLevel, daemonOptions.logFormat());

    boolean dirExisted = Files.exists(dir);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      Logging.say(err, Level.SEVERE, "minibit-tracker: cannot create data directory " + dir
          + ": " + StartupFailures.describe(e));
      return EXIT_FAILURE;
    }

    Telemetry telemetry = Telemetry.fromEnvironment("minibit-tracker");
    TrackerServer server;
    TrackerEventLoop network = new TrackerEventLoop();
    try {
      NettyServerBuilder builder = network.applyTo(
          ServerLimits.TRACKER.applyTo(NettyServerBuilder.forAddress(new InetSocketAddress(port))));
      if (tls.isPresent()) {
        tls.get().applyTo(builder);
      }
      server = TrackerServer.start(config, builder, Clock.systemUTC(), new Random(), telemetry,
          network);
    } catch (IOException | IllegalArgumentException | IllegalStateException e) {
      network.close();
      telemetry.close();
      if (!dirExisted) {
        StartupFailures.removeIfLeftEmpty(dir); // a failed start leaves nothing behind
      }
      return DaemonLauncher.cannotStart(err, NAME, e);
    }
    HttpEndpoint http = null;
    if (httpPort >= 0) {
      try {
        http = HttpEndpoint.start(httpHost, httpPort, telemetry, Map.of(), server::isServing);
      } catch (IOException e) {
        server.close();
        network.close();
        telemetry.close();
        return DaemonLauncher.cannotServeHttp(err, NAME, httpHost, httpPort, e);
      }
    }
    HttpEndpoint httpToClose = http;
    DaemonLauncher.closeOnShutdown(NAME, err, "tracker-shutdown", List.of(
        () -> {
          if (httpToClose != null) {
            httpToClose.close();
          }
        },
        server::close,
        network::close,
        telemetry::close));
    if (http != null) {
      Logging.say(err, Level.INFO, "minibit-tracker HTTP on " + httpHost + " port " + http.port()
          + ": /metrics, /healthz");
    }
    Logging.say(err, Level.INFO, "minibit-tracker listening on port " + server.port()
        + config.store().map(redis -> ", state in " + redis).orElse(", data in " + dir));
    err.flush();
    server.awaitTermination();
    return 0;
  }
}
