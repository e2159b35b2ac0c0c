package io.minibit.core.grpc;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.minibit.core.cli.StartupFailures;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A started gRPC server with what every MiniBit server has: the services given, grpc.health.v1
 * Health (SERVING once started), server reflection (so grpcurl needs no .proto files) and the
 * error-mapping interceptor; a request that is not a valid message is INVALID_ARGUMENT. The
 * builder is passed in so tests can hand over an in-process one.
 */
public final class GrpcServer implements AutoCloseable {
  private static final Logger log = Logger.getLogger(GrpcServer.class.getName());

  private final Server server;
  private final HealthStatusManager health;
  private final String name;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  private GrpcServer(Server server, HealthStatusManager health, String name) {
    this.server = server;
    this.health = health;
    this.name = name;
  }

  /**
   * Builds and starts a server named {@code name} (for logs) with {@code services}, each wrapped
   * by {@code interceptors} (first one outermost) and the error mapping.
   */
  @SuppressWarnings("deprecation") // v1alpha reflection, served beside v1 for older clients
  public static GrpcServer start(ServerBuilder<?> builder, String name,
      List<ServerInterceptor> interceptors, BindableService... services) throws IOException {
    HealthStatusManager health = new HealthStatusManager();
    for (BindableService service : services) {
      builder.addService(RequestParsing.strict(service.bindService()));
    }
    builder.addService(health.getHealthService());
    builder.addService(ProtoReflectionServiceV1.newInstance());
    // The older protocol too: grpc-js-reflection-client, older grpcurl builds and several GUI
    // clients speak only grpc.reflection.v1alpha.
    builder.addService(ProtoReflectionService.newInstance());
    builder.intercept(new ErrorMappingInterceptor());
    for (int i = interceptors.size() - 1; i >= 0; i--) {
      builder.intercept(interceptors.get(i)); // the last one added runs first
    }
    Server server;
    try {
      server = builder.build().start();
    } catch (IOException e) {
      throw new StartupFailures.ListenException(name + " cannot listen", e);
    }
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
    for (BindableService service : services) {
      health.setStatus(service.bindService().getServiceDescriptor().getName(), ServingStatus.SERVING);
    }
    log.info(() -> name + " listening on " + server.getListenSockets());
    return new GrpcServer(server, health, name);
  }

  /** The port the server listens on (useful when it was asked for port 0), or -1 in-process. */
  public int port() {
    return server.getPort();
  }

  /** True until {@link #close} begins (its health service then reports NOT_SERVING too). */
  public boolean isServing() {
    return !closed.get() && !server.isShutdown();
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Reports NOT_SERVING, stops taking calls, and gives running calls 5 s to end. */
  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }

  /**
   * Reports NOT_SERVING, stops taking calls, gives running calls {@code grace} to end, then
   * cancels the rest (long-lived streams never end by themselves). Closing again does nothing.
   */
  public void close(Duration grace) {
    if (!closed.compareAndSet(false, true)) {
      return; // closed already: nothing more to stop
    }
    health.enterTerminalState();
    server.shutdown();
    try {
      if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    log.info(() -> name + " stopped");
  }
}
