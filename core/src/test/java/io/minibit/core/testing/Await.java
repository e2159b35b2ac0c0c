package io.minibit.core.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits, with a bound, for a condition that another thread or process will make true. */
public final class Await {
  private static final long POLL_NANOS = Duration.ofMillis(20).toNanos();

  private Await() {}

  /** Returns once {@code condition} holds; fails the test with {@code what} after {@code timeout}. */
  public static void until(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /** Like {@link #until}, and says what the last observed value was on a time-out. */
  public static <T> T until(Duration timeout, String what, Supplier<T> value,
      java.util.function.Predicate<T> condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = value.get();
    while (!condition.test(last)) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for "
            + what + "; last seen: " + last);
      }
      LockSupport.parkNanos(POLL_NANOS);
      last = value.get();
    }
    return last;
  }
}
