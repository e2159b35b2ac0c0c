package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.minibit.api.v2.ShareResponse;
import io.minibit.api.v2.ShareWithProgressRequest;
import io.minibit.api.v2.ShareWithProgressResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShareCommandTest {
  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @TempDir
  Path dir;

  @BeforeEach
  void setUp() {
    cli.workingDirectory = dir;
    cli.peer.shareResponse = ShareResponse.newBuilder()
        .setInfohash(Snapshots.INFOHASH)
        .setName("big.iso")
        .setSize(Snapshots.SIZE)
        .setBlockCount(Snapshots.BLOCKS)
        .build();
  }

  @Test
  void printsOnlyTheInfohashOnStdoutAndASummaryOnStderr() {
    CliHarness.Result result = cli.run("share", "big.iso");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(Snapshots.INFOHASH + System.lineSeparator(), result.out());
    assertEquals(List.of("shared big.iso: 160.0 MiB in 640 blocks"), result.errLines());
  }

  @Test
  void showsTheHashingAsItGoesWithNoDeadlineOnTheCall() {
    long size = Snapshots.SIZE;
    cli.peer.hashing = List.of(
        ShareWithProgressResponse.newBuilder().setBytesHashed(size / 4).setSize(size)
            .setBytesPerSecond(40 * 1024 * 1024).build(),
        ShareWithProgressResponse.newBuilder().setBytesHashed(size / 2).setSize(size)
            .setBytesPerSecond(40 * 1024 * 1024).build());

    CliHarness.Result result = cli.run("share", "big.iso");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(Snapshots.INFOHASH + System.lineSeparator(), result.out());
    // not a terminal: a plain line at most once a second (the clock does not move here)
    assertEquals(List.of("hashing big.iso  25.0%  40.0 MiB / 160.0 MiB  41.9 MB/s  ETA 3s",
        "shared big.iso: 160.0 MiB in 640 blocks"), result.errLines());
    assertEquals(1000, cli.peer.only(ShareWithProgressRequest.class).getProgressIntervalMs());
    assertEquals(Optional.empty(), cli.peer.lastDeadline, "a big file takes as long as it takes");
  }

  @Test
  void quietPrintsOnlyTheInfohash() {
    long size = Snapshots.SIZE;
    cli.interactive = true;
    cli.peer.hashing =
        List.of(ShareWithProgressResponse.newBuilder().setBytesHashed(size / 4).setSize(size)
        .setBytesPerSecond(40 * 1024 * 1024).build());

    CliHarness.Result result = cli.run("share", "-q", "big.iso");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(Snapshots.INFOHASH + System.lineSeparator(), result.out());
    assertEquals("", result.err());
  }

  @Test
  void jsonPrintsWhatWasSharedAndNothingOnStderr() {
    CliHarness.Result result = cli.run("share", "--json", "big.iso");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals("", result.err());
    var json = com.google.gson.JsonParser.parseString(result.out()).getAsJsonObject();
    assertEquals(Snapshots.INFOHASH, json.get("infohash").getAsString());
    assertEquals("big.iso", json.get("name").getAsString());
    assertEquals(Snapshots.BLOCKS, json.get("blockCount").getAsInt());
  }

  @Test
  void onATerminalTheHashingLineIsRedrawnInPlace() {
    cli.interactive = true;
    long size = Snapshots.SIZE;
    cli.peer.hashing = List.of(
        ShareWithProgressResponse.newBuilder().setBytesHashed(size / 4).setSize(size).build(),
        ShareWithProgressResponse.newBuilder().setBytesHashed(size / 2).setSize(size).build());

    CliHarness.Result result = cli.run("share", "big.iso");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertTrue(result.err().startsWith("\r[######------------------]  hashing big.iso  25.0%"),
        result.err());
    assertTrue(result.err().contains("\r[############------------]  hashing big.iso  50.0%"),
        result.err());
    assertEquals(0, cli.peer.only(ShareWithProgressRequest.class).getProgressIntervalMs());
    assertTrue(!result.err().contains("0 B/s"), "no rate before there is one: " + result.err());
  }

  @Test
  void aFileHashedBeforeTheFirstUpdateShowsOnlyTheSummary() {
    cli.peer.hashing = List.of(ShareWithProgressResponse.newBuilder().setBytesHashed(Snapshots.SIZE)
        .setSize(Snapshots.SIZE).build());

    CliHarness.Result result = cli.run("share", "big.iso");

    assertEquals(List.of("shared big.iso: 160.0 MiB in 640 blocks"), result.errLines());
  }

  @Test
  void sendsAFileThatExistsHereAsAnAbsolutePath() throws IOException {
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("sub/notes.txt"), "hello");

    CliHarness.Result result = cli.run("share", "sub/../sub/notes.txt", "--block-size", "16384");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    ShareWithProgressRequest request = cli.peer.only(ShareWithProgressRequest.class);
    assertEquals(dir.resolve("sub/notes.txt").toString(), request.getPath());
    assertEquals(16384, request.getBlockSize());
  }

  @Test
  void leavesAPathThatDoesNotExistHereForTheDaemonToResolve() {
    CliHarness.Result result = cli.run("share", "in/data/dir.iso");

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals("in/data/dir.iso", cli.peer.only(ShareWithProgressRequest.class).getPath());
    assertEquals(0, cli.peer.only(ShareWithProgressRequest.class).getBlockSize());
  }

  @Test
  void aMissingFileIsNotFound() {
    cli.peer.failure = Status.NOT_FOUND.withDescription("no file nope.iso in /srv/minibit/data");

    CliHarness.Result result = cli.run("share", "nope.iso");

    assertEquals(ExitCodes.NOT_FOUND, result.exitCode(), result.toString());
    assertEquals("", result.out());
    assertEquals(List.of("minibit: no file nope.iso in /srv/minibit/data"), result.errLines());
  }

  @Test
  void aPathTheDaemonRejectsIsAUsageError() {
    cli.peer.failure = Status.INVALID_ARGUMENT.withDescription(
        "/etc/passwd is outside the data directory /srv/minibit/data");

    CliHarness.Result result = cli.run("share", "/etc/passwd");

    assertEquals(ExitCodes.USAGE, result.exitCode(), result.toString());
    assertEquals(List.of("minibit: /etc/passwd is outside the data directory /srv/minibit/data"),
        result.errLines());
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "5", "4194305"})
  void aBlockSizeOutOfRangeIsRefusedInTheFlagsWordsBeforeAnyCall(String size) {
    CliHarness.Result result = cli.run("share", "big.iso", "--block-size", size);

    assertEquals(ExitCodes.USAGE, result.exitCode(), result.toString());
    assertTrue(result.err().contains("--block-size " + size + " is outside 16384..4194304 bytes"),
        result.err());
    assertEquals(List.of(), cli.peer.requests);
  }
}
