package io.minibit.peer.session;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What this peer uploaded of one torrent: the bytes, when, which blocks went out at least once,
 * and how often each block was offered to a GetBlocks call, so that a seed spreads its upload
 * over blocks nobody has yet.
 *
 * <p>Thread-safe.
 */
final class UploadTally {
  private final Clock clock;
  private final AtomicLong bytes = new AtomicLong();
  private final int[] offered; // guarded by itself: GetBlocks calls that were to send each block
  private final UploadCoverage coverage;
  private volatile Instant first;
  private volatile Instant last;

  UploadTally(int blockCount, Clock clock) {
    this.clock = clock;
    this.offered = new int[blockCount];
    this.coverage = new UploadCoverage(blockCount);
  }

  /**
   * The blocks a GetBlocks call of {@code indices} is to send: all of them when {@code max} is 0
   * or covers them, else the {@code max} offered least so far (ties in the order given). Either
   * way the blocks chosen count as offered once more.
   */
  List<Integer> chooseToSend(List<Integer> indices, int max) {
    synchronized (offered) {
      List<Integer> chosen = indices;
      if (max > 0 && max < indices.size()) {
        chosen = new ArrayList<>(indices);
        chosen.sort(Comparator.comparingInt(index -> offered[index]));
        chosen = List.copyOf(chosen.subList(0, max));
      }
      chosen.forEach(index -> offered[index]++);
      return chosen;
    }
  }

  /** Block {@code index}, {@code sent} bytes long, went out; true if that made a full copy. */
  boolean record(int index, long sent) {
    bytes.addAndGet(sent);
    last = clock.instant();
    if (first == null) {
      first = last;
    }
    return coverage.record(index);
  }

  long bytes() {
    return bytes.get();
  }

  /** When the first block went out; null if none did since the daemon started. */
  Instant first() {
    return first;
  }

  /** When the last block went out; null if none did since the daemon started. */
  Instant last() {
    return last;
  }
}
