package io.minibit.peer;

import com.google.common.net.HostAndPort;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.minibit.core.Logging;
import io.minibit.core.MinibitException;
import io.minibit.core.Validation;
import io.minibit.core.cli.ConfigFile;
import io.minibit.core.cli.Durations;
import io.minibit.core.cli.LogFormatConverter;
import io.minibit.core.cli.LogLevelConverter;
import io.minibit.core.cli.Sizes;
import io.minibit.core.cli.StartupFailures;
import io.minibit.core.cli.TlsOptions;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.MutualTls;
import io.minibit.core.grpc.ServerLimits;
import io.minibit.core.grpc.TrackerTargets;
import io.minibit.core.grpc.TokenAuth;
import io.minibit.core.grpc.UnixSockets;
import io.minibit.core.http.HttpEndpoint;
import io.minibit.core.telemetry.Telemetry;
import io.minibit.peer.download.PeerChannels;
import io.minibit.peer.policy.Choker;
import io.minibit.peer.swarm.TrackerClient;
import io.minibit.peer.web.SwarmPage;
import java.io.IOException;
import io.grpc.ServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

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
        "  minibit-peer --tracker tracker.example:6969 --data-dir /srv/minibit --advertise 10.0.0.7",
        "  minibit-peer --tracker t1.example:6969,t2.example:6969"})
public final class PeerMain implements Callable<Integer> {
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

  @Option(names = "--control-socket", paramLabel = "PATH",
      defaultValue = "${env:MINIBIT_CONTROL_SOCKET:-}",
      description = "Unix socket of the control API the CLI uses, mode 0660: only this user "
          + "and its group reach it; 'none' for no socket (env MINIBIT_CONTROL_SOCKET; default: "
          + "/run/minibit/control.sock as root, else $XDG_RUNTIME_DIR/minibit/control.sock or "
          + "$TMPDIR/minibit-$USER/control.sock).")
  String controlSocket;

  @Option(names = "--control-port", paramLabel = "PORT",
      defaultValue = "${env:MINIBIT_CONTROL_PORT:--1}",
      description = "TCP port of the control API too, on --control-host; 0 picks one "
          + "(env MINIBIT_CONTROL_PORT; default: -1, the Unix socket only).")
  int controlPort;

  @Option(names = "--control-host", paramLabel = "ADDRESS",
      defaultValue = "${env:MINIBIT_CONTROL_HOST:-127.0.0.1}",
      description = "Address the control API's TCP port listens on; the default lets only "
          + "this machine's processes in (env MINIBIT_CONTROL_HOST; default: ${DEFAULT-VALUE}).")
  String controlHost;

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

  @Option(names = "--upload-limit", paramLabel = "KIB_PER_S",
      defaultValue = "${env:MINIBIT_UPLOAD_LIMIT:-0}",
      description = "Cap on upload speed in KiB/s, over all peers (env MINIBIT_UPLOAD_LIMIT; "
          + "default: 0, no cap).")
  long uploadLimitKib;

  @Option(names = "--download-limit", paramLabel = "KIB_PER_S",
      defaultValue = "${env:MINIBIT_DOWNLOAD_LIMIT:-0}",
      description = "Cap on download speed in KiB/s, over all downloads (env "
          + "MINIBIT_DOWNLOAD_LIMIT; default: 0, no cap).")
  long downloadLimitKib;

  @Option(names = "--cache-max-bytes", paramLabel = "SIZE", converter = Sizes.Bytes.class,
      defaultValue = "${env:MINIBIT_CACHE_MAX_BYTES:-0}",
      description = "Most disk the files this peer downloaded may take (10G, 500MB, bytes): "
          + "past it, the least recently used ones it only seeds are deleted; files shared "
          + "with `minibit share` never are (env MINIBIT_CACHE_MAX_BYTES; default: 0, no bound).")
  long cacheMaxBytes;

  @Option(names = "--seed-ttl", paramLabel = "DURATION", converter = Durations.WholeSeconds.class,
      defaultValue = "${env:MINIBIT_SEED_TTL:-0}",
      description = "Delete a downloaded file nobody has asked a block of for this long "
          + "(30m, 24h, 7d); files shared with `minibit share` stay "
          + "(env MINIBIT_SEED_TTL; default: 0, never).")
  long seedTtlSeconds;

