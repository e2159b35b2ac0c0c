package io.minibit.peer.download;

import io.grpc.Channel;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.MutualTls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One channel per remote peer address, shared by every torrent fetched from it, and kept while
 * one of them uses it: each {@link #acquire} is matched by a {@link #release}. After the last
 * release the channel lingers a while ({@link #lingering}), so that the next download from the
 * same peer (the next file of a batch, the next layer of an image) finds its connection open
 * instead of paying a new one; then it is shut down, so a daemon holds channels to the peers it
 * fetches from now, not to every peer it ever met. Thread-safe. Tests hand in a factory that
 * opens in-process channels.
 */
public final class PeerChannels implements AutoCloseable {
  /** How long a daemon keeps a channel no download holds. */
  public static final Duration LINGER = Duration.ofSeconds(60);

  private final Function<String, ManagedChannel> factory;
  private final Map<String, Shared> channels; // guarded by itself
  private final List<ClientInterceptor> interceptors;
  private final Duration linger;
  private final ScheduledExecutorService timer; // null: shut down at the last release

  /** A channel, how many users hold it, and its shutdown while it lingers. */
  private static final class Shared {
    final ManagedChannel channel;
    int users;
    ScheduledFuture<?> shutdown;

    Shared(ManagedChannel channel) {
      this.channel = channel;
    }
  }

  public PeerChannels(Function<String, ManagedChannel> factory) {
    this(factory, new HashMap<>(), List.of(), Duration.ZERO, null);
  }

  private PeerChannels(Function<String, ManagedChannel> factory,
      Map<String, Shared> channels, List<ClientInterceptor> interceptors, Duration linger,
      ScheduledExecutorService timer) {
    this.factory = factory;
    this.channels = channels;
    this.interceptors = interceptors;
    this.linger = linger;
    this.timer = timer;
  }

  /** The same channels, with every call going through {@code interceptor} (telemetry, say). */
  public PeerChannels intercepted(ClientInterceptor interceptor) {
    List<ClientInterceptor> all = new ArrayList<>(interceptors);
    all.add(interceptor);
    return new PeerChannels(factory, channels, List.copyOf(all), linger, timer);
  }

  /**
   * The same channels, each kept for {@code linger} after its last release (the shutdown runs on
   * {@code timer}) and reused if acquired again meanwhile.
   */
  public PeerChannels lingering(Duration linger, ScheduledExecutorService timer) {
    return new PeerChannels(factory, channels, interceptors, linger, timer);
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
      if (shared.shutdown != null) { // lingering: in use again
        shared.shutdown.cancel(false);
        shared.shutdown = null;
      }
      channel = shared.channel;
    }
    return ClientInterceptors.intercept(channel, interceptors);
  }

  /**
   * One holder of the channel to {@code address} is done with it; after the last one the channel
   * lingers, or is shut down at once.
   */
  public void release(String address) {
    Shared unused;
    synchronized (channels) {
      unused = channels.get(address);
      if (unused == null || --unused.users > 0) {
        return;
      }
      if (timer != null && !linger.isZero() && !linger.isNegative()) {
        Shared lingering = unused;
        try {
          lingering.shutdown = timer.schedule(() -> shutDownIfUnused(address, lingering),
              linger.toMillis(), TimeUnit.MILLISECONDS);
          return;
        } catch (RejectedExecutionException e) {
          // the daemon is stopping: no lingering
        }
      }
      channels.remove(address);
    }
    unused.channel.shutdown(); // calls still finishing may finish
  }

  /** The lingering channel to {@code address} was not acquired again: it goes. */
  private void shutDownIfUnused(String address, Shared lingering) {
    synchronized (channels) {
      if (channels.get(address) != lingering || lingering.users > 0) {
        return;
      }
      channels.remove(address);
    }
    lingering.channel.shutdown(); // calls still finishing may finish
  }

  /** How many channels are open, lingering ones included. */
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
      channels.forEach((address, shared) -> {
        if (shared.shutdown != null) {
          shared.shutdown.cancel(false);
        }
      });
      channels.clear();
    }
    all.forEach(Channels::close);
  }
}
