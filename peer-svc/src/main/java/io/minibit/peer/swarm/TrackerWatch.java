package io.minibit.peer.swarm;

import io.minibit.core.Backoff;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Tells when the tracker is back after going away (it restarted, or the connection to it broke),
 * without asking it anything while it runs: it keeps the tracker's health Watch stream open
 * ({@link TrackerClient#watch}), which costs neither side anything per second, and reopens it
 * with backoff whenever it ends. The first SERVING on a reopened stream runs {@code onBack}, so
 * a peer gets back into a restarted tracker's swarms at once, whatever its heartbeat interval.
 * With several trackers it watches the current one: a stream that ends, or says NOT_SERVING,
 * tells the client that tracker is lost (so calls move to the next), and is reopened at once on
 * the tracker calls go to now; {@link #follow} moves it when calls moved for another reason. A
 * SERVING tells the client the watched tracker answers.
 *
 * <p>Not thread-safe: every method, and {@code onBack}, runs on the executor it is given.
 */
final class TrackerWatch {
  private static final Logger log = Logger.getLogger(TrackerWatch.class.getName());

  private final TrackerClient tracker;
  private final ScheduledExecutorService thread;
  private final Backoff backoff;
  private final Runnable onBack;

  /** Tells the callbacks of an old stream from those of the open one. */
  private long stream;
  private Runnable cancel;
  /** The tracker the open (or last) stream watches. */
  private String watched = "";
  /** The tracker that went away last. */
  private String lostTarget = "";
  private ScheduledFuture<?> reopen;
  private boolean lost;
  private boolean stopped;

  /**
   * @param thread the executor every method runs on; the stream's callbacks are handed to it
   * @param backoff paces the attempts to reopen the stream while the tracker is away
   * @param onBack what to do when the tracker serves again after going away
   */
  TrackerWatch(TrackerClient tracker, ScheduledExecutorService thread, Backoff backoff,
      Runnable onBack) {
    this.tracker = tracker;
    this.thread = thread;
    this.backoff = backoff;
    this.onBack = onBack;
  }

  /** Starts watching, if not watching already. */
  void start() {
    if (!stopped && cancel == null && reopen == null) {
      open();
    }
  }

  /** Stops watching for good. */
  void stop() {
    stopped = true;
    closeStream();
    if (reopen != null) {
      reopen.cancel(false);
      reopen = null;
    }
  }

  /** Watches the tracker calls go to now, if it is not the one watched. */
  void follow() {
    if (stopped || (cancel != null && watched.equals(tracker.target()))) {
      return;
    }
    closeStream();
    if (reopen != null) {
      reopen.cancel(false);
      reopen = null;
    }
    lost = false; // whoever moved the calls gets the peer into the new tracker's swarms
    backoff.reset();
    open();
  }

  /** Whether a stream is open or about to be reopened. */
  boolean isWatching() {
    return cancel != null || reopen != null;
  }

  private void open() {
    long id = ++stream;
    TrackerClient.Watching watching = tracker.watch(new TrackerClient.Watcher() {
      @Override
      public void serving(boolean serving) {
        onThread(() -> onServing(id, serving));
      }

      @Override
      public void ended(boolean unsupported) {
        onThread(() -> onEnded(id, unsupported));
      }
    });
    watched = watching.target();
    cancel = watching.cancel();
  }

  private void onServing(long id, boolean serving) {
    if (id != stream || stopped) {
      return;
    }
    if (!serving) {
      // The tracker is shutting down: let go of the stream so that its shutdown need not wait
      // for it, and come back when it serves again.
      closeStream();
      lostIt();
      return;
    }
    backoff.reset();
    tracker.serving(watched);
    if (lost) {
      lost = false;
      if (watched.equals(lostTarget)) {
        log.info(() -> "the tracker at " + watched + " is back");
      }
      onBack.run();
    }
  }

  private void onEnded(long id, boolean unsupported) {
    if (id != stream || stopped) {
      return;
    }
    cancel = null;
    if (unsupported) {
      log.fine(() -> "the tracker at " + watched + " has no health service to watch");
      return;
    }
    lostIt();
  }

  private void lostIt() {
    lost = true;
    lostTarget = watched;
    tracker.lost(watched);
    // Calls moved to another tracker: watch that one now. The same one: give it time to return.
    long delay = tracker.target().equals(watched) ? backoff.nextDelay().toMillis() : 0;
    log.fine(() -> "lost the tracker at " + watched + "; watching " + tracker.target()
        + " in " + delay + " ms");
    reopen = thread.schedule(() -> {
      reopen = null;
      if (!stopped) {
        open();
      }
    }, delay, TimeUnit.MILLISECONDS);
  }

  private void closeStream() {
    if (cancel != null) {
      cancel.run();
      cancel = null;
    }
  }

  private void onThread(Runnable task) {
    try {
      thread.execute(task);
    } catch (RejectedExecutionException closed) {
      // the announcer has shut down: nothing left to keep up to date
    }
  }
}
