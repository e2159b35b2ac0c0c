package io.minibit.core;

import java.time.Duration;
import java.util.Random;

/**
 * Exponential backoff with jitter: the n-th consecutive failure waits a random time in
 * [d/2, d], where d = min(max, initial * multiplier^(n-1)). {@link #reset()} after a success.
 *
 * <p>Not thread-safe: one owner per instance.
 */
public final class Backoff {
  private final Duration initial;
  private final Duration max;
  private final double multiplier;
  private final Random random;
  private int failures;

  public Backoff(Duration initial, Duration max, double multiplier, Random random) {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0 || multiplier < 1) {
      throw new IllegalArgumentException("need 0 < initial <= max and multiplier >= 1");
    }
    this.initial = initial;
    this.max = max;
    this.multiplier = multiplier;
    this.random = random;
  }

  /** 1 s doubling up to 30 s: the default for reconnecting to a tracker or a peer. */
  public static Backoff standard(Random random) {
    return new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 2.0, random);
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  public Duration nextDelay() {
    double ceiling = initial.toMillis() * Math.pow(multiplier, Math.min(failures, 62));
    failures++;
    long capped = (long) Math.min(max.toMillis(), ceiling);
    long jittered = capped / 2 + (long) (random.nextDouble() * (capped - capped / 2));
    return Duration.ofMillis(Math.max(1, jittered));
  }

  public int failures() {
    return failures;
  }

  public void reset() {
    failures = 0;
  }
}
