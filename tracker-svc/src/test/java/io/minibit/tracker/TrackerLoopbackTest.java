package io.minibit.tracker;

import io.minibit.core.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.minibit.api.v2.AnnounceEvent;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.PeerEndpoint;
import io.minibit.core.testing.TestKeys;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.grpc.Channels;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parts of announce that need a real socket: the caller's address as the tracker sees it. */
class TrackerLoopbackTest {
  private static final String LOOPBACK = "127.0.0.1";
  private static final MutableClock CLOCK = new MutableClock();

  @TempDir
  Path dataDir;

  private TrackerServer server;
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    if (channel != null) {
      Channels.close(channel);
    }
    if (server != null) {
      server.close();
    }
  }

  private TrackerServiceGrpc.TrackerServiceBlockingStub start(boolean trustAdvertisedAddresses)
      throws IOException {
    TrackerConfig config = TrackerConfig.defaults(dataDir).withPort(0)
        .withTrustAdvertisedAddresses(trustAdvertisedAddresses);
    server = TrackerServer.start(config,
        NettyServerBuilder.forAddress(new InetSocketAddress(LOOPBACK, 0)), CLOCK,
        new Random(1));
    channel = Channels.forTarget(LOOPBACK + ":" + server.port());
    return TrackerServiceGrpc.newBlockingStub(channel);
  }

  /**
   * Publishes a torrent, announces {@code advertisedHost} for one peer, returns what another
   * sees.
   */
  private static List<PeerEndpoint> seenByAnotherPeer(
      TrackerServiceGrpc.TrackerServiceBlockingStub stub,
      String advertisedHost) {
    String infohash = deadline(stub).publish(
        TestKeys.publish(TestManifests.manifest("song.ogg", 1), CLOCK.instant())).getInfohash();
    AnnounceRequest.Builder announce = AnnounceRequest.newBuilder()
        .setInfohash(infohash)
        .setEvent(AnnounceEvent.ANNOUNCE_EVENT_STARTED)
        .setPort(6881);
    deadline(stub).announce(TestKeys.proven(announce.setPeerId(TestKeys.peerId("first"))
        .setHost(advertisedHost), CLOCK.instant()).build());
    return deadline(stub).announce(TestKeys.proven(announce.setPeerId(TestKeys.peerId("second"))
        .setHost("10.9.9.9"), CLOCK.instant()).build())
        .getPeersList();
  }

  private static TrackerServiceGrpc.TrackerServiceBlockingStub deadline(
      TrackerServiceGrpc.TrackerServiceBlockingStub stub) {
    return stub.withDeadlineAfter(TrackerHarness.DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  @Test
  void listensOnTheBoundPort() throws IOException {
    start(true);

    assertTrue(server.port() > 0, "port " + server.port());
  }

  @Test
  void emptyHostBecomesTheCallersAddress() throws IOException {
    TrackerServiceGrpc.TrackerServiceBlockingStub stub = start(true);

    List<PeerEndpoint> peers = seenByAnotherPeer(stub, "");

    assertEquals(1, peers.size());
    assertEquals(LOOPBACK, peers.get(0).getHost());
    assertEquals(6881, peers.get(0).getPort());
  }

  @Test
  void advertisedHostIsUsedAsGivenWhenTrusted() throws IOException {
    TrackerServiceGrpc.TrackerServiceBlockingStub stub = start(true);

    List<PeerEndpoint> peers = seenByAnotherPeer(stub, "peer-1.example");

    assertEquals("peer-1.example", peers.get(0).getHost());
  }

  @Test
  void callersAddressWinsWhenAdvertisedHostsAreNotTrusted() throws IOException {
    TrackerServiceGrpc.TrackerServiceBlockingStub stub = start(false);

    List<PeerEndpoint> peers = seenByAnotherPeer(stub, "peer-1.example");

    assertEquals(LOOPBACK, peers.get(0).getHost());
  }
}
