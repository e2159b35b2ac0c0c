package io.minibit.tracker;

import static io.minibit.tracker.TrackerHarness.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The grpc.health.v1 checks a Kubernetes probe or grpc_health_probe makes. */
class HealthCheckTest {
  @RegisterExtension
  final TrackerHarness tracker = TrackerHarness.builder().build();

  private HealthGrpc.HealthBlockingStub health() {
    return HealthGrpc.newBlockingStub(tracker.channel())
        .withDeadlineAfter(TrackerHarness.DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "minibit.v2.TrackerService"})
  void trackerIsServing(String service) {
    ServingStatus status = health()
        .check(HealthCheckRequest.newBuilder().setService(service).build())
        .getStatus();

    assertEquals(ServingStatus.SERVING, status);
  }

  @Test
  void unknownServiceIsNotFound() {
    assertStatus(Status.Code.NOT_FOUND, () -> health()
        .check(HealthCheckRequest.newBuilder().setService("minibit.v2.Nope").build()));
  }
}
