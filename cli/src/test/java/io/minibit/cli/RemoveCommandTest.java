package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.minibit.api.v2.RemoveRequest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RemoveCommandTest {
  @RegisterExtension
  final CliHarness cli = new CliHarness();

  @Test
  void removesTheTransferAndKeepsTheFileByDefault() {
    CliHarness.Result result = cli.run("remove", Snapshots.INFOHASH);

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals("", result.out());
    assertEquals(List.of("removed 3f2a9c0d; its file stays on disk"), result.errLines());
    RemoveRequest request = cli.peer.only(RemoveRequest.class);
    assertEquals(Snapshots.INFOHASH, request.getInfohash());
    assertEquals(false, request.getDeleteData());
  }

  @Test
  void jsonSaysWhatWasRemovedOnStdout() {
    CliHarness.Result result = cli.run("remove", "--json", "--delete-data", Snapshots.INFOHASH);

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals("", result.err());
    var json = com.google.gson.JsonParser.parseString(result.out()).getAsJsonObject();
    assertEquals(Snapshots.INFOHASH, json.get("infohash").getAsString());
    assertEquals(true, json.get("deleteData").getAsBoolean());
  }

  @Test
  void deletesTheDataWhenAsked() {
    CliHarness.Result result = cli.run("remove", "--delete-data", Snapshots.INFOHASH);

    assertEquals(ExitCodes.OK, result.exitCode(), result.toString());
    assertEquals(true, cli.peer.only(RemoveRequest.class).getDeleteData());
    assertEquals(List.of("removed 3f2a9c0d and deleted its data"), result.errLines());
  }

  @Test
  void aBooleanFlagHasAnEnvironmentTwinToo() {
    cli.env.put("MINIBIT_DELETE_DATA", "true");

    cli.run("remove", Snapshots.INFOHASH);

    assertEquals(true, cli.peer.only(RemoveRequest.class).getDeleteData());
  }

  @Test
  void aShortHashIsAUsageErrorWithAHint() {
    CliHarness.Result result = cli.run("remove", "3f2a9c0d");

    assertEquals(ExitCodes.USAGE, result.exitCode(), result.toString());
    assertTrue(result.err().startsWith("minibit: INFOHASH '3f2a9c0d' is not 64 hex characters"),
        result.err());
    assertEquals(List.of(), cli.peer.requests);
  }

  @Test
  void anUnknownTransferIsNotFound() {
    cli.peer.failure = Status.NOT_FOUND.withDescription("no transfer 3f2a9c0d");

    CliHarness.Result result = cli.run("remove", Snapshots.INFOHASH);

    assertEquals(ExitCodes.NOT_FOUND, result.exitCode(), result.toString());
    assertEquals(List.of("minibit: no transfer 3f2a9c0d"), result.errLines());
  }
}
