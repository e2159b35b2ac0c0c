package io.minibit.core.grpc;

import static io.minibit.core.testing.MinibitAssertions.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ConnectivityState;
import io.grpc.ForwardingChannelBuilder2;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.DownloadRequest;
import io.minibit.api.v2.DownloadResponse;
import io.minibit.api.v2.GetBlocksRequest;
import io.minibit.api.v2.GetBlocksResponse;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ChannelsTest {
  /** maxAttempts in Channels.SERVICE_CONFIG. */
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

  /** An in-process builder that remembers the settings it is given. */
  private static final class RecordingBuilder extends ForwardingChannelBuilder2<RecordingBuilder> {
    private final ManagedChannelBuilder<?> delegate;
    Map<String, ?> serviceConfig;
    int maxInboundMessageSize;

    RecordingBuilder(ManagedChannelBuilder<?> delegate) {
      this.delegate = delegate;
    }

    @Override
    protected ManagedChannelBuilder<?> delegate() {
      return delegate;
    }

    @Override
    public RecordingBuilder defaultServiceConfig(Map<String, ?> config) {
      serviceConfig = config;
      return super.defaultServiceConfig(config);
    }

    @Override
    public RecordingBuilder maxInboundMessageSize(int bytes) {
      maxInboundMessageSize = bytes;
      return super.maxInboundMessageSize(bytes);
    }
  }

  @Test
  void serviceConfigLoadsAndAppliesToAnInProcessBuilder() {
    RecordingBuilder builder = Channels.configure(
        new RecordingBuilder(InProcessChannelBuilder.forName(name)));
    grpc.register(builder.build());

    assertEquals(Channels.MAX_INBOUND_MESSAGE_BYTES, builder.maxInboundMessageSize,
        "a whole block fits in a message");
    assertNotNull(builder.serviceConfig, "the retry policy is handed to the builder");
    List<?> methodConfigs = (List<?>) builder.serviceConfig.get("methodConfig");
    assertEquals(1, methodConfigs.size(), "one retry policy for all: " + methodConfigs);
    Map<?, ?> methodConfig = (Map<?, ?>) methodConfigs.get(0);
    // By the generated descriptors' names, so that a renamed proto package or method fails here
    // rather than silently leaving its calls without retries.
    Set<String> named = new HashSet<>();
    for (Object entry : (List<?>) methodConfig.get("name")) {
      Map<?, ?> selector = (Map<?, ?>) entry;
      named.add(selector.containsKey("method")
          ? MethodDescriptor.generateFullMethodName((String) selector.get("service"),
              (String) selector.get("method"))
          : (String) selector.get("service"));
    }
    assertEquals(Set.of(
        TrackerServiceGrpc.SERVICE_NAME,
        PeerControlServiceGrpc.getShareMethod().getFullMethodName(),
        PeerControlServiceGrpc.getListTransfersMethod().getFullMethodName(),
        PeerControlServiceGrpc.getRemoveMethod().getFullMethodName()), named,
        "the tracker and the unary control calls; not the progress streams, and nothing of "
            + PeerServiceGrpc.SERVICE_NAME + " (the download engine asks another peer instead)");
    Map<?, ?> retry = (Map<?, ?>) methodConfig.get("retryPolicy");
    assertEquals(MAX_ATTEMPTS, ((Number) retry.get("maxAttempts")).intValue());
    assertEquals(List.of("UNAVAILABLE"), retry.get("retryableStatusCodes"),
        "only UNAVAILABLE: any other status is an answer, not a fault");
  }

  @Test
  void networkChannelBuildsWithoutConnecting() {
    // Nothing listens on port 1: a channel that connected at once would be CONNECTING or
    // TRANSIENT_FAILURE by now, not IDLE.
    ManagedChannel channel = Channels.forTarget("localhost:1");
    try {
      assertEquals(ConnectivityState.IDLE, channel.getState(false),
          "a channel connects on its first call, not when it is built");
      assertEquals("localhost:1", channel.authority());
    } finally {
      Channels.close(channel);
    }
    assertTrue(channel.isTerminated(), "close waits for the channel to end");
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
  void aPeerChannelReceivesBlockStreamsWholeOverTcp() throws Exception {
    byte[] block = new byte[256 * 1024];
    for (int i = 0; i < block.length; i++) {
      block[i] = (byte) (i * 31 + 7);
    }
    PeerServiceGrpc.PeerServiceImplBase peer = new PeerServiceGrpc.PeerServiceImplBase() {
      @Override
      public void getBlocks(GetBlocksRequest request,
          StreamObserver<GetBlocksResponse> responses) {
        for (int index : request.getIndicesList()) {
          responses.onNext(GetBlocksResponse.newBuilder().setIndex(index)
              .setData(ByteString.copyFrom(block)).build());
        }
        responses.onCompleted();
      }
    };
    io.grpc.Server server = grpc.register(io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder
        .forAddress(new java.net.InetSocketAddress("127.0.0.1", 0)).addService(peer).build()
        .start());
    ManagedChannel channel = grpc.register(
        Channels.toPeer("127.0.0.1:" + server.getPort(), java.util.Optional.empty()));
    List<Integer> asked = List.of(3, 1, 4, 15, 9, 2, 6, 5);

    java.util.Iterator<GetBlocksResponse> blocks = PeerServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(20, TimeUnit.SECONDS)
        .getBlocks(GetBlocksRequest.newBuilder().addAllIndices(asked).build());
    for (int index : asked) {
      GetBlocksResponse received = blocks.next();
      assertEquals(index, received.getIndex());
      assertTrue(received.getData().equals(ByteString.copyFrom(block)), "block " + index);
    }
    assertFalse(blocks.hasNext());
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
