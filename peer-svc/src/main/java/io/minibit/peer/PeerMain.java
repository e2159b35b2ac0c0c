package io.minibit.peer;

import com.google.common.net.HostAndPort;
import io.grpc.ManagedChannel;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.minibit.core.Logging;
import io.minibit.core.MinibitException;
import io.minibit.core.Validation;
import io.minibit.core.cli.DaemonLauncher;
import io.minibit.core.cli.DaemonOptions;
import io.minibit.core.cli.LogLevelConverter;
import io.minibit.core.cli.StartupFailures;
import io.minibit.core.cli.TlsOptions;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.CongestionControl;
import io.minibit.core.grpc.LargeFrames;
import io.minibit.core.grpc.MutualTls;
import io.minibit.core.grpc.PeerNetworkThreads;
import io.minibit.core.grpc.ServerLimits;
import io.minibit.core.grpc.TrackerTargets;
import io.minibit.core.grpc.UnixSockets;
import io.minibit.core.http.HttpEndpoint;
import io.minibit.core.telemetry.Telemetry;
import io.minibit.peer.download.PeerChannels;
import io.minibit.peer.swarm.TrackerClient;
import io.minibit.peer.web.SwarmPage;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code minibit-peer}: the peer daemon. */
@Command(
    name = "minibit-peer",
    mixinStandardHelpOptions = true,
    versionProvider = PeerMain.Version.class,
    sortOptions = false,
    description = {
        "Runs a MiniBit peer: serves the blocks it holds to other peers, downloads from the "
            + "swarm, and takes commands from the local `minibit` CLI.",
        "Every option can also be set through the environment variable named in its "
            + "description; a flag on the command line wins over the environment."},
    footer = {"", "Example:",
        "  minibit-peer --tracker tracker.example:6969 --data-dir /srv/minibit "
            + "--advertise 10.0.0.7",
        "  minibit-peer --tracker t1.example:6969,t2.example:6969"})
public final class PeerMain implements Callable<Integer> {
  static final String NAME = "minibit-peer";

