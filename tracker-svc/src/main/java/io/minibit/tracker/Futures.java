package io.minibit.tracker;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** What the tracker's asynchronous calls do with a future's failure. Stateless. */
final class Futures {
  private Futures() {}

  /** What {@code e} is about: its cause if a CompletionException wraps it. */
  static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  /**
   * The result of {@code future}, waited for; a failure is thrown as it was raised (a
   * {@code MinibitException}, say), not wrapped.
   */
  static <T> T join(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }
}
