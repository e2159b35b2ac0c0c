package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.api.v2.Manifest;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.RedisServer;
import io.minibit.tracker.SwarmStore.Announce;
import io.minibit.tracker.SwarmStore.AnnounceResult;
import io.minibit.tracker.SwarmStore.Event;
import io.minibit.tracker.SwarmStore.Peer;
import io.minibit.tracker.SwarmStore.SwarmCounts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Protocol;

/**
 * The Redis store against a real redis-server: two stores on one Redis stand for two trackers,
 * and must behave as one.
 */
class RedisStoreTest {
  private static final Publisher PUBLISHER = Publisher.ofKey("ab".repeat(32));
  private static final Duration HEARTBEAT = Duration.ofSeconds(1);
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Manifest MANIFEST = TestManifests.manifest("swarm.bin", 99);
  private static final InfoHash TORRENT = Torrent.of(MANIFEST).infoHash();

  @TempDir Path dir;
  private RedisServer redis;
  private RedisStore storeA;
  private RedisStore storeB;
  private RedisSwarms trackerA;
  private RedisSwarms trackerB;
  private final Map<String, String> tokens = new HashMap<>();

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start(dir.resolve("redis"), true);
    storeA = RedisStore.connect(RedisAddress.parse(redis.uri()));
    storeB = RedisStore.connect(RedisAddress.parse(redis.uri()));
    trackerA = new RedisSwarms(storeA, HEARTBEAT, 50);
    trackerB = new RedisSwarms(storeB, HEARTBEAT, 50);
    new RedisCatalog(storeA).publish(Torrent.of(MANIFEST), PUBLISHER);
  }

  @AfterEach
  void stop() {
    storeA.close();
    storeB.close();
    redis.close();
  }

  private AnnounceResult announce(SwarmStore tracker, String peerId, Event event,
      boolean complete) {
    return announce(tracker, new Announce(TORRENT, peerId, "10.0.0.1", 7000, event, 0, complete,
        0, 0, tokens.getOrDefault(peerId, ""), 0));
  }

  private AnnounceResult announce(SwarmStore tracker, Announce announce) {
    AnnounceResult result = tracker.announce(announce);
    tokens.put(announce.peerId(), result.sessionToken());
    return result;
  }

  private static Set<String> ids(List<Peer> peers) {
    return peers.stream().map(Peer::peerId).collect(Collectors.toSet());
  }

  @Test
  void aPeerThatAnnouncedToOneTrackerIsHandedOutByTheOther() {
    announce(trackerA, "seeder", Event.COMPLETED, true);
    AnnounceResult result = announce(trackerB, "leecher", Event.STARTED, false);

    assertEquals(Set.of("seeder"), ids(result.peers()));
    assertEquals(new SwarmCounts(1, 1), result.counts());
    assertEquals(new SwarmCounts(1, 1), trackerA.counts(TORRENT));
    Peer seeder = result.peers().get(0);
    assertEquals("10.0.0.1", seeder.host());
    assertEquals(7000, seeder.port());
    assertTrue(seeder.complete());
  }

  @Test
  void aSessionOpenedOnOneTrackerIsCheckedOnTheOther() {
    AnnounceResult first = announce(trackerA, "peer", Event.STARTED, false);
    assertFalse(first.sessionToken().isEmpty());

    MinibitException stolen = assertThrows(MinibitException.class, () -> trackerB.announce(
        new Announce(TORRENT, "peer", "10.6.6.6", 7000, Event.NONE, 0, false, 0, 0, "guess",
            0, null, 0, false, null)));
    assertEquals(ErrorCode.PERMISSION_DENIED, stolen.code());
    assertEquals(ErrorCode.PERMISSION_DENIED, assertThrows(MinibitException.class,
        () -> trackerB.heartbeat("peer", "guess")).code());

    trackerB.heartbeat("peer", first.sessionToken());
    AnnounceResult again = announce(trackerB, "peer", Event.NONE, false);
    assertEquals(first.sessionToken(), again.sessionToken(), "the session goes on");
    assertEquals(Set.of(), ids(trackerB.members(TORRENT)).stream()
        .filter(id -> !id.equals("peer")).collect(Collectors.toSet()));
  }

  @Test
  void anAnnounceForATorrentTheCatalogLostIsNotFound() {
    announce(trackerA, "seeder", Event.COMPLETED, true);
    redis.command("FLUSHALL");
    tokens.clear();
    MinibitException lost = assertThrows(MinibitException.class,
        () -> announce(trackerB, "seeder", Event.NONE, true));
    assertEquals(ErrorCode.NOT_FOUND, lost.code());
    // what the seeder does on that answer
    new RedisCatalog(storeB).publish(Torrent.of(MANIFEST), PUBLISHER);
    assertEquals(new SwarmCounts(1, 0), announce(trackerB, "seeder", Event.NONE, true).counts());
  }

  @Test
  void onlyAProvenAnnounceOpensASessionOrTakesOneOver() {
    Announce unproven = new Announce(TORRENT, "peer", "10.0.0.1", 7000, Event.STARTED, 0, false,
        0, 0, "", 0, null, 0, false, null);
    assertEquals(ErrorCode.UNAUTHENTICATED, assertThrows(MinibitException.class,
        () -> trackerA.announce(unproven)).code());

    String first = announce(trackerA, "peer", Event.STARTED, false).sessionToken();
    trackerB.heartbeat("peer", first); // the session is live on every tracker, with its token
    assertEquals(ErrorCode.PERMISSION_DENIED, assertThrows(MinibitException.class,
        () -> trackerB.heartbeat("peer", "guess")).code());
    // without the token and without a proof: refused; with a proof (the peer restarted and
    // lost its token): a new session, and the old one is gone
    assertEquals(ErrorCode.PERMISSION_DENIED, assertThrows(MinibitException.class,
        () -> trackerB.announce(new Announce(TORRENT, "peer", "10.0.0.1", 7000, Event.NONE, 0,
            false, 0, 0, "stale", 0, null, 0, false, null))).code());
    AnnounceResult again = trackerB.announce(new Announce(TORRENT, "peer", "10.0.0.1", 7000,
        Event.NONE, 0, false, 0, 0, "stale", 0, null, 0, true, null));
    assertNotEquals(first, again.sessionToken());
    assertEquals(ErrorCode.PERMISSION_DENIED, assertThrows(MinibitException.class,
        () -> trackerA.heartbeat("peer", first)).code());
    trackerA.heartbeat("peer", again.sessionToken());
    assertEquals(Set.of("peer"), ids(trackerA.members(TORRENT)));
  }

  @Test
  void aNameBelongsToItsFirstPublisherOnEveryTracker() {
    RedisCatalog catalogA = new RedisCatalog(storeA);
    RedisCatalog catalogB = new RedisCatalog(storeB);
    Publisher mallory = Publisher.ofKey("66".repeat(32));
    Manifest v1 = TestManifests.manifest("owned.bin", 1);
    Manifest v2 = TestManifests.manifest("owned.bin", 2);
    catalogA.publish(Torrent.of(v1), PUBLISHER);
    assertEquals(Optional.of(PUBLISHER), catalogB.owner("owned.bin"));

    MinibitException taken = assertThrows(MinibitException.class,
        () -> catalogB.publish(Torrent.of(TestManifests.manifest("owned.bin", 3)), mallory));
    assertEquals(ErrorCode.PERMISSION_DENIED, taken.code());
    assertTrue(taken.getMessage().contains(PUBLISHER.id()), taken.getMessage());

    catalogB.publish(Torrent.of(v2), PUBLISHER);
    assertEquals(Optional.of(Torrent.of(v2)), catalogA.byName("owned.bin"));
    // another seeder of the old version sends it again: the name does not move back
    assertFalse(catalogA.publish(Torrent.of(v1), mallory).created());
    assertEquals(Optional.of(Torrent.of(v2)), catalogB.byName("owned.bin"));
    assertEquals(Set.of(Torrent.of(v2).infoHash()),
        catalogA.latestOf(List.of(Torrent.of(v1), Torrent.of(v2))));
    // its owner may
    catalogA.publish(Torrent.of(v1), PUBLISHER);
    assertTrue(catalogB.isLatest(Torrent.of(v1)));
  }

  @Test
  void aHeartbeatWithoutASessionIsNotFound() {
    MinibitException missing = assertThrows(MinibitException.class,
        () -> trackerA.heartbeat("stranger", "token"));
    assertEquals(ErrorCode.NOT_FOUND, missing.code());
  }

  @Test
  void theSampleLeavesOutTheCallerAndIsBoundedByNumWant() {
    for (int i = 0; i < 30; i++) {
      announce(i % 2 == 0 ? trackerA : trackerB, "peer-" + i, Event.STARTED, false);
    }
    AnnounceResult result = announce(trackerA, new Announce(TORRENT, "peer-0", "10.0.0.1", 7000,
        Event.NONE, 0, false, 0, 0, tokens.get("peer-0"), 10));
    assertEquals(10, result.peers().size());
    assertEquals(10, ids(result.peers()).size(), "no peer twice");
    assertFalse(ids(result.peers()).contains("peer-0"));
    assertEquals(new SwarmCounts(0, 30), result.counts());

    // every other member turns up in some sample
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 40 && seen.size() < 29; i++) {
      seen.addAll(ids(announce(trackerB, new Announce(TORRENT, "peer-0", "10.0.0.1", 7000,
          Event.NONE, 0, false, 0, 0, tokens.get("peer-0"), 10)).peers()));
    }
    assertEquals(29, seen.size());
  }

  @Test
  void aBusySwarmsAnnouncesShareOneReadYetAJoinOrALeaveShowsAtOnce() {
    for (int i = 0; i < 30; i++) {
      announce(trackerA, "peer-" + i, Event.STARTED, false);
    }
    long drawsBefore = draws();
    long started = System.nanoTime();
    Set<String> seen = new HashSet<>();
    int announces = 200;
    for (int i = 0; i < announces; i++) {
      List<Peer> sample = reannounce(trackerA, "peer-0", 10).peers();
      assertEquals(10, ids(sample).size());
      assertFalse(ids(sample).contains("peer-0"));
      seen.addAll(ids(sample));
    }
    long windows = (System.nanoTime() - started) / SwarmSamples.FRESH.toNanos() + 1;
    long draws = draws() - drawsBefore;
    assertEquals(29, seen.size(), "every sample is drawn from the whole swarm");
    assertTrue(draws <= windows + 3, draws + " draws for " + announces + " announces");

    announce(trackerA, "newcomer", Event.STARTED, false);
    assertTrue(ids(reannounce(trackerA, "peer-0", 50).peers()).contains("newcomer"));
    announce(trackerA, "peer-7", Event.STOPPED, false);
    assertFalse(ids(reannounce(trackerA, "peer-0", 50).peers()).contains("peer-7"));
    announce(trackerA, "peer-8", Event.COMPLETED, true);
    assertTrue(reannounce(trackerA, "peer-0", 50).peers().stream()
        .anyMatch(p -> p.peerId().equals("peer-8") && p.complete()));
  }

  private AnnounceResult reannounce(SwarmStore tracker, String peerId, int wanted) {
    return announce(tracker, new Announce(TORRENT, peerId, "10.0.0.1", 7000, Event.NONE, 0,
        false, 0, 0, tokens.get(peerId), wanted));
  }

  /** The swarm draws Redis has served (HRANDFIELD calls). */
  private long draws() {
    return calls("hrandfield");
  }

  /** The calls of {@code command} Redis has served, 0 if none. */
  private long calls(String command) {
    String stats = storeA.call("read Redis's command counts", jedis -> new String(
        (byte[]) jedis.sendCommand(Protocol.Command.INFO, "commandstats"),
        StandardCharsets.UTF_8));
    String field = "cmdstat_" + command + ":calls=";
    int at = stats.indexOf(field);
    if (at < 0) {
      return 0;
    }
    int start = at + field.length();
    return Long.parseLong(stats.substring(start, stats.indexOf(',', start)));
  }

  @Test
  void concurrentReadsOfOneManifestShareOneCallToRedis() {
    RedisCatalog fresh = new RedisCatalog(storeB); // nothing cached yet
    long before = calls("evalsha") + calls("eval");
    assertEquals("+OK", redis.command("CLIENT PAUSE 300 ALL"));
    List<java.util.concurrent.CompletableFuture<Optional<Torrent>>> reads =
        new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) {
      reads.add(fresh.getAsync(TORRENT));
    }
    for (java.util.concurrent.CompletableFuture<Optional<Torrent>> read : reads) {
      assertEquals(TORRENT, read.join().orElseThrow().infoHash());
    }
    long scripts = calls("evalsha") + calls("eval") - before;
    // one read (and its script sent whole once, if Redis did not hold it yet)
    assertTrue(scripts >= 1 && scripts <= 2, scripts + " script calls for 50 reads");
    assertEquals(TORRENT, fresh.getAsync(TORRENT).join().orElseThrow().infoHash());
  }

  @Test
  void stoppingLeavesTheSwarmAndCompletingMakesASeeder() {
    announce(trackerA, "a", Event.STARTED, false);
    announce(trackerA, "b", Event.STARTED, false);
    assertEquals(new SwarmCounts(0, 2), trackerB.counts(TORRENT));

    announce(trackerB, "a", Event.COMPLETED, false);
    assertEquals(new SwarmCounts(1, 1), trackerA.counts(TORRENT));

    AnnounceResult stopped = announce(trackerA, "a", Event.STOPPED, true);
    assertEquals(List.of(), stopped.peers());
    assertEquals(new SwarmCounts(0, 1), stopped.counts());
    assertEquals(Set.of("b"), ids(trackerB.members(TORRENT)));
    assertEquals(Map.of(TORRENT, new SwarmCounts(0, 1)), trackerA.allCounts());
  }

  @Test
  void membersKeepWhatTheyAnnouncedForTheSwarmsHealth() {
    Bitfield have = new Bitfield(10);
    have.set(3);
    have.set(7);
    announce(trackerA, new Announce(TORRENT, "p", "peer.example", 6881, Event.NONE, 2, false,
        100, 200, "", 0, have, 1234.5));
    Peer peer = trackerB.members(TORRENT).get(0);
    assertEquals("peer.example", peer.host());
    assertEquals(6881, peer.port());
    assertEquals(2, peer.haveCount());
    assertEquals(100, peer.uploaded());
    assertEquals(200, peer.downloaded());
    assertEquals(have, peer.have());
    assertEquals(1234.5, peer.downloadRate());
  }

  @Test
  void aSilentPeerLeavesItsSwarmsAfterThreeHeartbeatIntervalsAndAHeartbeatKeepsItIn()
      throws Exception {
    announce(trackerA, "silent", Event.STARTED, false);
    announce(trackerA, "alive", Event.STARTED, false);
    String aliveToken = tokens.get("alive");

    // "alive" heartbeats on the other tracker; "silent" says nothing
    Await.until(TIMEOUT, "the silent peer leaves the swarm", () -> {
      trackerB.heartbeat("alive", aliveToken);
      return ids(trackerA.members(TORRENT)).equals(Set.of("alive"));
    });
    assertEquals(new SwarmCounts(0, 1), trackerB.counts(TORRENT));
    assertTrue(trackerA.expiredCount() + trackerB.expiredCount() >= 1);
    assertEquals(ErrorCode.NOT_FOUND, assertThrows(MinibitException.class,
        () -> trackerA.heartbeat("silent", tokens.get("silent"))).code());
    // its place may be taken again by a fresh announce, with a new session
    tokens.remove("silent");
    announce(trackerB, "silent", Event.STARTED, false);
    assertEquals(Set.of("alive", "silent"), ids(trackerA.members(TORRENT)));
  }

  @Test
  void theCatalogIsSharedPagedAndKeptAcrossARedisRestartWithAof() throws Exception {
    RedisCatalog catalogA = new RedisCatalog(storeA);
    RedisCatalog catalogB = new RedisCatalog(storeB);
    Manifest b1 = TestManifests.manifest("b.bin", 1);
    Manifest a1 = TestManifests.manifest("a.bin", 2);
    Manifest b2 = TestManifests.manifest("b.bin", 3);
    Manifest c1 = TestManifests.manifest("c.bin", 4);

    assertTrue(catalogA.publish(Torrent.of(b1), PUBLISHER).created());
    assertFalse(catalogB.publish(Torrent.of(b1), PUBLISHER).created(),
        "the other tracker has it already");
    Torrent first = Torrent.of(b1);
    assertEquals(Optional.of(first), catalogB.get(first.infoHash()));
    assertEquals(Optional.of(first), catalogB.byName("b.bin"));

    catalogB.publish(Torrent.of(a1), PUBLISHER);
    catalogA.publish(Torrent.of(b2), PUBLISHER);
    catalogA.publish(Torrent.of(c1), PUBLISHER);
    assertEquals(Optional.of(Torrent.of(b2)), catalogB.byName("b.bin"), "the newest version");
    assertEquals(5, catalogB.size());

    List<Torrent> all = catalogB.page(Optional.empty(), 10);
    assertEquals(List.of("a.bin", "b.bin", "b.bin", "c.bin", "swarm.bin"),
        all.stream().map(Torrent::name).toList());
    List<Torrent> firstTwo = catalogA.page(Optional.empty(), 2);
    List<Torrent> rest = catalogA.page(Optional.of(CatalogPosition.of(firstTwo.get(1))), 10);
    assertEquals(all, concat(firstTwo, rest));

    // publishing an older version again makes it the name's
    catalogA.publish(Torrent.of(b1), PUBLISHER);
    assertEquals(Optional.of(first), catalogB.byName("b.bin"));

    redis.stop();
    redis.start();
    RedisCatalog afterRestart = new RedisCatalog(storeB);
    assertEquals(5, afterRestart.size(), "AOF keeps every manifest");
    assertEquals(Optional.of(first), afterRestart.byName("b.bin"));
    assertEquals(Optional.of(Torrent.of(c1)), afterRestart.get(Torrent.of(c1).infoHash()));
    assertEquals(Optional.empty(), afterRestart.byName("nothing.bin"));
  }

  @Test
  void anUnreachableRedisIsUnavailableAndTheStoreReconnectsWhenItIsBack() throws Exception {
    announce(trackerA, "peer", Event.STARTED, false);
    redis.stop();

    MinibitException down = assertThrows(MinibitException.class,
        () -> trackerA.heartbeat("peer", tokens.get("peer")));
    assertEquals(ErrorCode.UNAVAILABLE, down.code());
    assertTrue(down.getMessage().contains(redis.uri().substring("redis://".length())),
        down.getMessage());
    assertEquals(ErrorCode.UNAVAILABLE, assertThrows(MinibitException.class,
        () -> new RedisCatalog(storeA).byName("x.bin")).code());

    redis.start();
    // the session came back with the AOF; the same token still holds
    Await.until(TIMEOUT, "the tracker reaches Redis again", () -> {
      try {
        trackerA.heartbeat("peer", tokens.get("peer"));
        return true;
      } catch (MinibitException e) {
        assertEquals(ErrorCode.UNAVAILABLE, e.code(), e.getMessage());
        return false;
      }
    });
  }

  @Test
  void connectingToNothingSaysWhere() throws Exception {
    redis.stop();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> RedisStore.connect(RedisAddress.parse(redis.uri())));
    assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
    assertNotEquals(null, e.getMessage());
  }

  @Test
  void tokensAreNotStoredInTheClear() {
    String token = announce(trackerA, "peer", Event.STARTED, false).sessionToken();
    String held = redis.command("GET minibit:session:peer");
    assertTrue(held.startsWith("$64"), held); // a SHA-256 in hex
    assertNull(held.contains(token) ? held : null);
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
  }
}
