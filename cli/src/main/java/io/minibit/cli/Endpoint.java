package io.minibit.cli;

/**
 * A service a command talks to, named the way a user thinks of it, so an error can say which
 * one is unreachable and what to check.
 *
 * @param role "peer daemon" or "tracker"
 * @param address "host:port"
 * @param hint what to check when it cannot be reached
 * @param token secret sent with every call (the daemon's --control-token), empty for none
 */
record Endpoint(String role, String address, String hint, String token) {

  static Endpoint peerDaemon(String address) {
    return peerDaemon(address, "");
  }

  static Endpoint peerDaemon(String address, String token) {
    return new Endpoint("peer daemon", address, "is minibit-peer running?", token);
  }

  static Endpoint tracker(String address) {
    return new Endpoint("tracker", address, "is minibit-tracker running?", "");
  }

  @Override
  public String toString() {
    return role + " at " + address; // never the token
  }
}
