package io.minibit.cli;

import io.minibit.api.v2.PeerControlServiceGrpc;
import io.minibit.api.v2.RemoveRequest;
import io.minibit.core.InfoHash;
import io.minibit.core.Validation;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** {@code minibit remove INFOHASH}: stops a transfer, and with --delete-data deletes its file. */
final class RemoveCommand implements Subcommand {
  private final CliContext context;
  private final CommandSpec spec;
  private final PeerOptions peer;

  RemoveCommand(CliContext context) {
    this.context = context;
    spec = CommandSpecs.command(this, "remove",
        "Stop a download or seed and leave its swarm; the file stays unless asked.");
    peer = new PeerOptions(spec);
    spec.addPositional(CommandSpecs.parameter("INFOHASH", String.class,
        "The transfer's infohash, 64 hex characters."));
    spec.addOption(CommandSpecs.flag("Also delete the file, or the partial download, from the "
        + "daemon's disk (env MINIBIT_DELETE_DATA).", "--delete-data"));
    spec.addOption(CommandSpecs.flag("Print what was removed as one JSON document "
        + "({\"infohash\": ..., \"deleteData\": ...}) on stdout, instead of a line on stderr.",
        "--json"));
    CommandSpecs.examples(spec,
        "  minibit remove \"$HASH\"",
        "  minibit remove --delete-data \"$HASH\"",
        "",
        "'minibit status' lists transfers; 'minibit torrents' shows full infohashes.");
  }

  @Override
  public CommandSpec spec() {
    return spec;
  }

  @Override
  public Integer call() {
    String infohash = CommandSpecs.parameter(spec);
    boolean deleteData = CommandSpecs.isSet(spec, "--delete-data");
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
    if (CommandSpecs.isSet(spec, "--json")) {
      context.out().println(TransferJson.document(request));
      return ExitCodes.OK;
    }
    context.err().println("removed " + HumanFormat.shortHash(request.getInfohash())
        + (deleteData ? " and deleted its data" : "; its file stays on disk"));
    return ExitCodes.OK;
  }
}
