package io.minibit.peer.download;

import io.grpc.ManagedChannel;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.MutualTls;
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
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  public PeerChannels(Function<String, ManagedChannel> factory) {
    this.factory = factory;
  }

  /** Channels over the network, with MiniBit's channel settings. */
  public static PeerChannels network() {
    return new PeerChannels(Channels::forTarget);
  }

  /** Channels over the network, over mutual TLS if {@code tls} is given. */
  public static PeerChannels network(Optional<MutualTls> tls) {
    return new PeerChannels(address -> Channels.forTarget(address, tls));
  }

  /** The channel to {@code address} ("host:port"), opened on first use. */
  public ManagedChannel get(String address) {
    return channels.computeIfAbsent(address, factory);
  }

  @Override
  public void close() {
    channels.values().forEach(Channels::close);
    channels.clear();
  }
}
