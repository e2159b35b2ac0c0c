package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ListTorrentsResponse;
import io.minibit.api.v2.TorrentSummary;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TorrentsCommandTest {
  private static final String OTHER_HASH = "a".repeat(64);

  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @Test
  void printsARowPerTorrentWithTheFullInfohash() {
    cli.tracker.torrents = ListTorrentsResponse.newBuilder()
        .addTorrents(TorrentSummary.newBuilder().setInfohash(Snapshots.INFOHASH)
            .setName("big.iso").setSize(Snapshots.SIZE).setBlockCount(640)
            .setSeeders(3).setLeechers(12))
        .addTorrents(TorrentSummary.newBuilder().setInfohash(OTHER_HASH)
            .setName("notes.txt").setSize(5).setBlockCount(1).setSeeders(1))
        .build();

    CliHarness.Result result = cli.run("torrents");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    String pad = " ".repeat(58);
    assertEquals(List.of(
        "INFOHASH" + pad + "NAME       VERSION       SIZE  BLOCKS  SEEDERS  LEECHERS",
        Snapshots.INFOHASH + "  big.iso             160.0 MiB     640        3        12",
        OTHER_HASH + "  notes.txt                 5 B       1        1         0"),
        result.outLines());
  }

  @Test
  void versionsOfANameSayWhichIsTheLatest() {
    cli.tracker.torrents = ListTorrentsResponse.newBuilder()
        .addTorrents(TorrentSummary.newBuilder().setInfohash(OTHER_HASH)
            .setName("notes.txt").setSize(5).setBlockCount(1))
        .addTorrents(TorrentSummary.newBuilder().setInfohash(Snapshots.INFOHASH)
            .setName("notes.txt").setSize(6).setBlockCount(1).setLatest(true))
        .addTorrents(TorrentSummary.newBuilder().setInfohash("b".repeat(64))
            .setName("other.txt").setSize(7).setBlockCount(1))
        .build();

    CliHarness.Result result = cli.run("torrents");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    List<String> lines = result.outLines();
    assertEquals(List.of("INFOHASH", "NAME", "VERSION"),
        List.of(lines.get(0).split(" +")).subList(0, 3));
    assertEquals(List.of(OTHER_HASH, "notes.txt", "older"),
        List.of(lines.get(1).split(" +")).subList(0, 3));
    assertEquals(List.of(Snapshots.INFOHASH, "notes.txt", "latest"),
        List.of(lines.get(2).split(" +")).subList(0, 3));
    assertEquals("7", lines.get(3).split(" +")[2], "no latest of its name known: "
        + lines.get(3));
  }

  @Test
  void jsonPrintsTheCatalogAsOneDocumentEmptyOrNot() {
    cli.tracker.torrents = ListTorrentsResponse.newBuilder()
        .addTorrents(TorrentSummary.newBuilder().setInfohash(Snapshots.INFOHASH)
            .setName("big.iso").setSize(Snapshots.SIZE).setBlockCount(640).setSeeders(3))
        .build();

    CliHarness.Result result = cli.run("torrents", "--json");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    var json = com.google.gson.JsonParser.parseString(result.out()).getAsJsonObject();
    var first = json.getAsJsonArray("torrents").get(0).getAsJsonObject();
    assertEquals(Snapshots.INFOHASH, first.get("infohash").getAsString());
    assertEquals("big.iso", first.get("name").getAsString());
    assertEquals(3, first.get("seeders").getAsInt());

    cli.tracker.torrents = ListTorrentsResponse.getDefaultInstance();
    CliHarness.Result empty = cli.run("torrents", "--json");
    assertEquals(0, com.google.gson.JsonParser.parseString(empty.out()).getAsJsonObject()
        .getAsJsonArray("torrents").size(), "an empty catalog is still JSON: " + empty.out());
  }

  @Test
  void aCatalogOfManyPagesIsListedWhole() {
    ListTorrentsResponse.Builder catalog = ListTorrentsResponse.newBuilder();
    for (int i = 0; i < 25; i++) {
      catalog.addTorrents(TorrentSummary.newBuilder()
          .setInfohash(String.format("%064x", i)).setName(String.format("file-%02d", i))
          .setSize(1).setBlockCount(1));
    }
    cli.tracker.torrents = catalog.build();
    cli.tracker.pageSize = 10;

    CliHarness.Result table = cli.run("torrents");
    CliHarness.Result json = cli.run("torrents", "--json");

    assertEquals(ExitCodes.OK, table.exitCode(), table.toString());
    List<String> rows = table.outLines().subList(1, table.outLines().size());
    assertEquals(25, rows.size(), table.out());
    for (int i = 0; i < 25; i++) {
      assertTrue(rows.get(i).startsWith(String.format("%064x  file-%02d", i, i)), rows.get(i));
    }
    assertEquals(List.of("", "10", "20", "", "10", "20"), cli.tracker.requests.stream()
        .map(ListTorrentsRequest::getPageToken).toList(), "three pages for each command");
    assertTrue(cli.tracker.requests.stream()
        .allMatch(r -> r.getPageSize() == TorrentsCommand.PAGE_SIZE));
    var document = com.google.gson.JsonParser.parseString(json.out()).getAsJsonObject();
    assertEquals(25, document.getAsJsonArray("torrents").size());
    assertEquals("", document.get("nextPageToken").getAsString(), "one document, no next page");
  }

  @Test
  void aTrackerThatRepeatsItsPageTokenIsAFailureNotALoop() {
    cli.tracker.torrents = ListTorrentsResponse.newBuilder()
        .addTorrents(TorrentSummary.newBuilder().setInfohash(OTHER_HASH).setName("loop"))
        .build();
    cli.tracker.stuckToken = "0";

    CliHarness.Result result = cli.run("torrents");

    assertEquals(ExitCodes.FAILURE, result.exitCode(), result.toString());
    assertEquals(List.of("minibit: the tracker sent the same page token twice: its catalog "
        + "cannot be listed to the end"), result.errLines());
    assertEquals(2, cli.tracker.requests.size());
  }

  @Test
  void talksToTheTrackerFromTheEnvironment() {
    cli.env.put("MINIBIT_TRACKER", "tracker.lan:7000");

    cli.run("torrents");

    assertEquals(List.of("tracker.lan:7000"), cli.targets);
  }

  @Test
  void anEmptyCatalogSaysSo() {
    CliHarness.Result result = cli.run("torrents");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(List.of("no torrents on the tracker at 127.0.0.1:6969 yet:"
        + " publish one with 'minibit share PATH'"), result.outLines());
  }

  @Test
  void aTrackerFaultIsOneLine() {
    cli.tracker.failure = Status.INTERNAL.withDescription("catalog is corrupt");

    CliHarness.Result result = cli.run("torrents");

    assertEquals(ExitCodes.FAILURE, result.exitCode(), result.toString());
    assertEquals(List.of("minibit: the tracker at 127.0.0.1:6969 failed (INTERNAL):"
        + " catalog is corrupt"), result.errLines());
  }

  @Test
  void tlsFlagsGoTogether() {
    CliHarness.Result result = cli.run("torrents", "--tls-cert", "/etc/hostname");

    assertEquals(ExitCodes.USAGE, result.exitCode(), result.toString());
    assertTrue(result.errLines().get(0).contains(
        "--tls-cert, --tls-key and --tls-ca go together"), result.toString());
    assertEquals(List.of(), cli.targets, "no call was made");
  }
}
