package io.minibit.tracker;

import io.minibit.core.DaemonThreads;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.function.Function;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A Redis store's scripts, sent in pipelines: whatever is queued while a pipeline is on
 * its way goes in the next one, so one write and one read carry many calls, and no caller's
 * thread waits on Redis. Thread-safe.
 */
final class RedisPipelines implements AutoCloseable {
  /** Scripts one pipeline carries at most. */
  private static final int MAX_PIPELINE = 256;
  /**
   * Threads sending pipelines, each on a connection of its own: while one waits for Redis or
   * completes its callers' futures (their continuations run on it, building the answers), the
   * other sends what queued meanwhile.
   */
  private static final int SENDERS = 2;

  /** A script's reply, and the hash entries drawn after it (field, value). */
  record Sampled(Object reply, List<Map.Entry<byte[], byte[]>> drawn) {}

  /** What the pipelines need of the store they send for. */
  interface Store {
    /** Runs {@code operation} on a pooled connection; a Redis error becomes a MinibitException. */
    <T> T call(String what, Function<UnifiedJedis, T> operation);

    /** Runs {@code script} alone, sent whole if Redis does not hold it. */
    Object run(String what, LuaScript script, List<byte[]> keys, List<byte[]> args);

    /** What a Redis failure means to the tracker's callers. */
    MinibitException translate(String what, JedisException e);
  }

  private final Store store;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final List<Thread> senders = new ArrayList<>();
  private volatile boolean closed;

  RedisPipelines(Store store) {
    this.store = store;
    ThreadFactory threads = DaemonThreads.named("tracker-redis");
    for (int i = 0; i < SENDERS; i++) {
      Thread sender = threads.newThread(this::send);
      senders.add(sender);
      sender.start();
    }
  }

  /** Runs {@code script}; completes with its reply. */
  CompletableFuture<Object> run(String what, LuaScript script, List<byte[]> keys,
      List<byte[]> args) {
    return queue(new Pending(what, script, keys, args, null, 0, new CompletableFuture<>()));
  }

  /** Runs {@code script}, then draws {@code count} entries of {@code hash}. */
  CompletableFuture<Sampled> runThenSample(String what, LuaScript script, List<byte[]> keys,
      List<byte[]> args, byte[] hash, long count) {
    return queue(new Pending(what, script, keys, args, hash, count, new CompletableFuture<>()))
        .thenApply(Sampled.class::cast);
  }

  private CompletableFuture<Object> queue(Pending pending) {
    if (closed) {
      pending.result().completeExceptionally(new MinibitException(ErrorCode.UNAVAILABLE,
          "the tracker is shutting down"));
    } else {
      queue.add(pending);
      if (closed) {
        failLeftovers(); // closed meanwhile: the senders may have drained the queue already
      }
    }
    return pending.result();
  }

  /** A script to send; with a {@code sampleHash}, a draw of its entries to send after it. */
  private record Pending(String what, LuaScript script, List<byte[]> keys, List<byte[]> args,
      byte[] sampleHash, long sampleCount, CompletableFuture<Object> result) {}

  /** A sender: takes what is queued, up to {@value #MAX_PIPELINE} at a time, and sends it. */
  private void send() {
    List<Pending> batch = new ArrayList<>(MAX_PIPELINE);
    while (!closed) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        break;
      }
      queue.drainTo(batch, MAX_PIPELINE - 1);
      try {
        sendPipelined(batch);
      } catch (RuntimeException e) {
        batch.forEach(p -> p.result().completeExceptionally(e));
      }
      batch.clear();
    }
    failLeftovers();
  }

  private void failLeftovers() {
    Pending left;
    while ((left = queue.poll()) != null) {
      left.result().completeExceptionally(new MinibitException(ErrorCode.UNAVAILABLE,
          "the tracker is shutting down"));
    }
  }

  private void sendPipelined(List<Pending> batch) {
    List<Response<Object>> replies = new ArrayList<>(batch.size());
    List<Response<List<Map.Entry<byte[], byte[]>>>> draws = new ArrayList<>(batch.size());
    store.call(batch.get(0).what(), jedis -> {
      replies.clear();
      draws.clear();
      try (AbstractPipeline pipeline = jedis.pipelined()) {
        for (Pending p : batch) {
          replies.add(pipeline.evalsha(p.script().sha1(), p.keys(), p.args()));
          draws.add(p.sampleHash() == null ? null
              : pipeline.hrandfieldWithValues(p.sampleHash(), p.sampleCount()));
        }
        pipeline.sync();
        return null;
      }
    });
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      try {
        Object reply = replyOf(p, replies.get(i));
        p.result().complete(draws.get(i) == null ? reply : new Sampled(reply, draws.get(i).get()));
      } catch (MinibitException e) {
        p.result().completeExceptionally(e);
      } catch (JedisException e) {
        p.result().completeExceptionally(store.translate(p.what(), e));
      }
    }
  }

  /**
   * The script's reply; run again alone (sent whole) if the Redis lost it since it was cached.
   * A sample sent after it was then drawn before the script ran: a moment's older swarm.
   */
  private Object replyOf(Pending p, Response<Object> response) {
    try {
      return response.get();
    } catch (JedisDataException e) {
      if (!String.valueOf(e.getMessage()).startsWith("NOSCRIPT")) {
        throw e;
      }
      // a Redis restarted since the script was first sent: sent whole, once, and cached
      return store.run(p.what(), p.script(), p.keys(), p.args());
    }
  }

  /** Fails what is queued, and stops the senders. */
  @Override
  public void close() {
    closed = true;
    senders.forEach(Thread::interrupt);
  }
}
