package io.minibit.peer.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.testing.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DownloadLimiterTest {
  private static final int BLOCK = 64 * 1024;

  private final MutableClock clock = new MutableClock();

  @Test
  void withoutACapEverythingIsAllowedAtOnce() {
    DownloadLimiter none = DownloadLimiter.of(0);
    none.charge(Long.MAX_VALUE / 2);
    assertEquals(Integer.MAX_VALUE, none.allowance(BLOCK));
    assertEquals(Duration.ZERO, none.untilAllowed());
  }

  @Test
  void aGreedyDownloaderGetsTheCapOnAverage() {
    DownloadLimiter limiter = new DownloadLimiter(16L * BLOCK, clock); // 16 blocks a second
    long blocks = 0;
    for (int step = 0; step < 1000; step++) { // ten seconds in steps of 10 ms
      int allowed = limiter.allowance(BLOCK);
      limiter.charge((long) allowed * BLOCK);
      blocks += allowed;
      clock.advance(Duration.ofMillis(10));
    }
    // the cap's 160 blocks, plus what the bucket held at the start (a quarter second: 4)
    assertTrue(blocks >= 159 && blocks <= 165, "blocks asked for in 10 s: " + blocks);
  }

  @Test
  void aBlockLargerThanTheBucketGoesWholeAndItsDebtIsPaidFirst() {
    DownloadLimiter limiter = new DownloadLimiter(BLOCK, clock); // bucket: a quarter block
    assertEquals(1, limiter.allowance(4 * BLOCK));
    limiter.charge(4 * BLOCK);
    assertEquals(0, limiter.allowance(4 * BLOCK));
    Duration wait = limiter.untilAllowed();
    assertTrue(wait.compareTo(Duration.ofMillis(3700)) > 0
        && wait.compareTo(Duration.ofSeconds(4)) <= 0, "wait " + wait);
    clock.advance(wait);
    assertEquals(1, limiter.allowance(4 * BLOCK));
  }

  @Test
  void aWaitIsNeverShorterThanTheMillisecondTimersCountIn() {
    DownloadLimiter limiter = new DownloadLimiter(1L << 30, clock); // a GiB a second
    limiter.charge(limiter.allowance(BLOCK) * (long) BLOCK); // the bucket to zero, about
    limiter.charge(1);

    Duration wait = limiter.untilAllowed(); // a byte's worth: about a nanosecond
    assertEquals(Duration.ofMillis(1), wait);
    clock.advance(wait);
    assertTrue(limiter.allowance(BLOCK) >= 1, "after the wait it allows again");
  }

  @Test
  void blocksThatWillNotComeAreGivenBackButNeverBeyondTheBucket() {
    DownloadLimiter limiter = new DownloadLimiter(8L * BLOCK, clock); // bucket: two blocks
    limiter.charge(6L * BLOCK);
    assertEquals(0, limiter.allowance(BLOCK));
    limiter.refund(5L * BLOCK);
    assertEquals(1, limiter.allowance(BLOCK));
    limiter.refund(100L * BLOCK);
    assertEquals(2, limiter.allowance(BLOCK), "a refund does not grow the bucket");
  }
}
