package io.minibit.tracker;

import io.grpc.ServerBuilder;
import io.minibit.core.grpc.CallerAddress;
import io.minibit.core.grpc.GrpcServer;
import io.minibit.core.telemetry.Telemetry;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A running tracker: the catalog opened from the data directory, a fresh swarm registry, the
 * Tracker service (plus health and reflection) on the server the given builder makes, and a
 * background task that expires silent peers every half heartbeat interval.
 *
 * <p>Thread-safe; {@link #close()} may be called from any thread, more than once.
 */
public final class TrackerServer implements AutoCloseable {
  private static final Logger log = Logger.getLogger(TrackerServer.class.getName());

  private final GrpcServer server;
  private final ScheduledExecutorService expiry;

  private TrackerServer(GrpcServer server, ScheduledExecutorService expiry) {
    this.server = server;
    this.expiry = expiry;
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
    Catalog catalog = Catalog.open(config.catalogDir());
    SwarmRegistry registry = new SwarmRegistry(clock, random, config.heartbeatInterval(),
        config.peerSampleSize());
    TrackerGrpcService service = new TrackerGrpcService(catalog, registry, config);
    TrackerMetrics.register(telemetry.meter(), catalog, registry);
    GrpcServer server = GrpcServer.start(builder, "minibit-tracker",
        List.of(telemetry.serverInterceptor(), new CallerAddress()), service);

    ScheduledExecutorService expiry = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread thread = new Thread(task, "tracker-expiry");
      thread.setDaemon(true);
      return thread;
    });
    long periodMillis = Math.max(1, config.heartbeatInterval().toMillis() / 2);
    expiry.scheduleWithFixedDelay(() -> expire(registry), periodMillis, periodMillis,
        TimeUnit.MILLISECONDS);
    return new TrackerServer(server, expiry);
  }

  private static void expire(SwarmRegistry registry) {
    // An exception escaping a scheduled task would silently cancel every later run.
    try {
      List<String> expired = registry.expire();
      if (!expired.isEmpty()) {
        log.info(() -> "expired " + expired.size() + " silent peers");
        log.fine(() -> "expired peers: " + expired);
      }
    } catch (RuntimeException e) {
      log.log(Level.SEVERE, "peer expiry failed", e);
    }
  }

  /** The port the tracker listens on, or -1 for an in-process server. */
  public int port() {
    return server.port();
  }

  /** Blocks until the server has shut down. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Stops the expiry task, then the server (health turns NOT_SERVING first). */
  @Override
  public void close() {
    expiry.shutdownNow();
    server.close();
  }
}
