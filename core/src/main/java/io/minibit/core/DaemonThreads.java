package io.minibit.core;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one way MiniBit makes its own threads: daemon threads (none of them keeps a process alive
 * once its main work is over) named after their job and numbered ({@code announcer-1},
 * {@code peer-download-2}), so a thread dump or a per-thread CPU figure says who is who.
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
}
