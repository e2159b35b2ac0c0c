package io.minibit.core;

import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one way MiniBit makes its own threads: daemon threads (none of them keeps a process alive
 * once its main work is over) named after their job and numbered ({@code announcer-1},
 * {@code peer-download-2}), so a thread dump or a per-thread CPU figure says who is who. Event
 * loops take theirs from {@link #network}.
 */
public final class DaemonThreads {
  private DaemonThreads() {}

  /** Daemon threads named {@code name-1}, {@code name-2}, ... */
  public static ThreadFactory named(String name) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * Daemon threads for a Netty event loop, named {@code name-P-N}: Netty's own kind, whose
   * thread-locals its buffer pools and pipelines read on every message without a hash lookup.
   */
  public static ThreadFactory network(String name) {
    return new DefaultThreadFactory(name, true);
  }
}
