package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Talks to the tracker the way grpcurl does, through server reflection alone. */
class ReflectionTest {
  @RegisterExtension
  final TrackerHarness tracker = TrackerHarness.builder().build();

  /** Sends one request on a reflection stream, half-closes, and collects every response. */
  private List<ServerReflectionResponse> reflect(ServerReflectionRequest request)
      throws Exception {
    CompletableFuture<List<ServerReflectionResponse>> done = new CompletableFuture<>();
    List<ServerReflectionResponse> responses = new ArrayList<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(tracker.channel())
            .withDeadlineAfter(TrackerHarness.DEADLINE_SECONDS, TimeUnit.SECONDS)
            .serverReflectionInfo(new StreamObserver<>() {
              @Override
              public void onNext(ServerReflectionResponse response) {
                responses.add(response);
              }

              @Override
              public void onError(Throwable t) {
                done.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                done.complete(responses);
              }
            });
    requests.onNext(request);
    requests.onCompleted();
    return done.get(TrackerHarness.DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  @Test
  void listServicesIncludesTrackerHealthAndReflection() throws Exception {
    List<ServerReflectionResponse> responses =
        reflect(ServerReflectionRequest.newBuilder().setListServices("*").build());

    assertEquals(1, responses.size());
    Set<String> services = responses.get(0).getListServicesResponse().getServiceList().stream()
        .map(ServiceResponse::getName)
        .collect(Collectors.toSet());
    assertTrue(services.containsAll(Set.of("minibit.v2.TrackerService", "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection")), services::toString);
  }

  @Test
  void fileContainingTheTrackerServiceDescribesEveryRpc() throws Exception {
    List<ServerReflectionResponse> responses = reflect(ServerReflectionRequest.newBuilder()
        .setFileContainingSymbol("minibit.v2.TrackerService").build());

    assertEquals(1, responses.size());
    ServerReflectionResponse response = responses.get(0);
    assertFalse(response.hasErrorResponse(), () -> response.getErrorResponse().toString());
    List<FileDescriptorProto> files = new ArrayList<>();
    for (ByteString bytes : response.getFileDescriptorResponse().getFileDescriptorProtoList()) {
      files.add(parse(bytes));
    }
    FileDescriptorProto trackerFile = files.stream()
        .filter(f -> f.getName().equals("minibit/v2/tracker.proto"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no tracker.proto among " + files.stream()
            .map(FileDescriptorProto::getName).toList()));
    assertEquals("minibit.v2", trackerFile.getPackage());
    ServiceDescriptorProto service = trackerFile.getServiceList().stream()
        .filter(s -> s.getName().equals("TrackerService"))
        .findFirst()
        .orElseThrow();
    assertEquals(Set.of("Publish", "GetManifest", "ListTorrents", "Announce", "Heartbeat",
        "GetSwarmHealth"),
        service.getMethodList().stream().map(MethodDescriptorProto::getName)
            .collect(Collectors.toSet()));
  }

  @Test
  void unknownSymbolIsReportedAsNotFound() throws Exception {
    List<ServerReflectionResponse> responses = reflect(ServerReflectionRequest.newBuilder()
        .setFileContainingSymbol("minibit.v2.NoSuchService").build());

    assertEquals(1, responses.size());
    assertEquals(io.grpc.Status.Code.NOT_FOUND.value(),
        responses.get(0).getErrorResponse().getErrorCode());
  }

  private static FileDescriptorProto parse(ByteString bytes) {
    try {
      return FileDescriptorProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("reflection sent a malformed file descriptor", e);
    }
  }
}