  @Option(names = "--no-peers-timeout", paramLabel = "SECONDS",
      converter = Durations.WholeSeconds.class,
      defaultValue = "${env:MINIBIT_NO_PEERS_TIMEOUT:-30}",
      description = "How long `minibit get` waits when no peer has what it needs "
          + "(env MINIBIT_NO_PEERS_TIMEOUT; default: ${DEFAULT-VALUE}).")
  long noPeersTimeoutSeconds;

  @Option(names = "--choking", paramLabel = "POLICY",
      defaultValue = "${env:MINIBIT_CHOKING:-tit-for-tat}",
      description = "Who gets upload slots: tit-for-tat (who gives most; for strangers) or "
          + "cooperative (everyone in turn; for trusted clusters) "
          + "(env MINIBIT_CHOKING; default: ${DEFAULT-VALUE}).")
  String choking;

  @Option(names = "--upload-slots", paramLabel = "N",
      defaultValue = "${env:MINIBIT_UPLOAD_SLOTS:-4}",
      description = "Peers served at once per torrent, plus one optimistic slot; 0 uploads "
          + "nothing (env MINIBIT_UPLOAD_SLOTS; default: ${DEFAULT-VALUE}).")
  int uploadSlots;

  @Option(names = "--choke-interval", paramLabel = "SECONDS",
      converter = Durations.Seconds.class,
      defaultValue = "${env:MINIBIT_CHOKE_INTERVAL:-10}",
      description = "How often the upload slots are given out again "
          + "(env MINIBIT_CHOKE_INTERVAL; default: ${DEFAULT-VALUE}).")
  double chokeIntervalSeconds;

  @Option(names = "--optimistic-interval", paramLabel = "SECONDS",
      converter = Durations.Seconds.class,
      defaultValue = "${env:MINIBIT_OPTIMISTIC_INTERVAL:-10}",
      description = "How long the optimistic slot stays with one peer "
          + "(env MINIBIT_OPTIMISTIC_INTERVAL; default: ${DEFAULT-VALUE}).")
  double optimisticIntervalSeconds;

  @Option(names = "--allocation", paramLabel = "POLICY",
      defaultValue = "${env:MINIBIT_ALLOCATION:-latency}",
      description = "How downloads spread requests over peers: latency (near and fast peers "
          + "get more) or even (the same for all) "
          + "(env MINIBIT_ALLOCATION; default: ${DEFAULT-VALUE}).")
  String allocation;

  @Option(names = "--super-seeding", paramLabel = "true|false", arity = "1",
      defaultValue = "${env:MINIBIT_SUPER_SEEDING:-false}",
      description = "Seeders show each peer a few blocks at a time, so their upload goes to "
          + "each block once before any twice; for a first seeder facing many downloaders "
          + "(env MINIBIT_SUPER_SEEDING; default: ${DEFAULT-VALUE}).")
  boolean superSeeding;

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

  @Option(names = "--control-token", paramLabel = "TOKEN",
      defaultValue = "${env:MINIBIT_CONTROL_TOKEN:-}",
      description = "Secret the CLI must send with every control call (16..256 printable "
          + "characters); required when --control-host is not a loopback address. A token "
          + "on the command line shows in the process list: prefer --control-token-file "
          + "(env MINIBIT_CONTROL_TOKEN; default: none).")
  String controlToken;

  @Option(names = "--control-token-file", paramLabel = "FILE",
      defaultValue = "${env:MINIBIT_CONTROL_TOKEN_FILE:-}",
      description = "File that holds the control token (its first line) "
          + "(env MINIBIT_CONTROL_TOKEN_FILE; default: none).")
  String controlTokenFile;

  @Mixin
  TlsOptions tlsOptions;

  @Option(names = "--log-level", paramLabel = "LEVEL", converter = LogLevelConverter.class,
      defaultValue = "${env:MINIBIT_LOG_LEVEL:-INFO}",
      description = "Least severe log records to print on stderr: SEVERE, WARNING, INFO, FINE "
          + "(or ERROR, WARN, DEBUG) (env MINIBIT_LOG_LEVEL; default: ${DEFAULT-VALUE}).")
  Level logLevel;

