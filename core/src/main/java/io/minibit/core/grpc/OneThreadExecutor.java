package io.minibit.core.grpc;

import java.util.concurrent.Executor;

/**
 * An executor whose tasks all run on one thread, which can tell whether that thread is the
 * caller's: work given to it from there waits for nothing but the caller's own return.
 */
public interface OneThreadExecutor extends Executor {
  /** Whether the calling thread is the one this executor runs its tasks on. */
  boolean isCurrentThread();
}
