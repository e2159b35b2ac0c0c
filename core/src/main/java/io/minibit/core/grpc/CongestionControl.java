package io.minibit.core.grpc;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelException;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.RawUnixChannelOption;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The TCP congestion control of the connections a peer serves blocks on, chosen by the daemon
 * instead of left to the host's default. A seeding host sends to several downloaders at once,
 * each flow with blocks queued behind it, through one uplink: with a congestion control that
 * does not slow down on loss (BBR, the default on some hosts) those flows overflow the uplink's
 * queue over and over and lose a fifth of their packets, which are sent again; a loss-based one
 * (CUBIC, Linux's usual default, or Reno) backs off and loses under 1%.
 *
 * <p>Set on the peer server's listening socket ({@code TCP_CONGESTION}): Linux gives every
 * connection it accepts the same. An unprivileged process may set only the algorithms the host
 * allows ({@code net.ipv4.tcp_allowed_congestion_control}: Reno and the default at least), so
 * the daemon takes the first of its list that a socket accepts. Linux's native transport only;
 * elsewhere connections keep the host's default.
 */
public final class CongestionControl {
  /** The flag value that keeps the host's default. */
  public static final String SYSTEM = "system";
  /** The daemon's choice unless told: CUBIC, and Reno where the host does not allow CUBIC. */
  public static final String DEFAULT = "cubic,reno";

  private static final int IPPROTO_TCP = 6;
  private static final int TCP_CONGESTION = 13;
  /** TCP_CA_NAME_MAX: 16 bytes, the terminating zero included. */
  private static final int NAME_MAX = 15;
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0," + (NAME_MAX - 1) + "}");

  private CongestionControl() {}

  /**
   * The algorithms {@code value} names, in order of preference ("cubic,reno"); none for
   * {@value #SYSTEM}.
   *
   * @throws IllegalArgumentException naming {@code flag}, for anything else
   */
  public static List<String> parse(String flag, String value) {
    String spec = value.strip().toLowerCase(Locale.ROOT);
    if (spec.equals(SYSTEM)) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    for (String part : spec.split(",", -1)) {
      String name = part.strip();
      if (name.isEmpty()) {
        throw new IllegalArgumentException(String.format(
            "%s has an empty entry (give names such as %s, or '%s' for the host's default)",
            flag, DEFAULT, SYSTEM));
      }
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(String.format(
            "%s: '%s' is not a TCP congestion control name (cubic, reno, ...; several "
                + "comma-separated, or '%s' for the host's default)", flag, name, SYSTEM));
      }
      if (!names.contains(name)) {
        names.add(name);
      }
    }
    return List.copyOf(names);
  }

  /**
   * The first of {@code names} a socket of this process accepts (tried on a socket opened for
   * the purpose), or empty: none does, or there is no native transport.
   */
  public static Optional<String> firstSettable(List<String> names) {
    if (names.isEmpty() || !Epoll.isAvailable()) {
      return Optional.empty();
    }
    EpollSocketChannel probe = new EpollSocketChannel();
    try {
      for (String name : names) {
        if (set(probe, name)) {
          return Optional.of(name);
        }
      }
      return Optional.empty();
    } finally {
      probe.unsafe().closeForcibly();
    }
  }

  /**
   * Has the connections {@code builder}'s server accepts use {@code name}, one {@link
   * #firstSettable} gave (with the native transport: see {@link PeerNetworkThreads}).
   */
  public static NettyServerBuilder applyTo(NettyServerBuilder builder, String name) {
    return builder.withOption(OPTION, value(name));
  }

  /** TCP_CONGESTION as a socket option of Netty's native transport. */
  static final RawUnixChannelOption OPTION =
      new RawUnixChannelOption("TCP_CONGESTION", IPPROTO_TCP, TCP_CONGESTION, NAME_MAX + 1);

  /**
   * {@code name} as the option's value, zero-padded to the option's length: a buffer of its own
   * each time, since setting the option consumes it.
   */
  static ByteBuffer value(String name) {
    return ByteBuffer.wrap(Arrays.copyOf(name.getBytes(StandardCharsets.US_ASCII), NAME_MAX + 1));
  }

  private static boolean set(EpollSocketChannel channel, String name) {
    try {
      return channel.config().setOption(OPTION, value(name));
    } catch (ChannelException e) {
      return false; // not built into the kernel, or not allowed to this process
    }
  }
}
