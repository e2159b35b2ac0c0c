package io.minibit.peer.download;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Caps the bytes per second this peer downloads, over all its downloads together: a token
 * bucket that fills at the cap and holds at most a quarter of a second of it.
 *
 * <p>A download pays for a block when it asks for it, not when the block arrives: what is not
 * asked for is not sent, so the cap holds without any socket left unread or any call held open,
 * and a peer's deadlines, which follow the rate it sends at, follow the cap too. A request may
 * take the bucket below zero (a block larger than the bucket must go out whole); the debt is paid
 * before the next one. Blocks asked for and never received (a call cancelled, choked or failed)
 * are given back with {@link #refund}.
 *
 * <p>Thread-safe: the downloads' loops share one limiter.
 */
public final class DownloadLimiter {
  /** No cap: every request goes out at once. */
  public static final DownloadLimiter NONE = new DownloadLimiter(0, Clock.systemUTC());

  private static final double NANOS_PER_SECOND = 1e9;

  private final long bytesPerSecond;
  private final double capacity;
  private final Clock clock;
  private double tokens;
  private Instant filledAt;

  DownloadLimiter(long bytesPerSecond, Clock clock) {
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("download limit " + bytesPerSecond + " < 0");
    }
    this.bytesPerSecond = bytesPerSecond;
    this.capacity = Math.max(1, bytesPerSecond / 4.0);
    this.clock = clock;
    this.filledAt = clock.instant();
    this.tokens = capacity;
  }

  /** A cap of {@code bytesPerSecond}, or none when it is 0. */
  public static DownloadLimiter of(long bytesPerSecond) {
    return bytesPerSecond == 0 ? NONE : new DownloadLimiter(bytesPerSecond, Clock.systemUTC());
  }

  /** The cap in bytes per second; 0 for none. */
  public long bytesPerSecond() {
    return bytesPerSecond;
  }

  public boolean isCapped() {
    return bytesPerSecond > 0;
  }

  /**
   * How many blocks of {@code blockSize} bytes may be asked for now: none while the bucket is in
   * debt, at least one when it is not.
   */
  public int allowance(int blockSize) {
    if (!isCapped()) {
      return Integer.MAX_VALUE; // and no lock taken: the uncapped path is every request's
    }
    synchronized (this) {
      refill();
      return tokens <= 0 ? 0 : (int) Math.max(1, Math.min(Integer.MAX_VALUE, tokens / blockSize));
    }
  }

  /** {@code bytes} were asked for. */
  public void charge(long bytes) {
    if (isCapped()) {
      synchronized (this) {
        refill();
        tokens -= bytes;
      }
    }
  }

  /** {@code bytes} asked for will not come after all. */
  public void refund(long bytes) {
    if (isCapped()) {
      synchronized (this) {
        refill();
        tokens = Math.min(capacity, tokens + bytes);
      }
    }
  }

  /**
   * How long until {@link #allowance} is at least one again, in whole milliseconds (what the
   * timers that wait for it count in: a wait rounded down to zero would come back too early
   * and wait again, round after round); zero if it is now.
   */
  public synchronized Duration untilAllowed() {
    if (!isCapped()) {
      return Duration.ZERO;
    }
    refill();
    if (tokens > 0) {
      return Duration.ZERO;
    }
    double nanos = (1 - tokens) * NANOS_PER_SECOND / bytesPerSecond;
    return Duration.ofMillis(Math.max(1, (long) Math.ceil(nanos / 1e6)));
  }

  private void refill() {
    Instant now = clock.instant();
    long nanos = Duration.between(filledAt, now).toNanos();
    if (nanos > 0) {
      tokens = Math.min(capacity, tokens + nanos * (double) bytesPerSecond / NANOS_PER_SECOND);
      filledAt = now;
    }
  }
}
