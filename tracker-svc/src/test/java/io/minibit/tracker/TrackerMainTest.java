package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.minibit.core.grpc.Channels;
import io.minibit.core.testing.Http;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

class TrackerMainTest {
  private static final Pattern HTTP =
      Pattern.compile("minibit-tracker HTTP on \\S+ port (\\d+): /metrics, /healthz");
  private static final Pattern LISTENING =
      Pattern.compile("minibit-tracker listening on port (\\d+), data in (.+)");

  @TempDir
  Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine command = TrackerMain.commandLine();
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(err, true));
    return command.execute(args);
  }

  private void assertOneLineError(String expectedPart) {
    String text = err.toString();
    assertEquals(1, text.lines().count(), () -> "expected one line, got:\n" + text);
    assertTrue(text.startsWith("minibit-tracker: ") && text.contains(expectedPart),
        () -> "'" + text.strip() + "' should mention " + expectedPart);
  }

  @Test
  void helpDescribesEveryFlagAndItsEnvironmentVariable() {
    assertEquals(0, run("--help"));

    String help = out.toString();
    for (String flag : List.of("--port", "--data-dir", "--heartbeat-interval",
        "--announce-interval", "--peer-sample-size", "--trust-advertised-addresses",
        "--log-level", "--log-format", "--tls-cert", "--tls-key", "--tls-ca")) {
      assertTrue(help.contains(flag), flag + " missing from help:\n" + help);
      String env = "MINIBIT_" + flag.substring(2).replace('-', '_').toUpperCase();
      assertTrue(help.contains(env), env + " missing from help:\n" + help);
    }
  }

  @Test
  void versionIsTheBuildsAsEveryProgramReportsIt() {
    assertEquals(0, run("--version"));

    String version = io.minibit.core.cli.Version.current();
    assertTrue(!version.equals("unknown") && !version.contains("${"), version);
    assertEquals("minibit-tracker " + version, out.toString().lines().findFirst().orElseThrow());
  }

  @Test
  void unknownFlagIsOneLineAndExitCodeTwo() {
    assertEquals(TrackerMain.EXIT_USAGE, run("--bogus"));

    assertOneLineError("--bogus");
  }

  @ParameterizedTest
  @CsvSource({
      "--port, abc, abc",
      "--port, 70000, '--port 70000 is not a port: give 1..65535 or 0 for a free one'",
      "--heartbeat-interval, 0, heartbeat interval",
      "--heartbeat-interval, soon, is not a duration (30, 30s, 500ms, 5m, 1h or 7d)",
      "--announce-interval, 999999999, announce interval",
      "--peer-sample-size, 500, peer sample size",
      "--log-level, LOUD, LOUD",
      "--trust-advertised-addresses, maybe, maybe",
      "--http-port, -2, '--http-port -2 is not a port: give 1..65535, 0 for a free one, or -1 to "
          + "turn HTTP off'",
      "--tls-ca, /etc/hostname, --tls-cert, --tls-key and --tls-ca go together"})
  void badValueIsOneLineAndExitCodeTwo(String flag, String value, String mentioned) {
    assertEquals(TrackerMain.EXIT_USAGE, run(flag, value, "--data-dir", dir.toString()));

    assertOneLineError(mentioned);
  }

  @Test
  void aConfigFileIsReadAndItsMistakesAreUsageErrors() throws IOException {
    Path config = Files.writeString(dir.resolve("tracker.yaml"),
        "port: 70000\nheartbeat-interval: 5m\n");
    assertEquals(TrackerMain.EXIT_USAGE, runWithConfig(config));
    assertOneLineError("port 70000"); // the file's port reached the checks

    err.getBuffer().setLength(0);
    Files.writeString(config, "prot: 6969\n");
    assertEquals(TrackerMain.EXIT_USAGE, runWithConfig(config));
    assertOneLineError("no setting named prot");
  }

  private int runWithConfig(Path config) {
    CommandLine command = TrackerMain.commandLine();
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(err, true));
    return TrackerMain.run(command,
        new String[] {"--config", config.toString(), "--data-dir", dir.toString()}, Map.of());
  }

  @Test
  void portInUseIsOneLineAndExitCodeOne() throws IOException {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(0));

      int exit = run("--port", Integer.toString(taken.getLocalPort()),
          "--data-dir", dir.toString(), "--log-level", "WARNING");

      assertEquals(TrackerMain.EXIT_FAILURE, exit);
      assertOneLineError("cannot start: the tracker service (port " + taken.getLocalPort()
          + ", --port) cannot listen: the address is already in use");
    }
    Path fresh = dir.resolve("fresh");
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(0));
      run("--port", Integer.toString(taken.getLocalPort()), "--data-dir", fresh.toString());
      assertFalse(Files.exists(fresh), "a failed start leaves no data directory behind");
    }
  }

  @Test
  void uncreatableDataDirIsOneLineAndExitCodeOne() throws IOException {
    Path file = Files.writeString(dir.resolve("a-file"), "not a directory");

    int exit = run("--port", "0", "--data-dir", file.resolve("data").toString());

    assertEquals(TrackerMain.EXIT_FAILURE, exit);
    assertOneLineError("cannot create data directory");
  }

  /** The real command in its own JVM, configured only through the environment. */
  @Test
  void startsFromEnvironmentServesHealthAndStopsOnSigterm() throws Exception {
    Path dataDir = dir.resolve("tracker-data");
    String classpath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    ProcessBuilder builder = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classpath, TrackerMain.class.getName());
    builder.environment().put("MINIBIT_PORT", "0");
    builder.environment().put("MINIBIT_HTTP_PORT", "0");
    builder.environment().put("MINIBIT_DATA_DIR", dataDir.toString());
    builder.environment().put("MINIBIT_HEARTBEAT_INTERVAL", "5");
    builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process process = builder.start();
    try {
      List<String> lines = new CopyOnWriteArrayList<>();
      CompletableFuture<Matcher> listening = new CompletableFuture<>();
      Thread reader = new Thread(() -> drain(process, lines, listening), "tracker-stderr");
      reader.setDaemon(true);
      reader.start();

      Matcher line = listening.get(60, TimeUnit.SECONDS);
      assertEquals(dataDir.toAbsolutePath().normalize().toString(), line.group(2));
      Matcher http = lines.stream().map(HTTP::matcher).filter(Matcher::matches).findFirst()
          .orElseThrow(() -> new AssertionError("no HTTP port in " + lines));
      String metrics = Http.body("http://127.0.0.1:" + http.group(1) + "/metrics");
      assertEquals(0.0, Http.value(metrics, "minibit_tracker_torrents"));
      assertTrue(metrics.contains("service_name=\"minibit-tracker\""), metrics);
      assertTrue(Files.isDirectory(dataDir.resolve("catalog")));
      ManagedChannel channel = Channels.forTarget("127.0.0.1:" + line.group(1));
      try {
        assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
            .withDeadlineAfter(TrackerHarness.DEADLINE_SECONDS, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus());
      } finally {
        Channels.close(channel);
      }

      // SIGTERM through the handle: Process.destroy() would also close our end of its stderr.
      process.toHandle().destroy();
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the tracker did not stop on SIGTERM");
      reader.join(TimeUnit.SECONDS.toMillis(10));
      assertTrue(lines.stream().anyMatch(l -> l.endsWith("minibit-tracker stopped")),
          () -> "no clean shutdown (exit " + process.exitValue() + ") in:\n"
              + String.join("\n", lines));
      assertFalse(lines.stream().anyMatch(l -> l.contains("Exception")),
          () -> String.join("\n", lines));
    } finally {
      process.destroyForcibly();
    }
  }

  /** With MINIBIT_LOG_FORMAT=json, every line on stderr is one JSON object, the daemon's own too. */
  @Test
  void jsonLogsAreOneObjectPerLineFromStartToStop() throws Exception {
    String classpath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    ProcessBuilder builder = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classpath, TrackerMain.class.getName());
    builder.environment().put("MINIBIT_PORT", "0");
    builder.environment().put("MINIBIT_HTTP_PORT", "-1");
    builder.environment().put("MINIBIT_DATA_DIR", dir.resolve("json-data").toString());
    builder.environment().put("MINIBIT_LOG_FORMAT", "json");
    builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process process = builder.start();
    try {
      List<String> lines = new CopyOnWriteArrayList<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader stderr = new BufferedReader(
            new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = stderr.readLine()) != null; ) {
            lines.add(line);
          }
        } catch (IOException e) {
          lines.add("reading stderr failed: " + e);
        }
      }, "tracker-stderr");
      reader.setDaemon(true);
      reader.start();
      io.minibit.core.testing.Await.until(java.time.Duration.ofSeconds(60), "the tracker listens",
          () -> lines.stream().anyMatch(l -> l.contains("minibit-tracker listening on port")));

      process.toHandle().destroy();
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the tracker did not stop on SIGTERM");
      reader.join(TimeUnit.SECONDS.toMillis(10));
      List<String> messages = new ArrayList<>();
      for (String line : lines) {
        com.google.gson.JsonObject json;
        try {
          json = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
        } catch (RuntimeException e) {
          throw new AssertionError("not a JSON object: " + line, e);
        }
        assertTrue(json.has("time") && json.has("level") && json.has("logger"), line);
        messages.add(json.get("message").getAsString());
      }
      assertTrue(messages.stream().anyMatch(m -> m.startsWith("minibit-tracker listening on port")),
          messages.toString());
      assertTrue(messages.contains("minibit-tracker stopped"), messages.toString());
    } finally {
      process.destroyForcibly();
    }
  }

  private static void drain(Process process, List<String> lines,
      CompletableFuture<Matcher> listening) {
    try (BufferedReader stderr = new BufferedReader(
        new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = stderr.readLine()) != null; ) {
        lines.add(line);
        Matcher matcher = LISTENING.matcher(line);
        if (matcher.matches()) {
          listening.complete(matcher);
        }
      }
      listening.completeExceptionally(
          new AssertionError("the tracker exited without listening:\n" + String.join("\n", lines)));
    } catch (IOException e) {
      listening.completeExceptionally(e);
    }
  }
}