  @Option(names = "--tracker", paramLabel = "HOST:PORT[,HOST:PORT...]",
      defaultValue = "${env:MINIBIT_TRACKER:-127.0.0.1:6969}",
      description = "Tracker to announce to; several, comma-separated, in order of preference: "
          + "calls go to one and move to the next when it cannot be reached. An entry "
          + "dns:///NAME:PORT stands for every address NAME resolves to "
          + "(env MINIBIT_TRACKER; default: ${DEFAULT-VALUE}).")
  String tracker;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "${env:MINIBIT_PORT:-6881}",
      description = "Port other peers fetch blocks from; 0 picks one "
          + "(env MINIBIT_PORT; default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--congestion-control", paramLabel = "NAME[,NAME...]",
      defaultValue = "${env:MINIBIT_CONGESTION_CONTROL:-" + CongestionControl.DEFAULT + "}",
      description = "TCP congestion control of the connections other peers fetch blocks on: "
          + "the first of these the host lets the daemon set; 'system' keeps the host's default "
          + "(env MINIBIT_CONGESTION_CONTROL; default: ${DEFAULT-VALUE}).")
  String congestionControl;

  @Mixin
  ControlOptions controlOptions;

  @Option(names = "--data-dir", paramLabel = "DIR",
      defaultValue = "${env:MINIBIT_DATA_DIR:-./minibit-data}",
      description = "The only directory files are shared from and downloaded to "
          + "(env MINIBIT_DATA_DIR; default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--advertise", paramLabel = "HOST[:PORT]",
      defaultValue = "${env:MINIBIT_ADVERTISE:-}",
      description = "Address (and port, if another one maps to --port) other peers should dial "
          + "(env MINIBIT_ADVERTISE; default: the address the tracker sees, and --port).")
  String advertise;

  @Mixin
  LimitOptions limitOptions;

  @Mixin
  SwarmOptions swarmOptions;

  @Option(names = "--http-port", paramLabel = "PORT",
      defaultValue = "${env:MINIBIT_HTTP_PORT:-" + PeerConfig.DEFAULT_HTTP_PORT + "}",
      description = "HTTP port of the live swarm page (/), its JSON (/api/transfers) and "
          + "/metrics (Prometheus text); 0 picks a free one, -1 serves no HTTP "
          + "(env MINIBIT_HTTP_PORT; default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(names = "--http-host", paramLabel = "ADDRESS",
      defaultValue = "${env:MINIBIT_HTTP_HOST:-127.0.0.1}",
      description = "Address the HTTP port listens on: 0.0.0.0 for every interface (a "
          + "Prometheus on another machine, say) (env MINIBIT_HTTP_HOST; default: "
          + "${DEFAULT-VALUE}, this machine only).")
  String httpHost;

  @Mixin
  TlsOptions tlsOptions;

  @Option(names = "--log-level", paramLabel = "LEVEL", converter = LogLevelConverter.class,
      defaultValue = "${env:MINIBIT_LOG_LEVEL:-INFO}",
      description = "Least severe log records to print on stderr: SEVERE, WARNING, INFO, FINE "
          + "(or ERROR, WARN, DEBUG) (env MINIBIT_LOG_LEVEL; default: ${DEFAULT-VALUE}).")
  Level logLevel;

  @Mixin
  DaemonOptions daemonOptions;

  @Option(names = "--metrics-per-peer", paramLabel = "true|false", arity = "1",
      defaultValue = "${env:MINIBIT_METRICS_PER_PEER:-false}",
      description = "Series per remote peer of each download on /metrics (RTT, rate, share, "
          + "blocks in flight; a 'peer' label each: many series in a big swarm) (env "
          + "MINIBIT_METRICS_PER_PEER; default: ${DEFAULT-VALUE}).")
  boolean metricsPerPeer;

  @Spec
  CommandSpec spec;

  /**
   * The first of {@code names} the host lets this daemon set, said on {@code err} when it is not
   * the first one asked for; empty (the host's default) for none.
   */
  private static Optional<String> congestionControl(PrintWriter err, List<String> names) {
    Optional<String> chosen = CongestionControl.firstSettable(names);
    if (!names.isEmpty() && !chosen.equals(Optional.of(names.get(0)))) {
      Logging.say(err, Level.INFO, chosen.map(name -> String.format(
          "TCP congestion control %s is not available to this daemon; peer connections use %s",
          names.get(0), name)).orElse(String.format(
          "none of the TCP congestion controls %s is available to this daemon; peer "
              + "connections use the host's default", String.join(", ", names))));
    }
    return chosen;
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
    return DaemonLauncher.commandLine(new PeerMain());
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    PeerConfig config;
    TrackerTargets trackers;
    Optional<MutualTls> tls;
    Optional<Path> socket;
    String controlToken;
    List<String> congestion;
    try {
      tls = tlsOptions.tls();
      congestion = CongestionControl.parse("--congestion-control", congestionControl);
      trackers = TrackerTargets.parse("--tracker", tracker);
      controlToken = controlOptions.token();
      socket = controlOptions.socket();
      HostAndPort advertised = advertise.isBlank() ? HostAndPort.fromHost("")
          : advertised(advertise);
      PeerConfig.Swarm swarm = swarmOptions.swarm();
      config = new PeerConfig(trackers.toString(), port, controlOptions.controlHost,
          controlOptions.controlPort, dataDir, advertised.getHost(), advertised.getPortOrDefault(0),
          limitOptions.limits(),
          // the key's id, once the flags are known good: reading the key may first make it
          limitOptions.noPeersTimeout(), swarm, "",
          metricsPerPeer);
      Validation.requireListenPort("--http-port", httpPort, "to turn HTTP off");
    } catch (IllegalArgumentException | MinibitException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Logging.configure(logLevel, daemonOptions.logFormat());
    boolean dataDirExisted = Files.exists(config.dataDir());
    try {
      config = config.withPeerId(PeerConfig.peerIdIn(config.dataDir()));
    } catch (IOException e) {
      if (!dataDirExisted) {
        StartupFailures.removeIfLeftEmpty(config.dataDir());
      }
      return DaemonLauncher.cannotStart(err, NAME, e);
    }
    List<ManagedChannel> trackerChannels = new ArrayList<>();
    List<TrackerClient.Endpoint> trackerEndpoints = new ArrayList<>();
    for (String target : trackers.targets()) {
      ManagedChannel channel = Channels.forTarget(target, tls);
      trackerChannels.add(channel);
      trackerEndpoints.add(TrackerClient.Endpoint.of(target, channel));
    }
    Telemetry telemetry = Telemetry.fromEnvironment(NAME, config.peerId());
    PeerDaemon daemon;
    try {
      NettyServerBuilder peerServer = PeerNetworkThreads.applyTo(LargeFrames.applyTo(
          ServerLimits.PEER.applyTo(
              NettyServerBuilder.forAddress(new InetSocketAddress(config.port())))));
      List<ServerBuilder<?>> controlServers =
          ControlOptions.servers(socket, config, controlToken);
      if (config.limits().uploadBytesPerSecond() == 0) {
        // Without an upload cap nothing the Peer service does waits (blocks come from the page
        // cache, events are handed on), so calls run on the network thread that read them
        // instead of costing a thread hand-off each; a cap makes a sender wait its turn.
        peerServer.directExecutor();
      }
      if (tls.isPresent()) {
        tls.get().applyTo(peerServer);
      }
      congestionControl(err, congestion).ifPresent(
          name -> CongestionControl.applyTo(peerServer, name));
      daemon = PeerDaemon.start(config, peerServer, controlServers, trackerEndpoints,
          PeerChannels.network(tls), Clock.systemUTC(), telemetry);
      if (socket.isPresent()) {
        UnixSockets.restrict(socket.get());
      }
    } catch (IOException | RuntimeException e) {
      trackerChannels.forEach(Channels::close);
      telemetry.close();
      if (!dataDirExisted) {
        // a failed start leaves nothing, not even the key it made: no file ever used it
        deleteQuietly(PeerConfig.keyFile(config.dataDir()));
        StartupFailures.removeIfLeftEmpty(config.dataDir());
      }
      return DaemonLauncher.cannotStart(err, NAME, e);
    }
    HttpEndpoint http = null;
    if (httpPort >= 0) {
      try {
        SwarmPage page = new SwarmPage(daemon, controlToken);
        http = HttpEndpoint.start(httpHost, httpPort, telemetry, page.pages(), page.actions(),
            daemon::isServing);
      } catch (IOException | RuntimeException e) {
        daemon.close();
        trackerChannels.forEach(Channels::close);
        telemetry.close();
        return DaemonLauncher.cannotServeHttp(err, NAME, httpHost, httpPort, e);
      }
      Logging.say(err, Level.INFO, String.format(
          "minibit-peer HTTP on %s port %d: swarm page at /, JSON at /api/transfers, /metrics, "
              + "/healthz", httpHost, http.port()));
    }
    HttpEndpoint httpToClose = http;
    String control = socket.map(UnixSockets::target).orElse("");
    if (daemon.controlPort() >= 0) {
      control += (control.isEmpty() ? "" : " and ") + config.controlHost() + ":"
          + daemon.controlPort();
    }
    Logging.say(err, Level.INFO, String.format(
        "minibit-peer %s listening on port %d (control %s), data in %s, tracker%s %s",
        daemon.peerId(), daemon.peerPort(), control, daemon.dataDir(),
        trackers.size() > 1 ? "s (in order)" : "", config.tracker()));
    DaemonLauncher.closeOnShutdown(NAME, err, "shutdown", List.of(
        () -> {
          if (httpToClose != null) {
            httpToClose.close();
          }
        },
        daemon::close,
        () -> socket.ifPresent(ControlOptions::removeSocket),
        () -> trackerChannels.forEach(Channels::close),
        telemetry::close)).await();
    return 0;
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // left behind: the key of a peer that never ran; the next start uses it
    }
  }

  /** {@code --advertise HOST[:PORT]}, refused in the words every bad port gets. */
  private static HostAndPort advertised(String text) {
    try {
      return HostAndPort.fromString(text);
    } catch (IllegalArgumentException e) {
      String port = text.substring(text.lastIndexOf(':') + 1);
      if (text.contains(":") && port.matches("\\d{1,18}")) {
        throw new IllegalArgumentException(Validation.notAPort("the port of --advertise",
            Long.parseLong(port), false, null));
      }
      throw new IllegalArgumentException("--advertise '" + Validation.printable(text)
          + "' is not HOST[:PORT]");
    }
  }

  /** The build's version, as every MiniBit program reports it. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return io.minibit.core.cli.Version.lines(NAME);
    }
  }
}
