package io.minibit.tracker;

import static io.minibit.core.testing.MinibitAssertions.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.GetSwarmHealthRequest;
import io.minibit.api.v2.Manifest;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.testing.MutableClock;
import io.minibit.core.testing.RedisServer;
import io.minibit.core.testing.TestKeys;
import io.minibit.tracker.SwarmStore.Announce;
import io.minibit.tracker.SwarmStore.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each limit of {@link TrackerLimits}, on the embedded store and on Redis. */
class TrackerLimitsTest {
  /** The publisher the per-publisher tests count. */
  private static final Publisher MINE = Publisher.ofKey("ee".repeat(32));
  private static final Publisher PUBLISHER = Publisher.ofKey("ab".repeat(32));
  private static final Duration HEARTBEAT = Duration.ofSeconds(30);
  private static final Manifest MANIFEST = TestManifests.manifest("limits.bin", 77);
  private static final InfoHash TORRENT = Torrent.of(MANIFEST).infoHash();
  private static final TrackerLimits LIMITS = new TrackerLimits(3, 2, 2, 100_000, 10, 100_000);

  @TempDir Path dir;
  private RedisServer redis;
  private RedisStore store;

  @AfterEach
  void stop() {
    if (store != null) {
      store.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  private RedisStore redis() throws Exception {
    redis = RedisServer.start(dir.resolve("redis"), false);
    store = RedisStore.connect(RedisAddress.parse(redis.uri()));
    new RedisCatalog(store).publish(Torrent.of(MANIFEST), PUBLISHER);
    return store;
  }

  private static Announce announce(String peerId, String source, Event event) {
    return new Announce(TORRENT, peerId, "10.0.0.1", 7000, event, 0, false, 0, 0, "", 0, null,
        0, true, source);
  }

  @Test
  void aFullSwarmTakesNoNewMemberButKeepsItsOwnOnTheEmbeddedStore() {
    fullSwarm(new SwarmRegistry(new MutableClock(), new Random(1), HEARTBEAT, 50, LIMITS));
  }

  @Test
  void aFullSwarmTakesNoNewMemberButKeepsItsOwnOnRedis() throws Exception {
    fullSwarm(new RedisSwarms(redis(), HEARTBEAT, 50, LIMITS));
  }

  private static void fullSwarm(SwarmStore swarms) {
    String[] tokens = new String[4];
    for (int i = 0; i < 3; i++) {
      tokens[i] = swarms.announce(announce("p" + i, null, Event.STARTED)).sessionToken();
    }
    MinibitException full = assertFailsWith(ErrorCode.RESOURCE_EXHAUSTED,
        () -> swarms.announce(announce("p3", null, Event.STARTED)));
    assertTrue(full.getMessage().contains("--max-swarm-members")
        && full.getMessage().contains("3 members"), full.getMessage());
    // a member re-announces; one leaves, and there is room again
    swarms.announce(new Announce(TORRENT, "p0", "10.0.0.1", 7000, Event.NONE, 0, false, 0, 0,
        tokens[0], 0));
    swarms.announce(new Announce(TORRENT, "p1", "10.0.0.1", 7000, Event.STOPPED, 0, false, 0, 0,
        tokens[1], 0));
    swarms.announce(announce("p3", null, Event.STARTED));
    assertEquals(3, swarms.counts(TORRENT).leechers());
  }

  @Test
  void oneAddressOpensOnlySoManySessionsOnTheEmbeddedStore() {
    sessionsPerAddress(new SwarmRegistry(new MutableClock(), new Random(1), HEARTBEAT, 50,
        new TrackerLimits(100, 2, 100, 100_000, 10, 100_000)));
  }

  @Test
  void oneAddressOpensOnlySoManySessionsOnRedis() throws Exception {
    sessionsPerAddress(new RedisSwarms(redis(), HEARTBEAT, 50,
        new TrackerLimits(100, 2, 100, 100_000, 10, 100_000)));
  }

  private static void sessionsPerAddress(SwarmStore swarms) {
    swarms.announce(announce("a", "192.0.2.1", Event.STARTED));
    String token = swarms.announce(announce("b", "192.0.2.1", Event.STARTED)).sessionToken();
    MinibitException tooMany = assertFailsWith(ErrorCode.RESOURCE_EXHAUSTED,
        () -> swarms.announce(announce("c", "192.0.2.1", Event.STARTED)));
    assertTrue(tooMany.getMessage().contains("192.0.2.1")
        && tooMany.getMessage().contains("--max-sessions-per-address"), tooMany.getMessage());
    // another address, and a peer with a session already, are not held back
    swarms.announce(announce("c", "192.0.2.2", Event.STARTED));
    swarms.announce(new Announce(TORRENT, "b", "10.0.0.1", 7000, Event.NONE, 0, false, 0, 0,
        token, 0, null, 0, true, "192.0.2.1"));
    // an address the tracker cannot see is not counted
    swarms.announce(announce("d", null, Event.STARTED));
    assertEquals(4, swarms.counts(TORRENT).leechers());
  }

  @Test
  void theEmbeddedCatalogRefusesPastItsBytesAndReopensWithinALoweredLimit() throws Exception {
    Path catalogDir = dir.resolve("catalog");
    Manifest first = TestManifests.manifest("first.bin", 1);
    long size = first.getSerializedSize();
    Catalog catalog = Catalog.open(catalogDir, 2 * size + size / 2);
    catalog.publish(Torrent.of(first), PUBLISHER);
    Files.setLastModifiedTime(catalogDir.resolve(Torrent.of(first).infoHash().hex()
        + CatalogFiles.SUFFIX), java.nio.file.attribute.FileTime.fromMillis(1_000_000));
    Manifest second = TestManifests.manifest("second.bin", 2);
    catalog.publish(Torrent.of(second), PUBLISHER);
    MinibitException full = assertFailsWith(ErrorCode.RESOURCE_EXHAUSTED,
        () -> catalog.publish(Torrent.of(TestManifests.manifest("third.bin", 3)), PUBLISHER));
    assertTrue(full.getMessage().contains("--max-catalog-bytes"), full.getMessage());
    assertEquals(2, catalog.size());

    // restarted with room for one: the newest is served, the oldest stays on disk unread
    Catalog smaller = Catalog.open(catalogDir, size + size / 2);
    assertEquals(List.of(Torrent.of(second)), smaller.page(Optional.empty(), 10));
    assertTrue(Files.exists(catalogDir.resolve(Torrent.of(first).infoHash().hex()
        + CatalogFiles.SUFFIX)));
  }

  @Test
  void theRedisCatalogRefusesPastItsBytes() throws Exception {
    Manifest first = TestManifests.manifest("first.bin", 1);
    long size = first.getSerializedSize();
    // the swarm tests' manifest is held already
    RedisCatalog catalog = new RedisCatalog(redis(), MANIFEST.getSerializedSize() + size
        + size / 2);
    catalog.publish(Torrent.of(first), PUBLISHER);
    catalog.publish(Torrent.of(first), PUBLISHER); // again: nothing more is held
    MinibitException full = assertFailsWith(ErrorCode.RESOURCE_EXHAUSTED,
        () -> catalog.publish(Torrent.of(TestManifests.manifest("second.bin", 2)), PUBLISHER));
    assertTrue(full.getMessage().contains("--max-catalog-bytes"), full.getMessage());
    assertEquals(2, catalog.size());
  }

  @Test
  void onePublisherHoldsOnlySoManyManifestsOnTheEmbeddedStore() throws Exception {
    Manifest one = TestManifests.manifest("one.bin", 1);
    long size = one.getSerializedSize();
    TrackerLimits limits = new TrackerLimits(100, 100, 100, 1_000_000, 2, 3 * size);
    perPublisher(Catalog.open(dir.resolve("catalog"), limits), size);
    // counted again from the files at a restart
    Catalog reopened = Catalog.open(dir.resolve("catalog"), limits);
    assertFailsWith(ErrorCode.RESOURCE_EXHAUSTED,
        () -> reopened.publish(Torrent.of(TestManifests.manifest("four.bin", 4)), MINE));
  }

  @Test
  void onePublisherHoldsOnlySoManyManifestsOnRedis() throws Exception {
    Manifest one = TestManifests.manifest("one.bin", 1);
    long size = one.getSerializedSize();
    perPublisher(new RedisCatalog(redis(), new TrackerLimits(100, 100, 100, 1_000_000, 2,
        3 * size)), size);
  }

  private static void perPublisher(CatalogStore catalog, long size) {
    Publisher other = Publisher.ofKey("cd".repeat(32));
    catalog.publish(Torrent.of(TestManifests.manifest("one.bin", 1)), MINE);
    catalog.publish(Torrent.of(TestManifests.manifest("two.bin", 2)), MINE);
    catalog.publish(Torrent.of(TestManifests.manifest("one.bin", 1)), MINE); // held already: free
    MinibitException count = assertFailsWith(ErrorCode.RESOURCE_EXHAUSTED,
        () -> catalog.publish(Torrent.of(TestManifests.manifest("three.bin", 3)), MINE));
    assertTrue(count.getMessage().contains("--max-manifests-per-publisher")
        && count.getMessage().contains(MINE.id()), count.getMessage());
    // another publisher is not held back by the first one's
    catalog.publish(Torrent.of(TestManifests.manifest("three.bin", 3)), other);
    catalog.publish(Torrent.of(TestManifests.manifest("five.bin", 5)), other);
    assertEquals(Optional.of(other), catalog.owner("three.bin"));
    assertTrue(size > 0);
  }

  @Test
  void onePublisherHoldsOnlySoManyBytes() throws Exception {
    Manifest small = TestManifests.manifest("small.bin", 1);
    Manifest big = TestManifests.manifest("big.bin", 40L * TestManifests.BLOCK_SIZE,
        TestManifests.BLOCK_SIZE, 2);
    Catalog catalog = Catalog.open(dir.resolve("catalog"), new TrackerLimits(100, 100, 100,
        1_000_000, 100, small.getSerializedSize() + 100));
    catalog.publish(Torrent.of(small), PUBLISHER);
    MinibitException bytes = assertFailsWith(ErrorCode.RESOURCE_EXHAUSTED,
        () -> catalog.publish(Torrent.of(big), PUBLISHER));
    assertTrue(bytes.getMessage().contains("--max-bytes-per-publisher"), bytes.getMessage());
  }

  @Test
  void swarmHealthIsRefusedForASwarmLargerThanTheLimit() throws Exception {
    TrackerConfig config = TrackerConfig.defaults(dir.resolve("tracker")).withPort(0)
        .withLimits(LIMITS);
    try (TrackerHarness tracker = new TrackerHarness(config)) {
      Manifest manifest = TestManifests.manifest("health.bin", 5);
      tracker.tracker().publish(TestKeys.publish(manifest, tracker.clock.instant()));
      String infohash = Torrent.of(manifest).infoHash().hex();
      for (int i = 0; i < 3; i++) {
        tracker.tracker().announce(TestKeys.proven(AnnounceRequest.newBuilder()
            .setInfohash(infohash).setPeerId(TestKeys.peerId("peer-" + i))
            .setHost("10.0.0." + (i + 1)).setPort(7000), tracker.clock.instant()).build());
        if (i == 1) { // two members: answered
          assertEquals(2, tracker.tracker().getSwarmHealth(GetSwarmHealthRequest.newBuilder()
              .setInfohash(infohash).build()).getHealth().getLeechers());
        }
      }
      var refused = TrackerHarness.assertStatus(Status.Code.RESOURCE_EXHAUSTED,
          () -> tracker.tracker().getSwarmHealth(GetSwarmHealthRequest.newBuilder()
              .setInfohash(infohash).build()));
      assertTrue(refused.getMessage().contains("--max-health-members"), refused.getMessage());
    }
  }
}
