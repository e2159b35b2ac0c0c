package io.minibit.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortsTest {
  @Test
  void picksInARowAreDistinctAndBindable() throws IOException {
    Set<Integer> ports = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      ports.add(FreePorts.next());
    }
    assertEquals(200, ports.size());
    for (int port : ports.stream().limit(20).toList()) {
      try (ServerSocket socket = new ServerSocket(port)) {
        assertEquals(port, socket.getLocalPort());
      }
    }
  }
}
