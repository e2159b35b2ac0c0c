package io.minibit.core.grpc;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Mutual TLS for a private swarm: every server asks for a client certificate and every client
 * shows one, and both accept only certificates signed by the swarm's CA. A client also checks
 * that the server's certificate names the address it dialled (a subjectAltName with the host
 * name or IP address), as HTTPS does. Immutable.
 *
 * @param certificate this node's certificate chain, PEM
 * @param privateKey its private key, PEM (PKCS#8, "BEGIN PRIVATE KEY")
 * @param trustedCa the swarm's CA certificate(s), PEM
 */
public record MutualTls(Path certificate, Path privateKey, Path trustedCa) {
  public MutualTls {
    for (Path file : new Path[] {certificate, privateKey, trustedCa}) {
      if (!Files.isReadable(file)) {
        throw new IllegalArgumentException("cannot read TLS file " + file);
      }
    }
  }

  /**
   * TLS from the three flags --tls-cert, --tls-key and --tls-ca: all empty means none, all set
   * means mutual TLS (the files checked), anything else is a usage error.
   */
  public static Optional<MutualTls> fromFlags(String certificate, String privateKey,
      String trustedCa) {
    int given = (certificate.isBlank() ? 0 : 1) + (privateKey.isBlank() ? 0 : 1)
        + (trustedCa.isBlank() ? 0 : 1);
    if (given == 0) {
      return Optional.empty();
    }
    if (given != 3) {
      throw new IllegalArgumentException(
          "--tls-cert, --tls-key and --tls-ca go together: give all three or none");
    }
    return Optional.of(new MutualTls(Path.of(certificate), Path.of(privateKey),
        Path.of(trustedCa)).check());
  }

  /**
   * Loads the three files as a server and as a client would, so that a bad file is reported
   * when the flags are read; IllegalArgumentException says which problem.
   */
  public MutualTls check() {
    applyTo(NettyServerBuilder.forPort(0));
    applyTo(NettyChannelBuilder.forTarget("localhost:1"));
    return this;
  }

  /** Makes {@code builder} require TLS and a client certificate from the swarm's CA. */
  public NettyServerBuilder applyTo(NettyServerBuilder builder) {
    try {
      SslContext context = GrpcSslContexts.forServer(certificate.toFile(), privateKey.toFile())
          .trustManager(trustedCa.toFile())
          .clientAuth(ClientAuth.REQUIRE)
          .build();
      return builder.sslContext(context);
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot use the TLS files: " + e.getMessage(), e);
    }
  }

  /** Makes {@code builder} speak TLS, show this node's certificate and trust only the CA. */
  public NettyChannelBuilder applyTo(NettyChannelBuilder builder) {
    try {
      SslContext context = GrpcSslContexts.forClient()
          .trustManager(trustedCa.toFile())
          .keyManager(certificate.toFile(), privateKey.toFile())
          .build();
      return builder.sslContext(context).useTransportSecurity();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot use the TLS files: " + e.getMessage(), e);
    }
  }
}
