package io.minibit.core.grpc;

import static io.minibit.core.testing.MinibitAssertions.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.minibit.api.v2.GetManifestRequest;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.grpc.ErrorMappingInterceptorTest.FailingTracker;
import io.minibit.core.testing.GrpcCleanup;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TokenAuthTest {
  private static final String TOKEN = "s3cret-token-for-tests";

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    grpc.register(GrpcServer.start(InProcessServerBuilder.forName(name).directExecutor()
            .intercept(TokenAuth.require(TOKEN)), "guarded", List.of(), new FailingTracker()));
    channel = grpc.register(InProcessChannelBuilder.forName(name).directExecutor().build());
  }

  /** FailingTracker answers NOT_FOUND for "not-found": the call got through. */
  private static void call(Channel channel) {
    TrackerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getManifest(GetManifestRequest.newBuilder().setName("not-found").build());
  }

  @Test
  void aCallWithoutTheTokenIsUnauthenticated() {
    Status status = assertStatus(Status.Code.UNAUTHENTICATED, () -> call(channel));
    assertEquals("this control API needs a token: pass --control-token or set "
        + "MINIBIT_CONTROL_TOKEN", status.getDescription());
  }

  @Test
  void aWrongTokenIsUnauthenticated() {
    Channel wrong = ClientInterceptors.intercept(channel,
        TokenAuth.attach("not-the-token-at-all"));
    assertStatus(Status.Code.UNAUTHENTICATED, () -> call(wrong));
  }

  @Test
  void theRightTokenGetsThrough() {
    Channel right = ClientInterceptors.intercept(channel, TokenAuth.attach(TOKEN));
    assertStatus(Status.Code.NOT_FOUND, () -> call(right));
  }

  @Test
  void healthNeedsNoToken() {
    assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus());
  }

  @Test
  void aTokenMustBeLongAndPrintable() {
    assertThrows(IllegalArgumentException.class, () -> TokenAuth.requireUsable("short"));
    assertThrows(IllegalArgumentException.class,
        () -> TokenAuth.requireUsable("has a space in it, sadly"));
    assertEquals(TOKEN, TokenAuth.requireUsable(TOKEN));
  }
}
