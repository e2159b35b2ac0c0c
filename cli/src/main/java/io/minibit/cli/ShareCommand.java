package io.minibit.cli;

import io.grpc.Channel;
import io.grpc.Context;
import io.minibit.api.v2.PeerControlServiceGrpc;
import io.minibit.api.v2.ShareResponse;
import io.minibit.api.v2.ShareWithProgressRequest;
import io.minibit.api.v2.ShareWithProgressResponse;
import io.minibit.core.Torrent;
import io.minibit.core.Validation;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Iterator;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code minibit share PATH}: asks the daemon to hash a file, publish it and seed it, showing the
 * hashing's progress on stderr (the file may be many gigabytes: the call has no deadline, and
 * interrupting the command stops the hashing). Prints only the infohash on stdout, so {@code
 * HASH=$(minibit share f)} works; the summary goes to stderr.
 */
final class ShareCommand implements Subcommand {
  private final CliContext context;
  private final CommandSpec spec;
  private final PeerOptions peer;

  ShareCommand(CliContext context) {
    this.context = context;
    spec = CommandSpecs.command(this, "share",
        "Publish a file on the tracker and seed it from the local peer daemon.");
    peer = new PeerOptions(spec);
    spec.addPositional(CommandSpecs.parameter("PATH", String.class, "The file to share."));
    spec.addOption(OptionSpec.builder("--block-size")
        .paramLabel("BYTES")
        .type(int.class)
        .defaultValue("0")
        .description("Block size, 16384..4194304 bytes (env MINIBIT_BLOCK_SIZE; default: the "
            + "daemon picks, 256 KiB or more for a big file).")
        .build());
    spec.addOption(CommandSpecs.flag(
        "Print only the infohash (and errors): no hashing progress, no summary.",
        "-q", "--quiet"));
    spec.addOption(CommandSpecs.flag("Print what was shared as one JSON document "
        + "(ShareResponse: infohash, name, size, block count) instead of the infohash; no "
        + "progress.", "--json"));
    CommandSpecs.examples(spec,
        "  minibit share ubuntu.iso",
        "  HASH=$(minibit share --block-size 1048576 /srv/minibit/data/big.bin)",
        "",
        "PATH is read by the daemon: a file that exists here is sent as an absolute",
        "path, anything else is resolved against the daemon's data directory. Either",
        "way the file must lie inside that directory.");
  }

  @Override
  public CommandSpec spec() {
    return spec;
  }

  @Override
  public Integer call() {
    int blockSize = CommandSpecs.value(spec, "--block-size");
    boolean quiet = CommandSpecs.isSet(spec, "--quiet");
    boolean json = CommandSpecs.isSet(spec, "--json");
    if (blockSize != 0
        && (blockSize < Torrent.MIN_BLOCK_SIZE || blockSize > Torrent.MAX_BLOCK_SIZE)) {
      // said here in the flag's own words; the daemon would name its request's field
      throw new ParameterException(spec.commandLine(), "--block-size " + blockSize
          + " is outside " + Torrent.MIN_BLOCK_SIZE + ".." + Torrent.MAX_BLOCK_SIZE
          + " bytes (0 lets the daemon pick)");
    }
    ShareWithProgressRequest.Builder request = ShareWithProgressRequest.newBuilder()
        .setPath(pathForDaemon())
        .setBlockSize(blockSize);
    if (!context.interactive()) {
      request.setProgressIntervalMs((int) ProgressDisplay.PLAIN_INTERVAL.toMillis());
    }
    ProgressDisplay progress = quiet || json ? ProgressDisplay.quiet(context.err())
        : new ProgressDisplay(context.err(), context.interactive(), context.clock());
    ShareResponse shared;
    try (ServiceConnection connection = ServiceConnection.open(context.channels(),
        peer.endpoint())) {
      shared = connection.call(channel -> follow(channel, request.build(), progress));
    } finally {
      progress.finish();
    }
    if (json) {
      context.out().println(TransferJson.document(shared));
      return ExitCodes.OK;
    }
    context.out().println(shared.getInfohash());
    if (quiet) {
      return ExitCodes.OK;
    }
    context.err().println("shared " + Validation.printable(shared.getName())
        + ": " + HumanFormat.bytes(shared.getSize()) + " in " + shared.getBlockCount()
        + (shared.getBlockCount() == 1 ? " block" : " blocks"));
    return ExitCodes.OK;
  }

  /**
   * Reads the progress stream to its end and returns what was shared. No deadline: hashing a big
   * file takes as long as reading it, and an unreachable daemon still fails at once (the call is
   * not wait-for-ready). The call is cancelled on the way out, which stops the daemon's hashing
   * if it did not finish.
   */
  private ShareResponse follow(Channel channel, ShareWithProgressRequest request,
      ProgressDisplay progress) {
    String name = fileName();
    Context.CancellableContext call = Context.current().withCancellation();
    Context previous = call.attach();
    try {
      Iterator<ShareWithProgressResponse> updates = PeerControlServiceGrpc.newBlockingStub(channel)
          .shareWithProgress(request);
      while (updates.hasNext()) {
        ShareWithProgressResponse update = updates.next();
        if (update.hasShared()) {
          return update.getShared();
        }
        if (update.getBytesHashed() < update.getSize()) {
          progress.update(name, update);
        }
      }
      throw new CliFailure(ExitCodes.FAILURE,
          "the peer daemon ended the share without saying what it shared");
    } finally {
      call.detach(previous);
      call.cancel(null);
    }
  }

  private String fileName() {
    String path = CommandSpecs.parameter(spec);
    try {
      Path name = Path.of(path).getFileName();
      return name == null ? path : name.toString();
    } catch (InvalidPathException e) {
      return path;
    }
  }

  /**
   * The daemon and the CLI usually share a file system, but not a working directory: a file the
   * user can see from here is sent as an absolute path, anything else is left for the daemon to
   * resolve against its data directory.
   */
  private String pathForDaemon() {
    String path = CommandSpecs.parameter(spec);
    try {
      Path local = context.workingDirectory().resolve(path);
      if (Files.exists(local)) {
        return local.toAbsolutePath().normalize().toString();
      }
    } catch (InvalidPathException e) {
      // Not a path on this system; the daemon may still understand it.
    }
    return path;
  }
}
