package io.minibit.peer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
      limiter.acquire("peer", 50_000);
    }
    // 5 MB at 1 MB/s, less the 100 kB the bucket starts with
    assertEquals(4.9, (double) time.nanos / SECOND, 0.01);
  }

  @Test
  void aBlockLargerThanTheBucketGoesOnceItIsFullAndLaterSendersPayTheDebt() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(1_000_000); // the bucket holds 100 kB
    limiter.acquire("peer", 400_000);
    assertEquals(0, time.slept, "the bucket was full");
    limiter.acquire("peer", 100_000);
    assertEquals(0.4, (double) time.slept / SECOND, 0.01, "300 kB of debt + 100 kB");
  }

  @Test
  void refundedBytesGoToTheNextSender() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(1_000_000);
    limiter.acquire("peer", 100_000);
    limiter.refund(100_000); // its peer was choked while it waited: nothing was sent
    limiter.acquire("peer", 100_000);
    assertEquals(0, time.slept, "the refund paid for the second block");
  }

  @Test
  void peersTakeTurnsHoweverManyCallsEachKeepsWaiting() throws InterruptedException {
    UploadLimiter limiter = UploadLimiter.of(1024 * 1024);
    int block = 16 * 1024;
    int total = 60;
    AtomicInteger served = new AtomicInteger();
    Map<String, AtomicInteger> byPeer = Map.of("greedy", new AtomicInteger(),
        "modest", new AtomicInteger());
    List<Thread> senders = new ArrayList<>();
    for (String peer : List.of("greedy", "greedy", "greedy", "greedy", "modest")) {
      senders.add(new Thread(() -> {
        while (served.get() < total) {
          limiter.acquire(peer, block);
          served.incrementAndGet();
          byPeer.get(peer).incrementAndGet();
        }
      }));
    }
    senders.forEach(Thread::start);
    for (Thread sender : senders) {
      sender.join(TimeUnit.SECONDS.toMillis(10));
      assertFalse(sender.isAlive(), "a sender never got its turn");
    }

    // By calls it would be one block in five; by peers, one in two.
    int modest = byPeer.get("modest").get();
    int all = modest + byPeer.get("greedy").get();
    assertTrue(modest >= 0.4 * all, "the peer with one call got " + modest + " of " + all);
  }

  @Test
  void noCapNeverWaits() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(0);
    limiter.acquire("peer", Integer.MAX_VALUE);
    limiter.refund(10);
    assertEquals(0, time.slept);
  }

  @Test
  void aNegativeCapIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> UploadLimiter.of(-1));
  }
}
