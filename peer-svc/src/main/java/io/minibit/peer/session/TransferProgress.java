package io.minibit.peer.session;

import io.minibit.core.store.BlockStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where one transfer stands: its state (checking what is on disk, downloading, then seeding; or
 * failed, with the reason), when it started and ended, and the bytes it received and how fast.
 *
 * <p>Thread-safe: each transition writes volatile fields that any thread reads.
 */
final class TransferProgress {
  private final Clock clock;
  private final CompletableFuture<Path> completion = new CompletableFuture<>();
  private final Instant startedAt;
  private final AtomicLong received = new AtomicLong();
  private final RateMeter rate;
  private volatile SessionState state;
  private volatile String failure = "";
  private volatile Instant completedAt;

  /** Seeding if {@code store} is whole, checking if it holds blocks to check, else downloading. */
  TransferProgress(BlockStore store, Clock clock) {
    this.clock = clock;
    this.rate = new RateMeter(clock);
    this.startedAt = clock.instant();
    if (store.isFinished()) {
      this.state = SessionState.SEEDING;
      this.completedAt = startedAt;
      completion.complete(store.finalPath());
    } else if (store.uncheckedBlocks() > 0) {
      this.state = SessionState.CHECKING;
    } else {
      this.state = SessionState.DOWNLOADING;
    }
  }

  SessionState state() {
    return state;
  }

  /** Completes with the final path once the file is whole and verified, or with the failure. */
  CompletableFuture<Path> completion() {
    return completion;
  }

  /** The blocks already on disk are checked: the download itself begins. */
  void checked() {
    if (state == SessionState.CHECKING) {
      state = SessionState.DOWNLOADING;
    }
  }

  /** The file is whole and verified: seeding from now. Returns how long the download took. */
  Duration seeding() {
    completedAt = clock.instant();
    state = SessionState.SEEDING;
    failure = "";
    return Duration.between(startedAt, completedAt);
  }

  /** Stopped for good with {@code reason}; the completion is failed by the caller. */
  void failed(String reason) {
    failure = reason;
    state = SessionState.FAILED;
  }

  /** Why the transfer failed; empty unless it did. */
  String failure() {
    return failure;
  }

  /** From the start to the completion, or to now while running. */
  long elapsedMillis() {
    Instant end = completedAt != null ? completedAt : clock.instant();
    return Duration.between(startedAt, end).toMillis();
  }

  void received(long bytes) {
    received.addAndGet(bytes);
    rate.record(bytes);
  }

  long receivedBytes() {
    return received.get();
  }

  /** Bytes per second received lately; 0 once seeding. */
  double rate() {
    return state == SessionState.SEEDING ? 0 : rate.bytesPerSecond();
  }

  /**
   * Until the last of {@code size} bytes at the current rate, {@code held} being here: 0 when
   * complete, -1 when not moving.
   */
  long etaMillis(long size, long held) {
    if (state == SessionState.SEEDING) {
      return 0;
    }
    double now = rate();
    return now > 0 ? (long) Math.ceil((size - held) * 1000.0 / now) : -1;
  }
}
