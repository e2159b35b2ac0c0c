package io.minibit.cli;

import io.grpc.Channel;
import io.grpc.Context;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.DownloadResponse;
import io.minibit.api.v2.PeerControlServiceGrpc;
import io.minibit.api.v2.Transfer;
import io.minibit.api.v2.TransferState;
import io.minibit.core.InfoHash;
import io.minibit.core.Validation;
import io.minibit.core.cli.Durations;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.function.Consumer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code minibit get INFOHASH|NAME}: has the daemon download a torrent, shows progress on stderr
 * and, once the file is complete and verified, prints its path on stdout and a summary of who
 * sent what on stderr. Exits 0 only for a complete, verified file.
 */
final class GetCommand implements Subcommand {
  /** The largest timeout whose milliseconds fit the request's uint32. */
  static final long MAX_NO_PEERS_TIMEOUT_SECONDS = 0xFFFF_FFFFL / 1000;

  private final CliContext context;
  private final CommandSpec spec;
  private final PeerOptions peer;

  GetCommand(CliContext context) {
    this.context = context;
    spec = CommandSpecs.command(this, "get",
        "Download a torrent through the local peer daemon and wait until it is verified.");
    peer = new PeerOptions(spec);
    spec.addPositional(CommandSpecs.parameter("INFOHASH|NAME", String.class,
        "The torrent: its infohash or its name."));
    spec.addOption(OptionSpec.builder("-o", "--output")
        .paramLabel("DIR")
        .type(String.class)
        .description("Directory for the file, inside the daemon's data directory; a relative "
            + "DIR is taken from the data directory, wherever this command runs "
            + "(env MINIBIT_OUTPUT; default: the data directory itself).")
        .build());
    spec.addOption(OptionSpec.builder("--no-peers-timeout")
        .paramLabel("SECONDS")
        .type(long.class)
        .converters(new Durations.WholeSeconds())
        .defaultValue("0")
        .description("Give up when no peer has been reachable for this long; the daemon keeps "
            + "trying in the background; 90 or 90s or 2m (env MINIBIT_NO_PEERS_TIMEOUT; "
            + "default: the daemon's, 30).")
        .build());
    spec.addOption(CommandSpecs.flag("Print every progress update as one line of JSON on "
        + "stdout (the last one is the finished transfer, with its path) instead of the "
        + "progress and the path.", "--json"));
    spec.addOption(CommandSpecs.flag("Print only the downloaded file's path (and errors): no "
        + "progress, no summary.", "-q", "--quiet"));
    CommandSpecs.examples(spec,
        "  minibit get ubuntu.iso",
        "  minibit get \"$HASH\" -o downloads",
        "  FILE=$(minibit get --no-peers-timeout 120 big.bin) && sha256sum \"$FILE\"",
        "",
        "An argument of 64 hex characters is an infohash, anything else a name (the most",
        "recently published torrent of that name). Progress goes to stderr; stdout gets",
        "only the finished file's path. Interrupting the command leaves the download",
        "running in the daemon: run the same command again to follow it.");
  }

  @Override
  public CommandSpec spec() {
    return spec;
  }

  @Override
  public Integer call() {
    boolean json = CommandSpecs.isSet(spec, "--json");
    boolean quiet = CommandSpecs.isSet(spec, "--quiet");
    DownloadRequest request = request(json, quiet);
    ProgressDisplay progress = json ? ProgressDisplay.json(context.out())
        : quiet ? ProgressDisplay.quiet(context.err())
        : new ProgressDisplay(context.err(), context.interactive(), context.clock());
    Transfer last;
    try (ServiceConnection connection = ServiceConnection.open(context.channels(),
        peer.endpoint())) {
      // A name is the tracker's newest publication under it: say which torrent that was, so a
      // log tells what was fetched even if the name is published again later.
      Consumer<Transfer> chosen = request.hasName() && !quiet && !json
          ? first -> context.err().println(Validation.printable(request.getName())
              + " is torrent " + first.getInfohash())
          : first -> { };
      last = connection.call(channel -> follow(channel, request, progress, chosen));
    } finally {
      progress.finish();
    }
    Transfer done = requireComplete(last);
    if (json) {
      return ExitCodes.OK; // its last line was the finished transfer
    }
    context.out().println(done.getPath());
    if (!quiet) {
      TransferText.summary(done).forEach(context.err()::println);
    }
    return ExitCodes.OK;
  }