  @Option(names = "--log-format", paramLabel = "FORMAT", converter = LogFormatConverter.class,
      defaultValue = "${env:MINIBIT_LOG_FORMAT:-text}",
      description = "text: one line per record, an ISO-8601 UTC time first; json: one JSON "
          + "object per line (time, level, logger, thread, message, and trace_id and span_id "
          + "of the call or download it belongs to) (env MINIBIT_LOG_FORMAT; default: "
          + "${DEFAULT-VALUE}).")
  Logging.Format logFormat;

  @Option(names = "--metrics-per-peer", paramLabel = "true|false", arity = "1",
      defaultValue = "${env:MINIBIT_METRICS_PER_PEER:-false}",
      description = "Series per remote peer of each download on /metrics (RTT, rate, share, "
          + "blocks in flight; a 'peer' label each: many series in a big swarm) (env "
          + "MINIBIT_METRICS_PER_PEER; default: ${DEFAULT-VALUE}).")
  boolean metricsPerPeer;

  // Read before the command line is parsed (ConfigFile.install): declared here for --help.
  @Option(names = ConfigFile.OPTION, paramLabel = "FILE",
      description = "A YAML file of settings, each named as its flag without the dashes "
          + "(data-dir: /srv/minibit; durations as 30s or 5m). A flag wins over its variable, "
          + "which wins over the file (env MINIBIT_CONFIG). Every setting: "
          + "docs/configuration.md.")
  Path configFile;

  @Spec
  CommandSpec spec;

  public static void main(String[] args) {
    int exitCode = run(args, System.getenv());
    // On success the daemon ran until a shutdown hook stopped it: the JVM is already exiting.
    if (exitCode != 0) {
      System.exit(exitCode);
    }
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
    return ConfigFile.execute(command, args, env, "minibit-peer", 2);
  }

  /** The command, with usage errors reported as one line instead of the whole help. */
  public static CommandLine commandLine() {
    CommandLine command = new CommandLine(new PeerMain());
    command.setParameterExceptionHandler((e, args) -> {
      e.getCommandLine().getErr().println("minibit-peer: " + e.getMessage() + " (see --help)");
      return 2;
    });
    return command;
  }

