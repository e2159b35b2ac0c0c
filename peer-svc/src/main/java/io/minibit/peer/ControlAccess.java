package io.minibit.peer;

import io.minibit.core.grpc.TokenAuth;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Who may reach the control API: by default it listens on loopback only, so only this machine's
 * users can share, download and remove. Listening on any other address lets other machines in,
 * and is refused unless a control token is set (the CLI then sends it with every call).
 */
final class ControlAccess {
  private ControlAccess() {}

  /**
   * Checks that the control API may listen on {@code host} with {@code token} (empty for none);
   * a usable token is checked too. Throws IllegalArgumentException with a message for the user.
   */
  static void check(String host, String token) {
    if (!token.isEmpty()) {
      TokenAuth.requireUsable(token);
      return;
    }
    if (!isLoopback(host)) {
      throw new IllegalArgumentException("--control-host " + host + " lets other machines "
          + "control this peer: set --control-token (or MINIBIT_CONTROL_TOKEN) too, or keep "
          + "the default 127.0.0.1");
    }
  }

  private static boolean isLoopback(String host) {
    try {
      for (InetAddress address : InetAddress.getAllByName(host)) {
        if (!address.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--control-host " + host + " is not a known address");
    }
  }
}
