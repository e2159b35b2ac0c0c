package io.minibit.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class ConfigFileTest {
  @TempDir Path dir;

  /** A daemon's options in small: defaults that read their variable first, as the daemons'. */
  @Command(name = "daemon")
  static final class Daemon implements Runnable {
    @Option(names = "--port", defaultValue = "${env:MINIBIT_PORT:-6881}")
    int port;

    @Option(names = "--data-dir", defaultValue = "${env:MINIBIT_DATA_DIR:-./data}")
    String dataDir;

    @Option(names = "--heartbeat-interval", paramLabel = "SECONDS",
        defaultValue = "${env:MINIBIT_HEARTBEAT_INTERVAL:-30}")
    long heartbeatSeconds;

    @Option(names = "--super-seeding", defaultValue = "${env:MINIBIT_SUPER_SEEDING:-false}")
    boolean superSeeding;

    @Option(names = "--config")
    Path config;

    @Override
    public void run() {}
  }

  private Path file(String yaml) throws Exception {
    return Files.writeString(dir.resolve("minibit.yaml"), yaml);
  }

  /** Parses {@code args} as a daemon would, with {@code env} as the environment. */
  private static Daemon parse(Map<String, String> env, String... args) {
    Daemon daemon = new Daemon();
    CommandLine command = new CommandLine(daemon);
    ConfigFile.install(command, args, env);
    command.parseArgs(args);
    return daemon;
  }

  @Test
  void aFlagWinsOverItsVariableWhichWinsOverTheFileWhichWinsOverTheDefault() throws Exception {
    Path config = file("port: 7000\ndata-dir: /srv/minibit\nheartbeat-interval: 5m\n");

    Daemon fromFile = parse(Map.of(), "--config", config.toString());
    assertEquals(7000, fromFile.port);
    assertEquals("/srv/minibit", fromFile.dataDir);
    assertEquals(300, fromFile.heartbeatSeconds, "5m is 300 seconds");
    assertEquals(false, fromFile.superSeeding, "not in the file: the default");

    Daemon fromEnv = parse(Map.of("MINIBIT_PORT", "7100"), "--config", config.toString());
    assertEquals(7100, fromEnv.port, "the variable wins over the file");
    assertEquals("/srv/minibit", fromEnv.dataDir);

    Daemon fromFlag = parse(Map.of("MINIBIT_PORT", "7100"), "--config", config.toString(),
        "--port", "7200");
    assertEquals(7200, fromFlag.port, "the flag wins over both");
  }

  @Test
  void theFileIsNamedByTheFlagOrItsVariable() {
    assertEquals(Optional.of(Path.of("/etc/a.yaml")),
        ConfigFile.named(new String[] {"--port", "1", "--config", "/etc/a.yaml"}, Map.of()));
    assertEquals(Optional.of(Path.of("/etc/b.yaml")),
        ConfigFile.named(new String[] {"--config=/etc/b.yaml"}, Map.of()));
    assertEquals(Optional.of(Path.of("/etc/c.yaml")),
        ConfigFile.named(new String[] {}, Map.of("MINIBIT_CONFIG", "/etc/c.yaml")));
    assertEquals(Optional.of(Path.of("/etc/a.yaml")), ConfigFile.named(
        new String[] {"--config", "/etc/a.yaml"}, Map.of("MINIBIT_CONFIG", "/etc/c.yaml")),
        "the flag wins");
    assertEquals(Optional.empty(), ConfigFile.named(new String[] {"--", "--config", "x"},
        Map.of()));
  }

  @Test
  void durationsTakeTheirUsualUnits() throws Exception {
    for (var entry : Map.of("30", 30L, "30s", 30L, "2m", 120L, "1h", 3600L, "5000ms", 5L)
        .entrySet()) {
      Path config = file("heartbeat-interval: " + entry.getKey() + "\n");
      assertEquals(entry.getValue(),
          parse(Map.of(), "--config", config.toString()).heartbeatSeconds, entry.getKey());
    }
  }

  @Test
  void whatIsNoSettingIsRefusedByName() throws Exception {
    Path typo = file("port: 7000\ndata_dir: /srv\n");
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> parse(Map.of(), "--config", typo.toString()));
    assertTrue(refused.getMessage().contains("no setting named data_dir"), refused.getMessage());
    assertTrue(refused.getMessage().contains("data-dir, heartbeat-interval, port, super-seeding"),
        refused.getMessage());
  }

  @Test
  void badFilesAreRefusedSayingWhy() throws Exception {
    Map<String, String> cases = Map.of(
        "heartbeat-interval: soon\n", "heartbeat-interval 'soon' is not a duration",
        "heartbeat-interval: 1500ms\n", "is not a whole number of seconds",
        "- port\n- 7000\n", "must be a mapping of settings",
        "port: [1, 2]\n", "port must be a single value",
        "port: 7000\n  data-dir: x\n", "is not valid YAML");
    for (var entry : cases.entrySet()) {
      Path config = file(entry.getKey());
      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
          () -> parse(Map.of(), "--config", config.toString()), entry.getKey());
      assertTrue(refused.getMessage().contains(entry.getValue()), refused.getMessage());
      assertTrue(refused.getMessage().contains(config.toString()), "names the file");
    }
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> parse(Map.of(), "--config", dir.resolve("none.yaml").toString()));
    assertTrue(missing.getMessage().endsWith("does not exist"), missing.getMessage());
  }

  @Test
  void anEmptyFileChangesNothing() throws Exception {
    Daemon daemon = parse(Map.of(), "--config", file("# nothing yet\n").toString());
    assertEquals(6881, daemon.port);
  }

  @Test
  void theReferenceListsEverySettingWithItsFlagVariableAndDefault() {
    String reference = ConfigFile.reference(new CommandLine(new Daemon()).getCommandSpec());
    assertTrue(reference.contains("| `heartbeat-interval` | `--heartbeat-interval SECONDS` | "
        + "`MINIBIT_HEARTBEAT_INTERVAL` | `30` |"), reference);
    assertTrue(reference.contains("| `port` | `--port PARAM` | `MINIBIT_PORT` | `6881` |")
        || reference.contains("| `port` | `--port <port>` | `MINIBIT_PORT` | `6881` |"),
        reference);
    assertTrue(!reference.contains("`config`"), "the file names no file");
  }
}
