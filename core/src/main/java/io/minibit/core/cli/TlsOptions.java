package io.minibit.core.cli;

import io.minibit.core.grpc.MutualTls;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * The {@code --tls-cert}, {@code --tls-key} and {@code --tls-ca} flags (with their MINIBIT_TLS_*
 * twins) of every MiniBit server, as a picocli mixin: all three turn on mutual TLS. A command
 * whose model is built in code adds the same flags with {@link #addTo}.
 */
public final class TlsOptions {
  private static final String CERT = "--tls-cert";
  private static final String KEY = "--tls-key";
  private static final String CA = "--tls-ca";
  private static final String LABEL = "PEM";
  private static final String CERT_DEFAULT = "${env:MINIBIT_TLS_CERT:-}";
  private static final String KEY_DEFAULT = "${env:MINIBIT_TLS_KEY:-}";
  private static final String CA_DEFAULT = "${env:MINIBIT_TLS_CA:-}";
  private static final String CERT_HELP = "This node's certificate, signed by the swarm's CA; "
      + "with --tls-key and --tls-ca, tracker and peers speak mutual TLS and let in only nodes "
      + "the CA signed (env MINIBIT_TLS_CERT; default: none, plaintext).";
  private static final String KEY_HELP =
      "The private key of --tls-cert, PKCS#8 PEM (env MINIBIT_TLS_KEY).";
  private static final String CA_HELP = "The swarm's CA certificate, PEM (env MINIBIT_TLS_CA).";

  @Option(names = CERT, paramLabel = LABEL, defaultValue = CERT_DEFAULT, description = CERT_HELP)
  String certificate;

  @Option(names = KEY, paramLabel = LABEL, defaultValue = KEY_DEFAULT, description = KEY_HELP)
  String privateKey;

  @Option(names = CA, paramLabel = LABEL, defaultValue = CA_DEFAULT, description = CA_HELP)
  String trustedCa;

  /** Mutual TLS if all three flags are set; IllegalArgumentException if only some are. */
  public Optional<MutualTls> tls() {
    return MutualTls.fromFlags(certificate, privateKey, trustedCa);
  }

  /** Adds the three flags to {@code command}, a model built in code. */
  public static void addTo(CommandSpec command) {
    command.addOption(option(CERT, CERT_DEFAULT, CERT_HELP));
    command.addOption(option(KEY, KEY_DEFAULT, KEY_HELP));
    command.addOption(option(CA, CA_DEFAULT, CA_HELP));
  }

  /** Mutual TLS if the three flags {@link #addTo} added to {@code command} are all set. */
  public static Optional<MutualTls> tls(CommandSpec command) {
    return MutualTls.fromFlags(value(command, CERT), value(command, KEY), value(command, CA));
  }

  private static OptionSpec option(String name, String defaultValue, String description) {
    return OptionSpec.builder(name).paramLabel(LABEL).type(String.class)
        .defaultValue(defaultValue).description(description).build();
  }

  private static String value(CommandSpec command, String name) {
    return command.findOption(name).getValue();
  }
}
