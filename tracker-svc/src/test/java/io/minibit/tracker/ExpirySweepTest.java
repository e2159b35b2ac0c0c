package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When the tracker's expiry sweep wakes: when a session can fall due, not on a period. */
class ExpirySweepTest {
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  @Test
  void itSleepsUntilTheFirstSessionFallsDue() {
    assertEquals(Duration.ofSeconds(42), TrackerServer.nextSweepDelay(
        Optional.of(NOW.plusSeconds(42)), NOW, TIMEOUT));
  }

  @Test
  void withNoSessionItSleepsOneSessionTimeout() {
    // A session opened meanwhile falls due no sooner than that.
    assertEquals(TIMEOUT, TrackerServer.nextSweepDelay(Optional.empty(), NOW, TIMEOUT));
  }

  @Test
  void itNeverSleepsLongerThanOneSessionTimeout() {
    assertEquals(TIMEOUT, TrackerServer.nextSweepDelay(
        Optional.of(NOW.plus(TIMEOUT).plusSeconds(1)), NOW, TIMEOUT));
  }

  @Test
  void aSessionAlreadyDueCannotMakeItSpin() {
    assertEquals(TrackerServer.MIN_SWEEP_DELAY, TrackerServer.nextSweepDelay(
        Optional.of(NOW.minusSeconds(5)), NOW, TIMEOUT));
    assertEquals(TrackerServer.MIN_SWEEP_DELAY, TrackerServer.nextSweepDelay(
        Optional.of(NOW), NOW, TIMEOUT));
  }
}
