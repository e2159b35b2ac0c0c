package io.minibit.it;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.minibit.api.v2.ListTransfersRequest;
import io.minibit.api.v2.PeerControlServiceGrpc;
import io.minibit.api.v2.Transfer;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.MutualTls;
import io.minibit.core.grpc.TokenAuth;
import io.minibit.core.grpc.UnixSockets;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Real MiniBit processes on loopback, started through the bin/ launchers exactly as a user
 * starts them: a tracker and named peers, each with its own ports, data directory and log file.
 * Everything is killed on {@link #close()}.
 */
final class Cluster implements AutoCloseable {
  static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  /** The checkout whose bin/ launchers and built jars the tests run (-Dminibit.home). */
  static final Path HOME = Path.of(System.getProperty("minibit.home", "..")).toAbsolutePath()
      .normalize();
  private final Path root;
  private final List<Process> processes = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final Map<String, String> env = new java.util.HashMap<>();
  private int trackerPort;
  private int trackerHttpPort;
  private Process trackerProcess;
  private Optional<MutualTls> trackerTls = Optional.empty();
  private final Map<String, Process> otherTrackers = new java.util.HashMap<>();

  Cluster(Path root) {
    this.root = root;
  }

  Path root() {
    return root;
  }

  /** Sets {@code name} in the environment of every process started from now on. */
  Cluster env(String name, String value) {
    env.put(name, value);
    return this;
  }

  /** Leaves {@code name} out of the environment of every process started from now on. */
  Cluster unsetEnv(String name) {
    env.remove(name);
    return this;
  }

  /** Starts the tracker and waits until its health service says SERVING. */
  void startTracker(String... extraArgs) throws IOException {
    if (trackerPort == 0) {
      trackerPort = FreePorts.next(); // kept across restarts, so peers find it again
      trackerHttpPort = FreePorts.next();
    }
    List<String> command = new ArrayList<>(List.of(HOME.resolve("bin/minibit-tracker").toString(),
        "--port", String.valueOf(trackerPort), "--data-dir", root.resolve("tracker").toString(),
        "--http-port", String.valueOf(trackerHttpPort)));
    command.addAll(List.of(extraArgs));
    trackerProcess = start("tracker", command);
    awaitServing(channel(trackerPort, trackerTls), trackerProcess, "tracker on port " + trackerPort);
  }

  /**
   * Starts another tracker, named {@code name} (its data directory and log are named so), with a
   * catalog of its own unless {@code extraArgs} give it a shared store; waits until it serves.
   *
   * @return its address, HOST:PORT
   */
  String startOtherTracker(String name, String... extraArgs) throws IOException {
    int port = FreePorts.next();
    List<String> command = new ArrayList<>(List.of(HOME.resolve("bin/minibit-tracker").toString(),
        "--port", String.valueOf(port), "--data-dir", root.resolve(name).toString(),
        "--http-port", "-1"));
    command.addAll(List.of(extraArgs));
    Process process = start(name, command);
    otherTrackers.put(name, process);
    awaitServing(channel(port, trackerTls), process, name + " on port " + port);
    return "127.0.0.1:" + port;
  }

  /** SIGKILL for the tracker {@link #startOtherTracker} started as {@code name}. */
  void killOtherTracker(String name) throws InterruptedException {
    Process process = otherTrackers.get(name);
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** Probes a tracker started with mutual TLS through {@code tls} (a certificate of its swarm). */
  Cluster withTrackerTls(MutualTls tls) {
    trackerTls = Optional.of(tls);
    return this;
  }

  /** SIGKILL for the tracker: its catalog is on disk, its swarms are lost. */
  void killTracker() throws InterruptedException {
    trackerProcess.destroyForcibly();
    trackerProcess.waitFor(10, TimeUnit.SECONDS);
  }

  String tracker() {
    return "127.0.0.1:" + trackerPort;
  }

  /** Base URL of the tracker's HTTP server (/metrics). */
  String trackerHttp() {
    return "http://127.0.0.1:" + trackerHttpPort;
  }

  /** A peer daemon: its ports are picked once and kept across restarts. */
  final class PeerProcess {
    final String name;
    final int port = FreePorts.next();
    final int controlPort = FreePorts.next();
    final int httpPort = FreePorts.next();
    final Path dataDir;
    /** Where its control API listens for the CLI (it has a TCP port too, for remote tests). */
    final Path controlSocket;
    private final List<String> extraArgs;
    private Process process;
    private PeerControlServiceGrpc.PeerControlServiceBlockingStub control;

    PeerProcess(String name, List<String> extraArgs) throws IOException {
      this.name = name;
      this.extraArgs = extraArgs;
      this.dataDir = Files.createDirectories(root.resolve(name));
      this.controlSocket = root.resolve(name + ".sock");
    }

    PeerProcess start() throws IOException {
      // a --tracker among the extra arguments (several trackers, say) replaces the cluster's
      List<String> command = new ArrayList<>(List.of(HOME.resolve("bin/minibit-peer").toString(),
          "--tracker", extraArgs.contains("--tracker")
              ? extraArgs.get(extraArgs.indexOf("--tracker") + 1) : tracker(),
          "--port", String.valueOf(port),
          "--control-port", String.valueOf(controlPort),
          "--control-socket", controlSocket.toString(), "--data-dir", dataDir.toString(),
          "--advertise", "127.0.0.1", "--http-port", String.valueOf(httpPort)));
      for (int i = 0; i < extraArgs.size(); i++) {
        if (extraArgs.get(i).equals("--tracker")) {
          i++; // given above
        } else {
          command.add(extraArgs.get(i));
        }
      }
      process = Cluster.this.start(name, command);
      ManagedChannel controlChannel = Channels.forTarget(controlAddress());
      channels.add(controlChannel);
      awaitServing(controlChannel, process, name);
      int token = extraArgs.indexOf("--control-token");
      int tokenFile = extraArgs.indexOf("--control-token-file");
      control = PeerControlServiceGrpc.newBlockingStub(controlChannel);
      if (token >= 0) {
        control = control.withInterceptors(TokenAuth.attach(extraArgs.get(token + 1)));
      } else if (tokenFile >= 0) {
        control = control.withInterceptors(TokenAuth.attach(
            Files.readString(Path.of(extraArgs.get(tokenFile + 1))).strip()));
      }
      return this;
    }

    /** The daemon's command line as every process on the machine sees it (/proc/PID/cmdline). */
    List<String> commandLine() throws IOException {
      String raw = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "cmdline"));
      List<String> args = List.of(raw.split("\0"));
      if (args.stream().noneMatch(arg -> arg.contains("minibit-peer"))) {
        throw new AssertionError("not the daemon's command line: " + args);
      }
      return args;
    }

    boolean isAlive() {
      return process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed by the daemon. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }

    /** The CLI's --peer for this daemon: its Unix socket. */
    String controlAddress() {
      return UnixSockets.target(controlSocket);
    }

    /** Base URL of its HTTP server: the swarm page, /api/transfers, /metrics. */
    String http() {
      return "http://127.0.0.1:" + httpPort;
    }

    Optional<Transfer> transfer(String infohash) {
      return control.withDeadlineAfter(5, TimeUnit.SECONDS)
          .listTransfers(ListTransfersRequest.getDefaultInstance())
          .getTransfersList().stream().filter(t -> t.getInfohash().equals(infohash)).findFirst();
    }
  }

  PeerProcess peer(String name, String... extraArgs) throws IOException {
    return new PeerProcess(name, List.of(extraArgs)).start();
  }

  /** What a finished command printed and returned. */
  record Result(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
  }

  /** A {@code bin/minibit} process with its output going to files. */
  record RunningCli(Process process, Path out, Path err, String commandLine) {
    /** Waits for the command to end; fails the test if it takes longer than {@code timeout}. */
    Result finish(Duration timeout) throws IOException, InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(commandLine + " did not finish within " + timeout
            + "; stderr so far:\n" + Files.readString(err));
      }
      return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    }
  }

  /** Starts {@code bin/minibit args...} in the background. */
  RunningCli startCli(String... args) throws IOException {
    // With SIGINT at its default, as in a terminal: a build started as a background job of a
    // non-interactive shell passes SIGINT on ignored, and a JVM leaves an ignored SIGINT alone,
    // so a test's Ctrl-C would not reach the command. env execs it: the pid stays the command's.
    List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT"));
    command.add(HOME.resolve("bin/minibit").toString());
    command.addAll(List.of(args));
    Path out = Files.createTempFile(root, "cli", ".out");
    Path err = Files.createTempFile(root, "cli", ".err");
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectOutput(out.toFile())
        .redirectError(err.toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    processes.add(process);
    return new RunningCli(process, out, err, "minibit " + String.join(" ", args));
  }

  /** Runs {@code bin/minibit args...} to the end. */
  Result cli(Duration timeout, String... args) throws IOException, InterruptedException {
    return startCli(args).finish(timeout);
  }

  private Process start(String name, List<String> command) throws IOException {
    Path log = root.resolve(name + ".log");
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    Process process = builder.start();
    processes.add(process);
    return process;
  }

  private ManagedChannel channel(int port, Optional<MutualTls> tls) {
    ManagedChannel channel = Channels.forTarget("127.0.0.1:" + port, tls);
    channels.add(channel);
    return channel;
  }

  /** Waits until the server behind {@code channel} is SERVING; fails at once if its process dies. */
  private void awaitServing(ManagedChannel channel, Process process, String name) {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
    try {
      Await.until(START_TIMEOUT, name + " serving", () -> {
        if (!process.isAlive()) {
          throw new AssertionError(name + " exited with status " + process.exitValue());
        }
        try {
          return health.withDeadlineAfter(1, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance()).getStatus()
              == HealthCheckResponse.ServingStatus.SERVING;
        } catch (RuntimeException notYet) {
          return false;
        }
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + logs(), e);
    }
  }

  /** The logs of every process, for a failed test's report. */
  String logs() {
    StringBuilder all = new StringBuilder();
    try (var files = Files.list(root)) {
      for (Path log : files.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
        all.append("=== ").append(log.getFileName()).append('\n').append(Files.readString(log));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return all.toString();
  }

  /**
   * Copies {@code launchers} (files of bin/) and the runnable {@code jars} (each from its
   * module's target/) into {@code dir}/bin and {@code dir}/lib, as an install lays them out.
   */
  static void install(Path dir, List<String> launchers, List<String> jars) throws IOException {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path lib = Files.createDirectories(dir.resolve("lib"));
    for (String file : launchers) {
      Files.copy(HOME.resolve("bin").resolve(file), bin.resolve(file),
          StandardCopyOption.COPY_ATTRIBUTES);
    }
    for (String jar : jars) {
      String module = switch (jar) {
        case "minibit-tracker.jar" -> "tracker-svc";
        case "minibit-peer.jar" -> "peer-svc";
        default -> "cli";
      };
      Files.copy(HOME.resolve(module).resolve("target").resolve(jar), lib.resolve(jar));
    }
  }

  @Override
  public void close() {
    channels.forEach(Channels::close);
    for (Process process : processes) {
      process.destroyForcibly();
    }
    for (Process process : processes) {
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
