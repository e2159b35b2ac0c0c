package io.minibit.cli;

import io.grpc.ManagedChannel;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.MutualTls;
import java.util.Optional;

/**
 * Opens the channel a command talks through. Production opens a Netty channel with MiniBit's
 * retry policy; tests hand back an in-process channel. The command owns the returned channel
 * and shuts it down when it is done.
 */
@FunctionalInterface
public interface ChannelFactory {
  /** A new channel to {@code target}, a "host:port" string. */
  ManagedChannel open(String target);

  /** A new channel to {@code target} over mutual TLS. */
  default ManagedChannel open(String target, MutualTls tls) {
    return Channels.forTarget(target, Optional.of(tls));
  }
}
