package io.minibit.tracker;

import io.grpc.netty.shaded.io.netty.bootstrap.Bootstrap;
import io.minibit.core.MinibitException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The calls a tracker makes to Redis on every announce and heartbeat: Lua scripts by their
 * SHA-1 (sent whole again if Redis lost them), and the draw of a swarm's sample after an
 * announce's script. They go through one {@link RedisConnection} on the tracker's own network
 * thread, so an announce is read, sent to Redis, answered and written back on that one thread,
 * with no other thread woken for it, and the calls of one turn of the loop share one write.
 * Futures complete on the network thread, failing with a {@link MinibitException} that says what
 * was being done. Thread-safe.
 */
final class RedisPipeline implements AutoCloseable {
  private static final byte[] EVALSHA = bytes("EVALSHA");
  private static final byte[] EVAL = bytes("EVAL");
  private static final byte[] HRANDFIELD = bytes("HRANDFIELD");
  private static final byte[] WITHVALUES = bytes("WITHVALUES");

  /** A script's reply, and the hash entries drawn after it (field, value). */
  record Sampled(Object reply, List<Map.Entry<byte[], byte[]>> drawn) {}

  /** What to tell callers when Redis refuses a command or cannot be reached. */
  interface Failures {
    /** Redis answered {@code message}, an error reply, to what the tracker was doing. */
    MinibitException refused(String what, String message);

    /** Redis could not be reached, or did not answer: {@code why}. */
    MinibitException unreachable(String what, String why);
  }

  private final RedisConnection connection;
  private final Failures failures;

  /** @param bootstrap a client bootstrap on the event loop group to run on */
  RedisPipeline(RedisAddress address, Bootstrap bootstrap, Duration timeout,
      Failures failures) {
    this.connection = new RedisConnection(address, bootstrap, timeout);
    this.failures = failures;
  }

  /** Runs {@code script}; completes with its reply. */
  CompletableFuture<Object> run(String what, LuaScript script, List<byte[]> keys,
      List<byte[]> args) {
    CompletableFuture<Object> reply = connection.send(script(EVALSHA, script.sha1(), keys, args));
    return answered(what, reply.exceptionallyCompose(e -> isNoScript(e)
        // a Redis restarted since the script was first sent: EVAL sends it whole, and caches it
        ? connection.send(script(EVAL, script.source(), keys, args))
        : CompletableFuture.failedFuture(e)));
  }

  /**
   * Runs {@code script}, then draws {@code count} distinct entries of {@code hash} at random:
   * after the script, not atomically with it. If Redis had lost the script, the draw ran before
   * it (sent again whole): a moment's older swarm.
   */
  CompletableFuture<Sampled> runThenSample(String what, LuaScript script, List<byte[]> keys,
      List<byte[]> args, byte[] hash, long count) {
    CompletableFuture<Object> reply = run(what, script, keys, args);
    CompletableFuture<Object> draw = answered(what, connection.send(HRANDFIELD, hash,
        Long.toString(count).getBytes(StandardCharsets.US_ASCII), WITHVALUES));
    return reply.thenCombine(draw, (r, drawn) -> new Sampled(r, entries((List<?>) drawn)));
  }

  private static List<Map.Entry<byte[], byte[]>> entries(List<?> flat) {
    List<Map.Entry<byte[], byte[]>> entries = new ArrayList<>(flat.size() / 2);
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      entries.add(new AbstractMap.SimpleImmutableEntry<>((byte[]) flat.get(i),
          (byte[]) flat.get(i + 1)));
    }
    return entries;
  }

  private static byte[][] script(byte[] verb, byte[] script, List<byte[]> keys,
      List<byte[]> args) {
    byte[][] words = new byte[3 + keys.size() + args.size()][];
    words[0] = verb;
    words[1] = script;
    words[2] = Integer.toString(keys.size()).getBytes(StandardCharsets.US_ASCII);
    int i = 3;
    for (byte[] key : keys) {
      words[i++] = key;
    }
    for (byte[] arg : args) {
      words[i++] = arg;
    }
    return words;
  }

  private static boolean isNoScript(Throwable e) {
    return Futures.unwrap(e) instanceof RedisConnection.Refused refused
        && refused.getMessage().startsWith("NOSCRIPT");
  }

  /** {@code reply}, its failures told as {@link #failures} tell them. */
  private CompletableFuture<Object> answered(String what, CompletableFuture<Object> reply) {
    return reply.handle((value, e) -> {
      if (e == null) {
        return value;
      }
      Throwable cause = Futures.unwrap(e);
      throw cause instanceof RedisConnection.Refused refused
          ? failures.refused(what, refused.getMessage())
          : failures.unreachable(what, cause.getMessage());
    });
  }

  /** Fails what has not been answered, and closes the connection; the loop is the caller's. */
  @Override
  public void close() {
    connection.close();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
