package io.minibit.core.grpc;

import static io.minibit.core.testing.MinibitAssertions.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.GetManifestRequest;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.grpc.ErrorMappingInterceptorTest.FailingTracker;
import io.minibit.core.testing.GrpcCleanup;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class GrpcServerTest {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();

  private final Logger interceptorLog = Logger.getLogger(ErrorMappingInterceptor.class.getName());
  private Level interceptorLevel;
  private final String name = InProcessServerBuilder.generateName();
  private ManagedChannel channel;

  @BeforeEach
  void openChannel() {
    interceptorLevel = interceptorLog.getLevel();
    interceptorLog.setLevel(Level.OFF); // the INTERNAL case logs a stack trace on purpose
    channel = grpc.register(InProcessChannelBuilder.forName(name).directExecutor().build());
  }

  @AfterEach
  void restoreLog() {
    interceptorLog.setLevel(interceptorLevel);
  }

  private GrpcServer start(List<ServerInterceptor> interceptors) throws Exception {
    return grpc.register(startUnmanaged(interceptors));
  }

  /** A server the test closes itself. */
  private GrpcServer startUnmanaged(List<ServerInterceptor> interceptors) throws Exception {
    return GrpcServer.start(InProcessServerBuilder.forName(name).directExecutor(),
        "test server", interceptors, new FailingTracker());
  }

  private ServingStatus health(String service) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  @Test
  void healthReportsTheServerAndEachServiceServing() throws Exception {
    start(List.of());

    assertEquals(ServingStatus.SERVING, health(""));
    assertEquals(ServingStatus.SERVING, health("minibit.v2.TrackerService"));
    assertStatus(Status.Code.NOT_FOUND, () -> health("minibit.v2.Nothing"));
  }

  @Test
  void reflectionListsTheServices() throws Exception {
    start(List.of());
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();

    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse response) {
            answer.complete(response);
          }

          @Override
          public void onError(Throwable t) {
            answer.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();

    List<String> services = answer.get(10, TimeUnit.SECONDS).getListServicesResponse()
        .getServiceList().stream().map(ServiceResponse::getName).toList();
    assertTrue(services.contains("minibit.v2.TrackerService"), services.toString());
    assertTrue(services.contains("grpc.health.v1.Health"), services.toString());
  }

  @Test
  @SuppressWarnings("deprecation") // the v1alpha protocol is the point of this test
  void reflectionListsTheServicesToOlderClientsToo() throws Exception {
    start(List.of());
    CompletableFuture<io.grpc.reflection.v1alpha.ServerReflectionResponse> answer =
        new CompletableFuture<>();

    StreamObserver<io.grpc.reflection.v1alpha.ServerReflectionRequest> requests =
        io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverReflectionInfo(new StreamObserver<>() {
              @Override
              public void onNext(io.grpc.reflection.v1alpha.ServerReflectionResponse response) {
                answer.complete(response);
              }

              @Override
              public void onError(Throwable t) {
                answer.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            });
    requests.onNext(io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
        .setListServices("").build());
    requests.onCompleted();

    List<String> services = answer.get(10, TimeUnit.SECONDS).getListServicesResponse()
        .getServiceList().stream().map(io.grpc.reflection.v1alpha.ServiceResponse::getName)
        .toList();
    assertTrue(services.contains("minibit.v2.TrackerService"), services.toString());
    assertTrue(services.contains("grpc.reflection.v1alpha.ServerReflection"),
        services.toString());
  }

  @Test
  void errorsAreMappedOnEveryService() throws Exception {
    start(List.of());

    assertStatus(Status.Code.INTERNAL, () -> TrackerServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .getManifest(GetManifestRequest.newBuilder().setName("bug").build()));
  }

  @Test
  void interceptorsRunInTheOrderGivenFirstOutermost() throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    start(List.of(recording("first", order), recording("second", order)));

    health("");

    assertEquals(List.of("first", "second"), order);
  }

  @Test
  void closeStopsTakingCalls() throws Exception {
    GrpcServer server = startUnmanaged(List.of());
    assertEquals(ServingStatus.SERVING, health(""));

    server.close();

    assertStatus(Status.Code.UNAVAILABLE, () -> health(""));
  }

  @Test
  void closingTwiceIsHarmlessAndQuiet() throws Exception {
    GrpcServer server = startUnmanaged(List.of());
    server.close();
    List<java.util.logging.LogRecord> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler capture = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord record) {
        if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
          warnings.add(record);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger root = Logger.getLogger("");
    root.addHandler(capture);
    try {
      server.close();
    } finally {
      root.removeHandler(capture);
    }
    assertEquals(List.of(), warnings.stream().map(java.util.logging.LogRecord::getMessage).toList());
    assertStatus(Status.Code.UNAVAILABLE, () -> health(""));
  }

  private static ServerInterceptor recording(String label, List<String> order) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        order.add(label);
        return next.startCall(call, headers);
      }
    };
  }
}
