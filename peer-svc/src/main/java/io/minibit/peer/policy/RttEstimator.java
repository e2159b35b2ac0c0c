package io.minibit.peer.policy;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * A peer's round-trip time: the median of its last few ping samples, so one slow answer does
 * not move it. Not thread-safe; its owner guards it.
 */
public final class RttEstimator {
  /** Samples kept. */
  public static final int WINDOW = 5;

  private final Deque<Double> samples = new ArrayDeque<>();
  /** The median, kept as samples come: it is read far more often than a sample arrives. */
  private double median;

  public void add(Duration rtt) {
    if (samples.size() == WINDOW) {
      samples.removeFirst();
    }
    samples.addLast(rtt.toNanos() / 1e6);
    double[] sorted = new double[samples.size()];
    int i = 0;
    for (double sample : samples) {
      sorted[i++] = sample;
    }
    Arrays.sort(sorted);
    int n = sorted.length;
    median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** Median of the samples in milliseconds, or 0 before the first one. */
  public double millis() {
    return median;
  }

  public int samples() {
    return samples.size();
  }
}
