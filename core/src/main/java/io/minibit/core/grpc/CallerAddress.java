package io.minibit.core.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Optional;

/**
 * Makes the caller's IP address, and the connection the call came on, available to service code
 * through the gRPC {@link Context}.
 */
public final class CallerAddress implements ServerInterceptor {
  private static final Context.Key<String> HOST = Context.key("minibit-caller-host");
  private static final Context.Key<String> CONNECTION = Context.key("minibit-caller-connection");

  /** The caller's IP address as text, if the call arrived over a network socket. */
  public static Optional<String> current() {
    return Optional.ofNullable(HOST.get());
  }

  /**
   * The connection the call arrived on ("ip:port" of its far end), if it came over a network
   * socket: calls on one connection come from one process.
   */
  public static Optional<String> connection() {
    return Optional.ofNullable(CONNECTION.get());
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
      Context context = Context.current()
          .withValue(HOST, inet.getAddress().getHostAddress())
          .withValue(CONNECTION, inet.getAddress().getHostAddress() + ":" + inet.getPort());
      return Contexts.interceptCall(context, call, headers, next);
    }
    return next.startCall(call, headers);
  }
}
