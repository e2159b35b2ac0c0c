package io.minibit.peer.server;

import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Caps the bytes per second this peer serves, over all calls together: a token bucket that
 * fills at the cap and holds at most a tenth of a second of it (or one block, if larger).
 *
 * <p>The cap is shared by peer, not by call: senders waiting for it are served by turns, one
 * block per peer in turn (a peer's own calls take turns among themselves), so a peer that keeps
 * more calls open does not get more of the upload, as each unchoked peer of BitTorrent gets its
 * one TCP connection's share. A peer alone takes all of it.
 *
 * <p>A sender takes its bytes only once they are there, never in advance: one that is told to
 * stop while it waits (its peer was choked) has taken nothing, and one that took bytes it will
 * not send gives them back with {@link #refund}, so no choke round wastes the upload. Thread-safe.
 */
public final class UploadLimiter {
  /** Parks the calling thread for a while; {@link LockSupport#parkNanos} in production. */
  interface Sleeper {
    void sleepNanos(long nanos);
  }

  private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);
  /** Longest a sender waiting for its turn sleeps before it looks again (it is woken sooner). */
  private static final long TURN_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final long bytesPerSecond;
  private final long capacity;
  private final LongSupplier nanoTime;
  private final Sleeper sleeper;
  private double tokens;
  private long filledAt;
  /** Threads waiting, by peer; the first peer's first thread is served next. Guarded by this. */
  private final LinkedHashMap<String, ArrayDeque<Thread>> waiting = new LinkedHashMap<>();

  UploadLimiter(long bytesPerSecond, LongSupplier nanoTime, Sleeper sleeper) {
    this.bytesPerSecond = bytesPerSecond;
    this.capacity = Math.max(1, bytesPerSecond / 10);
    this.nanoTime = nanoTime;
    this.sleeper = sleeper;
    this.filledAt = nanoTime.getAsLong();
    this.tokens = capacity;
  }

  /** A cap of {@code bytesPerSecond}, or none when it is 0. */
  public static UploadLimiter of(long bytesPerSecond) {
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("upload limit " + bytesPerSecond + " < 0");
    }
    return new UploadLimiter(bytesPerSecond, System::nanoTime, LockSupport::parkNanos);
  }

  /** Waits until {@code bytes} more may be sent to {@code peer}, in its turn, and takes them. */
  public void acquire(String peer, int bytes) {
    if (bytesPerSecond == 0) {
      return;
    }
    Thread self = Thread.currentThread();
    synchronized (this) {
      waiting.computeIfAbsent(peer, p -> new ArrayDeque<>()).add(self);
    }
    while (true) {
      long waitNanos;
      synchronized (this) {
        if (!isNext(peer, self)) {
          waitNanos = TURN_CHECK_NANOS;
        } else {
          refill();
          // A block larger than the bucket goes once the bucket is full, leaving a debt that
          // later senders wait out: the average stays at the cap.
          double needed = Math.min(bytes, capacity);
          if (tokens >= needed) {
            tokens -= bytes;
            served(peer);
            return;
          }
          waitNanos = (long) Math.ceil((needed - tokens) * NANOS_PER_SECOND / bytesPerSecond);
        }
      }
      sleeper.sleepNanos(waitNanos);
    }
  }

  /** Gives back {@code bytes} taken by {@link #acquire} and not sent. */
  public synchronized void refund(int bytes) {
    if (bytesPerSecond == 0) {
      return;
    }
    refill();
    tokens = Math.min(capacity, tokens + bytes);
  }

  private boolean isNext(String peer, Thread thread) {
    var first = waiting.entrySet().iterator().next();
    return first.getKey().equals(peer) && first.getValue().peek() == thread;
  }

  /** {@code peer}'s first waiter is served: the peer goes to the end of the round. */
  private void served(String peer) {
    ArrayDeque<Thread> threads = waiting.remove(peer);
    threads.poll();
    if (!threads.isEmpty()) {
      waiting.put(peer, threads);
    }
    if (!waiting.isEmpty()) {
      LockSupport.unpark(waiting.values().iterator().next().peek());
    }
  }

  private void refill() {
    long now = nanoTime.getAsLong();
    tokens = Math.min(capacity,
        tokens + (double) (now - filledAt) * bytesPerSecond / NANOS_PER_SECOND);
    filledAt = now;
  }
}
