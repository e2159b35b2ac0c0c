package io.minibit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HostPortTest {
  @Test
  void parsesHostAndPort() {
    assertEquals(new HostPort("127.0.0.1", 6880), HostPort.parse("127.0.0.1:6880"));
    assertEquals(new HostPort("tracker.lan", 6969), HostPort.parse("tracker.lan:6969"));
    assertEquals("[::1]:6880", HostPort.parse("[::1]:6880").toString());
  }

  @Test
  void rejectsWhatIsNotHostColonPort() {
    for (String bad : new String[] {"6880", "host", ":6880", "host:", "host:http", "host:0",
        "host:70000", "::1:6880"}) {
      assertThrows(IllegalArgumentException.class, () -> HostPort.parse(bad), bad);
    }
  }

  @Test
  void variableNamesFollowTheOptionNames() {
    assertEquals("MINIBIT_PEER", EnvDefaults.variableFor("--peer"));
    assertEquals("MINIBIT_NO_PEERS_TIMEOUT", EnvDefaults.variableFor("--no-peers-timeout"));
  }
}
