package io.minibit.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.minibit.core.grpc.Channels;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.FreePorts;
import io.minibit.core.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data archives that scripts/daemon-cds.sh makes beside the daemons' jars (the
 * Makefile and the images make them) serve the daemons wherever they are started from, through
 * the bin/ launchers. A JVM started with {@code -Xshare:on} refuses to start when it cannot use
 * the archive it is given, which makes an archive that is silently ignored visible.
 */
class DaemonArchiveIT {
  private static final List<String> JARS =
      List.of("minibit-tracker.jar", "minibit-peer.jar", "minibit.jar");

  /** A copy of the installed layout (bin/, lib/), with archives trained once for all tests. */
  @TempDir static Path trained;

  @TempDir Path root;
  private final List<Process> processes = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void trainTheDaemonsArchives() throws Exception {
    install(trained);
    // Relative paths, from the layout's directory: the script records absolute ones. A small
    // file for the class-data archives: these tests are about where they serve, not about how
    // much they hold. The AOT cache's training keeps its own size: a test checks what it
    // compiled.
    Cluster.Result made = run(trained, "MINIBIT_CDS_TRAIN_MIB", "4",
        Cluster.HOME.resolve("scripts/daemon-cds.sh").toString(), "lib/minibit-tracker.jar",
        "lib/minibit-peer.jar", "lib/minibit.jar");
    assertEquals(0, made.exitCode(), made.toString());
    assertEquals("", made.stdout() + made.stderr(), made.toString());
  }

  @Test
  void theArchivesServeTheDaemonsStartedFromAnotherDirectory() throws Exception {
    Path elsewhere = Files.createDirectories(root.resolve("elsewhere"));
    int trackerPort = FreePorts.next();
    Process tracker = start(trained, elsewhere, archiveOnly("tracker"), "minibit-tracker",
        "--port", String.valueOf(trackerPort), "--http-port", "0",
        "--data-dir", root.resolve("tracker").toString());
    awaitServing(trackerPort, tracker, elsewhere.resolve("minibit-tracker.log"));

    startPeer(elsewhere, archiveOnly("peer") + " -XX:+PrintCommandLineFlags",
        "127.0.0.1:" + trackerPort, elsewhere.resolve("control.sock"), root.resolve("peer"));

    // Its own classes came from the archive made for its jar, the top layer over the JDK's.
    assertTrue(Files.readString(root.resolve("tracker.classes")).contains(
        "io.minibit.tracker.TrackerMain source: shared objects file (top)"));
    assertTrue(Files.readString(root.resolve("peer.classes")).contains(
        "io.minibit.peer.PeerMain source: shared objects file (top)"));
    // The launcher gave the peer's JVM the compiler directives beside it, and the JVM took them,
    // with the flags that go with them.
    String peerLog = Files.readString(elsewhere.resolve("minibit-peer.log"));
    assertTrue(peerLog.contains("3 compiler directives added"), peerLog);
    assertTrue(peerLog.contains("-XX:-C1UpdateMethodData"), peerLog);
    assertTrue(peerLog.contains("-XX:Tier3InvocationThreshold=100"), peerLog);
    assertTrue(peerLog.contains("-XX:Tier3MinInvocationThreshold=50"), peerLog);
    assertTrue(peerLog.contains("-XX:Tier3CompileThreshold=1000"), peerLog);
    assertTrue(peerLog.contains("-XX:Tier4InvocationThreshold=5000000"), peerLog);
    assertTrue(peerLog.contains("-XX:Tier4CompileThreshold=15000000"), peerLog);
    assertTrue(peerLog.contains("-XX:Tier2InvokeNotifyFreqLog=16"), peerLog);
    assertTrue(peerLog.contains("-XX:Tier2BackedgeNotifyFreqLog=20"), peerLog);
    // And the flags that spare an idle daemon the JVM's frequent wake-ups.
    assertTrue(peerLog.contains("-XX:-UsePerfData"), peerLog);
    assertTrue(peerLog.contains("-XX:GuaranteedSafepointInterval=10000"), peerLog);
    assertTrue(peerLog.contains("-XX:AsyncDeflationInterval=10000"), peerLog);
  }

