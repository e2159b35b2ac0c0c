package io.minibit.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static final Duration INITIAL = Duration.ofMillis(100);
  private static final Duration MAX = Duration.ofSeconds(1);

  /** A Random whose nextDouble is always {@code value}: pins the jitter to an end of its range. */
  private static Random fixed(double value) {
    return new Random() {
      @Override
      public double nextDouble() {
        return value;
      }
    };
  }

  private static List<Long> delays(Backoff backoff, int count) {
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      delays.add(backoff.nextDelay().toMillis());
    }
    return delays;
  }

  @Test
  void delaysDoubleUpToTheCap() {
    Backoff lowest = new Backoff(INITIAL, MAX, 2.0, fixed(0.0));
    Backoff highest = new Backoff(INITIAL, MAX, 2.0, fixed(Math.nextDown(1.0)));

    assertEquals(List.of(50L, 100L, 200L, 400L, 500L, 500L), delays(lowest, 6));
    assertEquals(List.of(99L, 199L, 399L, 799L, 999L, 999L), delays(highest, 6));
  }

  @Test
  void everyDelayLiesBetweenHalfTheCeilingAndTheCeiling() {
    long[] ceilings = {100, 200, 400, 800, 1000, 1000, 1000};
    for (long seed = 0; seed < 200; seed++) {
      Backoff backoff = new Backoff(INITIAL, MAX, 2.0, new Random(seed));
      for (long ceiling : ceilings) {
        long delay = backoff.nextDelay().toMillis();
        assertTrue(delay >= ceiling / 2 && delay <= ceiling,
            "seed " + seed + ": " + delay + " ms outside [" + ceiling / 2 + ", " + ceiling + "]");
      }
    }
  }

  @Test
  void staysAtTheCapAfterVeryManyFailures() {
    Backoff backoff = new Backoff(INITIAL, MAX, 2.0, new Random(1));

    List<Long> delays = delays(backoff, 1000);

    assertEquals(1000, backoff.failures());
    delays.subList(10, 1000).forEach(delay ->
        assertTrue(delay >= 500 && delay <= 1000, delay + " ms outside the cap's range"));
  }

  @Test
  void resetStartsOverFromTheInitialDelay() {
    Backoff backoff = new Backoff(INITIAL, MAX, 2.0, fixed(0.0));
    delays(backoff, 5);

    backoff.reset();

    assertEquals(0, backoff.failures());
    assertEquals(50, backoff.nextDelay().toMillis());
    assertEquals(1, backoff.failures());
  }

  @Test
  void sameSeedGivesTheSameDelays() {
    List<Long> first = delays(new Backoff(INITIAL, MAX, 2.0, new Random(42)), 10);
    List<Long> second = delays(new Backoff(INITIAL, MAX, 2.0, new Random(42)), 10);
    List<Long> other = delays(new Backoff(INITIAL, MAX, 2.0, new Random(43)), 10);

    assertEquals(first, second);
    assertTrue(!first.equals(other), "different seeds should jitter differently");
  }

  @Test
  void standardStartsAroundOneSecondAndCapsAtThirty() {
    Backoff backoff = Backoff.standard(fixed(Math.nextDown(1.0)));

    List<Long> delays = delays(backoff, 7);

    assertEquals(List.of(999L, 1999L, 3999L, 7999L, 15999L, 29999L, 29999L), delays);
  }

  @Test
  void refusesNonsensicalSettings() {
    Random random = new Random(0);
    assertThrows(IllegalArgumentException.class,
        () -> new Backoff(Duration.ZERO, MAX, 2.0, random));
    assertThrows(IllegalArgumentException.class,
        () -> new Backoff(MAX, INITIAL, 2.0, random));
    assertThrows(IllegalArgumentException.class,
        () -> new Backoff(INITIAL, MAX, 0.5, random));
  }
}
