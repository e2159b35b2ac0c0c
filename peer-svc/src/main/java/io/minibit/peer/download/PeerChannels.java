package io.minibit.peer.download;

import io.grpc.Channel;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.MutualTls;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One channel per remote peer address, shared by every torrent fetched from it, and kept while
 * one of them uses it: each {@link #acquire} is matched by a {@link #release}, and the last
 * release shuts the channel down, so a daemon holds channels to the peers it fetches from now,
 * not to every peer it ever met. Thread-safe. Tests hand in a factory that opens in-process
 * channels.
 */
public final class PeerChannels implements AutoCloseable {
  private final Function<String, ManagedChannel> factory;
  private final Map<String, Shared> channels; // guarded by itself
  private final List<ClientInterceptor> interceptors;

  /** A channel and how many users hold it. */
  private static final class Shared {
    final ManagedChannel channel;
    int users;

    Shared(ManagedChannel channel) {
      this.channel = channel;
    }
  }

  public PeerChannels(Function<String, ManagedChannel> factory) {
    this(factory, new HashMap<>(), List.of());
  }

  private PeerChannels(Function<String, ManagedChannel> factory,
      Map<String, Shared> channels, List<ClientInterceptor> interceptors) {
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

  /** The channel to {@code address} ("host:port"), opened if no one holds it. */
  public Channel acquire(String address) {
    ManagedChannel channel;
    synchronized (channels) {
      Shared shared = channels.computeIfAbsent(address, a -> new Shared(factory.apply(a)));
      shared.users++;
      channel = shared.channel;
    }
    return ClientInterceptors.intercept(channel, interceptors);
  }

  /** One holder of the channel to {@code address} is done with it; the last one shuts it down. */
  public void release(String address) {
    ManagedChannel unused = null;
    synchronized (channels) {
      Shared shared = channels.get(address);
      if (shared != null && --shared.users <= 0) {
        channels.remove(address);
        unused = shared.channel;
      }
    }
    if (unused != null) {
      unused.shutdown(); // calls still finishing may finish
    }
  }

  /** How many channels are open. */
  public int openChannels() {
    synchronized (channels) {
      return channels.size();
    }
  }

  @Override
  public void close() {
    List<ManagedChannel> all;
    synchronized (channels) {
      all = channels.values().stream().map(shared -> shared.channel).toList();
      channels.clear();
    }
    all.forEach(Channels::close);
  }
}
