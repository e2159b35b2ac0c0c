package io.minibit.peer.server;

import io.minibit.core.DaemonThreads;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Caps the bytes per second this peer serves, over all calls together: a token bucket that
 * fills at the cap and holds at most a tenth of a second of it (or one block, if larger).
 *
 * <p>No thread waits for the cap. A sender asks with {@link #acquire}: it gets its bytes at once
 * when they are there and nobody is ahead of it, or else it is queued, returns, and is called
 * back once its bytes are taken for it. The callbacks run on the limiter's own timer thread, so
 * a thousand calls held back by the cap hold no gRPC thread.
 *
 * <p>The cap is shared by peer, not by call: queued senders are served by turns, one block per
 * peer in turn (a peer's own calls take turns among themselves), so a peer that keeps more calls
 * open does not get more of the upload, as each unchoked peer of BitTorrent gets its one TCP
 * connection's share. A peer alone takes all of it.
 *
 * <p>A sender takes its bytes only once they are there, never in advance: one that leaves the
 * queue ({@link #cancel}) has taken nothing, and one that took bytes it will not send gives them
 * back with {@link #refund}, so no choke round wastes the upload. Thread-safe.
 */
public final class UploadLimiter {
  /** Runs a task after a delay, on one thread; a single-threaded scheduler in production. */
  interface Timer {
    void schedule(Runnable task, long delayNanos);
  }

  private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

  private final long bytesPerSecond;
  private final long capacity;
  private final LongSupplier nanoTime;
  private final Timer timer;
  private double tokens;
  private long filledAt;
  /** Queued senders, by peer; the first peer's first sender is served next. Guarded by this. */
  private final LinkedHashMap<String, ArrayDeque<Waiter>> waiting = new LinkedHashMap<>();
  /** When the next look at the queue is due, or {@link Long#MAX_VALUE} if none is. */
  private long nextLookAt = Long.MAX_VALUE;

  private record Waiter(int bytes, Runnable granted) {}

  UploadLimiter(long bytesPerSecond, LongSupplier nanoTime, Timer timer) {
    this.bytesPerSecond = bytesPerSecond;
    this.capacity = Math.max(1, bytesPerSecond / 10);
    this.nanoTime = nanoTime;
    this.timer = timer;
    this.filledAt = nanoTime.getAsLong();
    this.tokens = capacity;
  }

  /** A cap of {@code bytesPerSecond}, or none when it is 0. */
  public static UploadLimiter of(long bytesPerSecond) {
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("upload limit " + bytesPerSecond + " < 0");
    }
    if (bytesPerSecond == 0) {
      return new UploadLimiter(0, System::nanoTime, (task, delay) -> {
        throw new IllegalStateException("an upload without a cap never waits");
      });
    }
    ScheduledExecutorService thread =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("upload-limiter"));
    return new UploadLimiter(bytesPerSecond, System::nanoTime,
        (task, delay) -> thread.schedule(task, delay, TimeUnit.NANOSECONDS));
  }

  /**
   * Takes {@code bytes} for {@code peer}: true if they were there and taken at once. Otherwise
   * the sender is queued and false returned; {@code granted} runs once the bytes have been taken
   * for it (unless {@link #cancel} withdraws it first). Never blocks.
   */
  public boolean acquire(String peer, int bytes, Runnable granted) {
    if (bytesPerSecond == 0) {
      return true;
    }
    List<Runnable> served;
    synchronized (this) {
      refill();
      if (waiting.isEmpty() && tokens >= needed(bytes)) {
        tokens -= bytes;
        return true;
      }
      waiting.computeIfAbsent(peer, p -> new ArrayDeque<>()).add(new Waiter(bytes, granted));
      served = serve();
    }
    // Never on the caller's thread: it may hold a lock the served senders' callbacks take.
    served.forEach(callback -> timer.schedule(callback, 0));
    return false;
  }

  /**
   * Withdraws the queued sender of {@code peer} whose callback is {@code granted}: true if it was
   * still queued (it took nothing and will not be called back); false if its bytes were already
   * taken (its callback runs, and should refund them).
   */
  public synchronized boolean cancel(String peer, Runnable granted) {
    ArrayDeque<Waiter> senders = waiting.get(peer);
    if (senders == null || !senders.removeIf(waiter -> waiter.granted == granted)) {
      return false;
    }
    if (senders.isEmpty()) {
      waiting.remove(peer);
    }
    return true;
  }

  /** Gives back {@code bytes} taken by {@link #acquire} and not sent. */
  public void refund(int bytes) {
    if (bytesPerSecond == 0) {
      return;
    }
    List<Runnable> served;
    synchronized (this) {
      refill();
      tokens = Math.min(capacity, tokens + bytes);
      served = serve();
    }
    served.forEach(callback -> timer.schedule(callback, 0));
  }

  /** Senders queued now, all peers together. */
  synchronized int queued() {
    return waiting.values().stream().mapToInt(ArrayDeque::size).sum();
  }

  /** A look at the queue, when the bytes its first sender needs should be there. */
  private void look() {
    List<Runnable> served;
    synchronized (this) {
      nextLookAt = Long.MAX_VALUE;
      refill();
      served = serve();
    }
    served.forEach(Runnable::run);
  }

  /**
   * Takes the bytes of queued senders, by turns, while there are enough; returns their callbacks
   * and, if some are left waiting, plans the next look. The caller holds the lock.
   */
  private List<Runnable> serve() {
    List<Runnable> served = new ArrayList<>();
    while (!waiting.isEmpty()) {
      Iterator<Map.Entry<String, ArrayDeque<Waiter>>> peers = waiting.entrySet().iterator();
      Map.Entry<String, ArrayDeque<Waiter>> first = peers.next();
      Waiter next = first.getValue().peek();
      double needed = needed(next.bytes);
      if (tokens < needed) {
        long waitNanos = (long) Math.ceil((needed - tokens) * NANOS_PER_SECOND / bytesPerSecond);
        long at = nanoTime.getAsLong() + waitNanos;
        if (at < nextLookAt) {
          nextLookAt = at;
          timer.schedule(this::look, waitNanos);
        }
        break;
      }
      tokens -= next.bytes;
      served.add(next.granted);
      // the peer goes to the end of the round
      peers.remove();
      first.getValue().poll();
      if (!first.getValue().isEmpty()) {
        waiting.put(first.getKey(), first.getValue());
      }
    }
    return served;
  }

  /**
   * Tokens a send of {@code bytes} waits for: a block larger than the bucket goes once the bucket
   * is full, leaving a debt that later senders wait out, so the average stays at the cap.
   */
  private double needed(int bytes) {
    return Math.min(bytes, capacity);
  }

  private void refill() {
    long now = nanoTime.getAsLong();
    tokens = Math.min(capacity,
        tokens + (double) (now - filledAt) * bytesPerSecond / NANOS_PER_SECOND);
    filledAt = now;
  }
}
