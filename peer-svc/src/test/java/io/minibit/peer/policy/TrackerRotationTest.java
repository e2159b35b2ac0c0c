package io.minibit.peer.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.Backoff;
import io.minibit.core.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Which tracker a call goes to, and how long a round in which none answered makes us wait. */
class TrackerRotationTest {
  private final MutableClock clock = new MutableClock();

  /** A random whose every draw is {@code draw}: the jitter is under the test's control. */
  private static Random fixed(double draw) {
    return new Random() {
      @Override
      public double nextDouble() {
        return draw;
      }
    };
  }

  /** Rounds wait 1 s doubling up to 8 s, at the top of the jitter range. */
  private TrackerRotation rotation(int trackers) {
    return new TrackerRotation(trackers,
        new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), 2.0, fixed(1.0)), clock);
  }

  @Test
  void callsStartWithTheFirstTrackerAndTryTheOthersInListOrder() {
    TrackerRotation rotation = rotation(3);
    assertEquals(0, rotation.current());
    assertEquals(-1, rotation.inUse(), "none has answered yet");
    assertEquals(List.of(0, 1, 2), rotation.order());
  }

  @Test
  void anUnreachableTrackerHandsOverToTheNextAndTheFirstToAnswerIsInUse() {
    TrackerRotation rotation = rotation(3);
    assertFalse(rotation.answered(0), "the first answer is no move");
    rotation.failed(0);
    assertEquals(1, rotation.current());
    assertEquals(List.of(1, 2), rotation.order(), "the failed one waits for the next round");
    assertTrue(rotation.answered(1), "calls moved from 0 to 1");
    assertEquals(1, rotation.inUse());
    assertFalse(rotation.answered(1), "answering again is no move");
  }

  @Test
  void aFirstAnswerFromAnotherThanTheFirstTrackerIsAMove() {
    TrackerRotation rotation = rotation(2);
    rotation.failed(0);
    assertTrue(rotation.answered(1), "the preferred tracker could not be reached");
  }

  @Test
  void theRotationIsStickyATrackerThatReturnsIsNotPreferredAgain() {
    TrackerRotation rotation = rotation(3);
    rotation.answered(0);
    rotation.failed(0);
    rotation.answered(1);
    // tracker 0 is back, but calls stay where they work
    assertEquals(List.of(1, 2, 0), rotation.order());
    assertEquals(1, rotation.current());
    // when 1 fails in turn, 2 is next, then 0 again
    rotation.failed(1);
    assertEquals(List.of(2, 0), rotation.order());
    rotation.failed(2);
    assertEquals(List.of(0), rotation.order());
    assertTrue(rotation.answered(0), "back on the first");
  }

  @Test
  void aRoundInWhichNoneAnsweredWaitsWithExponentialBackoffAndJitter() {
    TrackerRotation rotation = rotation(2);
    assertEquals(Duration.ZERO, rotation.waitBeforeRound());
    rotation.failed(0);
    rotation.failed(1);
    assertEquals(List.of(), rotation.order(), "no call until the wait is over");
    assertEquals(Duration.ofSeconds(1), rotation.waitBeforeRound());

    clock.advance(Duration.ofMillis(999));
    assertEquals(List.of(), rotation.order());
    clock.advance(Duration.ofMillis(1));
    assertEquals(List.of(0, 1), rotation.order(), "a new round starts after the last to fail");

    rotation.failed(0);
    rotation.failed(1);
    assertEquals(Duration.ofSeconds(2), rotation.waitBeforeRound(), "doubled");
    clock.advance(Duration.ofSeconds(2));
    rotation.failed(0);
    rotation.failed(1);
    assertEquals(Duration.ofSeconds(4), rotation.waitBeforeRound());
    clock.advance(Duration.ofSeconds(4));
    rotation.failed(0);
    rotation.failed(1);
    clock.advance(Duration.ofSeconds(8));
    rotation.failed(0);
    rotation.failed(1);
    assertEquals(Duration.ofSeconds(8), rotation.waitBeforeRound(), "capped");
  }

  @Test
  void theJitterDrawsTheWaitFromTheUpperHalfOfTheStep() {
    TrackerRotation low = new TrackerRotation(1,
        new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), 2.0, fixed(0.0)), clock);
    low.failed(0);
    assertEquals(Duration.ofMillis(500), low.waitBeforeRound());
    TrackerRotation middle = new TrackerRotation(1,
        new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(8), 2.0, fixed(0.5)), clock);
    middle.failed(0);
    assertEquals(Duration.ofMillis(750), middle.waitBeforeRound());
  }

  @Test
  void anAnswerEndsTheWaitAndResetsTheBackoff() {
    TrackerRotation rotation = rotation(2);
    rotation.failed(0);
    rotation.failed(1);
    clock.advance(Duration.ofSeconds(1));
    rotation.failed(0);
    rotation.failed(1);
    assertEquals(Duration.ofSeconds(2), rotation.waitBeforeRound());
    // the health stream of tracker 1 says it serves again, before the wait is over
    rotation.answered(1);
    assertEquals(Duration.ZERO, rotation.waitBeforeRound());
    assertEquals(List.of(1, 0), rotation.order());
    rotation.failed(1);
    rotation.failed(0);
    assertEquals(Duration.ofSeconds(1), rotation.waitBeforeRound(), "back to the first step");
  }

  @Test
  void aSingleTrackerIsTriedAgainAfterTheWait() {
    TrackerRotation rotation = rotation(1);
    rotation.answered(0);
    rotation.failed(0);
    assertEquals(List.of(), rotation.order());
    clock.advance(Duration.ofSeconds(1));
    assertEquals(List.of(0), rotation.order());
    assertFalse(rotation.answered(0), "the same tracker: no move");
  }

  @Test
  void aFailureOfATrackerThatIsNotCurrentLeavesTheCurrentOne() {
    TrackerRotation rotation = rotation(3);
    rotation.answered(0);
    rotation.failed(2); // a call that started before the move, say
    assertEquals(0, rotation.current());
    assertEquals(List.of(0, 1), rotation.order());
  }

  @Test
  void badArgumentsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> rotation(0));
    TrackerRotation rotation = rotation(2);
    assertThrows(IndexOutOfBoundsException.class, () -> rotation.failed(2));
    assertThrows(IndexOutOfBoundsException.class, () -> rotation.answered(-1));
  }
}
