package io.minibit.peer.policy;

import java.time.Duration;

/**
 * How long a request to a peer may take: until it runs <em>late</em> (its blocks are offered to
 * other peers as well, the first copy winning) and until its <em>deadline</em> (the peer counts
 * as failed and its blocks go back to the others).
 *
 * <p>Both follow what the blocks in flight to the peer should take at its measured rate: late
 * after twice that, failed after four times, plus four round trips each. A peer whose rate is not
 * known yet (under {@link #MIN_TRUSTED_RATE}) gets fixed, generous bounds. Pure and immutable.
 */
public final class RequestTiming {
  /** Below this rate (bytes/s) a peer's speed is not trusted for timing yet. */
  public static final double MIN_TRUSTED_RATE = 64 * 1024;
  public static final Duration UNMEASURED_DEADLINE = Duration.ofSeconds(30);
  public static final Duration MIN_DEADLINE = Duration.ofSeconds(10);
  public static final Duration MAX_DEADLINE = Duration.ofSeconds(120);
  public static final Duration UNMEASURED_LATE_AFTER = Duration.ofSeconds(5);
  public static final Duration MIN_LATE_AFTER = Duration.ofSeconds(2);

  private RequestTiming() {}

  /**
   * How long a call may take before its peer counts as failed, given the peer's rate (bytes/s),
   * the bytes in flight to it and its round trip.
   */
  public static Duration deadline(double bytesPerSecond, long inFlightBytes, double rttMillis) {
    if (bytesPerSecond < MIN_TRUSTED_RATE) {
      return UNMEASURED_DEADLINE;
    }
    long millis = (long) (4000.0 * inFlightBytes / bytesPerSecond + 4 * rttMillis);
    return clamp(Duration.ofMillis(millis), MIN_DEADLINE, MAX_DEADLINE);
  }

  /** How long a call may take before its blocks are offered to other peers as well. */
  public static Duration lateAfter(double bytesPerSecond, long inFlightBytes, double rttMillis) {
    if (bytesPerSecond < MIN_TRUSTED_RATE) {
      return UNMEASURED_LATE_AFTER;
    }
    long millis = (long) (2000.0 * inFlightBytes / bytesPerSecond + 4 * rttMillis);
    return clamp(Duration.ofMillis(millis), MIN_LATE_AFTER, MAX_DEADLINE);
  }

  private static Duration clamp(Duration value, Duration min, Duration max) {
    return value.compareTo(min) < 0 ? min : value.compareTo(max) > 0 ? max : value;
  }
}
