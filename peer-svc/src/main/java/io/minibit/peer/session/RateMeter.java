package io.minibit.peer.session;

import java.time.Clock;

/** Bytes per second over the last few seconds, kept in one-second buckets. Thread-safe. */
public final class RateMeter {
  private static final int WINDOW_SECONDS = 5;

  private final Clock clock;
  private final long[] buckets = new long[WINDOW_SECONDS];
  private final long createdMillis;
  private long currentSecond;

  public RateMeter(Clock clock) {
    this.clock = clock;
    this.createdMillis = clock.millis();
    this.currentSecond = createdMillis / 1000;
  }

  public synchronized void record(long bytes) {
    advance();
    buckets[(int) (currentSecond % WINDOW_SECONDS)] += bytes;
  }

  /** Average over the last complete seconds of the window plus the current partial one. */
  public synchronized double bytesPerSecond() {
    advance();
    long total = 0;
    for (long bucket : buckets) {
      total += bucket;
    }
    long now = clock.millis();
    double window = WINDOW_SECONDS - 1 + (now % 1000) / 1000.0;
    double span = Math.min(window, (now - createdMillis) / 1000.0);
    return total == 0 ? 0 : total / Math.max(span, 0.05);
  }

  private void advance() {
    long now = clock.millis() / 1000;
    if (now - currentSecond >= WINDOW_SECONDS) {
      java.util.Arrays.fill(buckets, 0);
    } else {
      for (long s = currentSecond + 1; s <= now; s++) {
        buckets[(int) (s % WINDOW_SECONDS)] = 0;
      }
    }
    currentSecond = Math.max(currentSecond, now);
  }
}
