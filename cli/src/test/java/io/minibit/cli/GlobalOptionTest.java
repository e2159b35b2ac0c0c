package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
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
}
