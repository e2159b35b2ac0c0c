package io.minibit.tracker;

import io.minibit.core.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.grpc.Channels;
import io.minibit.core.telemetry.Telemetry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.function.Executable;

/**
 * An in-process tracker on a clock the test moves by hand, with a channel to it. It can be
 * restarted on the same data directory; close it in {@code @AfterEach}.
 */
final class TrackerHarness implements AutoCloseable {
  static final long DEADLINE_SECONDS = 10;

  final MutableClock clock = new MutableClock();
  final TrackerConfig config;
  private final String serverName = InProcessServerBuilder.generateName();
  private TrackerServer server;
  private ManagedChannel channel;
  private final Telemetry telemetry;

  TrackerHarness(Path dataDir) throws IOException {
    this(TrackerConfig.defaults(dataDir));
  }

  TrackerHarness(TrackerConfig config) throws IOException {
    this(config, Telemetry.noop());
  }

  /** A tracker whose metrics (and spans) go to {@code telemetry}, which the caller closes. */
  TrackerHarness(TrackerConfig config, Telemetry telemetry) throws IOException {
    this.config = config;
    this.telemetry = telemetry;
    start();
  }

  /** Stops the tracker and starts a new one on the same data directory and clock. */
  void restart() throws IOException {
    stop();
    start();
  }

  ManagedChannel channel() {
    return channel;
  }

  /** A Tracker stub whose deadline starts now. */
  TrackerServiceGrpc.TrackerServiceBlockingStub tracker() {
    return TrackerServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    stop();
  }

  /** Runs {@code call}, expects it to fail with {@code code}, and returns the failure. */
  static StatusRuntimeException assertStatus(Status.Code code, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), () -> "status was " + e.getStatus());
    return e;
  }

  private void start() throws IOException {
    server = TrackerServer.start(config, InProcessServerBuilder.forName(serverName),
        clock, new Random(7), telemetry);
    channel = InProcessChannelBuilder.forName(serverName).build();
  }

  private void stop() {
    if (channel != null) {
      Channels.close(channel);
      channel = null;
    }
    if (server != null) {
      server.close();
      server = null;
    }
  }
}
