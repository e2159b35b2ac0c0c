package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** --peer and --tracker may come before the command too; the one after it wins. */
class GlobalOptionTest {
  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @Test
  void peerBeforeTheCommandIsUsed() {
    CliHarness.Result result = cli.run("--peer", "10.1.1.1:7000", "status");
    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(List.of("10.1.1.1:7000"), cli.targets);
  }

  @Test
  void trackerBeforeTheCommandIsUsed() {
    CliHarness.Result result = cli.run("--tracker", "10.1.1.2:7001", "torrents");
    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(List.of("10.1.1.2:7001"), cli.targets);
  }

  @Test
  void theOptionAfterTheCommandWins() {
    cli.run("--peer", "10.1.1.1:7000", "status", "--peer", "10.1.1.3:7002");
    assertEquals(List.of("10.1.1.3:7002"), cli.targets);
  }

  @Test
  void theOptionBeforeTheCommandBeatsTheEnvironment() {
    cli.env.put("MINIBIT_PEER", "10.9.9.9:9999");
    cli.run("--peer", "10.1.1.1:7000", "status");
    assertEquals(List.of("10.1.1.1:7000"), cli.targets);
  }

  @Test
  void theEnvironmentIsUsedWhenNoOptionIsGiven() {
    cli.env.put("MINIBIT_PEER", "10.9.9.9:9999");
    cli.run("status");
    assertEquals(List.of("10.9.9.9:9999"), cli.targets);
  }

  @Test
  void optionsBeforeTheCommandAndTheCommandsOwnMeanTheSame() {
    CliHarness.Result before = cli.run("--peer", "10.1.1.1:7000", "--tracker", "10.1.1.2:7001",
        "status");
    CliHarness.Result after = cli.run("status", "--peer", "10.1.1.1:7000");
    assertEquals(ExitCodes.OK, before.exitCode(), before.toString());
    assertEquals(after.out(), before.out());
    assertEquals(List.of("10.1.1.1:7000", "10.1.1.1:7000"), cli.targets);
  }

  @Test
  void aBadTrackerBeforeACommandThatDoesNotUseItIsStillAnError() {
    CliHarness.Result result = cli.run("--tracker", "a,,b", "get", "a.iso");
    assertEquals(ExitCodes.USAGE, result.exitCode(), result.toString());
    assertTrue(result.err().contains("--tracker"), result.err());
    assertEquals(List.of(), cli.targets);
  }

  @Test
  void theGlobalOptionsGoAfterTheCommandThatRunsAlone() {
    CommandSpec get = spec("get");
    assertArrayEquals(new String[] {"--peer=unix:/x", "a.iso"}, MinibitMain.ownArguments(
        new String[] {"--peer", "unix:/x", "--tracker", "h:1", "get", "a.iso"}, "get", get)
        .orElseThrow());
    assertArrayEquals(new String[] {"--peer=-odd", "a.iso", "-q"}, MinibitMain.ownArguments(
        new String[] {"--peer=-odd", "get", "a.iso", "-q"}, "get", get).orElseThrow());
    assertArrayEquals(new String[] {"--tracker=h:1", "--json"}, MinibitMain.ownArguments(
        new String[] {"--tracker", "h:1", "torrents", "--json"}, "torrents", spec("torrents"))
        .orElseThrow());
  }

  @Test
  void theFullCommandLineRunsWhenTheCommandAloneWouldReadOtherwise() {
    CommandSpec get = spec("get");
    for (String[] args : List.of(
        new String[] {"--peer", "unix:/x", "get", "--peer", "unix:/y", "a.iso"},
        new String[] {"--peer", "unix:/x", "get", "--peer=unix:/y", "a.iso"},
        new String[] {"--tracker", "a,,b", "get", "a.iso"},
        new String[] {"--help", "get"},
        new String[] {"--peer", "unix:/x", "--peer", "unix:/y", "get", "a.iso"},
        new String[] {"--tracker", "h:1", "get", "--tracker", "h:2", "a.iso"},
        new String[] {"--peer"},
        new String[] {"--peer", "unix:/x", "status"})) {
      assertEquals(Optional.empty(), MinibitMain.ownArguments(args, "get", get),
          String.join(" ", args));
    }
  }

  private CommandSpec spec(String command) {
    CliContext context = new CliContext(System.out, System.err, Map.of(), Path.of(""), false,
        cli.clock, CliHarness::channelToNowhere);
    return MinibitMain.commandLine(context, Optional.of(command)).getSubcommands().get(command)
        .getCommandSpec();
  }
}
