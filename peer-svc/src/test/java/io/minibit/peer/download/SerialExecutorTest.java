package io.minibit.peer.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.grpc.OneThreadExecutor;
import io.minibit.core.testing.Await;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SerialExecutorTest {
  private final Queue<Runnable> pool = new ArrayDeque<>();
  private final List<String> ran = new ArrayList<>();

  private void runPool() {
    while (!pool.isEmpty()) {
      pool.poll().run();
    }
  }

  @Test
  void tasksRunInOrderAndABurstEndsWithOneAfterBurst() {
    SerialExecutor loop = new SerialExecutor(pool::add, () -> ran.add("flush"));
    loop.execute(() -> ran.add("a"));
    loop.execute(() -> ran.add("b"));
    loop.execute(() -> ran.add("c"));

    assertEquals(1, pool.size(), "one drain for the burst");
    runPool();

    assertEquals(List.of("a", "b", "c", "flush"), ran);
  }

  @Test
  void aTaskGivenFromATaskRunsInTheSameBurst() {
    SerialExecutor[] loop = new SerialExecutor[1];
    loop[0] = new SerialExecutor(pool::add, () -> ran.add("flush"));
    loop[0].execute(() -> {
      ran.add("first");
      assertTrue(loop[0].inLoop());
      loop[0].execute(() -> ran.add("second"));
    });
    runPool();

    assertEquals(List.of("first", "second", "flush"), ran);
    assertFalse(loop[0].inLoop());
  }

  @Test
  void onTheOnlyThreadOfItsExecutorTheLoopIsNeverBusyElsewhere() {
    boolean[] onItsThread = {false};
    OneThreadExecutor oneThread = new OneThreadExecutor() {
      @Override
      public void execute(Runnable task) {
        pool.add(task);
      }

      @Override
      public boolean isCurrentThread() {
        return onItsThread[0];
      }
    };
    SerialExecutor loop = new SerialExecutor(oneThread, () -> ran.add("flush"));

    assertFalse(loop.inLoop(), "another thread waits for the loop");
    onItsThread[0] = true;
    assertTrue(loop.inLoop(), "on the executor's thread no task can be under way");
    loop.execute(() -> ran.add("task"));
    assertTrue(loop.inLoop(), "a task waiting on the same thread is not under way either");
    runPool();
    assertEquals(List.of("task", "flush"), ran);
  }

  @Test
  void aFailingTaskDoesNotStopTheLoop() {
    SerialExecutor loop = new SerialExecutor(pool::add, () -> ran.add("flush"));
    loop.execute(() -> {
      throw new IllegalStateException("boom");
    });
    loop.execute(() -> ran.add("after"));
    runPool();

    assertEquals(List.of("after", "flush"), ran);
  }

  @Test
  void tasksFromManyThreadsNeverOverlap() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(4);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger overlaps = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    List<Integer> flushes = new CopyOnWriteArrayList<>();
    SerialExecutor loop = new SerialExecutor(threads, () -> flushes.add(done.get()));
    try {
      for (int i = 0; i < 2000; i++) {
        threads.execute(() -> loop.execute(() -> {
          if (running.incrementAndGet() > 1) {
            overlaps.incrementAndGet();
          }
          done.incrementAndGet();
          running.decrementAndGet();
        }));
      }
      Await.until(Duration.ofSeconds(20), "every task ran", () -> done.get() == 2000);
      assertEquals(0, overlaps.get());
      Await.until(Duration.ofSeconds(20), "a flush after the last task",
          () -> flushes.contains(2000));
    } finally {
      threads.shutdownNow();
    }
  }
}
