package io.minibit.peer.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import io.minibit.core.identity.PeerKey;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TrackerClientTest {
  @Test
  void aTrackerThatCannotBeReachedIsDialledAgainOnTheNextCall() {
    ManagedChannel nowhere = InProcessChannelBuilder.forName("no-tracker-here").build();
    AtomicInteger reconnects = new AtomicInteger();
    try {
      TrackerClient client =
          new TrackerClient(nowhere, "no-tracker-here", reconnects::incrementAndGet,
              PeerKey.generate(), Clock.systemUTC());
      MinibitException down = assertThrows(MinibitException.class,
          () -> client.heartbeat("mb-0123456789abcdef", "token"));
      assertEquals(ErrorCode.UNAVAILABLE, down.code());
      assertEquals(1, reconnects.get(), "its reconnect backoff is not waited out");
    } finally {
      nowhere.shutdownNow();
    }
  }
}
