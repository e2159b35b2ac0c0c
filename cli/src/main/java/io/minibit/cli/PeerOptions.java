package io.minibit.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code --peer} option shared by every command that talks to the local peer daemon. */
final class PeerOptions {
  static final String DEFAULT = "127.0.0.1:6880";

  @Option(
      names = "--peer",
      paramLabel = "HOST:PORT",
      converter = HostPort.Converter.class,
      defaultValue = DEFAULT,
      description = "Control address of the peer daemon (env MINIBIT_PEER; default ${DEFAULT-VALUE}).")
  HostPort address;

  @Option(
      names = "--control-token",
      paramLabel = "TOKEN",
      defaultValue = "",
      description = "Secret the peer daemon asks for (its --control-token), sent with every "
          + "call (env MINIBIT_CONTROL_TOKEN; default: none).")
  String token;

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  Endpoint endpoint() {
    return Endpoint.peerDaemon(GlobalOption.resolve(command, "--peer", address).toString(),
        token);
  }
}
