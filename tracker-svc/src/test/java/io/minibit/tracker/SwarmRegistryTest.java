package io.minibit.tracker;

import io.minibit.core.testing.MutableClock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.tracker.SwarmStore.AnnounceResult;
import io.minibit.tracker.SwarmStore.Event;
import io.minibit.tracker.SwarmStore.Peer;
import io.minibit.tracker.SwarmStore.SwarmCounts;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class SwarmRegistryTest {
  private static final Duration HEARTBEAT = Duration.ofSeconds(30);
  private static final InfoHash TORRENT = InfoHash.of(new byte[32]);
  private static final InfoHash OTHER_TORRENT = InfoHash.parse("ab".repeat(32));

  private final MutableClock clock = new MutableClock();
  private final Map<String, String> tokens = new HashMap<>();
  private SwarmRegistry registry = registry(50);

  private SwarmRegistry registry(int defaultSampleSize) {
    return new SwarmRegistry(clock, new Random(1234), HEARTBEAT, defaultSampleSize);
  }

  /** Announces as {@code peerId}, presenting the token it got last time, and keeps the new one. */
  private AnnounceResult announce(InfoHash torrent, String peerId, Event event, boolean complete,
      int numWant) {
    AnnounceResult result = registry.announce(new SwarmStore.Announce(torrent, peerId,
        "10.0.0." + (Math.abs(peerId.hashCode()) % 250 + 1), 6881, event, 0, complete, 0, 0,
        tokens.getOrDefault(peerId, ""), numWant));
    tokens.put(peerId, result.sessionToken());
    return result;
  }

  private AnnounceResult announce(String peerId, Event event) {
    return announce(TORRENT, peerId, event, false, 0);
  }

  /** As {@link #announce(String, Event)}, but without proof of the peer id: the token alone. */
  private AnnounceResult announceUnproven(String peerId, Event event) {
    return registry.announce(new SwarmStore.Announce(TORRENT, peerId, "10.0.0.1", 6881, event,
        0, false, 0, 0, tokens.getOrDefault(peerId, ""), 0, null, 0, false, null));
  }

  private AnnounceResult announceWanting(String peerId, int numWant) {
    return announce(TORRENT, peerId, Event.NONE, false, numWant);
  }

  private void joinAll(int peers) {
    for (int i = 0; i < peers; i++) {
      announce("peer-" + i, Event.STARTED);
    }
  }

  private static Set<String> ids(List<Peer> peers) {
    return peers.stream().map(Peer::peerId).collect(Collectors.toSet());
  }

  private static void assertCode(ErrorCode code, Executable call) {
    MinibitException e = assertThrows(MinibitException.class, call);
    assertEquals(code, e.code(), e::getMessage);
  }

  @Test
  void sampleNeverContainsTheCaller() {
    joinAll(10);
    for (int round = 0; round < 20; round++) {
      for (int i = 0; i < 10; i++) {
        String caller = "peer-" + i;
        AnnounceResult result = announceWanting(caller, 9);
        assertFalse(ids(result.peers()).contains(caller), caller + " got itself back");
        assertEquals(9, result.peers().size(), "every other peer fits in the sample");
        assertEquals(9, ids(result.peers()).size(), "a sample holds each peer once");
      }
    }
  }

  @Test
  void aLonePeerGetsAnEmptySample() {
    AnnounceResult result = announce("alone", Event.STARTED);

    assertTrue(result.peers().isEmpty());
    assertEquals(new SwarmCounts(0, 1), result.counts());
  }

  @Test
  void sampleSizeIsTheConfiguredDefaultUnlessNumWantSaysOtherwise() {
    registry = registry(5);
    joinAll(20);

    assertEquals(5, announceWanting("peer-0", 0).peers().size(), "0 means the default");
    assertEquals(3, announceWanting("peer-0", 3).peers().size());
    assertEquals(12, announceWanting("peer-0", 12).peers().size(), "more than the default");
    assertEquals(19, announceWanting("peer-0", 100).peers().size(), "all the others, no more");
  }

  @Test
  void sampleSizeIsCappedWhateverNumWantSays() {
    joinAll(SwarmStore.MAX_SAMPLE_SIZE + 50);

    AnnounceResult result = announceWanting("peer-0", 10_000);

    assertEquals(SwarmStore.MAX_SAMPLE_SIZE, result.peers().size());
  }

  @Test
  void randomSamplesCoverTheWholeSwarmEvenly() {
    registry = registry(3);
    joinAll(20);
    Map<String, Integer> seen = new HashMap<>();
    int rounds = 600;

    for (int round = 0; round < rounds; round++) {
      for (Peer peer : announceWanting("peer-0", 0).peers()) {
        seen.merge(peer.peerId(), 1, Integer::sum);
      }
    }

    assertEquals(19, seen.size(), "every other peer is handed out: " + seen.keySet());
    double expected = rounds * 3 / 19.0;
    for (Map.Entry<String, Integer> entry : seen.entrySet()) {
      assertTrue(entry.getValue() > expected * 0.6 && entry.getValue() < expected * 1.4,
          entry.getKey() + " handed out " + entry.getValue() + " times, expected about "
              + expected);
    }
  }

  @Test
  void sampleCarriesWhatThePeerAnnounced() {
    registry.announce(new SwarmStore.Announce(TORRENT, "seeder", "seed.example", 7000,
        Event.COMPLETED, 3, true, 100, 0, "", 0));

    Peer seeder = announce("leecher", Event.STARTED).peers().get(0);

    assertEquals("seeder", seeder.peerId());
    assertEquals("seed.example", seeder.host());
    assertEquals(7000, seeder.port());
    assertTrue(seeder.complete());
    assertEquals(3, seeder.haveCount());
    assertEquals(100, seeder.uploaded());
    assertEquals(clock.instant(), seeder.lastAnnounce());
  }

  @Test
  void stoppedRemovesThePeerFromThatSwarmOnly() {
    announce("a", Event.STARTED);
    announce(TORRENT, "b", Event.STARTED, false, 0);
    announce(OTHER_TORRENT, "b", Event.STARTED, false, 0);
    announce(OTHER_TORRENT, "c", Event.STARTED, false, 0);

    AnnounceResult stopped = announce("b", Event.STOPPED);

    assertTrue(stopped.peers().isEmpty(), "a STOPPED announce gets no peers");
    assertEquals(new SwarmCounts(0, 1), stopped.counts());
    assertEquals(Set.of(), ids(announce("a", Event.NONE).peers()));
    assertEquals(new SwarmCounts(0, 1), registry.counts(TORRENT));
    assertEquals(Set.of("b"), ids(announce(OTHER_TORRENT, "c", Event.NONE, false, 0).peers()));
  }

  @Test
  void stoppedWithoutJoiningIsHarmless() {
    AnnounceResult result = announce("never-joined", Event.STOPPED);

    assertTrue(result.peers().isEmpty());
    assertEquals(new SwarmCounts(0, 0), result.counts());
  }

  @Test
  void completedOrCompleteMakesASeeder() {
    announce("leecher", Event.STARTED);
    announce("finisher", Event.STARTED);
    announce(TORRENT, "born-seeder", Event.STARTED, true, 0);
    assertEquals(new SwarmCounts(1, 2), registry.counts(TORRENT));

    AnnounceResult completed = announce("finisher", Event.COMPLETED);

    assertEquals(new SwarmCounts(2, 1), completed.counts());
    assertEquals(new SwarmCounts(0, 0), registry.counts(OTHER_TORRENT));
  }

  @Test
  void firstAnnounceOpensASessionWithAnUnguessableToken() {
    AnnounceResult a = announce("a", Event.STARTED);
    AnnounceResult b = announce("b", Event.STARTED);

    assertTrue(a.sessionToken().matches("[0-9a-f]{32}"), a.sessionToken());
    assertNotEquals(a.sessionToken(), b.sessionToken());
    assertEquals(a.sessionToken(), announce("a", Event.NONE).sessionToken(),
        "a session keeps its token");
  }

  @Test
  void aStaleTokenIsIgnoredOnTheFirstAnnounce() {
    // A restarted tracker has no sessions: the peer's old token must not lock it out.
    tokens.put("a", "0123456789abcdef0123456789abcdef");

    AnnounceResult result = announce("a", Event.STARTED);

    assertNotEquals("0123456789abcdef0123456789abcdef", result.sessionToken());
    registry.heartbeat("a", result.sessionToken());
  }

  @Test
  void aWrongTokenIsPermissionDenied() {
    announce("a", Event.STARTED);
    tokens.put("a", "not-the-token");

    assertCode(ErrorCode.PERMISSION_DENIED, () -> announceUnproven("a", Event.NONE));
    assertCode(ErrorCode.PERMISSION_DENIED, () -> registry.heartbeat("a", "not-the-token"));
    assertCode(ErrorCode.PERMISSION_DENIED, () -> registry.heartbeat("a", ""));
  }

  @Test
  void aRejectedAnnounceChangesNothing() {
    announce("a", Event.STARTED);
    announce("b", Event.STARTED);
    tokens.put("b", "forged");

    assertCode(ErrorCode.PERMISSION_DENIED, () -> announceUnproven("b", Event.STOPPED));

    assertEquals(new SwarmCounts(0, 2), registry.counts(TORRENT));
  }

  @Test
  void onlyAProvenAnnounceOpensASession() {
    assertCode(ErrorCode.UNAUTHENTICATED, () -> announceUnproven("a", Event.STARTED));
    assertEquals(new SwarmCounts(0, 0), registry.counts(TORRENT));
    assertEquals(0, registry.sessionCount());

    String token = announce("a", Event.STARTED).sessionToken();
    registry.heartbeat("a", token); // the session is live, and the token is its own
    assertCode(ErrorCode.PERMISSION_DENIED, () -> registry.heartbeat("a", "other"));
    assertCode(ErrorCode.NOT_FOUND, () -> registry.heartbeat("b", token));
    announceUnproven("a", Event.NONE); // the token does from then on

    clock.advance(HEARTBEAT.multipliedBy(SwarmRegistry.MISSED_HEARTBEATS).plusMillis(1));
    assertCode(ErrorCode.NOT_FOUND, () -> registry.heartbeat("a", token));
    assertCode(ErrorCode.UNAUTHENTICATED, () -> announceUnproven("a", Event.NONE));
  }

  @Test
  void aProvenAnnounceWithAnotherTokenReplacesTheSession() {
    announce("a", Event.STARTED);
    announce(OTHER_TORRENT, "a", Event.STARTED, false, 0);
    String old = tokens.get("a");
    tokens.put("a", ""); // restarted: the key kept, the token lost

    String fresh = announce("a", Event.STARTED).sessionToken();

    assertNotEquals(old, fresh);
    assertCode(ErrorCode.PERMISSION_DENIED, () -> registry.heartbeat("a", old));
    registry.heartbeat("a", fresh);
    assertEquals(new SwarmCounts(0, 1), registry.counts(TORRENT));
    assertEquals(new SwarmCounts(0, 0), registry.counts(OTHER_TORRENT),
        "the old session's swarms went with it");
  }

  @Test
  void heartbeatWithoutASessionIsNotFound() {
    assertCode(ErrorCode.NOT_FOUND, () -> registry.heartbeat("stranger", "whatever"));
  }

  @Test
  void aPeerSilentForThreeHeartbeatIntervalsExpiresFromEverySwarm() {
    announce("quiet", Event.STARTED);
    announce(OTHER_TORRENT, "quiet", Event.STARTED, false, 0);
    announce("chatty", Event.STARTED);

    clock.advance(HEARTBEAT.multipliedBy(3));
    registry.heartbeat("chatty", tokens.get("chatty"));
    assertEquals(List.of(), registry.expire(), "3 intervals exactly is not yet too late");
    assertEquals(new SwarmCounts(0, 2), registry.counts(TORRENT));

    clock.advance(Duration.ofMillis(1));
    assertEquals(new SwarmCounts(0, 1), registry.counts(TORRENT),
        "an expired peer is ignored before expire() runs");
    assertEquals(Set.of(), ids(announce("chatty", Event.NONE).peers()));
    assertEquals(List.of("quiet"), registry.expire());

    assertEquals(new SwarmCounts(0, 0), registry.counts(OTHER_TORRENT));
    assertEquals(1, registry.sessionCount());
    assertCode(ErrorCode.NOT_FOUND, () -> registry.heartbeat("quiet", tokens.get("quiet")));
  }

  @Test
  void heartbeatsKeepAPeerAlive() {
    announce("steady", Event.STARTED);

    for (int i = 0; i < 10; i++) {
      clock.advance(HEARTBEAT);
      registry.heartbeat("steady", tokens.get("steady"));
      assertEquals(List.of(), registry.expire());
    }

    assertEquals(new SwarmCounts(0, 1), registry.counts(TORRENT));
  }

  @Test
  void anAnnounceForAnyTorrentKeepsTheSessionAlive() {
    announce("busy", Event.STARTED);

    for (int i = 0; i < 10; i++) {
      clock.advance(HEARTBEAT.multipliedBy(2));
      announce(OTHER_TORRENT, "busy", Event.NONE, false, 0);
    }

    assertEquals(new SwarmCounts(0, 1), registry.counts(TORRENT));
  }

  @Test
  void anExpiredPeerComesBackWithANewSession() {
    String oldToken = announce("returning", Event.STARTED).sessionToken();
    announce("witness", Event.STARTED);
    clock.advance(HEARTBEAT.multipliedBy(2));
    registry.heartbeat("witness", tokens.get("witness"));
    clock.advance(HEARTBEAT.plusMillis(1));

    AnnounceResult back = announce("returning", Event.NONE);

    assertNotEquals(oldToken, back.sessionToken(), "the expired session is not resumed");
    assertEquals(Set.of("witness"), ids(back.peers()));
    assertEquals(new SwarmCounts(0, 2), back.counts());
    assertEquals(List.of(), registry.expire());
  }

  @Test
  void nextExpiryIsWhenTheLongestSilentSessionFallsDue() {
    assertEquals(Optional.empty(), registry.nextExpiry(), "no session, nothing falls due");
    Instant start = clock.instant();
    announce("first", Event.STARTED);
    clock.advance(HEARTBEAT);
    announce("second", Event.STARTED);
    Instant firstDue = registry.nextExpiry().orElseThrow();
    assertTrue(firstDue.isAfter(start.plus(HEARTBEAT.multipliedBy(3))), "still live at 3 x");
    assertTrue(firstDue.isBefore(start.plus(HEARTBEAT.multipliedBy(3)).plusMillis(1)));

    clock.advance(HEARTBEAT);
    registry.heartbeat("first", tokens.get("first"));
    assertEquals(start.plus(HEARTBEAT.multipliedBy(4)), registry.nextExpiry().orElseThrow()
        .minusNanos(1), "a refresh moves it on to the session now silent longest");

    clock.advance(Duration.between(clock.instant(), registry.nextExpiry().orElseThrow())
        .minusNanos(1));
    assertEquals(List.of(), registry.expire(), "not due a nanosecond before");
    clock.advance(Duration.ofNanos(1));
    assertEquals(List.of("second"), registry.expire(), "due at nextExpiry exactly");
    assertEquals(1, registry.sessionCount());

    clock.advance(HEARTBEAT.multipliedBy(10));
    assertEquals(List.of("first"), registry.expire());
    assertEquals(Optional.empty(), registry.nextExpiry());
  }

  @Test
  void manyPeersGetDistinctTokens() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 500; i++) {
      assertTrue(seen.add(announce("peer-" + i, Event.STARTED).sessionToken()));
    }
  }
}
