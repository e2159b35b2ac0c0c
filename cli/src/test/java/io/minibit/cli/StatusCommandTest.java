package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.minibit.api.v2.DaemonUsage;
import io.minibit.api.v2.ListTransfersResponse;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferState;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class StatusCommandTest {
  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @Test
  void showsEachTransferWithItsPeersIndentedBelow() {
    Transfer downloading = Snapshots.downloading(320).toBuilder()
        .setPeers(0, Snapshots.peer("127.0.0.1:6882", 206, true).toBuilder().setStatus("active")
            .setRttMs(1.25).setDownloadRate(12_300_000).setBytesSent(2048).setChokedByUs(true))
        .setPeers(1, Snapshots.peer("127.0.0.1:6883", 114, false).toBuilder()
            .setHashFailures(2).setBlocksAvailable(500)
            .setStatus("backing off: GetBlocks failed: UNAVAILABLE"))
        .setUploadedBytes(1024)
        .setError("127.0.0.1:6883 stalled")
        .build();
    Transfer seeding = Transfer.newBuilder()
        .setInfohash("b".repeat(64)).setName("notes.txt").setSize(5).setBlockCount(1)
        .setBlocksHave(1).setState(TransferState.TRANSFER_STATE_SEEDING)
        .setUploadedBytes(50)
        .build();
    cli.peer.transfers = ListTransfersResponse.newBuilder()
        .addTransfers(downloading).addTransfers(seeding).build();

    CliHarness.Result result = cli.run("status");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(List.of(
        "INFOHASH  NAME       STATE          DONE   BLOCKS       RATE  ETA      DOWN       UP  PEERS",
        // 80 MiB left at 12.3 MB/s
        "3f2a9c0d  big.iso    downloading   50.0%  320/640  12.3 MB/s   7s  80.0 MiB  1.0 KiB    1/2",
        "    error: 127.0.0.1:6883 stalled",
        "    127.0.0.1:6882  206 received  640/640 available  rtt 1.3 ms  12.3 MB/s  2.0 KiB sent"
            + "  0 hash failures  active; we choke it",
        "    127.0.0.1:6883  114 received  500/640 available       rtt -      0 B/s      0 B sent"
            + "  2 hash failures  backing off: GetBlocks failed: UNAVAILABLE",
        "bbbbbbbb  notes.txt  seeding      100.0%      1/1          -    -       0 B     50 B    0/0"),
        result.outLines());
  }

  @Test
  void theDaemonsLimitsAndCacheFollowTheTransfersWhenItHasAny() {
    cli.peer.transfers = ListTransfersResponse.newBuilder()
        .addTransfers(Snapshots.seeding())
        .setUsage(DaemonUsage.newBuilder().setCacheMaxBytes(10L << 30)
            .setCacheBytes(3L << 29).setEvictions(3).setSeedTtlMs(7 * 86_400_000L)
            .setDownloadLimitBytesPerSecond(1_000_000))
        .build();

    List<String> lines = cli.run("status").outLines();

    assertEquals("limits: cache 1.5 GiB of 10.0 GiB, 3 evicted; seed TTL 7d 00h; "
        + "download limit 1.0 MB/s", lines.get(lines.size() - 1));
  }

  @Test
  void theTrackerInUseEndsTheStatus() {
    cli.peer.transfers = ListTransfersResponse.newBuilder()
        .addTransfers(Snapshots.seeding())
        .setTracker("tracker-b.example:6969")
        .build();

    List<String> lines = cli.run("status").outLines();

    assertEquals("tracker: tracker-b.example:6969", lines.get(lines.size() - 1));
  }

  @Test
  void withoutLimitsNoLineIsAddedEvenWithNoTransfers() {
    cli.peer.transfers = ListTransfersResponse.newBuilder()
        .setUsage(DaemonUsage.newBuilder().setCacheBytes(5)).build();

    assertEquals(1, cli.run("status").outLines().size());
  }

  @Test
  void jsonIsOneDocumentOfEveryTransferAndItsPeers() {
    cli.peer.transfers = ListTransfersResponse.newBuilder()
        .addTransfers(Snapshots.downloading(320).toBuilder().setEtaMs(4200))
        .addTransfers(Snapshots.seeding())
        .build();

    CliHarness.Result result = cli.run("status", "--json");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    var document = com.google.gson.JsonParser.parseString(result.out()).getAsJsonObject();
    var transfers = document.getAsJsonArray("transfers");
    assertEquals(2, transfers.size());
    var downloading = transfers.get(0).getAsJsonObject();
    assertEquals(320, downloading.get("blocksHave").getAsInt());
    assertEquals("4200", downloading.get("etaMs").getAsString()); // int64: a string in JSON
    assertEquals(2, downloading.getAsJsonArray("peers").size());
    assertEquals("127.0.0.1:6882", downloading.getAsJsonArray("peers").get(0)
        .getAsJsonObject().get("address").getAsString());
  }

  @Test
  void jsonWithNoTransfersIsAnEmptyList() {
    CliHarness.Result result = cli.run("status", "--json");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(0, com.google.gson.JsonParser.parseString(result.out()).getAsJsonObject()
        .getAsJsonArray("transfers").size());
  }

  @Test
  void noTransfersGetsAFriendlyLine() {
    CliHarness.Result result = cli.run("status");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(List.of("no transfers: share a file with 'minibit share PATH'"
        + " or fetch one with 'minibit get NAME'"), result.outLines());
  }

  @Test
  void theFlagWinsOverTheEnvironment() {
    cli.env.put("MINIBIT_PEER", "10.0.0.1:7000");

    cli.run("status", "--peer", "10.0.0.2:7001");
    cli.run("status");

    assertEquals(List.of("10.0.0.2:7001", "10.0.0.1:7000"), cli.targets);
  }
}
