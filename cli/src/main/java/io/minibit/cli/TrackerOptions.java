package io.minibit.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  Endpoint endpoint() {
    return Endpoint.tracker(GlobalOption.resolve(command, "--tracker", address).toString());
  }
}
