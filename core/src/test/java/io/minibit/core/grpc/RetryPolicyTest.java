package io.minibit.core.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.minibit.api.v2.PeerControlServiceGrpc;
import io.minibit.api.v2.TrackerServiceGrpc;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The retry policy read from the service config the Netty channels are given. */
class RetryPolicyTest {
  private static final RetryPolicy EXPECTED = new RetryPolicy(4, Duration.ofMillis(200),
      Duration.ofSeconds(2), 2.0, Set.of(Status.Code.UNAVAILABLE));

  @Test
  void theControlCallsThatAreSafeToRepeatAndEveryTrackerCallAreRetried() {
    assertEquals(Optional.of(EXPECTED),
        RetryPolicy.forMethod(PeerControlServiceGrpc.getListTransfersMethod()));
    assertEquals(Optional.of(EXPECTED),
        RetryPolicy.forMethod(PeerControlServiceGrpc.getShareMethod()));
    assertEquals(Optional.of(EXPECTED),
        RetryPolicy.forMethod(PeerControlServiceGrpc.getRemoveMethod()));
    assertEquals(Optional.of(EXPECTED),
        RetryPolicy.forMethod(TrackerServiceGrpc.getAnnounceMethod()));
  }

  @Test
  void theProgressStreamsAreNot() {
    // Their UNAVAILABLE means "no peers" or "the daemon went away mid-call": a retry repeats it.
    assertEquals(Optional.empty(),
        RetryPolicy.forMethod(PeerControlServiceGrpc.getDownloadMethod()));
    assertEquals(Optional.empty(),
        RetryPolicy.forMethod(PeerControlServiceGrpc.getShareWithProgressMethod()));
  }

  @Test
  void aMethodNamedAloneGetsItsServicesPolicyOnlyIfNamed() {
    Map<String, ?> config = Map.of("methodConfig", List.of(Map.of(
        "name", List.of(Map.of("service", "minibit.v2.PeerControlService", "method", "Remove")),
        "retryPolicy", Map.of("maxAttempts", 3.0, "initialBackoff", "1.5s", "maxBackoff", "10s",
            "backoffMultiplier", 3.0, "retryableStatusCodes", List.of("UNAVAILABLE", "ABORTED")))));

    assertEquals(Optional.of(new RetryPolicy(3, Duration.ofMillis(1500), Duration.ofSeconds(10),
            3.0, Set.of(Status.Code.UNAVAILABLE, Status.Code.ABORTED))),
        RetryPolicy.forMethod(config, PeerControlServiceGrpc.getRemoveMethod()));
    assertEquals(Optional.empty(),
        RetryPolicy.forMethod(config, PeerControlServiceGrpc.getShareMethod()));
  }

  @Test
  void backoffsAreRandomUpToABoundThatDoublesToItsMaximum() {
    Random random = new Random(7);
    for (int i = 0; i < 1_000; i++) {
      assertBetween(Duration.ZERO, Duration.ofMillis(200), EXPECTED.backoff(1, random));
      assertBetween(Duration.ZERO, Duration.ofMillis(400), EXPECTED.backoff(2, random));
      assertBetween(Duration.ZERO, Duration.ofSeconds(2), EXPECTED.backoff(10, random));
    }
    Random high = new Random() {
      @Override
      public double nextDouble() {
        return 0.999;
      }
    };
    assertBetween(Duration.ofMillis(199), Duration.ofMillis(200), EXPECTED.backoff(1, high));
    assertBetween(Duration.ofMillis(798), Duration.ofMillis(800), EXPECTED.backoff(3, high));
    assertBetween(Duration.ofMillis(1998), Duration.ofSeconds(2), EXPECTED.backoff(5, high));
  }

  private static void assertBetween(Duration low, Duration high, Duration actual) {
    assertTrue(actual.compareTo(low) >= 0 && actual.compareTo(high) <= 0,
        actual + " is not within " + low + ".." + high);
  }
}
