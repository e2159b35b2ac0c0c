package io.minibit.cli;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.MutualTls;
import io.minibit.core.grpc.TokenAuth;
import java.util.Optional;
import java.util.function.Function;

/**
 * One command's channel to one service. {@link #call} runs an RPC and turns a failure into a
 * {@link CliFailure} that names the service. Used by one thread; closing shuts the channel down.
 */
final class ServiceConnection implements AutoCloseable {
  /** Every unary call gets this long, retries included. */
  static final long UNARY_DEADLINE_SECONDS = 10;

  private final Endpoint endpoint;
  private final ManagedChannel channel;

  private ServiceConnection(Endpoint endpoint, ManagedChannel channel) {
    this.endpoint = endpoint;
    this.channel = channel;
  }

  static ServiceConnection open(ChannelFactory channels, Endpoint endpoint) {
    return new ServiceConnection(endpoint, channels.open(endpoint.address()));
  }

  /** Over mutual TLS if {@code tls} is given; else through {@code channels}, as above. */
  static ServiceConnection open(ChannelFactory channels, Endpoint endpoint,
      Optional<MutualTls> tls) {
    return tls.isEmpty() ? open(channels, endpoint)
        : new ServiceConnection(endpoint, channels.open(endpoint.address(), tls.get()));
  }

  /** The channel, sending the endpoint's token (if any) with every call. */
  private Channel guarded() {
    return endpoint.token().isEmpty() ? channel
        : ClientInterceptors.intercept(channel, TokenAuth.attach(endpoint.token()));
  }

  Endpoint endpoint() {
    return endpoint;
  }

  /**
   * Runs {@code rpc} on a channel that watches how far it gets, so an UNAVAILABLE can be told
   * apart: "nothing listens there" or "the server said so".
   */
  <T> T call(Function<Channel, T> rpc) {
    ServerContact contact = new ServerContact();
    try {
      return rpc.apply(ClientInterceptors.intercept(guarded(), contact.interceptor()));
    } catch (StatusRuntimeException e) {
      throw StatusMessages.failure(e.getStatus(), endpoint, contact.reach());
    }
  }

  @Override
  public void close() {
    Channels.close(channel);
  }
}
