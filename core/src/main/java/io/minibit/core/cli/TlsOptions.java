package io.minibit.core.cli;

import io.minibit.core.grpc.MutualTls;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The {@code --tls-cert}, {@code --tls-key} and {@code --tls-ca} flags (with their MINIBIT_TLS_*
 * twins) of every MiniBit server, as a picocli mixin: all three turn on mutual TLS.
 */
public final class TlsOptions {
  @Option(names = "--tls-cert", paramLabel = "PEM", defaultValue = "${env:MINIBIT_TLS_CERT:-}",
      description = "This node's certificate, signed by the swarm's CA; with --tls-key and "
          + "--tls-ca, tracker and peers speak mutual TLS and let in only nodes the CA signed "
          + "(env MINIBIT_TLS_CERT; default: none, plaintext).")
  String certificate;

  @Option(names = "--tls-key", paramLabel = "PEM", defaultValue = "${env:MINIBIT_TLS_KEY:-}",
      description = "The private key of --tls-cert, PKCS#8 PEM (env MINIBIT_TLS_KEY).")
  String privateKey;

  @Option(names = "--tls-ca", paramLabel = "PEM", defaultValue = "${env:MINIBIT_TLS_CA:-}",
      description = "The swarm's CA certificate, PEM (env MINIBIT_TLS_CA).")
  String trustedCa;

  /** Mutual TLS if all three flags are set; IllegalArgumentException if only some are. */
  public Optional<MutualTls> tls() {
    return MutualTls.fromFlags(certificate, privateKey, trustedCa);
  }
}
