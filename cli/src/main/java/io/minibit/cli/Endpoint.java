package io.minibit.cli;

/**
 * A service a command talks to, named the way a user thinks of it, so an error can say which
 * one is unreachable and what to check.
 *
 * @param role "peer daemon" or "tracker"
 * @param address "host:port"
 * @param hint what to check when it cannot be reached
 */
record Endpoint(String role, String address, String hint) {

  static Endpoint peerDaemon(String address) {
    return new Endpoint("peer daemon", address, "is minibit-peer running?");
  }

  static Endpoint tracker(String address) {
    return new Endpoint("tracker", address, "is minibit-tracker running?");
  }
}
