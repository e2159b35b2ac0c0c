package io.minibit.peer;

import io.minibit.core.DaemonThreads;
import io.minibit.core.grpc.PeerNetworkThreads;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's thread pools, made together and stopped together. Thread-safe (the pools are).
 *
 * @param scheduler the periodic work and every download's timers
 * @param hashExecutor verifies the blocks that arrive
 * @param shareHashers the threads a shared file is hashed on: one per core
 * @param downloadPool the threads downloads' loops run on where the connections of downloads
 *     have no event loops of their own (see {@link #downloadLoop})
 * @param cores the processors the hashing of a shared file is spread over
 */
record DaemonExecutors(ScheduledExecutorService scheduler, ExecutorService hashExecutor,
    ExecutorService shareHashers, ExecutorService downloadPool, int cores) {

  static DaemonExecutors create() {
    int cores = Runtime.getRuntime().availableProcessors();
    return new DaemonExecutors(
        Executors.newScheduledThreadPool(2, DaemonThreads.named("peer-scheduler")),
        Executors.newFixedThreadPool(2, DaemonThreads.named("peer-hasher")),
        Executors.newFixedThreadPool(cores, DaemonThreads.named("peer-share-hasher")),
        Executors.newFixedThreadPool(Math.max(2, cores), DaemonThreads.named("peer-download")),
        cores);
  }

  /**
   * Where a new download's loop runs: one of the event loops of the downloads' connections,
   * taken in turn, where they have their own ({@link PeerNetworkThreads#downloadLoop}); the
   * download pool otherwise. On an event loop, each block that arrives reaches the loop without
   * waking a pool thread (a futex wake and a sleep per block), and the calls the loop starts go
   * out from the thread that writes them.
   */
  Executor downloadLoop() {
    return PeerNetworkThreads.downloadLoop().map(Executor.class::cast).orElse(downloadPool);
  }

  /**
   * Runs a torrent's gathered HAVEs after {@code delay} on the scheduler (a {@link
   * io.minibit.peer.session.HaveWindow.Timer}); nothing once the daemon is stopping, when nobody
   * is left to tell.
   */
  void haveTimer(Duration delay, Runnable send) {
    try {
      scheduler.schedule(send, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // stopping
    }
  }

  /** Stops every pool; waits a little for the block hashing to end. */
  void shutdown() {
    scheduler.shutdownNow();
    downloadPool.shutdownNow();
    hashExecutor.shutdownNow();
    shareHashers.shutdownNow();
    try {
      hashExecutor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
