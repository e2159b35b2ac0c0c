package io.minibit.cli.http2;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.minibit.core.grpc.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A call retried as its {@link RetryPolicy} says: an attempt that fails with a retryable code
 * before the server answered (no headers, no message) is made again after a backoff, with the
 * same headers and messages, while attempts and the deadline last. Once the server has
 * answered, the call is committed to that attempt. Thread-safe: its state is guarded by its
 * monitor, and the listener hears one attempt's callbacks, through the call's executor.
 */
final class RetryingCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
  private final Http2Channel channel;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions options;
  private final RetryPolicy policy;
  private final Context context = Context.current();
  // Guarded by this.
  private Listener<RespT> listener;
  private Metadata headers;
  private final List<ReqT> messages = new ArrayList<>();
  private int requested;
  private boolean halfClosed;
  private boolean cancelled;
  private int attempts;
  private Http2Call<ReqT, RespT> current;
  private ScheduledFuture<?> retry;

  RetryingCall(Http2Channel channel, MethodDescriptor<ReqT, RespT> method, CallOptions options,
      RetryPolicy policy) {
    this.channel = channel;
    this.method = method;
    this.options = options;
    this.policy = policy;
  }

  @Override
  public void start(Listener<RespT> listener, Metadata headers) {
    synchronized (this) {
      this.listener = listener;
      this.headers = headers;
      if (!cancelled) {
        startAttempt();
        return;
      }
    }
    Status status = Status.CANCELLED.withDescription("the call was cancelled before it started");
    channel.executorFor(options).execute(() -> listener.onClose(status, new Metadata()));
  }

  @Override
  public synchronized void request(int messages) {
    requested += messages;
    if (current != null) {
      current.request(messages);
    }
  }

  @Override
  public synchronized void sendMessage(ReqT message) {
    messages.add(message);
    if (current != null) {
      current.sendMessage(message);
    }
  }

  @Override
  public synchronized void halfClose() {
    halfClosed = true;
    if (current != null) {
      current.halfClose();
    }
  }

  @Override
  public void cancel(String message, Throwable cause) {
    Listener<RespT> waiting;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      if (current != null) {
        current.cancel(message, cause); // its close reaches the listener through the attempt's
        return;
      }
      if (retry == null) {
        return; // never started, or already closed
      }
      waiting = listener;
      stopWaiting();
    }
    Status status = Status.CANCELLED.withDescription(
        message != null ? message : "the call was cancelled").withCause(cause);
    channel.executorFor(options).execute(() -> waiting.onClose(status, new Metadata()));
  }

  /** Ends a call waiting for its next attempt, as the channel shuts down now. */
  void abandon() {
    Listener<RespT> waiting;
    synchronized (this) {
      if (retry == null) {
        return; // an attempt runs: the channel's shutdown ends it
      }
      waiting = listener;
      stopWaiting();
    }
    Status status = Status.UNAVAILABLE.withDescription("the channel was shut down");
    channel.executorFor(options).execute(() -> waiting.onClose(status, new Metadata()));
  }

  // Called with the monitor held.
  private void stopWaiting() {
    retry.cancel(false);
    retry = null;
    channel.stoppedWaiting(this);
  }

  @Override
  public synchronized boolean isReady() {
    return current != null && current.isReady();
  }

  // Called with the monitor held.
  private void startAttempt() {
    Http2Call<ReqT, RespT> attempt = new Http2Call<>(channel, method, options, attempts);
    attempts++;
    current = attempt;
    Metadata copy = new Metadata();
    copy.merge(headers);
    attempt.start(new AttemptListener(), copy);
    if (requested > 0) {
      attempt.request(requested);
    }
    messages.forEach(attempt::sendMessage);
    if (halfClosed) {
      attempt.halfClose();
    }
  }

  private void retry() {
    synchronized (this) {
      if (cancelled || retry == null) {
        return;
      }
      retry = null;
      channel.stoppedWaiting(this);
      context.run(this::startAttempt); // the caller's context: its deadline and cancellation
    }
  }

  /** Whether a failed, uncommitted attempt is tried again, and when. */
  private boolean scheduleRetry(Status status) {
    if (cancelled || channel.isShutdown() || attempts >= policy.maxAttempts()
        || !policy.retryableCodes().contains(status.getCode())) {
      return false;
    }
    Duration wait = policy.backoff(attempts, ThreadLocalRandom.current());
    Deadline deadline = Http2Call.deadline(options, context);
    if (deadline != null && deadline.timeRemaining(TimeUnit.NANOSECONDS) <= wait.toNanos()) {
      return false;
    }
    try {
      // The attempt starts on the callback executor: connecting and sending may block, and the
      // scheduler's one thread must stay free for deadlines.
      Executor callbacks = channel.executorFor(options);
      retry = channel.scheduler().schedule(() -> callbacks.execute(this::retry), wait.toNanos(),
          TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return false; // the channel shut down meanwhile
    }
    current = null;
    channel.waiting(this);
    return true;
  }

  /** Hears one attempt; commits the call to it once the server answers. */
  private final class AttemptListener extends Listener<RespT> {
    private boolean committed; // only this attempt's serial callbacks touch it

    @Override
    public void onHeaders(Metadata headers) {
      committed = true;
      listener().onHeaders(headers);
    }

    @Override
    public void onMessage(RespT message) {
      committed = true;
      listener().onMessage(message);
    }

    @Override
    public void onReady() {
      listener().onReady();
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      synchronized (RetryingCall.this) {
        if (!committed && scheduleRetry(status)) {
          return;
        }
        current = null;
      }
      listener().onClose(status, trailers);
    }

    private Listener<RespT> listener() {
      synchronized (RetryingCall.this) {
        return listener;
      }
    }
  }
}
