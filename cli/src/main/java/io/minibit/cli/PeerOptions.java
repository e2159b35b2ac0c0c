package io.minibit.cli;

import io.minibit.core.grpc.TokenAuth;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code --peer} options shared by every command that talks to the local peer daemon. */
final class PeerOptions {
  /** How the help describes the default of {@code --peer}. */
  static final String DEFAULT = "unix:/run/minibit/control.sock as root, else "
      + "unix:$XDG_RUNTIME_DIR/minibit/control.sock or unix:$TMPDIR/minibit-$USER/control.sock";

  @Option(
      names = "--peer",
      paramLabel = "unix:PATH|HOST:PORT",
      converter = ControlAddress.Converter.class,
      description = "Control API of the peer daemon: its Unix socket, or a TCP address it was "
          + "given with --control-port (env MINIBIT_PEER; default: the daemon's default socket, "
          + DEFAULT + ").")
  ControlAddress address;

  @Option(
      names = "--control-token",
      paramLabel = "TOKEN",
      defaultValue = "",
      description = "Secret the peer daemon asks for (its --control-token), sent with every "
          + "call (env MINIBIT_CONTROL_TOKEN; default: none).")
  String token;

  @Option(
      names = "--control-token-file",
      paramLabel = "FILE",
      defaultValue = "",
      description = "File whose first line is that secret, kept out of the process list "
          + "(env MINIBIT_CONTROL_TOKEN_FILE; default: none).")
  String tokenFile;

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  Endpoint endpoint() {
    ControlAddress given = GlobalOption.resolve(command, "--peer", address);
    return Endpoint.peerDaemon(
        (given == null ? ControlAddress.defaultAddress() : given).toString(), token());
  }

  private String token() {
    try {
      return TokenAuth.inlineOrFromFile(GlobalOption.resolve(command, "--control-token", token),
          GlobalOption.resolve(command, "--control-token-file", tokenFile));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(command.commandLine(), e.getMessage());
    }
  }
}
