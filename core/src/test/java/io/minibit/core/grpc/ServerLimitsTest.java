package io.minibit.core.grpc;

import static io.minibit.core.testing.MinibitAssertions.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.GetManifestRequest;
import io.minibit.api.v2.GetManifestResponse;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.GrpcCleanup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The limits on a real Netty server on loopback, as the mains configure it. */
class ServerLimitsTest {
  private static final ServerLimits SMALL = new ServerLimits(64 * 1024, 3);

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();

  /** Holds every GetManifest call open until the test answers it; "echo" answers at once. */
  private static final class HoldingTracker extends TrackerServiceGrpc.TrackerServiceImplBase {
    final ConcurrentLinkedQueue<StreamObserver<GetManifestResponse>> held =
        new ConcurrentLinkedQueue<>();

    @Override
    public void getManifest(GetManifestRequest request,
        StreamObserver<GetManifestResponse> responses) {
      if (request.getName().equals("echo")) {
        responses.onNext(GetManifestResponse.newBuilder().setInfohash("echo").build());
        responses.onCompleted();
      } else {
        held.add(responses);
      }
    }

    void releaseOne() {
      StreamObserver<GetManifestResponse> call = held.remove();
      call.onNext(GetManifestResponse.getDefaultInstance());
      call.onCompleted();
    }
  }

  private final HoldingTracker tracker = new HoldingTracker();

  private TrackerServiceGrpc.TrackerServiceStub client() throws Exception {
    GrpcServer server = grpc.register(GrpcServer.start(
        SMALL.applyTo(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))),
        "limited", List.of(), tracker));
    ManagedChannel channel = grpc.register(Channels.forTarget("127.0.0.1:" + server.port()));
    return TrackerServiceGrpc.newStub(channel);
  }

  private static String echo(TrackerServiceGrpc.TrackerServiceStub stub) {
    return TrackerServiceGrpc.newBlockingStub(stub.getChannel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .getManifest(GetManifestRequest.newBuilder().setName("echo").build()).getInfohash();
  }

  @Test
  void aMessageOverTheLimitIsRefusedAndTheServerGoesOn() throws Exception {
    TrackerServiceGrpc.TrackerServiceStub stub = client();
    GetManifestRequest huge = GetManifestRequest.newBuilder()
        .setName("x".repeat(SMALL.maxMessageBytes() + 1)).build();

    assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> TrackerServiceGrpc.newBlockingStub(
        stub.getChannel()).withDeadlineAfter(10, TimeUnit.SECONDS).getManifest(huge));
    assertEquals("echo", echo(stub));
  }

  @Test
  void callsOverTheLimitOfOneConnectionWaitForAFreeSlot() throws Exception {
    TrackerServiceGrpc.TrackerServiceStub stub = client();
    int calls = SMALL.maxCallsPerConnection() + 2;
    for (int i = 0; i < calls; i++) {
      stub.withDeadlineAfter(30, TimeUnit.SECONDS).getManifest(
          GetManifestRequest.newBuilder().setName("hold").build(), new NoOpObserver());
    }
    Await.until(Duration.ofSeconds(10), "the first calls to start",
        () -> tracker.held.size() == SMALL.maxCallsPerConnection());

    // The server has its calls; a new one on the same connection queues behind them.
    assertThrows(Exception.class, () -> TrackerServiceGrpc.newBlockingStub(stub.getChannel())
        .withDeadlineAfter(500, TimeUnit.MILLISECONDS)
        .getManifest(GetManifestRequest.newBuilder().setName("echo").build()));
    assertEquals(SMALL.maxCallsPerConnection(), tracker.held.size());

    tracker.releaseOne();
    Await.until(Duration.ofSeconds(10), "a queued call to take the free slot",
        () -> tracker.held.size() == SMALL.maxCallsPerConnection());
    while (!tracker.held.isEmpty()) {
      tracker.releaseOne();
    }
    assertEquals("echo", echo(stub));
  }

  private static final class NoOpObserver implements StreamObserver<GetManifestResponse> {
    @Override
    public void onNext(GetManifestResponse value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