  @Override
  public Integer call() throws InterruptedException {
    PeerConfig config;
    TrackerTargets trackers;
    Optional<MutualTls> tls;
    Optional<Path> socket;
    try {
      tls = tlsOptions.tls();
      trackers = TrackerTargets.parse("--tracker", tracker);
      controlToken = TokenAuth.inlineOrFromFile(controlToken, controlTokenFile);
      ControlAccess.check(controlHost, controlToken);
      socket = controlSocket.equals("none") ? Optional.empty()
          : Optional.of(controlSocket.isBlank() ? UnixSockets.defaultControlSocket()
              : Path.of(controlSocket));
      if (socket.isEmpty() && controlPort < 0) {
        throw new IllegalArgumentException("--control-socket none and no --control-port: "
            + "the CLI could not reach this daemon");
      }
      HostAndPort advertised = advertise.isBlank() ? HostAndPort.fromHost("")
          : advertised(advertise);
      PeerConfig.Swarm swarm = new PeerConfig.Swarm(Choker.Mode.named(choking), uploadSlots,
          seconds(chokeIntervalSeconds), seconds(optimisticIntervalSeconds), allocation,
          superSeeding);
      config = new PeerConfig(trackers.toString(), port, controlHost, controlPort, dataDir,
          advertised.getHost(), advertised.getPortOrDefault(0),
          new PeerConfig.Limits(kibPerSecond("--upload-limit", uploadLimitKib),
              kibPerSecond("--download-limit", downloadLimitKib), cacheMaxBytes,
              Duration.ofSeconds(seedTtlSeconds)),
          // the key's id, once the flags are known good: reading the key may first make it
          Duration.ofSeconds(noPeersTimeoutSeconds), swarm, "",
          metricsPerPeer);
      Validation.requireListenPort("--http-port", httpPort, "to turn HTTP off");
    } catch (IllegalArgumentException | MinibitException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    Logging.configure(logLevel, logFormat);
    boolean dataDirExisted = Files.exists(config.dataDir());
    try {
      config = config.withPeerId(PeerConfig.peerIdIn(config.dataDir()));
    } catch (IOException e) {
      if (!dataDirExisted) {
        StartupFailures.removeIfLeftEmpty(config.dataDir());
      }
      Logging.say(spec.commandLine().getErr(), Level.SEVERE, "minibit-peer: cannot start: "
          + StartupFailures.describe(e));
      return 1;
    }
    List<ManagedChannel> trackerChannels = new ArrayList<>();
    List<TrackerClient.Endpoint> trackerEndpoints = new ArrayList<>();
    for (String target : trackers.targets()) {
      ManagedChannel channel = Channels.forTarget(target, tls);
      trackerChannels.add(channel);
      trackerEndpoints.add(TrackerClient.Endpoint.of(target, channel));
    }
    Telemetry telemetry = Telemetry.fromEnvironment("minibit-peer", config.peerId());
    PeerDaemon daemon;
    try {
      NettyServerBuilder peerServer = ServerLimits.PEER.applyTo(
          NettyServerBuilder.forAddress(new InetSocketAddress(config.port())));
      List<ServerBuilder<?>> controlServers = new ArrayList<>();
      if (socket.isPresent()) {
        controlServers.add(ServerLimits.CONTROL.applyTo(UnixSockets.serverBuilder(socket.get())));
      }
      if (config.controlPort() >= 0) {
        controlServers.add(ServerLimits.CONTROL.applyTo(NettyServerBuilder
            .forAddress(new InetSocketAddress(config.controlHost(), config.controlPort()))));
      }
      if (config.limits().uploadBytesPerSecond() == 0) {
        // Without an upload cap nothing the Peer service does waits (blocks come from the page
        // cache, events are handed on), so calls run on the network thread that read them
        // instead of costing a thread hand-off each; a cap makes a sender wait its turn.
        peerServer.directExecutor();
      }
      if (tls.isPresent()) {
        tls.get().applyTo(peerServer);
      }
      if (!controlToken.isEmpty()) {
        controlServers.forEach(server -> server.intercept(TokenAuth.require(controlToken)));
      }
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
      Logging.say(spec.commandLine().getErr(), Level.SEVERE, "minibit-peer: cannot start: "
          + StartupFailures.describe(e));
      return 1;
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
        Logging.say(spec.commandLine().getErr(), Level.SEVERE, "minibit-peer: cannot serve "
            + "HTTP on " + httpHost + " port " + httpPort + ": " + StartupFailures.describe(e));
        return 1;
      }
      Logging.say(spec.commandLine().getErr(), Level.INFO, String.format(
          "minibit-peer HTTP on %s port %d: swarm page at /, JSON at /api/transfers, /metrics, "
              + "/healthz", httpHost, http.port()));
    }
    HttpEndpoint httpToClose = http;
    String control = socket.map(UnixSockets::target).orElse("");
    if (daemon.controlPort() >= 0) {
      control += (control.isEmpty() ? "" : " and ") + config.controlHost() + ":"
          + daemon.controlPort();
    }
    Logging.say(spec.commandLine().getErr(), Level.INFO, String.format(
        "minibit-peer %s listening on port %d (control %s), data in %s, tracker%s %s",
        daemon.peerId(), daemon.peerPort(), control, daemon.dataDir(),
        trackers.size() > 1 ? "s (in order)" : "", config.tracker()));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (httpToClose != null) {
        httpToClose.close();
      }
      daemon.close();
      socket.ifPresent(PeerMain::removeSocket);
      trackerChannels.forEach(Channels::close);
      telemetry.close();
      // Printed, not logged: java.util.logging resets its handlers in a shutdown hook of its own.
      Logging.say(System.err, Level.INFO, "minibit-peer stopped");
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
    return 0;
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // left behind: the key of a peer that never ran; the next start uses it
    }
  }

  private static void removeSocket(Path socket) {
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      System.err.println("minibit-peer: cannot remove " + socket + ": " + e.getMessage());
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

  /** A cap given in KiB/s, in bytes per second; refused when negative or past any link's speed. */
  private static long kibPerSecond(String flag, long kib) {
    if (kib < 0) {
      throw new IllegalArgumentException(flag + " " + kib + " is negative (0 for no cap)");
    }
    if (kib > Long.MAX_VALUE / 1024) {
      throw new IllegalArgumentException(flag + " " + kib + " KiB/s is beyond any link");
    }
    return kib * 1024;
  }

  private static Duration seconds(double value) {
    return Duration.ofMillis(Math.round(value * 1000));
  }

  /** The build's version, as every MiniBit program reports it. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return io.minibit.core.cli.Version.lines("minibit-peer");
    }
  }
}
