package io.minibit.core.grpc;

import static io.minibit.core.testing.MinibitAssertions.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.DownloadResponse;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ListTorrentsResponse;
import io.minibit.api.v2.ListTransfersRequest;
import io.minibit.api.v2.ListTransfersResponse;
import io.minibit.api.v2.PeerControlServiceGrpc;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.PingRequest;
import io.minibit.api.v2.PingResponse;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.testing.GrpcCleanup;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ChannelsTest {
  /** maxAttempts in retry-service-config.json. */
  private static final int MAX_ATTEMPTS = 4;

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();

  private final String name = InProcessServerBuilder.generateName();
  private final AtomicInteger attempts = new AtomicInteger();

  /** Fails the first {@code failures} calls with {@code code}, then answers. */
  private final class FlakyTracker extends TrackerServiceGrpc.TrackerServiceImplBase {
    private final int failures;
    private final Status.Code code;

    FlakyTracker(int failures, Status.Code code) {
      this.failures = failures;
      this.code = code;
    }

    @Override
    public void listTorrents(ListTorrentsRequest request,
        StreamObserver<ListTorrentsResponse> responses) {
      if (attempts.incrementAndGet() <= failures) {
        responses.onError(Status.fromCode(code).withDescription("attempt " + attempts.get())
            .asRuntimeException());
        return;
      }
      responses.onNext(ListTorrentsResponse.getDefaultInstance());
      responses.onCompleted();
    }
  }

  private ManagedChannel serve(io.grpc.BindableService service) throws Exception {
    grpc.register(InProcessServerBuilder.forName(name).addService(service).build().start());
    return grpc.register(Channels.configure(InProcessChannelBuilder.forName(name)).build());
  }

  private TrackerServiceGrpc.TrackerServiceBlockingStub tracker(int failures, Status.Code code)
      throws Exception {
    return TrackerServiceGrpc.newBlockingStub(serve(new FlakyTracker(failures, code)))
        .withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  @Test
  void serviceConfigLoadsAndAppliesToAnInProcessBuilder() {
    grpc.register(Channels.configure(InProcessChannelBuilder.forName(name)).build());
  }

  @Test
  void networkChannelBuildsWithoutConnecting() {
    Channels.close(Channels.forTarget("localhost:1"));
  }

  @Test
  void trackerCallFailingWithUnavailableIsRetriedUntilItSucceeds() throws Exception {
    tracker(2, Status.Code.UNAVAILABLE).listTorrents(ListTorrentsRequest.getDefaultInstance());

    assertEquals(3, attempts.get());
  }

  @Test
  void retriesStopAtMaxAttempts() throws Exception {
    TrackerServiceGrpc.TrackerServiceBlockingStub tracker =
        tracker(Integer.MAX_VALUE, Status.Code.UNAVAILABLE);

    assertStatus(Status.Code.UNAVAILABLE,
        () -> tracker.listTorrents(ListTorrentsRequest.getDefaultInstance()));
    assertEquals(MAX_ATTEMPTS, attempts.get());
  }

  @Test
  void invalidArgumentIsNotRetried() throws Exception {
    TrackerServiceGrpc.TrackerServiceBlockingStub tracker =
        tracker(1, Status.Code.INVALID_ARGUMENT);

    assertStatus(Status.Code.INVALID_ARGUMENT,
        () -> tracker.listTorrents(ListTorrentsRequest.getDefaultInstance()));
    assertEquals(1, attempts.get());
  }

  @Test
  void peerControlCallsAreRetriedToo() throws Exception {
    PeerControlServiceGrpc.PeerControlServiceImplBase control =
        new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void listTransfers(ListTransfersRequest request,
          StreamObserver<ListTransfersResponse> responses) {
        if (attempts.incrementAndGet() == 1) {
          responses.onError(Status.UNAVAILABLE.asRuntimeException());
          return;
        }
        responses.onNext(ListTransfersResponse.getDefaultInstance());
        responses.onCompleted();
      }
    };

    PeerControlServiceGrpc.newBlockingStub(serve(control)).withDeadlineAfter(20, TimeUnit.SECONDS)
        .listTransfers(ListTransfersRequest.getDefaultInstance());

    assertEquals(2, attempts.get());
  }

  @Test
  void peerToPeerCallsAreNotRetriedByTheChannel() throws Exception {
    PeerServiceGrpc.PeerServiceImplBase peer = new PeerServiceGrpc.PeerServiceImplBase() {
      @Override
      public void ping(PingRequest request, StreamObserver<PingResponse> responses) {
        attempts.incrementAndGet();
        responses.onError(Status.UNAVAILABLE.asRuntimeException());
      }
    };
    PeerServiceGrpc.PeerServiceBlockingStub stub = PeerServiceGrpc.newBlockingStub(serve(peer))
        .withDeadlineAfter(20, TimeUnit.SECONDS);

    assertStatus(Status.Code.UNAVAILABLE, () -> stub.ping(PingRequest.getDefaultInstance()));
    assertEquals(1, attempts.get());
  }

  @Test
  void aPeerChannelHasNoRetryMachineryAtAll() throws Exception {
    io.grpc.Server server = grpc.register(io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder
        .forAddress(new java.net.InetSocketAddress("127.0.0.1", 0))
        .addService(new FlakyTracker(1, Status.Code.UNAVAILABLE)).build().start());
    ManagedChannel channel = grpc.register(
        Channels.toPeer("127.0.0.1:" + server.getPort(), java.util.Optional.empty()));
    TrackerServiceGrpc.TrackerServiceBlockingStub tracker =
        TrackerServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(20, TimeUnit.SECONDS);

    // A Tracker method, which the service config retries on other channels: not on this one.
    assertStatus(Status.Code.UNAVAILABLE,
        () -> tracker.listTorrents(ListTorrentsRequest.getDefaultInstance()));
    assertEquals(1, attempts.get());
  }

  @Test
  void theDownloadStreamIsNotRetried() throws Exception {
    PeerControlServiceGrpc.PeerControlServiceImplBase control =
        new PeerControlServiceGrpc.PeerControlServiceImplBase() {
      @Override
      public void download(DownloadRequest request,
          StreamObserver<DownloadResponse> responses) {
        attempts.incrementAndGet();
        responses.onError(Status.UNAVAILABLE.withDescription("no peers").asRuntimeException());
      }
    };
    var stub = PeerControlServiceGrpc.newBlockingStub(serve(control))
        .withDeadlineAfter(20, TimeUnit.SECONDS);

    assertStatus(Status.Code.UNAVAILABLE,
        () -> stub.download(DownloadRequest.getDefaultInstance()).hasNext());
    assertEquals(1, attempts.get(), "\"no peers\" is an answer, not a fault to retry");
  }
}
