package io.minibit.core.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.PingRequest;
import io.minibit.api.v2.PingResponse;
import io.minibit.core.testing.GrpcCleanup;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With nothing to export, calls carry no instrumentation, yet a caller's sampled trace still
 * reaches the calls made while serving it: client -> middle (relaying) -> downstream.
 */
class TraceRelayTest {
  private static final Metadata.Key<String> TRACEPARENT =
      Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
  private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();

  private final AtomicReference<String> seenDownstream = new AtomicReference<>();
  private final Telemetry telemetry = Telemetry.fromEnvironment("minibit-peer", Map.of());
  private ManagedChannel toMiddle;

  @BeforeEach
  void start() throws IOException {
    grpc.register(telemetry);
    String downstream = InProcessServerBuilder.generateName();
    ServerInterceptor recordHeader = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        seenDownstream.set(headers.get(TRACEPARENT));
        return next.startCall(call, headers);
      }
    };
    grpc.register(InProcessServerBuilder.forName(downstream).directExecutor()
        .addService(ServerInterceptors.intercept(new Answering(), recordHeader)).build().start());
    PeerServiceGrpc.PeerServiceBlockingStub downstreamStub =
        PeerServiceGrpc.newBlockingStub(ClientInterceptors.intercept(
        grpc.register(InProcessChannelBuilder.forName(downstream).directExecutor().build()),
        telemetry.clientInterceptor()));

    String middle = InProcessServerBuilder.generateName();
    PeerServiceGrpc.PeerServiceImplBase forwarding = new PeerServiceGrpc.PeerServiceImplBase() {
      @Override
      public void ping(PingRequest request, StreamObserver<PingResponse> responses) {
        responses.onNext(downstreamStub.ping(request));
        responses.onCompleted();
      }
    };
    grpc.register(InProcessServerBuilder.forName(middle)
        .addService(ServerInterceptors.intercept(forwarding, telemetry.serverInterceptor()))
        .build().start());
    toMiddle = grpc.register(InProcessChannelBuilder.forName(middle).build());
  }

  private void pingMiddle(String traceparent) {
    Metadata headers = new Metadata();
    if (traceparent != null) {
      headers.put(TRACEPARENT, traceparent);
    }
    PeerServiceGrpc.newBlockingStub(toMiddle)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .ping(PingRequest.getDefaultInstance());
  }

  @Test
  void aSampledTraceGoesOnDownstream() {
    pingMiddle("00-" + TRACE_ID + "-b7ad6b7169203331-01");

    String forwarded = seenDownstream.get();
    assertTrue(forwarded != null && forwarded.startsWith("00-" + TRACE_ID + "-"), forwarded);
    assertTrue(forwarded.endsWith("-01"), forwarded);
  }

  @Test
  void anUnsampledTraceStopsHere() {
    pingMiddle("00-" + TRACE_ID + "-b7ad6b7169203331-00");

    assertNull(seenDownstream.get());
  }

  @Test
  void aCallWithoutTraceCarriesNone() {
    pingMiddle(null);

    assertNull(seenDownstream.get());
    assertEquals("", PeerServiceGrpc.newBlockingStub(toMiddle).ping(
        PingRequest.getDefaultInstance())
        .getPeerId());
  }

  private static final class Answering extends PeerServiceGrpc.PeerServiceImplBase {
    @Override
    public void ping(PingRequest request, StreamObserver<PingResponse> responses) {
      responses.onNext(PingResponse.getDefaultInstance());
      responses.onCompleted();
    }
  }
}