  @Test
  void thePeersJitCompilesTheDigestsAndGrpcsCounterWithC2AndNothingElse() throws Exception {
    int trackerPort = FreePorts.next();
    Process tracker = start(trained, root, "", "minibit-tracker", "--port",
        String.valueOf(trackerPort), "--http-port", "0", "--data-dir",
        root.resolve("tracker").toString());
    awaitServing(trackerPort, tracker, root.resolve("minibit-tracker.log"));
    Path socket = root.resolve("control.sock");
    Path data = Files.createDirectories(root.resolve("peer"));
    Process peer = startPeer(root, "", "127.0.0.1:" + trackerPort, socket, data);

    // Sharing hashes the file: SHA-256 and MD5 over 16 MiB, enough for C2's usual thresholds.
    // In 16 KiB blocks, so that a download of it below is a thousand messages.
    Path file = TestFiles.createFile(data, "payload.bin", 16 << 20, 7);
    Cluster.Result shared = run(root, "MINIBIT_PEER", "unix:" + socket,
        trained.resolve("bin/minibit").toString(), "share", "--block-size", "16384",
        file.toString());
    assertEquals(0, shared.exitCode(), shared.toString());

    // Each compiled method as "id level state name [addresses]": the digests' block loop at
    // C2's level (4), although the launcher puts C2's thresholds a thousand times higher for
    // all other code, and no method of gRPC, Netty or MiniBit there. Compilation runs beside
    // the daemon: on the AOT cache's JVM the loop starts at C1 (compiled early from the
    // training) and reaches C2 when the queue gets to it, so the list is read until it does.
    Cluster.Result listed = Await.until(Duration.ofSeconds(30), "the digests' loop at C2",
        () -> codelist(peer), result -> atLevel4(methods(result), "sun.security.provider"
            + ".DigestBase.implCompressMultiBlock0"));
    assertEquals(0, listed.exitCode(), listed.toString());
    assertOnlyDigestsAndCounterAtC2(listed);

    // A second peer downloads the file: gRPC's counter of the messages it receives, which
    // reaches LongAdder by reflection, goes to C2 after a few hundred counts (C1's code for it
    // walked the stack for Method.invoke's caller on every count).
    Path second = Files.createDirectories(root.resolve("second"));
    Path secondSocket = second.resolve("control.sock");
    Process downloader = startPeer(second, "", "127.0.0.1:" + trackerPort, secondSocket,
        Files.createDirectories(second.resolve("data")));
    Cluster.Result got = run(second, "MINIBIT_PEER", "unix:" + secondSocket,
        trained.resolve("bin/minibit").toString(), "get", shared.stdout().strip());
    assertEquals(0, got.exitCode(), got.toString());
    Cluster.Result counted = Await.until(Duration.ofSeconds(30), "gRPC's counter at C2",
        () -> codelist(downloader), result -> atLevel4(methods(result),
            "io.grpc.internal.ReflectionLongAdderCounter.add"));
    assertEquals(0, counted.exitCode(), counted.toString());
    assertOnlyDigestsAndCounterAtC2(counted);
  }

  /**
   * Starts the trained layout's peer in {@code dir} with {@code javaOpts}, announcing to
   * {@code tracker}, and waits until it serves.
   */
  private Process startPeer(Path dir, String javaOpts, String tracker, Path socket, Path data)
      throws IOException {
    int port = FreePorts.next();
    Process peer = start(trained, dir, javaOpts, "minibit-peer", "--tracker", tracker,
        "--advertise", "127.0.0.1", "--port", String.valueOf(port), "--control-socket",
        socket.toString(), "--http-port", "0", "--data-dir", data.toString());
    awaitServing(port, peer, dir.resolve("minibit-peer.log"));
    return peer;
  }

  /** Nothing at C2 in {@code codelist} but the JDK's cryptography and gRPC's counter. */
  private static void assertOnlyDigestsAndCounterAtC2(Cluster.Result codelist) {
    List<String> ownAtC2 = methods(codelist).stream()
        .filter(fields -> fields[1].equals("4") && !fields[3].startsWith("sun.security.")
            && !fields[3].startsWith("io.grpc.internal.ReflectionLongAdderCounter.add"))
        .map(fields -> fields[3]).toList();
    assertEquals(List.of(), ownAtC2);
  }

