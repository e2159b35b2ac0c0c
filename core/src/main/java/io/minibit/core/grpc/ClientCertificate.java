package io.minibit.core.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Makes the identity of the caller's TLS client certificate available to service code through
 * the gRPC {@link Context}: "tls:" and the certificate's subject (RFC 2253). The subject, not the
 * key, so that a renewed certificate (a new key, the same subject from the same CA) is the same
 * caller. Under {@link MutualTls} every certificate a server accepts is signed by the swarm's CA,
 * so a subject is only as unique as that CA keeps it. Calls without TLS, or without a client
 * certificate, have none.
 */
public final class ClientCertificate implements ServerInterceptor {
  private static final Context.Key<String> IDENTITY = Context.key("minibit-client-certificate");

  /** The caller's certificate identity, if it showed a client certificate. */
  public static Optional<String> current() {
    return Optional.ofNullable(IDENTITY.get());
  }

  /** The identity of {@code certificate}: "tls:" and its subject, RFC 2253. */
  public static String identityOf(X509Certificate certificate) {
    return "tls:" + certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session != null) {
      try {
        Certificate[] chain = session.getPeerCertificates();
        if (chain.length > 0 && chain[0] instanceof X509Certificate leaf) {
          Context context = Context.current().withValue(IDENTITY, identityOf(leaf));
          return Contexts.interceptCall(context, call, headers, next);
        }
      } catch (SSLPeerUnverifiedException e) {
        // TLS without a client certificate: the caller proves itself otherwise, if at all
      }
    }
    return next.startCall(call, headers);
  }
}
