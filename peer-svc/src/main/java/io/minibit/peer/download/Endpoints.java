package io.minibit.peer.download;

/** Formats peer addresses as gRPC targets. */
public final class Endpoints {
  private Endpoints() {}

  /** "host:port", with an IPv6 literal in brackets. */
  public static String address(String host, int port) {
    boolean ipv6 = host.indexOf(':') >= 0 && !host.startsWith("[");
    return (ipv6 ? "[" + host + "]" : host) + ":" + port;
  }
}