  private DownloadRequest request(boolean json, boolean quiet) {
    long noPeersTimeoutSeconds = CommandSpecs.value(spec, "--no-peers-timeout");
    String torrent = CommandSpecs.parameter(spec);
    String output = CommandSpecs.value(spec, "--output");
    if (noPeersTimeoutSeconds < 0 || noPeersTimeoutSeconds > MAX_NO_PEERS_TIMEOUT_SECONDS) {
      throw new ParameterException(spec.commandLine(),
          "--no-peers-timeout must be 0.." + MAX_NO_PEERS_TIMEOUT_SECONDS + " seconds");
    }
    DownloadRequest.Builder request = DownloadRequest.newBuilder()
        .setNoPeersTimeoutMs((int) (noPeersTimeoutSeconds * 1000));
    if (quiet) {
      // nothing is shown: the end comes at once whatever the interval (a no-peers timeout at
      // the next snapshot)
      request.setProgressIntervalMs(5_000);
    } else if (!json && !context.interactive()) {
      // A log gets a progress line a second: the daemon need not send more snapshots than that.
      request.setProgressIntervalMs((int) ProgressDisplay.PLAIN_INTERVAL.toMillis());
    }
    if (InfoHash.looksLikeHex(torrent)) {
      request.setInfohash(torrent.toLowerCase(Locale.ROOT));
    } else {
      request.setName(torrent);
    }
    if (output != null && !output.isEmpty()) {
      request.setDestination(destination(output));
    }
    return request.build();
  }

  /**
   * {@code dir} as the daemon takes it: an absolute path as it is, a relative one from the
   * daemon's data directory (not from here: `-o downloads` means the same from any directory).
   */
  private String destination(String dir) {
    try {
      return Path.of(dir).normalize().toString();
    } catch (InvalidPathException e) {
      throw new ParameterException(spec.commandLine(),
          "-o '" + Validation.printable(dir) + "' is not a directory path: " + e.getReason());
    }
  }

  /**
   * Reads the progress stream to its end and returns the last snapshot. A FAILED snapshot ends
   * the wait early; the call is cancelled on the way out so the daemon is not left streaming to
   * nobody (the download itself goes on there).
   */
  private static Transfer follow(Channel channel, DownloadRequest request,
      ProgressDisplay progress, Consumer<Transfer> first) {
    // No deadline: a big download may take hours. A daemon that cannot be reached still fails
    // fast, because the call is not wait-for-ready.
    Context.CancellableContext call = Context.current().withCancellation();
    Context previous = call.attach();
    try {
      Iterator<DownloadResponse> snapshots =
          PeerControlServiceGrpc.newBlockingStub(channel).download(request);
      Transfer last = null;
      while (snapshots.hasNext()) {
        boolean isFirst = last == null;
        last = snapshots.next().getTransfer();
        if (isFirst) {
          first.accept(last);
        }
        progress.update(last);
        if (last.getState() == TransferState.TRANSFER_STATE_FAILED) {
          break;
        }
      }
      return last;
    } finally {
      call.detach(previous);
      call.cancel(null);
    }
  }

  private static Transfer requireComplete(Transfer last) {
    if (last == null) {
      throw new CliFailure(ExitCodes.FAILURE,
          "the peer daemon ended the download without reporting any progress");
    }
    String name = TransferText.name(last);
    if (last.getState() == TransferState.TRANSFER_STATE_FAILED) {
      String why = StatusMessages.oneLine(last.getError());
      throw new CliFailure(ExitCodes.FAILURE,
          "download of " + name + " failed" + (why.isEmpty() ? "" : ": " + why));
    }
    if (last.getState() != TransferState.TRANSFER_STATE_SEEDING
        || last.getBlocksHave() < last.getBlockCount()) {
      throw new CliFailure(ExitCodes.FAILURE, "the peer daemon stopped reporting on " + name
          + " at " + HumanFormat.percent(last.getBlocksHave(), last.getBlockCount())
          + " (" + TransferText.state(last.getState()) + ")");
    }
    return last;
  }
}
