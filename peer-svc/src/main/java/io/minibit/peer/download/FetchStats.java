package io.minibit.peer.download;

import java.util.concurrent.atomic.LongAdder;

/**
 * How the daemon's GetBlocks calls ended, over every download since it started: what the metrics
 * report as calls per block and the share cancelled. Thread-safe.
 */
public final class FetchStats {
  /** Every block it was to send came. */
  final LongAdder completed = new LongAdder();
  /** Withdrawn by the download (another copy of its blocks won). */
  final LongAdder cancelled = new LongAdder();
  /** Refused because the peer chokes us. */
  final LongAdder choked = new LongAdder();
  /** Failed: an error, or its deadline passed. */
  final LongAdder failed = new LongAdder();

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
