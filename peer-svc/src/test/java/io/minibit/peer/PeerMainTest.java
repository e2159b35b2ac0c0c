package io.minibit.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

class PeerMainTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine command = PeerMain.commandLine();
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(err, true));
    return command.execute(args);
  }

  private void assertOneLineError(String expectedPart) {
    String text = err.toString();
    assertEquals(1, text.lines().count(), () -> "expected one line, got:\n" + text);
    assertTrue(text.startsWith("minibit-peer: ") && text.contains(expectedPart),
        () -> "'" + text.strip() + "' should mention " + expectedPart);
  }

  @Test
  void helpDescribesEveryFlagAndItsEnvironmentVariable() {
    assertEquals(0, run("--help"));
    String help = out.toString();
    for (String flag : List.of("--tracker", "--port", "--control-socket", "--control-port",
        "--control-host", "--control-token-file", "--http-host",
        "--data-dir", "--advertise", "--upload-limit", "--download-limit", "--cache-max-bytes",
        "--seed-ttl", "--no-peers-timeout", "--log-level",
        "--log-format",
        "--control-token", "--tls-cert", "--tls-key", "--tls-ca")) {
      assertTrue(help.contains(flag), flag + " missing from help:\n" + help);
      String env = "MINIBIT_" + flag.substring(2).replace('-', '_').toUpperCase();
      assertTrue(help.contains(env), env + " missing from help:\n" + help);
    }
  }

  @Test
  void theSwarmFlagsDefaultToTheSwarmDefaults() {
    CommandLine command = PeerMain.commandLine();
    command.parseArgs();
    PeerConfig.Swarm swarm = ((PeerMain) command.getCommand()).swarmOptions.swarm();
    assertEquals(PeerConfig.Swarm.defaults(), swarm);
    assertEquals(java.time.Duration.ofSeconds(2), swarm.chokeInterval());
    assertEquals(java.time.Duration.ofSeconds(2), swarm.optimisticInterval());
  }

  @Test
  void versionIsTheBuildsAsEveryProgramReportsIt() {
    assertEquals(0, run("--version"));

    String version = io.minibit.core.cli.Version.current();
    assertTrue(!version.equals("unknown") && !version.contains("${"), version);
    assertEquals("minibit-peer " + version, out.toString().lines().findFirst().orElseThrow());
  }

  @ParameterizedTest
  @CsvSource({
      "--bogus, --bogus",
      "--port=70000, '--port 70000 is not a port: give 1..65535 or 0 for a free one'",
      "--control-port=-2, '--control-port -2 is not a port: give 1..65535, 0 for a free one, or "
          + "-1 to serve the control API on its Unix socket only'",
      "--advertise=peer7:70000, the port of --advertise",
      "--control-socket=none, '--control-socket none and no --control-port'",
      "--control-token-file=/no/such/file, '--control-token-file /no/such/file cannot be read: "
          + "no such file'",
      "--log-level=loud, 'loud' is not a log level",
      "--congestion-control=cu/bic, '--congestion-control: ''cu/bic'' is not a TCP congestion "
          + "control name'",
      "'--congestion-control=cubic,', '--congestion-control has an empty entry'",
      "--advertise=a/b, --advertise",
      "--upload-limit=-5, --upload-limit -5 is negative",
      "--download-limit=-1, --download-limit -1 is negative",
      "--download-limit=99999999999999999, --download-limit 99999999999999999 KiB/s is beyond",
      "--cache-max-bytes=lots, 'lots' is not a size",
      "--seed-ttl=forever, 'forever' is not a duration",
      "--no-peers-timeout=0, timeout",
      "--http-port=-2, '--http-port -2 is not a port: give 1..65535, 0 for a free one, or -1 to "
          + "turn HTTP off'",
      "--http-port=65536, --http-port 65536 is not a port",
      "--tracker=, --tracker",
      "--tracker=nonsense, has no port (the tracker",
      "--tracker=tracker:http, tracker:http",
      "'--tracker=t1:6969,,t2:6969', has an empty entry (number 2)",
      "'--tracker=t1:6969,t1:6969', --tracker names t1:6969 twice",
      "'--tracker=t1:6969,t2:0', port 0 is not a port: give 1..65535",
      "--tracker=dns:///trackers.lan, dns:///trackers.lan",
      "--control-host=0.0.0.0, '--control-host 0.0.0.0 lets other machines control this peer: "
          + "set --control-token (or MINIBIT_CONTROL_TOKEN) too'",
      "--control-token=short, control token must be 16..256 characters",
      "--tls-cert=/etc/hostname, '--tls-cert, --tls-key and --tls-ca go together'"})
  void badFlagsAreOneLineAndExitCodeTwo(String flag, String mentioned) {
    assertEquals(2, run(flag, "--data-dir", dir.toString()));
    assertOneLineError(mentioned);
  }

  @Test
  void aTakenPortIsNamedInOneLineExitCodeOneAndTheDataDirectoryIsNotLeftBehind()
      throws Exception {
    Path fresh = dir.resolve("fresh-data");
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress(0));
      int exit = run("--port", String.valueOf(taken.getLocalPort()), "--control-port", "0",
          "--control-socket", "none", "--data-dir", fresh.toString());
      assertEquals(1, exit);
      assertOneLineError("the peer service (port " + taken.getLocalPort()
          + ", --port) cannot listen: the address is already in use");
    }
    assertFalse(java.nio.file.Files.exists(fresh), "a failed start creates no data directory");
  }

  @Test
  void aDataDirectoryThatCannotBeMadeIsSaidInWordsNotClassNames() throws Exception {
    Path file = java.nio.file.Files.writeString(dir.resolve("a-file"), "x");
    int exit = run("--port", "0", "--control-socket", "none", "--control-port", "0",
        "--data-dir", file.resolve("data").toString());
    assertEquals(1, exit);
    assertOneLineError(file.resolve("data") + ": not a directory");
    assertFalse(err.toString().contains("Exception"), err.toString());
  }

  @Test
  void aDamagedKeyStopsTheStartInOneLineAndIsNotReplaced() throws Exception {
    Path data = dir.resolve("data");
    Path key = PeerConfig.keyFile(data);
    java.nio.file.Files.createDirectories(key.getParent());
    java.nio.file.Files.writeString(key, "not a key\n");

    int exit = run("--port", "0", "--control-socket", "none", "--control-port", "0",
        "--data-dir", data.toString());

    assertEquals(1, exit);
    assertOneLineError("the peer key " + key + " is damaged");
    assertEquals("not a key\n", java.nio.file.Files.readString(key));
  }
}
