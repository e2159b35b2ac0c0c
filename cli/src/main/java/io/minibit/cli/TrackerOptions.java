package io.minibit.cli;

import io.minibit.core.cli.TlsOptions;
import io.minibit.core.grpc.MutualTls;
import java.util.Optional;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code --tracker} option of the commands that ask the tracker directly. */
final class TrackerOptions {
  static final String DEFAULT = "127.0.0.1:6969";

  @Option(
      names = "--tracker",
      paramLabel = "HOST:PORT",
      converter = HostPort.Converter.class,
      defaultValue = DEFAULT,
      description = "Address of the tracker (env MINIBIT_TRACKER; default ${DEFAULT-VALUE}).")
  HostPort address;

  /** For a tracker that runs mutual TLS: this client's certificate, key and the swarm's CA. */
  @Mixin
  TlsOptions tlsOptions;

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  Endpoint endpoint() {
    return Endpoint.tracker(GlobalOption.resolve(command, "--tracker", address).toString());
  }

  /** Mutual TLS to the tracker, if the three --tls-* options are given. */
  Optional<MutualTls> tls() {
    try {
      return tlsOptions.tls();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(command.commandLine(), e.getMessage(), e);
    }
  }
}
