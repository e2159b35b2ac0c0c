package io.minibit.peer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RttEstimatorTest {
  @Test
  void theMedianIgnoresAnOutlier() {
    RttEstimator rtt = new RttEstimator();
    assertEquals(0, rtt.millis());
    for (long ms : new long[] {10, 12, 500, 11, 9}) {
      rtt.add(Duration.ofMillis(ms));
    }
    assertEquals(11, rtt.millis(), 1e-9);
  }

  @Test
  void onlyTheLastSamplesCount() {
    RttEstimator rtt = new RttEstimator();
    for (int i = 0; i < RttEstimator.WINDOW; i++) {
      rtt.add(Duration.ofMillis(100));
    }
    for (int i = 0; i < RttEstimator.WINDOW; i++) {
      rtt.add(Duration.ofMillis(2));
    }
    assertEquals(2, rtt.millis(), 1e-9);
    assertEquals(RttEstimator.WINDOW, rtt.samples());
  }

  @Test
  void anEvenNumberOfSamplesAveragesTheMiddleTwo() {
    RttEstimator rtt = new RttEstimator();
    rtt.add(Duration.ofMillis(4));
    rtt.add(Duration.ofMillis(6));
    assertEquals(5, rtt.millis(), 1e-9);
  }
}
