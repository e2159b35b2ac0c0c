package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.minibit.api.v2.AnnounceEvent;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.AnnounceResponse;
import io.minibit.api.v2.GetManifestRequest;
import io.minibit.api.v2.HeartbeatRequest;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.grpc.Channels;
import io.minibit.core.Torrent;
import io.minibit.core.telemetry.Telemetry;
import io.minibit.core.testing.MutableClock;
import io.minibit.core.testing.RedisServer;
import io.minibit.core.testing.TestKeys;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which calls a tracker runs where it read them (its network thread) and which it hands to its
 * pool for calls that may block: announces and heartbeats never wait on anything, on either
 * store, so they must never cost a hand-off between threads.
 */
class TrackerCallThreadsTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final MutableClock CLOCK = new MutableClock();

  @TempDir Path dir;

  private static final Torrent TORRENT = Torrent.of(TestManifests.manifest("threads.bin", 3));
  private static final Publisher PUBLISHER = Publisher.ofKey("cd".repeat(32));

  @Test
  void onTheEmbeddedStoreAPublishIsHandedOffAndAnnouncesAndHeartbeatsAreNot() throws Exception {
    TrackerConfig config = TrackerConfig.defaults(dir.resolve("tracker")).withPort(0);
    // published before the start, so that no call before the ones counted used the pool
    Catalog.open(config.catalogDir()).publish(TORRENT, PUBLISHER);
    check(config, false);
  }

  @Test
  void onRedisOnlyAnnouncesAndHeartbeatsStayOnTheNetworkThread() throws Exception {
    try (RedisServer redis = RedisServer.start(dir.resolve("redis"), false);
        RedisStore store = RedisStore.connect(RedisAddress.parse(redis.uri()))) {
      new RedisCatalog(store).publish(TORRENT, PUBLISHER);
      check(TrackerConfig.defaults(dir.resolve("tracker")).withPort(0)
          .withStore(RedisAddress.parse(redis.uri())), true);
    }
  }

  /**
   * Counts the calls the tracker's pool took: a call handed to it is counted before its answer
   * is sent, so a count read after an answer includes it.
   */
  private void check(TrackerConfig config, boolean onRedis) throws Exception {
    try (TrackerEventLoop network = new TrackerEventLoop();
        TrackerServer server = TrackerServer.start(config,
            network.applyTo(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))),
            CLOCK, new Random(1), Telemetry.noop(), network)) {
      ManagedChannel channel = Channels.forTarget("127.0.0.1:" + server.port());
      try {
        var stub = TrackerServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        String infohash = TORRENT.infoHash().hex();
        AnnounceRequest.Builder announce = AnnounceRequest.newBuilder().setInfohash(infohash)
            .setPeerId(TestKeys.peerId("threads")).setHost("10.0.0.1").setPort(6881)
            .setEvent(AnnounceEvent.ANNOUNCE_EVENT_STARTED);
        AnnounceResponse opened = stub.announce(TestKeys.proven(announce, CLOCK.instant())
            .build());
        for (int i = 0; i < 5; i++) {
          stub.announce(announce.clearProof().setEvent(AnnounceEvent.ANNOUNCE_EVENT_UNSPECIFIED)
              .setSessionToken(opened.getSessionToken()).build());
          stub.heartbeat(HeartbeatRequest.newBuilder().setPeerId(TestKeys.peerId("threads"))
              .setSessionToken(opened.getSessionToken()).build());
        }
        assertEquals(0, server.blockingCalls(),
            "announces and heartbeats ran where they arrived, with no hand-off");

        stub.getManifest(GetManifestRequest.newBuilder().setInfohash(infohash).build());
        assertEquals(onRedis, server.blockingCalls() > 0,
            "a manifest read waits on Redis (on the pool), not on memory");

        stub.publish(TestKeys.publish(TestManifests.manifest("more.bin", 2), CLOCK.instant()));
        assertTrue(server.blockingCalls() > 0, "a publish writes to its store: on the pool");
      } finally {
        Channels.close(channel);
      }
    }
  }
}
