package io.minibit.peer.download;

import io.minibit.core.grpc.OneThreadExecutor;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs tasks one at a time, in the order they were given, on the executor it is given (one of
 * the downloads' network event loops, or a pool's threads): the loop that owns one download's
 * state, so that state needs no locks. After each burst of tasks (the queue ran empty, or
 * {@link #MAX_BURST} tasks ran) it runs {@code afterBurst} once: that is how events coalesce,
 * since twenty HAVEs that arrive together end in one refill, not twenty.
 *
 * <p>Thread-safe. A task that throws is logged and the loop goes on.
 */
final class SerialExecutor implements Executor {
  private static final Logger log = Logger.getLogger(SerialExecutor.class.getName());
  /** Tasks run before the loop gives its thread back to the pool. */
  static final int MAX_BURST = 256;

  private final Executor pool;
  private final Runnable afterBurst;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile Thread runner;

  SerialExecutor(Executor pool, Runnable afterBurst) {
    this.pool = pool;
    this.afterBurst = afterBurst;
  }

  @Override
  public void execute(Runnable task) {
    tasks.add(task);
    if (scheduled.compareAndSet(false, true)) {
      pool.execute(this::drain);
    }
  }

  /**
   * True when called from a task of this loop, or from the only thread its executor runs tasks
   * on ({@link OneThreadExecutor}): no task of the loop can be under way meanwhile, so the
   * caller may read its state at once instead of waiting for a task it would itself hold up.
   */
  boolean inLoop() {
    return runner == Thread.currentThread()
        || (pool instanceof OneThreadExecutor one && one.isCurrentThread());
  }

  private void drain() {
    Thread outer = runner;
    runner = Thread.currentThread();
    try {
      int ran = 0;
      for (Runnable task; ran < MAX_BURST && (task = tasks.poll()) != null; ran++) {
        runSafely(task);
      }
      runSafely(afterBurst);
    } finally {
      runner = outer;
      scheduled.set(false);
      // A task given after the queue looked empty, but before the flag fell, is run now.
      if (!tasks.isEmpty() && scheduled.compareAndSet(false, true)) {
        pool.execute(this::drain);
      }
    }
  }

  private static void runSafely(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException | Error e) {
      log.log(Level.SEVERE, "a download task failed", e);
    }
  }
}
