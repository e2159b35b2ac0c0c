package io.minibit.tracker;

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
import io.minibit.core.testing.MutableClock;
import io.minibit.core.testing.ScratchDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.function.Executable;

/**
 * An in-process tracker on a clock the test moves by hand, with a channel to it. It can be
 * restarted on the same data directory. Usually a JUnit 5 extension on an instance field, which
 * starts the tracker before each test in a directory of its own and stops it after:
 * {@code @RegisterExtension final TrackerHarness tracker = TrackerHarness.builder().build();}
 * A test that needs one with a configuration of its own starts it with
 * {@link #TrackerHarness(TrackerConfig)} and closes it. Not thread-safe: use it from the test
 * thread (the clock is thread-safe).
 */
final class TrackerHarness implements AutoCloseable, BeforeEachCallback, AfterEachCallback {
  static final long DEADLINE_SECONDS = 10;

  final MutableClock clock = new MutableClock();
  /** The tracker's configuration; as an extension, set before each test. */
  TrackerConfig config;
  private final String serverName = InProcessServerBuilder.generateName();
  private final Function<Path, TrackerConfig> configFor;
  private TrackerServer server;
  private ManagedChannel channel;
  private final Telemetry telemetry;
  private ScratchDirectory scratch;

  /** A tracker started now on {@code config}; the caller closes it. */
  TrackerHarness(TrackerConfig config) throws IOException {
    this(dataDir -> config, Telemetry.noop());
    this.config = config;
    start();
  }

  private TrackerHarness(Function<Path, TrackerConfig> configFor, Telemetry telemetry) {
    this.configFor = configFor;
    this.telemetry = telemetry;
  }

  /** Options for a tracker: by default {@link TrackerConfig#defaults} and no telemetry. */
  static Builder builder() {
    return new Builder();
  }

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    scratch = ScratchDirectory.create("minibit-tracker-");
    config = configFor.apply(scratch.path());
    start();
  }

  @Override
  public void afterEach(ExtensionContext context) throws IOException {
    try {
      stop();
      telemetry.close();
    } finally {
      if (scratch != null) {
        scratch.close();
      }
    }
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

  /** The options tests vary; {@link #build} makes the extension. */
  static final class Builder {
    private Function<Path, TrackerConfig> config = TrackerConfig::defaults;
    private Telemetry telemetry = Telemetry.noop();

    private Builder() {}

    /** The tracker's configuration, given the data directory made for it. */
    Builder config(Function<Path, TrackerConfig> config) {
      this.config = config;
      return this;
    }

    /** Where the tracker's metrics (and spans) go; closed after each test, after the tracker. */
    Builder telemetry(Telemetry telemetry) {
      this.telemetry = telemetry;
      return this;
    }

    /** An extension to register: it starts before each test, in a directory of its own. */
    TrackerHarness build() {
      return new TrackerHarness(config, telemetry);
    }
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
