package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferState;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class GetCommandTest {
  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @Test
  void streamsProgressThenPrintsThePathAndWhoSentWhat() {
    cli.peer.snapshots = List.of(
        Snapshots.downloading(0), Snapshots.downloading(320), Snapshots.seeding());

    CliHarness.Result result = cli.run("get", "big.iso");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(List.of(Snapshots.PATH), result.outLines());
    List<String> err = result.errLines();
    // Not a terminal and the clock does not move: one progress line, then the summary.
    assertEquals(List.of(
        "big.iso is torrent " + Snapshots.downloading(0).getInfohash(),
        TransferText.progressLine(Snapshots.downloading(0)),
        "got big.iso: 160.0 MiB in 5.2 s (32.3 MB/s average)",
        "  from 127.0.0.1:6882  412 blocks (64.4%)",
        "  from 127.0.0.1:6883  228 blocks (35.6%)"), err);
    assertEquals("big.iso", cli.peer.only(DownloadRequest.class).getName());
  }

  @Test
  void onATerminalProgressIsRedrawnInPlace() {
    cli.interactive = true;
    cli.peer.snapshots = List.of(Snapshots.downloading(320), Snapshots.seeding());

    CliHarness.Result result = cli.run("get", "big.iso");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    // which torrent the name was, on a line of its own, then the bar redrawn in place
    assertTrue(result.err().startsWith("big.iso is torrent "
        + Snapshots.downloading(320).getInfohash() + System.lineSeparator() + "\r"
        + ProgressDisplay.terminalLine(Snapshots.downloading(320))), result.err());
    assertTrue(result.err().contains("\r[########################]  "
        + TransferText.progressLine(Snapshots.seeding())), result.err());
  }

  @Test
  void jsonPrintsEachUpdateAsALineAndNothingElse() {
    cli.interactive = true; // even on a terminal: scripts read stdout
    cli.peer.snapshots = List.of(Snapshots.downloading(0), Snapshots.downloading(320),
        Snapshots.seeding());

    CliHarness.Result result = cli.run("get", "big.iso", "--json");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals("", result.err());
    List<String> lines = result.outLines();
    assertEquals(3, lines.size(), result.toString());
    var first = com.google.gson.JsonParser.parseString(lines.get(0)).getAsJsonObject();
    var last = com.google.gson.JsonParser.parseString(lines.get(2)).getAsJsonObject();
    assertEquals(0, first.get("blocksHave").getAsInt());
    assertEquals("TRANSFER_STATE_SEEDING", last.get("state").getAsString());
    assertEquals(Snapshots.PATH, last.get("path").getAsString());
    assertEquals(2, last.getAsJsonArray("peers").size());
  }

  @Test
  void quietPrintsOnlyThePathEvenOnATerminal() {
    cli.interactive = true;
    cli.peer.snapshots = List.of(Snapshots.downloading(0), Snapshots.downloading(320),
        Snapshots.seeding());

    CliHarness.Result result = cli.run("get", "big.iso", "-q");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(List.of(Snapshots.PATH), result.outLines());
    assertEquals("", result.err());
  }

  @Test
  void quietStillSaysWhatWentWrong() {
    cli.peer.snapshots = List.of(Snapshots.downloading(0));
    cli.peer.failure = io.grpc.Status.NOT_FOUND.withDescription("no torrent named big.iso");

    CliHarness.Result result = cli.run("get", "big.iso", "--quiet");

    assertEquals(ExitCodes.NOT_FOUND, result.exitCode(), result.toString());
    assertTrue(result.err().contains("no torrent named big.iso"), result.err());
  }

  @Test
  void sendsAnInfohashAsSuchAndLeavesARelativeOutputDirectoryToTheDataDirectory() {
    cli.workingDirectory = Path.of("/home/user/work");
    cli.peer.snapshots = List.of(Snapshots.seeding());

    CliHarness.Result result = cli.run("get", Snapshots.INFOHASH.toUpperCase(), "-o", "isos",
        "--no-peers-timeout", "90");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    DownloadRequest request = cli.peer.only(DownloadRequest.class);
    assertEquals(Snapshots.INFOHASH, request.getInfohash());
    assertEquals("isos", request.getDestination(), "from the daemon's data directory, not here");
    assertEquals(90_000, request.getNoPeersTimeoutMs());
  }

  @Test
  void withoutOutputTheDestinationIsLeftToTheDaemon() {
    cli.peer.snapshots = List.of(Snapshots.seeding());

    cli.run("get", "big.iso");

    DownloadRequest request = cli.peer.only(DownloadRequest.class);
    assertEquals("", request.getDestination());
    assertEquals(0, request.getNoPeersTimeoutMs());
  }

  @Test
  void aLogAsksForASnapshotASecondAndATerminalOrJsonForTheDefault() {
    cli.peer.snapshots = List.of(Snapshots.seeding());
    cli.run("get", "big.iso");
    assertEquals(1000, cli.peer.only(DownloadRequest.class).getProgressIntervalMs());

    CliHarness terminal = new CliHarness();
    try {
      terminal.interactive = true;
      terminal.peer.snapshots = List.of(Snapshots.seeding());
      terminal.run("get", "big.iso");
      assertEquals(0, terminal.peer.only(DownloadRequest.class).getProgressIntervalMs());
    } finally {
      terminal.close();
    }

    CliHarness json = new CliHarness();
    try {
      json.peer.snapshots = List.of(Snapshots.seeding());
      json.run("get", "big.iso", "--json");
      assertEquals(0, json.peer.only(DownloadRequest.class).getProgressIntervalMs());
    } finally {
      json.close();
    }
  }

  @Test
  void anUnknownTorrentIsNotFoundWithOneLineAndNothingOnStdout() {
    cli.peer.failure = Status.NOT_FOUND.withDescription("no torrent named 'nope.iso'");

    CliHarness.Result result = cli.run("get", "nope.iso");

    assertEquals(ExitCodes.NOT_FOUND, result.exitCode(), result.toString());
    assertEquals("", result.out());
    assertEquals(List.of("minibit: no torrent named 'nope.iso'"), result.errLines());
  }

  @Test
  void aFileThatFailsItsHashIsAnIntegrityFailure() {
    cli.peer.snapshots = List.of(Snapshots.downloading(639));
    cli.peer.failure = Status.DATA_LOSS.withDescription("big.iso does not match its SHA-256");

    CliHarness.Result result = cli.run("get", "big.iso");

    assertEquals(ExitCodes.INTEGRITY, result.exitCode(), result.toString());
    assertEquals("", result.out());
    assertEquals("minibit: big.iso does not match its SHA-256",
        result.errLines().get(result.errLines().size() - 1));
  }

  @Test
  void noPeersFromTheDaemonIsUnavailableWithItsReason() {
    cli.peer.snapshots = List.of(Snapshots.downloading(10));
    cli.peer.failure = Status.UNAVAILABLE.withDescription("no peer reachable for 30 s");

    CliHarness.Result result = cli.run("get", "big.iso");

    assertEquals(ExitCodes.UNAVAILABLE, result.exitCode(), result.toString());
    assertEquals("minibit: no peer reachable for 30 s",
        result.errLines().get(result.errLines().size() - 1));
  }

  @Test
  void aStreamThatEndsBeforeTheFileIsCompleteIsAFailure() {
    cli.peer.snapshots = List.of(Snapshots.downloading(10));

    CliHarness.Result result = cli.run("get", "big.iso");

    assertEquals(ExitCodes.FAILURE, result.exitCode(), result.toString());
    assertEquals("", result.out());
    assertEquals("minibit: the peer daemon stopped reporting on big.iso at 1.6% (downloading)",
        result.errLines().get(result.errLines().size() - 1));
  }

  @Test
  void aFailedTransferReportsWhyAndStopsFollowing() {
    Transfer failed = Snapshots.downloading(10).toBuilder()
        .setState(TransferState.TRANSFER_STATE_FAILED)
        .setError("disk full")
        .build();
    cli.peer.snapshots = List.of(failed, Snapshots.seeding());

    CliHarness.Result result = cli.run("get", "big.iso");

    assertEquals(ExitCodes.FAILURE, result.exitCode(), result.toString());
    assertEquals("minibit: download of big.iso failed: disk full",
        result.errLines().get(result.errLines().size() - 1));
    assertFalse(result.out().contains(Snapshots.PATH), result.toString());
  }

  @Test
  void aNegativeTimeoutIsAUsageError() {
    CliHarness.Result result = cli.run("get", "big.iso", "--no-peers-timeout", "-5");

    assertEquals(ExitCodes.USAGE, result.exitCode(), result.toString());
    assertTrue(result.err().contains("'-5' is not a duration"), result.err());
    assertEquals(List.of(), cli.peer.requests);
  }

  @Test
  void theTimeoutTakesUnits() {
    cli.peer.snapshots = List.of(Snapshots.seeding());
    cli.run("get", "big.iso", "--no-peers-timeout", "2m");
    assertEquals(120_000, cli.peer.only(DownloadRequest.class).getNoPeersTimeoutMs());
  }
}
