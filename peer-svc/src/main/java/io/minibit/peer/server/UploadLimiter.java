package io.minibit.peer.server;

import com.google.common.util.concurrent.RateLimiter;

/**
 * Caps the bytes per second this peer serves, over all calls together. Thread-safe.
 */
public final class UploadLimiter {
  private final RateLimiter limiter;

  private UploadLimiter(RateLimiter limiter) {
    this.limiter = limiter;
  }

  /** A cap of {@code bytesPerSecond}, or none when it is 0. */
  public static UploadLimiter of(long bytesPerSecond) {
    return new UploadLimiter(bytesPerSecond == 0 ? null : RateLimiter.create(bytesPerSecond));
  }

  /** Waits until {@code bytes} more may be sent. */
  public void acquire(int bytes) {
    if (limiter != null) {
      limiter.acquire(bytes);
    }
  }
}
