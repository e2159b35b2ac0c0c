package io.minibit.cli;

import io.minibit.core.grpc.TokenAuth;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/** The {@code --peer} options shared by every command that talks to the local peer daemon. */
final class PeerOptions {
  /** How the help describes the default of {@code --peer}. */
  static final String DEFAULT = "unix:/run/minibit/control.sock as root, else "
      + "unix:$XDG_RUNTIME_DIR/minibit/control.sock or unix:$TMPDIR/minibit-$USER/control.sock";

  private final CommandSpec command;

  /** Adds the options to {@code command}, whose values this then reads. */
  PeerOptions(CommandSpec command) {
    this.command = command;
    command.addOption(address()
        .description("Control API of the peer daemon: its Unix socket, or a TCP address it was "
            + "given with --control-port (env MINIBIT_PEER; default: the daemon's default socket, "
            + DEFAULT + ").")
        .build());
    command.addOption(OptionSpec.builder("--control-token")
        .paramLabel("TOKEN")
        .type(String.class)
        .defaultValue("")
        .description("Secret the peer daemon asks for (its --control-token), sent with every "
            + "call (env MINIBIT_CONTROL_TOKEN; default: none).")
        .build());
    command.addOption(OptionSpec.builder("--control-token-file")
        .paramLabel("FILE")
        .type(String.class)
        .defaultValue("")
        .description("File whose first line is that secret, kept out of the process list "
            + "(env MINIBIT_CONTROL_TOKEN_FILE; default: none).")
        .build());
  }

  /** The {@code --peer} option as every command takes it; its description is the caller's. */
  static OptionSpec.Builder address() {
    return OptionSpec.builder("--peer")
        .paramLabel("unix:PATH|HOST:PORT")
        .type(ControlAddress.class)
        .converters(new ControlAddress.Converter());
  }

  Endpoint endpoint() {
    ControlAddress given = global("--peer");
    return Endpoint.peerDaemon(
        (given == null ? ControlAddress.defaultAddress() : given).toString(), token());
  }

  private String token() {
    try {
      return TokenAuth.inlineOrFromFile(global("--control-token"), global("--control-token-file"));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(command.commandLine(), e.getMessage());
    }
  }

  private <T> T global(String option) {
    return GlobalOption.resolve(command, option, CommandSpecs.value(command, option));
  }
}
