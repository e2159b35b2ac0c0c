package io.minibit.peer.download;

import io.grpc.Channel;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.MutualTls;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * One channel per remote peer address, shared by every torrent fetched from it. Thread-safe.
 * Tests hand in a factory that opens in-process channels.
 */
public final class PeerChannels implements AutoCloseable {
  private final Function<String, ManagedChannel> factory;
  private final Map<String, ManagedChannel> channels;
  private final List<ClientInterceptor> interceptors;

  public PeerChannels(Function<String, ManagedChannel> factory) {
    this(factory, new ConcurrentHashMap<>(), List.of());
  }

  private PeerChannels(Function<String, ManagedChannel> factory,
      Map<String, ManagedChannel> channels, List<ClientInterceptor> interceptors) {
    this.factory = factory;
    this.channels = channels;
    this.interceptors = interceptors;
  }

  /** The same channels, with every call going through {@code interceptor} (telemetry, say). */
  public PeerChannels intercepted(ClientInterceptor interceptor) {
    List<ClientInterceptor> all = new ArrayList<>(interceptors);
    all.add(interceptor);
    return new PeerChannels(factory, channels, List.copyOf(all));
  }

  /** Channels over the network, with MiniBit's channel settings. */
  public static PeerChannels network() {
    return network(Optional.empty());
  }

  /** Channels over the network, over mutual TLS if {@code tls} is given. */
  public static PeerChannels network(Optional<MutualTls> tls) {
    return new PeerChannels(address -> Channels.toPeer(address, tls));
  }

  /** The channel to {@code address} ("host:port"), opened on first use. */
  public Channel get(String address) {
    return ClientInterceptors.intercept(channels.computeIfAbsent(address, factory), interceptors);
  }

  @Override
  public void close() {
    channels.values().forEach(Channels::close);
    channels.clear();
  }
}
