package io.minibit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.netty.shaded.io.netty.util.concurrent.FastThreadLocalThread;
import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Test;

class DaemonThreadsTest {
  @Test
  void threadsAreDaemonsNamedAfterTheirJobAndNumbered() {
    ThreadFactory factory = DaemonThreads.named("announcer");
    Thread first = factory.newThread(() -> { });
    Thread second = factory.newThread(() -> { });

    assertTrue(first.isDaemon() && second.isDaemon());
    assertEquals("announcer-1", first.getName());
    assertEquals("announcer-2", second.getName());
    assertEquals("other-1", DaemonThreads.named("other").newThread(() -> { }).getName(),
        "each factory counts its own");
  }

  @Test
  void eventLoopThreadsAreNettysOwnKindAndDaemonsNamedAfterTheirJob() {
    Thread thread = DaemonThreads.network("tracker-network").newThread(() -> { });

    assertTrue(thread.isDaemon());
    assertTrue(thread instanceof FastThreadLocalThread, thread.getClass().getName());
    assertTrue(thread.getName().startsWith("tracker-network-"), thread.getName());
  }
}
