package io.minibit.tracker;

import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * A pool of connections to the Redis a tracker keeps its state in, shared by its
 * {@link RedisSwarms} and {@link RedisCatalog}. Every key starts with {@value #PREFIX}. Each
 * operation that reads and writes runs as one Lua script, so it is atomic however many trackers
 * share the Redis. A single Redis (with replicas if wanted), not a Redis Cluster: the scripts
 * touch keys of several swarms.
 *
 * <p>A Redis that cannot be reached, or that is loading or read-only, makes the call fail with
 * UNAVAILABLE, so that a peer moves on to another tracker. On the pool, a broken connection is
 * tried once more on a fresh one, so a Redis that restarted costs no call an error. The scripts
 * of announces and heartbeats go through one {@link RedisPipeline} instead, on a network thread:
 * those out when the connection breaks fail, and the next ones open a new one. Thread-safe.
 */
public final class RedisStore implements AutoCloseable {
  static final String PREFIX = "minibit:";
  /**
   * Connections at most: each call holds one for a round trip; the tracker runs its calls on as
   * many threads.
   */
  static final int MAX_CONNECTIONS = 32;
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private final JedisPooled redis;
  private final RedisAddress address;
  private final RedisPipeline pipeline;
  /** The loop the pipeline runs on, when this store made it (none was given). */
  private final TrackerEventLoop ownLoop;

  private RedisStore(JedisPooled redis, RedisAddress address, TrackerEventLoop loop,
      TrackerEventLoop ownLoop) {
    this.redis = redis;
    this.address = address;
    this.ownLoop = ownLoop;
    this.pipeline = new RedisPipeline(address, loop.clientBootstrap(), TIMEOUT,
        new RedisPipeline.Failures() {
          @Override
          public MinibitException refused(String what, String message) {
            return RedisStore.this.refused(what, message, null);
          }

          @Override
          public MinibitException unreachable(String what, String why) {
            return RedisStore.this.unreachable(what, why, null);
          }
        });
  }

  /**
   * Connects to {@code address} and checks that it answers; IllegalStateException saying why if
   * it does not. The calls of announces and heartbeats run on a network thread of its own.
   */
  public static RedisStore connect(RedisAddress address) {
    return connect(address, null);
  }

  /**
   * As above, the calls of announces and heartbeats on {@code loop} (the tracker's network
   * thread; null for one of the store's own), which must outlive the store.
   */
  static RedisStore connect(RedisAddress address, TrackerEventLoop loop) {
    DefaultJedisClientConfig.Builder client = DefaultJedisClientConfig.builder()
        .database(address.database())
        .clientName("minibit-tracker")
        .timeoutMillis((int) TIMEOUT.toMillis());
    address.user().ifPresent(client::user);
    address.password().ifPresent(client::password);
    GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
    pool.setMaxTotal(MAX_CONNECTIONS);
    pool.setMaxIdle(MAX_CONNECTIONS);
    pool.setMaxWait(TIMEOUT);
    pool.setJmxEnabled(false);
    JedisPooled redis = new JedisPooled(new HostAndPort(address.host(), address.port()),
        client.build(), pool);
    TrackerEventLoop ownLoop = loop == null ? new TrackerEventLoop("tracker-redis") : null;
    RedisStore store = new RedisStore(redis, address, loop != null ? loop : ownLoop, ownLoop);
    try {
      store.call("reach", UnifiedJedis::ping);
    } catch (MinibitException e) {
      store.close();
      // the message says it all; the cause would only repeat its last words
      throw new IllegalStateException(e.getMessage());
    }
    return store;
  }

  /** Where the store is, without its password. */
  public RedisAddress address() {
    return address;
  }

  /**
   * Runs {@code operation} on the pool; Redis errors become {@link MinibitException}s that say
   * what was being done ({@code what}) and where.
   */
  <T> T call(String what, Function<UnifiedJedis, T> operation) {
    try {
      try {
        return operation.apply(redis);
      } catch (JedisConnectionException e) {
        // Redis restarted, or a connection broke: the other idle ones are likely broken too.
        // Every operation here may run twice (each script is written to), so one more try on a
        // fresh connection turns a restart into no error at all.
        redis.getPool().clear();
        return operation.apply(redis);
      }
    } catch (JedisException e) {
      throw translate(what, e);
    }
  }

  /** What a Redis failure means to the tracker's callers. */
  MinibitException translate(String what, JedisException e) {
    if (e instanceof JedisConnectionException) {
      return unreachable(what, e.getMessage(), e);
    }
    if (e instanceof JedisDataException) {
      return refused(what, String.valueOf(e.getMessage()), e);
    }
    return new MinibitException(ErrorCode.UNAVAILABLE, String.format(
        "the tracker cannot %s: its store %s failed (%s)", what, address, e.getMessage()), e);
  }

  private MinibitException unreachable(String what, String why, Exception cause) {
    return new MinibitException(ErrorCode.UNAVAILABLE, String.format(
        "the tracker cannot %s: its store %s is unreachable (%s)", what, address, why), cause);
  }

  /** Redis answered {@code message}, an error reply. */
  private MinibitException refused(String what, String message, Exception cause) {
    // Redis loading its data at start, a replica, or a primary that lost its replicas: a
    // moment later or another tracker may do. So may another tracker when Redis no longer
    // takes this one's login (a password changed under it).
    boolean passing = message.startsWith("LOADING") || message.startsWith("READONLY")
        || message.startsWith("MASTERDOWN") || message.startsWith("BUSY")
        || message.startsWith("NOAUTH") || message.startsWith("WRONGPASS")
        || message.startsWith("NOPERM");
    return new MinibitException(passing ? ErrorCode.UNAVAILABLE : ErrorCode.INTERNAL,
        String.format("the tracker cannot %s: its store %s says %s", what, address, message),
        cause);
  }

  /**
   * Runs {@code script} in the store's pipeline (see {@link RedisPipeline}). Completes on its
   * network thread, with a {@link MinibitException} as {@link #call} throws them.
   */
  CompletableFuture<Object> runAsync(String what, LuaScript script, List<byte[]> keys,
      List<byte[]> args) {
    return pipeline.run(what, script, keys, args);
  }

  /**
   * Like {@link #runAsync}, then draws {@code count} distinct entries of the hash {@code hash}
   * at random, in the same pipeline: after the script, not atomically with it. A sample drawn
   * inside the script would have every entry converted to Lua and back, most of its cost.
   */
  CompletableFuture<RedisPipeline.Sampled> runThenSampleAsync(String what, LuaScript script,
      List<byte[]> keys, List<byte[]> args, byte[] hash, long count) {
    return pipeline.runThenSample(what, script, keys, args, hash, count);
  }

  /** Runs {@code script}; see {@link #call} for its errors. */
  Object run(String what, LuaScript script, List<byte[]> keys, List<byte[]> args) {
    return call(what, jedis -> {
      try {
        return jedis.evalsha(script.sha1(), keys, args);
      } catch (JedisNoScriptException e) {
        // a Redis restarted since the script was first sent: EVAL sends it again, and caches it
        return jedis.eval(script.source(), keys, args);
      }
    });
  }

  @Override
  public void close() {
    pipeline.close();
    redis.close();
    if (ownLoop != null) {
      ownLoop.close();
    }
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] bytes(long n) {
    return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
  }
}
