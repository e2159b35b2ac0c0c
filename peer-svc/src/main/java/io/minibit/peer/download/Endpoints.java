package io.minibit.peer.download;

/** Formats peer addresses as gRPC targets. */
public final class Endpoints {
  private Endpoints() {}

  /** "host:port", with an IPv6 literal in brackets. */
  public static String address(String host, int port) {
    boolean ipv6 = host.indexOf(':') >= 0 && !host.startsWith("[");
    return (ipv6 ? "[" + host + "]" : host) + ":" + port;
  }

  /** The host of a "host:port" address (an IPv6 literal without its brackets). */
  public static String host(String address) {
    if (address.startsWith("[")) {
      int end = address.indexOf(']');
      return end < 0 ? address : address.substring(1, end);
    }
    int colon = address.lastIndexOf(':');
    return colon < 0 ? address : address.substring(0, colon);
  }
}
