package io.minibit.peer.download;

import java.time.Duration;

/**
 * Runs a task after a delay: the daemon's scheduled executor, or a test's hand that moves time.
 * The task runs on the timer's thread; one that touches a download's state posts itself to the
 * download's loop. Thread-safe.
 */
interface LoopTimer {
  void after(Duration delay, Runnable task);
}