  /** {@code jcmd Compiler.codelist} of {@code process}. */
  private Cluster.Result codelist(Process process) {
    try {
      return run(root, "JAVA_TOOL_OPTIONS", "",
          Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
          String.valueOf(process.pid()), "Compiler.codelist");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Each compiled method of a codelist as "id level state name [addresses]". */
  private static List<String[]> methods(Cluster.Result codelist) {
    return codelist.stdout().lines().map(line -> line.split(" "))
        .filter(fields -> fields.length > 3 && fields[1].matches("[0-4]")).toList();
  }

  private static boolean atLevel4(List<String[]> methods, String prefix) {
    return methods.stream().anyMatch(fields -> fields[1].equals("4")
        && fields[3].startsWith(prefix));
  }

  /**
   * JVM options that make a start fail unless the JVM maps the archive the launcher gives it,
   * and write where each class came from to {@code name}.classes.
   */
  private String archiveOnly(String name) {
    return "-Xshare:on -Xlog:class+load=info:file=" + root.resolve(name + ".classes");
  }

  @Test
  void thePeerRunsOnTheJvmOfTheAotCacheBesideItsJar() throws Exception {
    // scripts/daemon-cds.sh makes the cache where it finds a Java 25 or later; the machines that
    // run these tests have one.
    Path javaFile = trained.resolve("lib/minibit-peer.aot.java");
    assertTrue(Files.exists(trained.resolve("lib/minibit-peer.aot")), "no AOT cache was made");
    String aotJava = Files.readString(javaFile).strip();
    Path jit = root.resolve("jit.log");
    Process peer = startPeer(root, "-Xlog:aot=info:file=" + root.resolve("aot.log")
        + " -Xlog:jit+compilation=debug:file=" + jit, "127.0.0.1:9",
        root.resolve("control.sock"), root.resolve("peer"));

    assertEquals(Path.of(aotJava).toRealPath(),
        Path.of("/proc", String.valueOf(peer.pid()), "exe").toRealPath());
    String aotLog = Files.readString(root.resolve("aot.log"));
    assertTrue(aotLog.contains("Opened AOT cache"), aotLog);
    // The training served blocks, enough for the code of a served block to be compiled there:
    // the daemon compiles it as it starts, before anyone has asked it for a block.
    Await.until(Duration.ofSeconds(30), "the served blocks' code compiled from the training",
        () -> readQuietly(jit).contains("io.minibit.peer.server.UploadLimiter::acquire "));
    // Nothing on the daemon's output about the cache or native access.
    String log = Files.readString(root.resolve("minibit-peer.log"));
    assertFalse(log.contains("WARNING") || log.contains("[warning]"), log);
  }

  @Test
  void anArchiveThatDoesNotFitItsJarIsIgnoredSilently() throws Exception {
    // The layout copied elsewhere, archives and all: a copied jar is not the one an archive
    // was made from (another path), as a rebuilt one is not (another size and time).
    install(root);
    Files.copy(trained.resolve("lib/minibit-tracker.jsa"), root.resolve("lib/minibit-tracker.jsa"));

    Process refused = start(root, root, "-Xshare:on", "minibit-tracker", "--port", "0",
        "--http-port", "0", "--data-dir", root.resolve("refused").toString());
    assertTrue(refused.waitFor(60, TimeUnit.SECONDS), "-Xshare:on started without the archive");
    assertNotEquals(0, refused.exitValue());
    assertTrue(Files.readString(root.resolve("minibit-tracker.log")).contains("shared archive"),
        Files.readString(root.resolve("minibit-tracker.log")));

    Files.delete(root.resolve("minibit-tracker.log"));
    int port = FreePorts.next();
    Process tracker = start(root, root, "", "minibit-tracker", "--port", String.valueOf(port),
        "--http-port", "0", "--data-dir", root.resolve("tracker").toString());
    awaitServing(port, tracker, root.resolve("minibit-tracker.log"));
    String log = Files.readString(root.resolve("minibit-tracker.log"));
    assertFalse(log.contains("archive") || log.contains("CDS") || log.contains("[warning]"), log);
  }

  @AfterEach
  void stop() throws InterruptedException {
    channels.forEach(Channels::close);
    for (Process process : processes) {
      process.destroyForcibly();
    }
    for (Process process : processes) {
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Copies the launchers and the three runnable jars into {@code dir}/bin and {@code dir}/lib. */
  private static void install(Path dir) throws IOException {
    Cluster.install(dir, List.of("launch.sh", "minibit", "minibit-tracker", "minibit-peer",
        "compiler-directives.json"), JARS);
  }

  /**
   * Starts {@code layout}/bin/{@code launcher} in {@code dir} with {@code javaOpts}, its output in
   * {@code dir}/{@code launcher}.log.
   */
  private Process start(Path layout, Path dir, String javaOpts, String launcher, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(layout.resolve("bin").resolve(launcher).toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve(launcher + ".log").toFile());
    builder.environment().put("JAVA_OPTS", javaOpts);
    Process process = builder.start();
    processes.add(process);
    return process;
  }

  /**
   * Waits until the health service on {@code port} says SERVING; fails, with the process's
   * {@code log}, if it exits first.
   */
  private void awaitServing(int port, Process process, Path log) {
    ManagedChannel channel = Channels.forTarget("127.0.0.1:" + port);
    channels.add(channel);
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
    Await.until(Cluster.START_TIMEOUT, log.getFileName() + "'s daemon serving", () -> {
      if (!process.isAlive()) {
        throw new AssertionError("exited with status " + process.exitValue() + ":\n"
            + readQuietly(log));
      }
      try {
        return health.withDeadlineAfter(1, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING;
      } catch (RuntimeException notYet) {
        return false;
      }
    });
  }

  private static String readQuietly(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Runs {@code command} in {@code dir} to its end, with {@code name}={@code value} set. */
  private static Cluster.Result run(Path dir, String name, String value, String... command)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, "command", ".out");
    Path err = Files.createTempFile(dir, "command", ".err");
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().put(name, value);
    return new Cluster.RunningCli(builder.start(), out, err, String.join(" ", command))
        .finish(Duration.ofSeconds(120));
  }
}
