package io.minibit.peer.download;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleConsumer;

/**
 * How the daemon's GetBlocks calls ended, over every download since it started: what the metrics
 * report as calls per block and the share cancelled; and how long each block took to come.
 * Thread-safe.
 */
public final class FetchStats {
  private final DoubleConsumer blockLatencySeconds;

  /** Every block it was to send came. */
  final LongAdder completed = new LongAdder();
  /** Withdrawn by the download (another copy of its blocks won). */
  final LongAdder cancelled = new LongAdder();
  /** Refused because the peer chokes us. */
  final LongAdder choked = new LongAdder();
  /** Failed: an error, or its deadline passed. */
  final LongAdder failed = new LongAdder();

  /** Counts only. */
  public FetchStats() {
    this(seconds -> { });
  }

  /**
   * @param blockLatencySeconds told, for each block stored, the seconds from the request of its
   *     call to its arrival (a histogram's record, in production)
   */
  public FetchStats(DoubleConsumer blockLatencySeconds) {
    this.blockLatencySeconds = blockLatencySeconds;
  }

  void blockArrived(Duration sinceAsked) {
    blockLatencySeconds.accept(sinceAsked.toNanos() / 1e9);
  }

  public long completed() {
    return completed.sum();
  }

  public long cancelled() {
    return cancelled.sum();
  }

  public long choked() {
    return choked.sum();
  }

  public long failed() {
    return failed.sum();
  }
}
