package io.minibit.peer.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.minibit.api.v2.AnnounceEvent;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.core.ErrorCode;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.identity.PeerKey;
import io.minibit.core.testing.TestFiles;
import io.minibit.tracker.TrackerConfig;
import io.minibit.tracker.TrackerServer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
          () -> client.heartbeat("mb-0123456789abcdef"));
      assertEquals(ErrorCode.UNAVAILABLE, down.code());
      assertEquals(1, reconnects.get(), "its reconnect backoff is not waited out");
    } finally {
      nowhere.shutdownNow();
    }
  }

  @Test
  void anAnnounceWhoseSessionTheTrackerLostIsSentAgainWithAProof(@TempDir Path dir)
      throws Exception {
    String name = InProcessServerBuilder.generateName();
    TrackerConfig config = TrackerConfig.defaults(dir.resolve("tracker"));
    TrackerServer tracker = TrackerServer.start(config,
        InProcessServerBuilder.forName(name).directExecutor());
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      PeerKey key = PeerKey.generate();
      TrackerClient client = new TrackerClient(channel, "in-process tracker", () -> { }, key,
          Clock.systemUTC());
      Torrent torrent = TestFiles.torrentFor(TestFiles.createFile(dir, "f.bin", 50_000, 1),
          16 * 1024);
      assertTrue(client.publish(torrent));
      AnnounceRequest.Builder announce = AnnounceRequest.newBuilder()
          .setInfohash(torrent.infoHash().hex()).setPeerId(key.peerId()).setHost("10.0.0.1")
          .setPort(6881).setEvent(AnnounceEvent.ANNOUNCE_EVENT_STARTED);
      String first = client.announce(announce.build()).getSessionToken();

      tracker.close();
      tracker = TrackerServer.start(config, InProcessServerBuilder.forName(name).directExecutor());

      String second = client.announce(announce.setSessionToken(first).build()).getSessionToken();
      assertNotEquals(first, second, "a new session, opened with a proof");
      client.heartbeat(key.peerId());
      TrackerClient impostor = new TrackerClient(channel, "in-process tracker", () -> { },
          PeerKey.generate(), Clock.systemUTC());
      MinibitException refused = assertThrows(MinibitException.class,
          () -> impostor.announce(announce.setSessionToken("").build()));
      assertEquals(ErrorCode.UNAUTHENTICATED, refused.code(), refused::getMessage);
      assertTrue(refused.getMessage().contains("does not verify"), refused.getMessage());
    } finally {
      channel.shutdownNow();
      tracker.close();
    }
  }
}
