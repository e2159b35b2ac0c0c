package io.minibit.cli;

import io.minibit.api.v2.PeerControlServiceGrpc;
import io.minibit.api.v2.RemoveRequest;
import io.minibit.core.InfoHash;
import io.minibit.core.Validation;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code minibit remove INFOHASH}: stops a transfer, and with --delete-data deletes its file. */
@Command(
    name = "remove",
    mixinStandardHelpOptions = true,
    abbreviateSynopsis = true,
    versionProvider = VersionProvider.class,
    description = "Stop a download or seed and leave its swarm; the file stays unless asked.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  minibit remove \"$HASH\"",
        "  minibit remove --delete-data \"$HASH\"",
        "",
        "'minibit status' lists transfers; 'minibit torrents' shows full infohashes."})
final class RemoveCommand implements Callable<Integer> {
  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  PeerOptions peer;

  @Parameters(paramLabel = "INFOHASH", description = "The transfer's infohash, 64 hex characters.")
  String infohash;

  @Option(
      names = "--delete-data",
      description = "Also delete the file, or the partial download, from the daemon's disk "
          + "(env MINIBIT_DELETE_DATA).")
  boolean deleteData;

  @Option(names = "--json",
      description = "Print what was removed as one JSON document ({\"infohash\": ..., "
          + "\"deleteData\": ...}) on stdout, instead of a line on stderr.")
  boolean json;

  RemoveCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    // Checked here so a short hash copied from 'status' gets a usage hint, not a server error.
    if (!InfoHash.looksLikeHex(infohash)) {
      throw new ParameterException(spec.commandLine(), "INFOHASH '"
          + Validation.printable(infohash) + "' is not 64 hex characters"
          + " (see 'minibit torrents' for full infohashes)");
    }
    RemoveRequest request = RemoveRequest.newBuilder()
        .setInfohash(infohash.toLowerCase(Locale.ROOT))
        .setDeleteData(deleteData)
        .build();
    try (ServiceConnection connection = ServiceConnection.open(context.channels(),
        peer.endpoint())) {
      connection.call(channel -> PeerControlServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(ServiceConnection.UNARY_DEADLINE_SECONDS, TimeUnit.SECONDS)
          .remove(request));
    }
    if (json) {
      context.out().println(TransferJson.document(request));
      return ExitCodes.OK;
    }
    context.err().println("removed " + HumanFormat.shortHash(request.getInfohash())
        + (deleteData ? " and deleted its data" : "; its file stays on disk"));
    return ExitCodes.OK;
  }
}
