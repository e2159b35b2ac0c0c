package io.minibit.cli;

import io.minibit.api.v1.PeerControlGrpc;
import io.minibit.api.v1.ShareRequest;
import io.minibit.api.v1.ShareResponse;
import io.minibit.core.Validation;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code minibit share PATH}: asks the daemon to hash a file, publish it and seed it. Prints
 * only the infohash on stdout, so {@code HASH=$(minibit share f)} works; the summary goes to
 * stderr.
 */
@Command(
    name = "share",
    mixinStandardHelpOptions = true,
    abbreviateSynopsis = true,
    versionProvider = VersionProvider.class,
    description = "Publish a file on the tracker and seed it from the local peer daemon.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  minibit share ubuntu.iso",
        "  HASH=$(minibit share --block-size 1048576 /srv/minibit/data/big.bin)",
        "",
        "PATH is read by the daemon: a file that exists here is sent as an absolute",
        "path, anything else is resolved against the daemon's data directory. Either",
        "way the file must lie inside that directory."})
final class ShareCommand implements Callable<Integer> {
  private final CliContext context;

  @Spec
  CommandSpec spec;

  @Mixin
  PeerOptions peer;

  @Parameters(paramLabel = "PATH", description = "The file to share.")
  String path;

  @Option(
      names = "--block-size",
      paramLabel = "BYTES",
      defaultValue = "0",
      description = "Block size, 16384..4194304 bytes (env MINIBIT_BLOCK_SIZE; default: the "
          + "daemon picks, 256 KiB or more for a big file).")
  int blockSize;

  ShareCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    if (blockSize < 0) {
      throw new ParameterException(spec.commandLine(), "--block-size must not be negative");
    }
    ShareRequest request = ShareRequest.newBuilder()
        .setPath(pathForDaemon())
        .setBlockSize(blockSize)
        .build();
    ShareResponse shared;
    try (ServiceConnection connection = ServiceConnection.open(context.channels(),
        peer.endpoint())) {
      shared = connection.call(channel -> PeerControlGrpc.newBlockingStub(channel)
          .withDeadlineAfter(ServiceConnection.UNARY_DEADLINE_SECONDS, TimeUnit.SECONDS)
          .share(request));
    }
    context.out().println(shared.getInfohash());
    context.err().println("shared " + Validation.printable(shared.getName())
        + ": " + HumanFormat.bytes(shared.getSize()) + " in " + shared.getBlockCount()
        + (shared.getBlockCount() == 1 ? " block" : " blocks"));
    return ExitCodes.OK;
  }

  /**
   * The daemon and the CLI usually share a file system, but not a working directory: a file the
   * user can see from here is sent as an absolute path, anything else is left for the daemon to
   * resolve against its data directory.
   */
  private String pathForDaemon() {
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
