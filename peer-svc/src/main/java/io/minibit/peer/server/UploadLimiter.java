package io.minibit.peer.server;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Caps the bytes per second this peer serves, over all calls together: a token bucket that
 * fills at the cap and holds at most a tenth of a second of it (or one block, if larger).
 *
 * <p>A sender takes its bytes only once they are there, never in advance: one that is told to
 * stop while it waits (its peer was choked) has taken nothing, and one that took bytes it will
 * not send gives them back with {@link #refund}, so no choke round wastes the upload. Thread-safe.
 */
public final class UploadLimiter {
  /** Parks the calling thread for a while; {@link LockSupport#parkNanos} in production. */
  interface Sleeper {
    void sleepNanos(long nanos);
  }

  private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

  private final long bytesPerSecond;
  private final long capacity;
  private final LongSupplier nanoTime;
  private final Sleeper sleeper;
  private double tokens;
  private long filledAt;

  UploadLimiter(long bytesPerSecond, LongSupplier nanoTime, Sleeper sleeper) {
    this.bytesPerSecond = bytesPerSecond;
    this.capacity = Math.max(1, bytesPerSecond / 10);
    this.nanoTime = nanoTime;
    this.sleeper = sleeper;
    this.filledAt = nanoTime.getAsLong();
    this.tokens = capacity;
  }

  /** A cap of {@code bytesPerSecond}, or none when it is 0. */
  public static UploadLimiter of(long bytesPerSecond) {
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("upload limit " + bytesPerSecond + " < 0");
    }
    return new UploadLimiter(bytesPerSecond, System::nanoTime, LockSupport::parkNanos);
  }

  /** Waits until {@code bytes} more may be sent, and takes them. */
  public void acquire(int bytes) {
    if (bytesPerSecond == 0) {
      return;
    }
    while (true) {
      long waitNanos;
      synchronized (this) {
        refill();
        // A block larger than the bucket goes once the bucket is full, leaving a debt that
        // later senders wait out: the average stays at the cap.
        double needed = Math.min(bytes, capacity);
        if (tokens >= needed) {
          tokens -= bytes;
          return;
        }
        waitNanos = (long) Math.ceil((needed - tokens) * NANOS_PER_SECOND / bytesPerSecond);
      }
      sleeper.sleepNanos(waitNanos);
    }
  }

  /** Gives back {@code bytes} taken by {@link #acquire} and not sent. */
  public synchronized void refund(int bytes) {
    if (bytesPerSecond == 0) {
      return;
    }
    refill();
    tokens = Math.min(capacity, tokens + bytes);
  }

  private void refill() {
    long now = nanoTime.getAsLong();
    tokens = Math.min(capacity,
        tokens + (double) (now - filledAt) * bytesPerSecond / NANOS_PER_SECOND);
    filledAt = now;
  }
}
