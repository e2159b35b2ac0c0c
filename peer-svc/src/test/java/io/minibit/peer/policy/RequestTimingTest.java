package io.minibit.peer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RequestTimingTest {
  private static final long MIB = 1024 * 1024;

  @Test
  void anUnmeasuredPeerGetsTheFixedBounds() {
    assertEquals(RequestTiming.UNMEASURED_DEADLINE, RequestTiming.deadline(1000, 8 * MIB, 5));
    assertEquals(RequestTiming.UNMEASURED_LATE_AFTER, RequestTiming.lateAfter(0, 8 * MIB, 5));
  }

  @Test
  void aMeasuredPeerIsLateAfterTwiceAndFailedAfterFourTimesWhatItsBlocksShouldTake() {
    // 10 MiB in flight at 1 MiB/s: 10 s expected, plus four 50 ms round trips
    assertEquals(Duration.ofMillis(20_200), RequestTiming.lateAfter(MIB, 10 * MIB, 50));
    assertEquals(Duration.ofMillis(40_200), RequestTiming.deadline(MIB, 10 * MIB, 50));
  }

  @Test
  void theBoundsAreClamped() {
    assertEquals(RequestTiming.MIN_LATE_AFTER, RequestTiming.lateAfter(100 * MIB, MIB, 1));
    assertEquals(RequestTiming.MIN_DEADLINE, RequestTiming.deadline(100 * MIB, MIB, 1));
    assertEquals(RequestTiming.MAX_DEADLINE, RequestTiming.deadline(100 * 1024, 100 * MIB, 1));
  }
}
