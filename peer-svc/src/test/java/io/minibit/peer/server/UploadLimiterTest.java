package io.minibit.peer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class UploadLimiterTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  /** A clock and a timer that move only when told to: the timer's tasks run in time order. */
  private static final class FakeTime {
    private record Task(long at, long order, Runnable run) {}

    long nanos;
    private long order;
    private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) -> a.at != b.at
        ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));

    UploadLimiter limiter(long bytesPerSecond) {
      return new UploadLimiter(bytesPerSecond, () -> nanos,
          (task, delay) -> tasks.add(new Task(nanos + delay, order++, task)));
    }

    /** Runs the timer's tasks, moving the clock to each, until none is left. */
    void runAll() {
      for (int guard = 0; !tasks.isEmpty(); guard++) {
        assertTrue(guard < 100_000, "the timer never runs dry");
        Task next = tasks.poll();
        nanos = Math.max(nanos, next.at);
        next.run.run();
      }
    }

    boolean idle() {
      return tasks.isEmpty();
    }
  }

  /** A call that sends {@code blocks} blocks of {@code size} bytes, one after another. */
  private static final class Sender implements Runnable {
    final UploadLimiter limiter;
    final String peer;
    final int size;
    int left;
    final List<String> log;

    Sender(UploadLimiter limiter, String peer, int size, int blocks, List<String> log) {
      this.limiter = limiter;
      this.peer = peer;
      this.size = size;
      this.left = blocks;
      this.log = log;
    }

    /** Sends what it may now; asks again from the limiter's callback when it had to wait. */
    void start() {
      while (left > 0 && limiter.acquire(peer, size, this)) {
        sent();
      }
    }

    @Override
    public void run() { // the limiter took this sender's bytes
      sent();
      start();
    }

    private void sent() {
      left--;
      log.add(peer);
    }
  }

  @Test
  void sendsAtTheCapOnAverage() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(1_000_000);
    Sender sender = new Sender(limiter, "peer", 50_000, 100, new ArrayList<>());
    sender.start();
    time.runAll();
    assertEquals(0, sender.left);
    // 5 MB at 1 MB/s, less the 100 kB the bucket starts with
    assertEquals(4.9, (double) time.nanos / SECOND, 0.01);
  }

  @Test
  void aSenderThatMustWaitReturnsAtOnceAndIsCalledBackWhenItsBytesAreThere() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(1_000_000); // the bucket holds 100 kB
    assertTrue(limiter.acquire("peer", 100_000, () -> { }), "the bucket was full");
    AtomicInteger calledBack = new AtomicInteger();
    assertFalse(limiter.acquire("peer", 50_000, calledBack::incrementAndGet));
    assertEquals(0, calledBack.get(), "not before the bytes are there");
    assertEquals(1, limiter.queued());
    time.runAll();
    assertEquals(1, calledBack.get());
    assertEquals(0.05, (double) time.nanos / SECOND, 0.001, "50 kB at 1 MB/s");
    assertEquals(0, limiter.queued());
  }

  @Test
  void aBlockLargerThanTheBucketGoesOnceItIsFullAndLaterSendersPayTheDebt() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(1_000_000); // the bucket holds 100 kB
    assertTrue(limiter.acquire("peer", 400_000, () -> { }), "the bucket was full");
    AtomicInteger calledBack = new AtomicInteger();
    assertFalse(limiter.acquire("peer", 100_000, calledBack::incrementAndGet));
    time.runAll();
    assertEquals(1, calledBack.get());
    assertEquals(0.4, (double) time.nanos / SECOND, 0.01, "300 kB of debt + 100 kB");
  }

  @Test
  void refundedBytesGoToTheNextSender() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(1_000_000);
    assertTrue(limiter.acquire("peer", 100_000, () -> { }));
    List<Long> calledBackAt = new ArrayList<>();
    assertFalse(limiter.acquire("other", 100_000, () -> calledBackAt.add(time.nanos)));
    limiter.refund(100_000); // the first one's peer was choked: nothing was sent
    time.runAll();
    assertEquals(List.of(0L), calledBackAt, "the refund paid for the second block");
  }

  @Test
  void aCancelledSenderTakesNothingAndIsNotCalledBack() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(1_000_000);
    assertTrue(limiter.acquire("a", 100_000, () -> { }));
    List<String> calledBack = new ArrayList<>();
    Runnable gone = () -> calledBack.add("gone");
    assertFalse(limiter.acquire("gone", 100_000, gone));
    assertFalse(limiter.acquire("b", 100_000, () -> calledBack.add("b")));
    assertTrue(limiter.cancel("gone", gone));
    assertFalse(limiter.cancel("gone", gone), "it is withdrawn once");
    time.runAll();
    assertEquals(List.of("b"), calledBack);
    assertEquals(0.1, (double) time.nanos / SECOND, 0.001, "b waited only for its own bytes");
  }

  @Test
  void cancellingASenderWhoseBytesWereTakenSaysSo() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(1_000_000);
    assertTrue(limiter.acquire("a", 100_000, () -> { }));
    Runnable late = () -> { };
    assertFalse(limiter.acquire("late", 100_000, late));
    time.runAll(); // its bytes are taken and its callback has run
    assertFalse(limiter.cancel("late", late), "its callback ran: it must refund, not withdraw");
  }

  @Test
  void peersTakeTurnsHoweverManyCallsEachKeepsOpen() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(1024 * 1024);
    int block = 16 * 1024;
    List<String> order = new ArrayList<>();
    List<Sender> senders = new ArrayList<>();
    for (String peer : List.of("greedy", "greedy", "greedy", "greedy", "modest")) {
      senders.add(new Sender(limiter, peer, block, 30, order));
    }
    senders.forEach(Sender::start);
    time.runAll();
    // By calls it would be one block in five; by peers, one in two, until modest is done (the
    // first six blocks fill the bucket the first call found full).
    List<String> contended = order.subList(10, 60);
    long modest = contended.stream().filter("modest"::equals).count();
    assertTrue(modest >= 0.4 * contended.size(),
        "the peer with one call got " + modest + " of " + contended.size());
    senders.forEach(sender -> assertEquals(0, sender.left));
  }

  @Test
  void aThousandWaitingSendersHoldNoThread() throws InterruptedException {
    UploadLimiter limiter = UploadLimiter.of(10 * 1024 * 1024);
    int senders = 1000;
    CountDownLatch sent = new CountDownLatch(senders);
    for (int i = 0; i < senders; i++) {
      // each call returns at once: the cap waits in the queue, not on this thread
      if (limiter.acquire("peer" + (i % 10), 16 * 1024, sent::countDown)) {
        sent.countDown();
      }
    }
    // 16 MB at 10 MiB/s: about a second and a half
    assertTrue(sent.await(30, TimeUnit.SECONDS), sent.getCount() + " senders never got their bytes");
  }

  @Test
  void noCapNeverWaits() {
    FakeTime time = new FakeTime();
    UploadLimiter limiter = time.limiter(0);
    assertTrue(limiter.acquire("peer", Integer.MAX_VALUE, () -> { }));
    assertTrue(limiter.acquire("peer", Integer.MAX_VALUE, () -> { }));
    limiter.refund(10);
    assertTrue(time.idle());
    assertTrue(UploadLimiter.of(0).acquire("peer", Integer.MAX_VALUE, () -> { }));
  }

  @Test
  void aNegativeCapIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> UploadLimiter.of(-1));
  }
}
