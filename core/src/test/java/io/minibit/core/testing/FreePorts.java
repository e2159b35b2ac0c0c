package io.minibit.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loopback ports a test can hand to a server it starts later. The system hands out a port that
 * nobody listens on, but knows nothing of ports a test has picked and not yet bound: two picks in
 * a row can return the same port, and the second server then fails to bind. So no port is handed
 * out twice in one test JVM.
 */
public final class FreePorts {
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private FreePorts() {}

  /** A port nobody listens on now and that no earlier call in this JVM returned. */
  public static int next() {
    while (true) {
      int port;
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (HANDED_OUT.add(port)) {
        return port;
      }
    }
  }
}
