package io.minibit.peer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class UploadLimiterTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  /** A clock that only moves when the limiter sleeps on it. */
  private static final class FakeTime {
    long nanos;
    long slept;

    UploadLimiter limiter(long bytesPerSecond) {
      return new UploadLimiter(bytesPerSecond, () -> nanos, wait -> {
        nanos += wait;
        slept += wait;
      });
    }
  }

  @Test
  void sendsAtTheCapOnAverage() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(1_000_000);
    for (int i = 0; i < 100; i++) {
      limiter.acquire(50_000);
    }
    // 5 MB at 1 MB/s, less the 100 kB the bucket starts with
    assertEquals(4.9, (double) time.nanos / SECOND, 0.01);
  }

  @Test
  void aBlockLargerThanTheBucketGoesOnceItIsFullAndLaterSendersPayTheDebt() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(1_000_000); // the bucket holds 100 kB
    limiter.acquire(400_000);
    assertEquals(0, time.slept, "the bucket was full");
    limiter.acquire(100_000);
    assertEquals(0.4, (double) time.slept / SECOND, 0.01, "300 kB of debt + 100 kB");
  }

  @Test
  void refundedBytesGoToTheNextSender() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(1_000_000);
    limiter.acquire(100_000);
    limiter.refund(100_000); // its peer was choked while it waited: nothing was sent
    limiter.acquire(100_000);
    assertEquals(0, time.slept, "the refund paid for the second block");
  }

  @Test
  void noCapNeverWaits() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(0);
    limiter.acquire(Integer.MAX_VALUE);
    limiter.refund(10);
    assertEquals(0, time.slept);
  }

  @Test
  void aNegativeCapIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> UploadLimiter.of(-1));
  }
}
