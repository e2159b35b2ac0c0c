package io.minibit.peer.server;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.minibit.api.v2.DownloadResponse;
import io.minibit.core.grpc.ErrorMappingInterceptor;
import io.minibit.peer.session.TorrentSession;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Streams a transfer's progress to a Download caller twice a second until the file is complete
 * (the stream ends OK), the transfer fails (its status), or no peer has had a needed block for
 * the no-peers timeout (UNAVAILABLE; the daemon keeps trying). The caller going away ends only
 * the stream, never the download. Thread-safe.
 */
final class ProgressStream {
  /** How often a snapshot goes out when the caller does not say. */
  static final Duration DEFAULT_PERIOD = Duration.ofMillis(500);
  static final Duration MIN_PERIOD = Duration.ofMillis(100);

  private final TorrentSession session;
  private final Supplier<Duration> stalledFor;
  private final Supplier<String> stallReason;
  private final Duration noPeersTimeout;
  private final Duration period;
  private final ScheduledExecutorService scheduler;
  private final ServerCallStreamObserver<DownloadResponse> call;
  private ScheduledFuture<?> ticks;
  private boolean done;
  private long lastSentNanos;
  private boolean sentAny;

  ProgressStream(TorrentSession session, Supplier<Duration> stalledFor,
      Supplier<String> stallReason, Duration noPeersTimeout, Duration period,
      ScheduledExecutorService scheduler, ServerCallStreamObserver<DownloadResponse> call) {
    this.session = session;
    this.stalledFor = stalledFor;
    this.stallReason = stallReason;
    this.noPeersTimeout = noPeersTimeout;
    this.period = period;
    this.scheduler = scheduler;
    this.call = call;
  }

  synchronized void start() {
    call.setOnCancelHandler(this::stop);
    // Checked at least every DEFAULT_PERIOD (the no-peers timeout), sent every `period`.
    long every = Math.min(period.toMillis(), DEFAULT_PERIOD.toMillis());
    ticks = scheduler.scheduleAtFixedRate(this::tick, 0, every, TimeUnit.MILLISECONDS);
    session.completion().whenComplete((path, failure) -> scheduler.execute(this::tick));
  }

  private synchronized void stop() {
    done = true;
    if (ticks != null) {
      ticks.cancel(false);
    }
  }

  private synchronized void tick() {
    if (done) {
      return;
    }
    if (call.isCancelled()) {
      stop();
      return;
    }
    var completion = session.completion();
    if (completion.isDone()) {
      stop();
      if (completion.isCompletedExceptionally()) {
        call.onError(ErrorMappingInterceptor.toStatusException(cause(completion)));
      } else {
        call.onNext(snapshot());
        call.onCompleted();
      }
      return;
    }
    Duration stalled = stalledFor.get();
    if (stalled.compareTo(noPeersTimeout) >= 0) {
      stop();
      call.onError(Status.UNAVAILABLE.withDescription(String.format(
          "no peers for %s for %d s (%s); the daemon keeps trying in the background",
          session.torrent().name(), stalled.toSeconds(), stallReason.get()))
          .asRuntimeException());
      return;
    }
    long now = System.nanoTime();
    if (call.isReady() && (!sentAny || now - lastSentNanos >= period.toNanos())) {
      call.onNext(snapshot());
      sentAny = true;
      lastSentNanos = now;
    }
  }

  private DownloadResponse snapshot() {
    return DownloadResponse.newBuilder()
        .setTransfer(TransferMapper.toProto(session.snapshot())).build();
  }

  private static Throwable cause(java.util.concurrent.CompletableFuture<?> future) {
    try {
      future.join();
      return new IllegalStateException("not failed");
    } catch (CompletionException e) {
      return e.getCause() == null ? e : e.getCause();
    } catch (java.util.concurrent.CancellationException e) {
      return e;
    }
  }
}
