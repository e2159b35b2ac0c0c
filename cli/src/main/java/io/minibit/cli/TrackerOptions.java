package io.minibit.cli;

import io.minibit.core.cli.TlsOptions;
import io.minibit.core.grpc.MutualTls;
import io.minibit.core.grpc.TrackerTargets;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/**
 * The {@code --tracker} option of the commands that ask the tracker directly: one tracker, or
 * several (comma-separated, tried in that order until one answers), each HOST:PORT or
 * dns:///NAME:PORT (see {@link TrackerTargets}).
 */
final class TrackerOptions {
  static final String DEFAULT = "127.0.0.1:6969";
  private static final String LABEL = "HOST:PORT[,HOST:PORT...]";

  private final CommandSpec command;

  /** Adds the options to {@code command}, whose values this then reads. */
  TrackerOptions(CommandSpec command) {
    this.command = command;
    command.addOption(list()
        .defaultValue(DEFAULT)
        .description("Address of the tracker; several, comma-separated, are asked in that order "
            + "until one answers; dns:///NAME:PORT for every address of NAME "
            + "(env MINIBIT_TRACKER; default ${DEFAULT-VALUE}).")
        .build());
    // For a tracker that runs mutual TLS: this client's certificate, key and the swarm's CA.
    TlsOptions.addTo(command);
  }

  /** The {@code --tracker} option as every command takes it; the rest is the caller's. */
  static OptionSpec.Builder list() {
    return OptionSpec.builder("--tracker")
        .paramLabel(LABEL)
        .type(TrackerTargets.class)
        .converters(new Converter());
  }

  /** The trackers to ask, in order. */
  List<Endpoint> endpoints() {
    TrackerTargets trackers = GlobalOption.resolve(command, "--tracker",
        CommandSpecs.value(command, "--tracker"));
    return trackers.targets().stream().map(Endpoint::tracker).toList();
  }

  /** Mutual TLS to the tracker, if the three --tls-* options are given. */
  Optional<MutualTls> tls() {
    try {
      return TlsOptions.tls(command);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(command.commandLine(), e.getMessage(), e);
    }
  }

  /** Lets picocli read a tracker list, reporting a bad one as a usage error. */
  private static final class Converter implements ITypeConverter<TrackerTargets> {
    @Override
    public TrackerTargets convert(String value) {
      try {
        return TrackerTargets.parse("--tracker", value);
      } catch (IllegalArgumentException e) {
        // picocli already says "Invalid value for option '--tracker': "
        throw new TypeConversionException(e.getMessage().replaceFirst("^--tracker ", ""));
      }
    }
  }
}
