package io.minibit.core.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Drainable;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.minibit.api.v2.GetManifestRequest;
import io.minibit.api.v2.GetManifestResponse;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.grpc.ErrorMappingInterceptorTest.FailingTracker;
import io.minibit.core.testing.GrpcCleanup;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RequestParsingTest {
  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    grpc.register(GrpcServer.start(InProcessServerBuilder.forName(name).directExecutor(),
        "parsing", List.of(), new FailingTracker()));
    channel = grpc.register(InProcessChannelBuilder.forName(name).directExecutor().build());
  }

  private Status send(byte[] request) {
    MethodDescriptor<byte[], byte[]> raw = TrackerServiceGrpc.getGetManifestMethod()
        .toBuilder(RawBytes.INSTANCE, RawBytes.INSTANCE).build();
    try {
      ClientCalls.blockingUnaryCall(channel, raw,
          io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  @Test
  void bytesThatAreNotAMessageAreInvalidArgument() {
    Status status = send(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode());
    assertTrue(status.getDescription().startsWith("the request is not a valid GetManifest "
        + "request: "), status.toString());
  }

  @Test
  void aStringThatIsNotUtf8IsInvalidArgument() {
    // Field 2 (name), length 2, bytes that are not UTF-8.
    Status status = send(new byte[] {0x12, 0x02, (byte) 0xc3, (byte) 0x28});
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), status.toString());
  }

  @Test
  @SuppressWarnings("unchecked")
  void aResponseGoesOutAsTheStreamItsOwnMarshallerMade() {
    MethodDescriptor<GetManifestRequest, GetManifestResponse> original =
        TrackerServiceGrpc.getGetManifestMethod();
    MethodDescriptor<Object, Object> strict = (MethodDescriptor<Object, Object>) RequestParsing
        .strict(new FailingTracker().bindService())
        .getMethod(original.getFullMethodName()).getMethodDescriptor();
    InputStream serialized = original.streamResponse(GetManifestResponse.getDefaultInstance());
    // gRPC drains a Drainable stream straight into the connection's buffers; a copy into a
    // byte array on the way would hand it a plain stream to copy from once more.
    assertTrue(serialized instanceof Drainable);
    assertSame(serialized, strict.streamResponse(strict.parseResponse(serialized)));
  }

  @Test
  void aValidMessageReachesTheService() {
    byte[] valid = GetManifestRequest.newBuilder().setName("not-found").build().toByteArray();
    assertEquals(Status.Code.NOT_FOUND, send(valid).getCode());
  }
}
