package io.minibit.cli.http2;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.minibit.core.DaemonThreads;
import io.minibit.core.grpc.Channels;
import io.minibit.core.grpc.RetryPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC channel to a server on a Unix socket that speaks HTTP/2 itself: what a command needs to
 * talk to its local daemon, without Netty's event loops, buffer pools and gRPC's channel
 * machinery, which cost a short-lived JVM more to load than the command does. It keeps MiniBit's
 * channel settings: the retry policy of {@link Channels#SERVICE_CONFIG}, deadlines (sent as
 * grpc-timeout and enforced here), context cancellation, the largest message a client takes,
 * and stream tracers. Calls share one connection, opened on the first call and again after the
 * server goes away. Messages are not compressed. Thread-safe.
 */
public final class Http2Channel extends ManagedChannel {
  private final Path socket;
  private final Channel calls;
  private final Set<RetryingCall<?, ?>> waiting = ConcurrentHashMap.newKeySet();
  private final ScheduledThreadPoolExecutor scheduler =
      new ScheduledThreadPoolExecutor(1, DaemonThreads.named("minibit-control-timer"));
  // Guarded by this.
  private final List<Http2Connection> connections = new ArrayList<>();
  private Http2Connection current;
  private Executor callbackPool;
  private boolean shutdown;
  private int openCalls; // started, and their listener not yet closed

  private Http2Channel(Path socket, ClientInterceptor... interceptors) {
    this.socket = socket;
    this.calls = ClientInterceptors.intercept(new Calls(), interceptors);
    scheduler.setRemoveOnCancelPolicy(true);
  }

  /** A channel to the server on {@code socket}, whose calls go through {@code interceptors}. */
  public static Http2Channel forSocket(Path socket, ClientInterceptor... interceptors) {
    return new Http2Channel(socket, interceptors);
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method,
      CallOptions options) {
    return calls.newCall(method, options);
  }

  @Override
  public String authority() {
    return "localhost";
  }

  @Override
  public synchronized Http2Channel shutdown() {
    if (!shutdown) {
      shutdown = true;
      connections.forEach(Http2Connection::closeWhenIdle);
      scheduler.shutdown(); // timers already set still fire
    }
    return this;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown && openCalls == 0 && waiting.isEmpty() && scheduler.isTerminated()
        && connections.stream().allMatch(Http2Connection::isClosed);
  }

  @Override
  public Http2Channel shutdownNow() {
    List<Http2Connection> open;
    synchronized (this) {
      shutdown();
      open = List.copyOf(connections);
      scheduler.shutdownNow();
    }
    open.forEach(Http2Connection::close); // their calls fail UNAVAILABLE
    waiting.forEach(RetryingCall::abandon); // and so do those between attempts
    return this;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    long end = System.nanoTime() + unit.toNanos(timeout);
    List<Http2Connection> open;
    synchronized (this) {
      open = List.copyOf(connections);
    }
    for (Http2Connection connection : open) {
      if (!connection.awaitClosed(end - System.nanoTime(), TimeUnit.NANOSECONDS)) {
        return false;
      }
    }
    synchronized (this) {
      // The last calls' listeners hear their close on other threads: a command that exits once
      // its channel has terminated must not cut that short (a span ends there, for one).
      while (openCalls > 0 && System.nanoTime() < end) {
        TimeUnit.NANOSECONDS.timedWait(this, end - System.nanoTime());
      }
    }
    return scheduler.awaitTermination(end - System.nanoTime(), TimeUnit.NANOSECONDS)
        && isTerminated();
  }

  synchronized void callStarted() {
    openCalls++;
  }

  /** A call's listener has heard its close. */
  synchronized void callEnded() {
    openCalls--;
    notifyAll();
  }

  @Override
  public String toString() {
    return "Http2Channel{" + target() + "}";
  }

  /** Where the channel connects, as a gRPC target. */
  String target() {
    return "unix:" + socket;
  }

  /** The connection new calls go on: the open one, or a new one if it is closing or gone. */
  synchronized Http2Connection connection() throws IOException {
    if (shutdown) {
      throw new IOException("the channel is shut down");
    }
    if (current == null || !current.acceptsStreams()) {
      connections.removeIf(Http2Connection::isClosed);
      current = Http2Connection.open(socket, DaemonThreads.named("minibit-control-reader"));
      connections.add(current);
    }
    return current;
  }

  /** {@code call} waits for its next attempt: {@link #shutdownNow} ends it. */
  void waiting(RetryingCall<?, ?> call) {
    waiting.add(call);
  }

  void stoppedWaiting(RetryingCall<?, ?> call) {
    waiting.remove(call);
  }

  /** Runs deadlines and retries' backoffs. */
  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /**
   * Where a call's callbacks run: the executor its options name, else the channel's pool (a
   * blocking stub's streaming call names none). The pool is never shut down: a call's last
   * callbacks may come after its channel's shutdown. Its threads end after a second idle.
   */
  synchronized Executor executorFor(CallOptions options) {
    if (options.getExecutor() != null) {
      return options.getExecutor();
    }
    if (callbackPool == null) {
      callbackPool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 1, TimeUnit.SECONDS,
          new SynchronousQueue<>(), DaemonThreads.named("minibit-control-call"));
    }
    return callbackPool;
  }

  /** The channel under the interceptors: a retrying call where the policy names the method. */
  private final class Calls extends Channel {
    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method,
        CallOptions options) {
      Optional<RetryPolicy> policy = RetryPolicy.forMethod(method);
      return policy.isPresent()
          ? new RetryingCall<>(Http2Channel.this, method, options, policy.get())
          : new Http2Call<>(Http2Channel.this, method, options, 0);
    }

    @Override
    public String authority() {
      return Http2Channel.this.authority();
    }
  }
}
