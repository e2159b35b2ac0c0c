package io.minibit.tracker;

import io.grpc.Metadata;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.DaemonThreads;
import io.minibit.core.grpc.CallerAddress;
import io.minibit.core.grpc.ClientCertificate;
import io.minibit.core.grpc.GrpcServer;
import io.minibit.core.telemetry.Telemetry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A running tracker: its store (the catalog opened from the data directory and a fresh swarm
 * registry, or the Redis of {@link TrackerConfig#store()}), the Tracker service (plus health and
 * reflection) on the server the given builder makes, and, on the embedded store, a background
 * task that expires silent peers when their sessions fall due.
 *
 * <p>Thread-safe; {@link #close()} may be called from any thread, more than once.
 */
public final class TrackerServer implements AutoCloseable {
  private static final Logger log = Logger.getLogger(TrackerServer.class.getName());
  /** Shortest sleep of the expiry sweep. */
  static final Duration MIN_SWEEP_DELAY = Duration.ofMillis(100);

  private static final String ANNOUNCE =
      TrackerServiceGrpc.getAnnounceMethod().getFullMethodName();
  private static final String HEARTBEAT =
      TrackerServiceGrpc.getHeartbeatMethod().getFullMethodName();
  private static final String PUBLISH = TrackerServiceGrpc.getPublishMethod().getFullMethodName();

  private final GrpcServer server;
  private final ScheduledExecutorService expiry;
  private final ExecutorService blocking;
  private final RedisStore redis; // null on the embedded store

  private TrackerServer(GrpcServer server, ScheduledExecutorService expiry,
      ExecutorService blocking, RedisStore redis) {
    this.server = server;
    this.expiry = expiry;
    this.blocking = blocking;
    this.redis = redis;
  }

  /** Starts a tracker on the system clock; {@code builder} decides where it listens. */
  public static TrackerServer start(TrackerConfig config, ServerBuilder<?> builder)
      throws IOException {
    return start(config, builder, Clock.systemUTC(), new Random());
  }

  /**
   * Starts a tracker whose sessions age by {@code clock} and whose peer samples come from
   * {@code random}; tests pass a clock they move by hand.
   */
  public static TrackerServer start(TrackerConfig config, ServerBuilder<?> builder, Clock clock,
      Random random) throws IOException {
    return start(config, builder, clock, random, Telemetry.noop());
  }

  /**
   * Starts a tracker whose calls are traced and whose metrics are kept by {@code telemetry}
   * (owned by the caller).
   */
  public static TrackerServer start(TrackerConfig config, ServerBuilder<?> builder, Clock clock,
      Random random, Telemetry telemetry) throws IOException {
    return start(config, builder, clock, random, telemetry, null);
  }

  /**
   * As above; on a Redis store, the calls of announces and heartbeats run on {@code network}
   * (the server's own loop, so nothing hands them between threads; null for a loop of the
   * store's own), which the caller closes after the server.
   */
  static TrackerServer start(TrackerConfig config, ServerBuilder<?> builder, Clock clock,
      Random random, Telemetry telemetry, TrackerEventLoop network) throws IOException {
    CatalogStore catalog;
    SwarmStore swarms;
    RedisStore redis = null;
    SwarmRegistry registry = null;
    if (config.store().isPresent()) {
      redis = RedisStore.connect(config.store().get(), network);
      catalog = new RedisCatalog(redis, config.limits());
      swarms = new RedisSwarms(redis, config.heartbeatInterval(), config.peerSampleSize(),
          config.limits());
    } else {
      catalog = Catalog.open(config.catalogDir(), config.limits());
      registry = new SwarmRegistry(clock, random, config.heartbeatInterval(),
          config.peerSampleSize(), config.limits());
      swarms = registry;
    }
    // Calls run on the network thread that read them, with no hand-off, when they cannot
    // block: what the embedded store does is a few map operations under a lock, and on Redis an
    // announce or a heartbeat is queued for a pipeline and answered when Redis has (a manifest
    // not cached yet is read on the spot, once). What waits on a disk (a publish writes and
    // syncs a file) or on Redis runs on a pool of its own.
    ExecutorService blocking = Executors.newFixedThreadPool(
        redis != null ? RedisStore.MAX_CONNECTIONS : 2, DaemonThreads.named("tracker-store"));
    boolean everyCallBlocks = redis != null;
    builder.directExecutor().callExecutor(new ServerCallExecutorSupplier() {
      @Override
      public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call,
          Metadata headers) {
        // by name: the descriptor a call carries is not the generated one (the server reads
        // requests as raw bytes first, see RequestParsing)
        String method = call.getMethodDescriptor().getFullMethodName();
        if (method.equals(ANNOUNCE) || method.equals(HEARTBEAT)) {
          return null; // on Redis too: their scripts are pipelined, and nothing waits for them
        }
        boolean blocks = everyCallBlocks || method.equals(PUBLISH);
        return blocks ? blocking : null;
      }
    });
    TrackerGrpcService service = new TrackerGrpcService(catalog, swarms, config, clock);
    TrackerMetrics.register(telemetry.meter(), catalog, swarms);
    GrpcServer server;
    try {
      server = GrpcServer.start(builder,
          "the tracker service (port " + config.port() + ", --port)",
          List.of(telemetry.serverInterceptor(), new CallerAddress(), new ClientCertificate()),
          service);
    } catch (IOException | RuntimeException e) {
      blocking.shutdownNow();
      if (redis != null) {
        redis.close();
      }
      throw e;
    }

    ScheduledExecutorService expiry =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("tracker-expiry"));
    if (registry != null) {
      // Redis expires sessions by itself; memory needs a sweeper
      scheduleSweep(expiry, registry, clock, registry.sessionTimeout());
    }
    return new TrackerServer(server, expiry, blocking, redis);
  }

  /**
   * Drops the sessions that have fallen due, then sleeps until the next one may: the sweep runs
   * when a session can expire, not on a period, so a tracker whose peers keep in touch wakes
   * about once per two heartbeat intervals.
   */
  private static void sweep(ScheduledExecutorService expiry, SwarmRegistry registry,
      Clock clock) {
    try {
      List<String> expired = registry.expire();
      if (!expired.isEmpty()) {
        log.info(() -> "expired " + expired.size() + " silent peers");
        log.fine(() -> "expired peers: " + expired);
      }
    } catch (RuntimeException e) {
      log.log(Level.SEVERE, "peer expiry failed", e);
    }
    Duration wait;
    try {
      wait = nextSweepDelay(registry.nextExpiry(), clock.instant(), registry.sessionTimeout());
    } catch (RuntimeException e) {
      log.log(Level.SEVERE, "peer expiry failed", e);
      wait = registry.sessionTimeout();
    }
    scheduleSweep(expiry, registry, clock, wait);
  }

  private static void scheduleSweep(ScheduledExecutorService expiry, SwarmRegistry registry,
      Clock clock, Duration wait) {
    try {
      expiry.schedule(() -> sweep(expiry, registry, clock), wait.toNanos(),
          TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closed) {
      log.fine("tracker closed; no more expiry sweeps");
    }
  }

  /**
   * How long the expiry sweep may sleep: until the first session held falls due, and never
   * longer than one session timeout (a session opened meanwhile falls due no sooner than that),
   * nor shorter than {@link #MIN_SWEEP_DELAY} (a clock that moves oddly cannot make it spin).
   */
  static Duration nextSweepDelay(Optional<Instant> nextExpiry, Instant now,
      Duration sessionTimeout) {
    Duration wait = nextExpiry.map(due -> Duration.between(now, due)).orElse(sessionTimeout);
    if (wait.compareTo(sessionTimeout) > 0) {
      return sessionTimeout;
    }
    return wait.compareTo(MIN_SWEEP_DELAY) < 0 ? MIN_SWEEP_DELAY : wait;
  }

  /**
   * Tasks handed so far to the pool for calls that may block, rather than run where the call
   * arrived (a call makes several).
   */
  long blockingCalls() {
    return ((ThreadPoolExecutor) blocking).getTaskCount();
  }

  /** The port the tracker listens on, or -1 for an in-process server. */
  public int port() {
    return server.port();
  }

  /** Blocks until the server has shut down. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** True while the gRPC server takes calls: what the HTTP {@code /healthz} reports. */
  public boolean isServing() {
    return server.isServing();
  }

  /** Stops the expiry task, then the server (health turns NOT_SERVING first). */
  @Override
  public void close() {
    expiry.shutdownNow();
    server.close();
    blocking.shutdownNow();
    if (redis != null) {
      redis.close();
    }
  }
}
