package io.minibit.core.grpc;

import static io.minibit.core.testing.MinibitAssertions.assertReason;
import static io.minibit.core.testing.MinibitAssertions.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.GetBlocksRequest;
import io.minibit.api.v2.GetBlocksResponse;
import io.minibit.api.v2.GetManifestRequest;
import io.minibit.api.v2.GetManifestResponse;
import io.minibit.api.v2.PeerServiceGrpc;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.ErrorCode;
import io.minibit.core.ErrorReason;
import io.minibit.core.MinibitException;
import io.minibit.core.testing.GrpcCleanup;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ErrorMappingInterceptorTest {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();

  private final Logger log = Logger.getLogger(ErrorMappingInterceptor.class.getName());
  private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      logged.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private boolean usedParentHandlers;

  /** A tracker whose GetManifest fails the way the requested name says. */
  static final class FailingTracker extends TrackerServiceGrpc.TrackerServiceImplBase {
    @Override
    public void getManifest(GetManifestRequest request,
        StreamObserver<GetManifestResponse> responses) {
      switch (request.getName()) {
        case "not-found" -> throw new MinibitException(ErrorCode.NOT_FOUND, "x");
        case "bug" -> throw new IllegalStateException("secret-detail");
        case "status" -> throw Status.PERMISSION_DENIED.withDescription("wrong token")
            .asRuntimeException();
        case "foreign" -> throw StatusProto.toStatusRuntimeException(com.google.rpc.Status
            .newBuilder().setCode(Status.Code.RESOURCE_EXHAUSTED.value()).setMessage("quota")
            .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("CHOKED")
                .setDomain("example.com").build()))
            .build());
        case "long" -> responses.onError(Status.INVALID_ARGUMENT
            .withDescription("é".repeat(20_000)).asRuntimeException());
        default -> {
          if (request.getName().startsWith("reason:")) {
            throw new MinibitException(ErrorReason.valueOf(request.getName().substring(7)),
                Map.of("limit", "calls_per_peer", "max", "32"), "refused");
          }
          responses.onNext(GetManifestResponse.newBuilder().setInfohash("fine").build());
          responses.onCompleted();
        }
      }
    }
  }

  /**
   * A peer whose GetBlocks streams block 0, then fails with the reason named by the peer id, on
   * the stream (as a block sender or a progress stream does), not by throwing.
   */
  static final class ReasonedPeer extends PeerServiceGrpc.PeerServiceImplBase {
    @Override
    public void getBlocks(GetBlocksRequest request, StreamObserver<GetBlocksResponse> responses) {
      responses.onNext(GetBlocksResponse.newBuilder().setIndex(0).build());
      responses.onError(ErrorMappingInterceptor.toStatusException(new MinibitException(
          ErrorReason.valueOf(request.getPeerId()), Map.of(), "stopped midway")));
    }
  }

  /** A peer whose GetBlocks streams block 0 and then fails. */
  static final class FailingPeer extends PeerServiceGrpc.PeerServiceImplBase {
    @Override
    public void getBlocks(GetBlocksRequest request, StreamObserver<GetBlocksResponse> responses) {
      responses.onNext(GetBlocksResponse.newBuilder().setIndex(0).build());
      throw new MinibitException(ErrorCode.OUT_OF_RANGE, "block 9 is past the end");
    }
  }

  @BeforeEach
  void captureLog() {
    usedParentHandlers = log.getUseParentHandlers();
    log.setUseParentHandlers(false); // the expected stack traces would only be noise
    log.addHandler(capture);
  }

  @AfterEach
  void releaseLog() {
    log.removeHandler(capture);
    log.setUseParentHandlers(usedParentHandlers);
  }

  private ManagedChannel serve(BindableService service) throws IOException {
    String name = InProcessServerBuilder.generateName();
    grpc.register(InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(service, new ErrorMappingInterceptor()))
        .build().start());
    return grpc.register(InProcessChannelBuilder.forName(name).directExecutor().build());
  }

  private TrackerServiceGrpc.TrackerServiceBlockingStub tracker() throws IOException {
    return TrackerServiceGrpc.newBlockingStub(serve(new FailingTracker()))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static GetManifestRequest byName(String name) {
    return GetManifestRequest.newBuilder().setName(name).build();
  }

  @Test
  void minibitExceptionTravelsWithItsCodeAndMessage() throws IOException {
    Status status = assertStatus(Status.Code.NOT_FOUND,
        () -> tracker().getManifest(byName("not-found")));

    assertEquals("x", status.getDescription());
    assertTrue(logged.isEmpty(), "an expected failure is not logged as a bug");
  }

  @Test
  void unexpectedExceptionIsInternalWithoutItsDetails() throws IOException {
    Status status = assertStatus(Status.Code.INTERNAL, () -> tracker().getManifest(byName("bug")));

    String description = status.getDescription();
    assertTrue(description.contains("internal error"), description);
    assertFalse(description.contains("secret-detail"), description);
    assertFalse(description.contains("\tat "), description);
    assertFalse(description.contains("ErrorMappingInterceptorTest"), description);
  }

  @Test
  void unexpectedExceptionIsLoggedWithItsStackTrace() throws IOException {
    assertStatus(Status.Code.INTERNAL, () -> tracker().getManifest(byName("bug")));

    assertEquals(1, logged.size());
    assertEquals(Level.SEVERE, logged.get(0).getLevel());
    assertEquals("secret-detail", logged.get(0).getThrown().getMessage());
  }

  @Test
  void statusExceptionKeepsItsStatus() throws IOException {
    Status status = assertStatus(Status.Code.PERMISSION_DENIED,
        () -> tracker().getManifest(byName("status")));

    assertEquals("wrong token", status.getDescription());
  }

  @Test
  void aHugeDescriptionIsCutSoTheTrailersStaySmall() throws IOException {
    Status status = assertStatus(Status.Code.INVALID_ARGUMENT,
        () -> tracker().getManifest(byName("long")));

    assertEquals("é".repeat(ErrorMappingInterceptor.MAX_DESCRIPTION_CHARS) + "...",
        status.getDescription());
  }

  @Test
  void callsThatDoNotThrowAreUntouched() throws IOException {
    assertEquals("fine", tracker().getManifest(byName("anything")).getInfohash());
  }

  @Test
  void failureAfterStreamedMessagesEndsTheStreamWithItsCode() throws IOException {
    Iterator<GetBlocksResponse> blocks = PeerServiceGrpc.newBlockingStub(serve(new FailingPeer()))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .getBlocks(GetBlocksRequest.newBuilder().addIndices(0).addIndices(9).build());

    assertEquals(0, blocks.next().getIndex());
    Status status = assertStatus(Status.Code.OUT_OF_RANGE, blocks::hasNext);
    assertEquals("block 9 is past the end", status.getDescription());
  }

  @ParameterizedTest
  @EnumSource(ErrorReason.class)
  void aReasonReachesTheClientAsAnErrorInfo(ErrorReason reason) throws IOException {
    ErrorInfo info = assertReason(reason,
        () -> tracker().getManifest(byName("reason:" + reason.name())));

    assertEquals(Map.of("limit", "calls_per_peer", "max", "32"), info.getMetadataMap());
    assertTrue(logged.isEmpty(), "an expected failure is not logged as a bug");
  }

  @ParameterizedTest
  @EnumSource(ErrorReason.class)
  void aReasonSurvivesAStreamThatFailsMidway(ErrorReason reason) throws IOException {
    Iterator<GetBlocksResponse> blocks = PeerServiceGrpc.newBlockingStub(serve(new ReasonedPeer()))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .getBlocks(GetBlocksRequest.newBuilder().setPeerId(reason.name()).addIndices(0).build());

    assertEquals(0, blocks.next().getIndex());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, blocks::hasNext);
    assertReason(reason, e);
    assertEquals(Optional.of(reason), ErrorReason.of(e));
  }

  @Test
  void aFailureWithoutAReasonOrWithAnotherDomainsHasNone() throws IOException {
    StatusRuntimeException plain = assertThrows(StatusRuntimeException.class,
        () -> tracker().getManifest(byName("not-found")));
    StatusRuntimeException foreign = assertThrows(StatusRuntimeException.class,
        () -> tracker().getManifest(byName("foreign")));

    assertEquals(Optional.empty(), ErrorReason.of(plain));
    assertEquals(List.of(), StatusProto.fromThrowable(plain).getDetailsList());
    assertEquals(Optional.empty(), ErrorReason.of(foreign), "CHOKED, but not MiniBit's");
    assertEquals(1, StatusProto.fromThrowable(foreign).getDetailsCount(),
        "a status exception's trailers pass through the interceptor");
    assertEquals(Optional.empty(), ErrorReason.of(new IllegalStateException("not gRPC")));
  }

  @Test
  void toStatusMapsEachKindOfFailure() {
    Status minibit = ErrorMappingInterceptor.toStatus(
        new MinibitException(ErrorCode.RESOURCE_EXHAUSTED, "choked"));
    Status passthrough = Status.UNAVAILABLE.withDescription("later");

    assertEquals(Status.Code.RESOURCE_EXHAUSTED, minibit.getCode());
    assertEquals("choked", minibit.getDescription());
    assertSame(passthrough, ErrorMappingInterceptor.toStatus(passthrough.asRuntimeException()));
    assertEquals(Status.Code.INTERNAL,
        ErrorMappingInterceptor.toStatus(new NullPointerException()).getCode());
  }

  @Test
  void everyErrorCodeTravelsAsTheStatusOfTheSameName() {
    for (ErrorCode code : ErrorCode.values()) {
      Status status = ErrorMappingInterceptor.toStatus(new MinibitException(code, "m"));
      assertEquals(code.name(), status.getCode().name());
    }
  }
}
