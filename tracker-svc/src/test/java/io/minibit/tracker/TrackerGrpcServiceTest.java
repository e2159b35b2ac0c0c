package io.minibit.tracker;

import static io.minibit.tracker.TrackerHarness.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.minibit.api.v2.AnnounceEvent;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.AnnounceResponse;
import io.minibit.api.v2.GetManifestRequest;
import io.minibit.api.v2.GetManifestResponse;
import io.minibit.api.v2.HeartbeatRequest;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.Manifest;
import io.minibit.api.v2.PeerEndpoint;
import io.minibit.api.v2.PublishRequest;
import io.minibit.api.v2.PublishResponse;
import io.minibit.api.v2.TorrentSummary;
import io.minibit.core.Torrent;
import io.minibit.api.v2.Proof;
import io.minibit.core.identity.PeerKey;
import io.minibit.core.identity.Signatures;
import io.minibit.core.testing.TestKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TrackerGrpcServiceTest {
  private static final Manifest SONG = TestManifests.manifest("song.ogg", 1);
  private static final String SONG_HASH = Torrent.of(SONG).infoHash().hex();
  private static final String UNKNOWN_HASH = "ab".repeat(32);

  @RegisterExtension
  final TrackerHarness tracker = TrackerHarness.builder().build();

  /** A publish signed by the test key "publisher". */
  private PublishResponse publish(Manifest manifest) {
    return tracker.tracker().publish(TestKeys.publish(manifest, tracker.clock.instant()));
  }

  private PublishResponse publish(Manifest manifest, String publisher) {
    return tracker.tracker().publish(
        TestKeys.publish(manifest, TestKeys.key(publisher), tracker.clock.instant()));
  }

  /** An announce of the peer whose test key is called {@code name}. */
  private static AnnounceRequest.Builder announce(String name, int port) {
    return announceAs(TestKeys.peerId(name), port);
  }

  private static AnnounceRequest.Builder announceAs(String peerId, int port) {
    return AnnounceRequest.newBuilder()
        .setInfohash(SONG_HASH)
        .setPeerId(peerId)
        .setHost("10.0.0.1")
        .setPort(port)
        .setEvent(AnnounceEvent.ANNOUNCE_EVENT_STARTED);
  }

  /** Sends {@code request} with a proof of its peer id, as a MiniBit peer sends every announce. */
  private AnnounceResponse announce(AnnounceRequest.Builder request) {
    return tracker.tracker().announce(TestKeys.proven(request, tracker.clock.instant()).build());
  }

  private AnnounceResponse announceUnproven(AnnounceRequest.Builder request) {
    return tracker.tracker().announce(request.build());
  }

  /** A heartbeat of the peer whose test key is called {@code name}. */
  private void heartbeat(String name, String token) {
    heartbeatAs(TestKeys.peerId(name), token);
  }

  private void heartbeatAs(String peerId, String token) {
    tracker.tracker().heartbeat(HeartbeatRequest.newBuilder()
        .setPeerId(peerId).setSessionToken(token).build());
  }

  private TorrentSummary onlyTorrent() {
    List<TorrentSummary> torrents =
        tracker.tracker().listTorrents(ListTorrentsRequest.getDefaultInstance()).getTorrentsList();
    assertEquals(1, torrents.size(), torrents::toString);
    return torrents.get(0);
  }

  private List<Path> catalogFiles() throws IOException {
    try (Stream<Path> files = Files.list(tracker.config.catalogDir())) {
      return files.filter(Files::isRegularFile).toList();
    }
  }

  private static Set<String> peerIds(AnnounceResponse response) {
    return response.getPeersList().stream().map(PeerEndpoint::getPeerId)
        .collect(Collectors.toSet());
  }

  // --- happy paths ---

  @Test
  void publishReturnsTheInfohashAndIsIdempotent() throws IOException {
    PublishResponse first = publish(SONG);
    PublishResponse second = publish(SONG);

    assertEquals(SONG_HASH, first.getInfohash());
    assertTrue(first.getCreated());
    assertEquals(SONG_HASH, second.getInfohash());
    assertFalse(second.getCreated());
    assertEquals(List.of(tracker.config.catalogDir().resolve(SONG_HASH + ".manifest")),
        catalogFiles());
  }

  @Test
  void getManifestByInfohashInEitherCaseAndByName() {
    publish(SONG);

    GetManifestResponse byHash = tracker.tracker().getManifest(
        GetManifestRequest.newBuilder().setInfohash(SONG_HASH).build());
    GetManifestResponse byUpperHash = tracker.tracker().getManifest(
        GetManifestRequest.newBuilder().setInfohash(SONG_HASH.toUpperCase(Locale.ROOT)).build());
    GetManifestResponse byName = tracker.tracker().getManifest(
        GetManifestRequest.newBuilder().setName("song.ogg").build());

    for (GetManifestResponse response : List.of(byHash, byUpperHash, byName)) {
      assertEquals(SONG_HASH, response.getInfohash());
      assertEquals(SONG, response.getManifest());
    }
  }

  @Test
  void getManifestByNameReturnsTheLatestPublished() {
    Manifest newer = TestManifests.manifest("song.ogg", 2);
    publish(SONG);
    publish(newer);

    GetManifestResponse response = tracker.tracker().getManifest(
        GetManifestRequest.newBuilder().setName("song.ogg").build());

    assertEquals(newer, response.getManifest());
    assertEquals(Torrent.of(newer).infoHash().hex(), response.getInfohash());
  }

  @Test
  void listTorrentsIsSortedByNameWithSwarmCounts() {
    Manifest zebra = TestManifests.manifest("zebra.iso", 3);
    Manifest apple = TestManifests.manifest("apple.iso", 4);
    publish(zebra);
    publish(SONG);
    publish(apple);
    announce(announce("seeder", 7001).setComplete(true));
    announce(announce("leecher-1", 7002));
    announce(announce("leecher-2", 7003));

    List<TorrentSummary> torrents =
        tracker.tracker().listTorrents(ListTorrentsRequest.getDefaultInstance()).getTorrentsList();

    assertEquals(List.of("apple.iso", "song.ogg", "zebra.iso"),
        torrents.stream().map(TorrentSummary::getName).toList());
    TorrentSummary song = torrents.get(1);
    assertEquals(SONG_HASH, song.getInfohash());
    assertEquals(SONG.getSize(), song.getSize());
    assertEquals(3, song.getBlockCount());
    assertEquals(1, song.getSeeders());
    assertEquals(2, song.getLeechers());
    assertEquals(0, torrents.get(0).getSeeders() + torrents.get(0).getLeechers());
  }

  @Test
  void announceReturnsTheOtherPeersAndTheTrackersIntervals() {
    publish(SONG);
    AnnounceResponse first = announce(announce("seeder", 7001)
        .setHost("seed.example").setEvent(AnnounceEvent.ANNOUNCE_EVENT_COMPLETED)
        .setHaveCount(3).setComplete(true).setUploaded(10));

    AnnounceResponse second = announce(announce("leecher", 7002));

    assertEquals(0, first.getPeersCount());
    // Minutes, and the same: a peer that announces on time has no heartbeat to send.
    assertEquals(300_000, second.getIntervalMs());
    assertEquals(300_000, second.getHeartbeatIntervalMs());
    assertTrue(second.getSessionToken().matches("[0-9a-f]{32}"), second.getSessionToken());
    assertNotEquals(first.getSessionToken(), second.getSessionToken());
    assertEquals(1, second.getSeeders());
    assertEquals(1, second.getLeechers());
    assertEquals(List.of(PeerEndpoint.newBuilder().setPeerId(TestKeys.peerId("seeder"))
        .setHost("seed.example")
        .setPort(7001).setComplete(true).build()), second.getPeersList());
  }

  @Test
  void announceHonoursNumWantAndNeverReturnsTheCaller() {
    publish(SONG);
    String token = announce(announce("peer-0", 7000)).getSessionToken();
    for (int i = 1; i < 10; i++) {
      announce(announce("peer-" + i, 7000 + i));
    }

    AnnounceResponse few = announce(announce("peer-0", 7000).setNumWant(4)
        .setEvent(AnnounceEvent.ANNOUNCE_EVENT_UNSPECIFIED).setSessionToken(token));
    AnnounceResponse huge = announce(announce("peer-0", 7000).setNumWant(-1)
        .setEvent(AnnounceEvent.ANNOUNCE_EVENT_UNSPECIFIED).setSessionToken(token));

    assertEquals(4, few.getPeersCount());
    assertFalse(peerIds(few).contains(TestKeys.peerId("peer-0")));
    assertEquals(9, huge.getPeersCount(), "num_want 2^32-1 means as many as allowed");
    assertFalse(peerIds(huge).contains(TestKeys.peerId("peer-0")));
  }

  @Test
  void stoppedLeavesTheSwarm() {
    publish(SONG);
    announce(announce("stays", 7001));
    AnnounceResponse joined = announce(announce("leaves", 7002));

    AnnounceResponse stopped = announce(announce("leaves", 7002)
        .setEvent(AnnounceEvent.ANNOUNCE_EVENT_STOPPED)
        .setSessionToken(joined.getSessionToken()));

    assertEquals(0, stopped.getPeersCount());
    assertEquals(1, onlyTorrent().getLeechers());
  }

  @Test
  void heartbeatReturnsTheInterval() {
    publish(SONG);
    AnnounceResponse joined = announce(announce("peer", 7001));

    int interval = tracker.tracker().heartbeat(HeartbeatRequest.newBuilder()
        .setPeerId(TestKeys.peerId("peer")).setSessionToken(joined.getSessionToken()).build())
        .getIntervalMs();

    assertEquals(300_000, interval);
  }

  // --- malformed input ---

  static Stream<Arguments> malformedManifests() {
    return Stream.of(
        Arguments.of("short block hash", SONG.toBuilder()
            .setBlockSha256(1, ByteString.copyFrom(new byte[31])).build(), "block_sha256[1]"),
        Arguments.of("short file hash", SONG.toBuilder()
            .setFileSha256(ByteString.copyFrom(new byte[16])).build(), "file_sha256"),
        Arguments.of("parent path", SONG.toBuilder().setName("../x").build(), "path separator"),
        Arguments.of("dot-dot", SONG.toBuilder().setName("..").build(), "'..'"),
        Arguments.of("slash", SONG.toBuilder().setName("dir/song.ogg").build(), "path separator"),
        Arguments.of("empty name", SONG.toBuilder().setName("").build(), "name is empty"),
        Arguments.of("block count", TestManifests.withoutLastBlockHash(SONG), "has 3"),
        Arguments.of("block size", SONG.toBuilder().setBlockSize(1000).build(), "block_size"),
        Arguments.of("empty file", SONG.toBuilder().setSize(0).build(), "size"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedManifests")
  void malformedManifestIsInvalidAndNotStored(String what, Manifest manifest, String hint)
      throws IOException {
    // unsigned: the manifest is checked first, and a malformed one cannot be signed
    StatusRuntimeException e = assertStatus(Status.Code.INVALID_ARGUMENT, () -> tracker.tracker()
        .publish(PublishRequest.newBuilder().setManifest(manifest).build()));

    String description = e.getStatus().getDescription();
    assertTrue(description != null && description.contains(hint),
        "'" + description + "' should mention " + hint);
    assertEquals(List.of(), catalogFiles());
  }

  @Test
  void publishWithoutAManifestIsInvalid() {
    StatusRuntimeException e = assertStatus(Status.Code.INVALID_ARGUMENT,
        () -> tracker.tracker().publish(PublishRequest.getDefaultInstance()));

    assertEquals("manifest is missing", e.getStatus().getDescription());
  }

  @Test
  void getManifestNeedsAnInfohashOrAName() {
    assertStatus(Status.Code.INVALID_ARGUMENT,
        () -> tracker.tracker().getManifest(GetManifestRequest.getDefaultInstance()));
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> tracker.tracker().getManifest(
        GetManifestRequest.newBuilder().setName("a/b").build()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "abc", "not hex at all, but sixty-four characters long, exactly...."})
  void badInfohashTextIsInvalid(String infohash) {
    publish(SONG);

    StatusRuntimeException get = assertStatus(Status.Code.INVALID_ARGUMENT,
        () -> tracker.tracker().getManifest(
            GetManifestRequest.newBuilder().setInfohash(infohash).build()));
    assertStatus(Status.Code.INVALID_ARGUMENT,
        () -> announce(announce("peer", 7001).setInfohash(infohash)));

    assertTrue(get.getStatus().getDescription().startsWith("infohash"),
        get.getStatus().getDescription());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "has space", "slash/y", "ünïcode",
      "a-peer-id-that-is-far-too-long-to-be-accepted-by-the-tracker-at-all"})
  void badPeerIdIsInvalid(String peerId) {
    publish(SONG);

    StatusRuntimeException e = assertStatus(Status.Code.INVALID_ARGUMENT,
        () -> announceUnproven(announceAs(peerId, 7001)));
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> heartbeatAs(peerId, "token"));

    assertTrue(e.getStatus().getDescription().startsWith("peer_id"),
        e.getStatus().getDescription());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 65536, -1})
  void badPortIsInvalid(int port) {
    publish(SONG);

    StatusRuntimeException e = assertStatus(Status.Code.INVALID_ARGUMENT,
        () -> announce(announce("peer", port)));

    assertTrue(e.getStatus().getDescription().startsWith("port"),
        e.getStatus().getDescription());
  }

  @Test
  void badHostIsInvalid() {
    publish(SONG);

    StatusRuntimeException e = assertStatus(Status.Code.INVALID_ARGUMENT,
        () -> announce(announce("peer", 7001).setHost("bad host; rm -rf")));

    assertTrue(e.getStatus().getDescription().startsWith("host"),
        e.getStatus().getDescription());
  }

  @Test
  void emptyHostWithoutAVisibleCallerAddressIsInvalid() {
    publish(SONG);

    // The in-process transport has no IP address to fall back on.
    StatusRuntimeException e = assertStatus(Status.Code.INVALID_ARGUMENT,
        () -> announce(announce("peer", 7001).setHost("")));

    assertTrue(e.getStatus().getDescription().contains("set host"),
        e.getStatus().getDescription());
  }

  @Test
  void haveCountBeyondTheBlockCountIsInvalid() {
    publish(SONG);

    assertStatus(Status.Code.INVALID_ARGUMENT,
        () -> announce(announce("peer", 7001).setHaveCount(4)));
  }

  @Test
  void unknownEventIsInvalid() {
    publish(SONG);

    assertStatus(Status.Code.INVALID_ARGUMENT,
        () -> announce(announce("peer", 7001).setEventValue(42)));
  }

  // --- unknown torrents and sessions ---

  @Test
  void unknownTorrentIsNotFound() {
    publish(SONG);

    StatusRuntimeException get = assertStatus(Status.Code.NOT_FOUND,
        () -> tracker.tracker().getManifest(
            GetManifestRequest.newBuilder().setInfohash(UNKNOWN_HASH).build()));
    assertStatus(Status.Code.NOT_FOUND, () -> tracker.tracker().getManifest(
        GetManifestRequest.newBuilder().setName("nothing.bin").build()));
    StatusRuntimeException announce = assertStatus(Status.Code.NOT_FOUND,
        () -> announce(announce("peer", 7001).setInfohash(UNKNOWN_HASH)));

    assertTrue(get.getStatus().getDescription().contains(UNKNOWN_HASH));
    assertTrue(announce.getStatus().getDescription().contains(UNKNOWN_HASH));
  }

  @Test
  void wrongTokenIsPermissionDenied() {
    publish(SONG);
    announce(announce("peer", 7001));

    assertStatus(Status.Code.PERMISSION_DENIED, () -> announceUnproven(announce("peer", 7001)
        .setEvent(AnnounceEvent.ANNOUNCE_EVENT_UNSPECIFIED).setSessionToken("0".repeat(32))));
    assertStatus(Status.Code.PERMISSION_DENIED, () -> heartbeat("peer", "0".repeat(32)));
    assertStatus(Status.Code.PERMISSION_DENIED, () -> heartbeat("peer", ""));
  }

  @Test
  void heartbeatWithoutASessionIsNotFound() {
    assertStatus(Status.Code.NOT_FOUND, () -> heartbeat("stranger", "0".repeat(32)));
  }

  // --- time and restarts ---

  @Test
  void silentPeersExpireAfterThreeHeartbeatIntervals() {
    publish(SONG);
    String steady = announce(announce("steady", 7001)).getSessionToken();
    String silent = announce(announce("silent", 7002)).getSessionToken();

    Duration interval = tracker.config.heartbeatInterval();
    tracker.clock.advance(interval.multipliedBy(2));
    heartbeat("steady", steady);
    tracker.clock.advance(interval);
    assertEquals(2, onlyTorrent().getLeechers(), "3 intervals of silence is not yet too long");

    tracker.clock.advance(Duration.ofMillis(1));

    assertEquals(1, onlyTorrent().getLeechers());
    AnnounceResponse view = announce(announce("steady", 7001)
        .setEvent(AnnounceEvent.ANNOUNCE_EVENT_UNSPECIFIED).setSessionToken(steady));
    assertEquals(0, view.getPeersCount());
    assertStatus(Status.Code.NOT_FOUND, () -> heartbeat("silent", silent));

    AnnounceResponse back = announce(announce("silent", 7002).setSessionToken(silent));
    assertNotEquals(silent, back.getSessionToken());
    assertEquals(Set.of(TestKeys.peerId("steady")), peerIds(back));
  }

  @Test
  void catalogSurvivesARestartButSwarmsDoNot() throws IOException {
    publish(SONG);
    String token = announce(announce("peer", 7001)).getSessionToken();

    tracker.restart();

    TorrentSummary song = onlyTorrent();
    assertEquals(SONG_HASH, song.getInfohash());
    assertEquals(0, song.getLeechers() + song.getSeeders());
    assertEquals(SONG, tracker.tracker().getManifest(
        GetManifestRequest.newBuilder().setName("song.ogg").build()).getManifest());
    assertFalse(publish(SONG).getCreated());
    assertStatus(Status.Code.NOT_FOUND, () -> heartbeat("peer", token));
    AnnounceResponse again = announce(announce("peer", 7001)
        .setEvent(AnnounceEvent.ANNOUNCE_EVENT_UNSPECIFIED).setSessionToken(token));
    assertNotEquals(token, again.getSessionToken(), "a stale token opens a new session");
    assertEquals(1, onlyTorrent().getLeechers());
  }

  // --- names and identities ---

  @Test
  void anUnsignedPublishIsUnauthenticated() throws IOException {
    StatusRuntimeException e = assertStatus(Status.Code.UNAUTHENTICATED, () -> tracker.tracker()
        .publish(PublishRequest.newBuilder().setManifest(SONG).build()));

    assertTrue(e.getStatus().getDescription().contains("is not signed"),
        e.getStatus().getDescription());
    assertTrue(e.getStatus().getDescription().contains("upgrade"),
        e.getStatus().getDescription());
    assertEquals(List.of(), catalogFiles());
  }

  @Test
  void aNameCannotBeTakenOverAndItsOwnerPublishesNewVersions() {
    Manifest forged = TestManifests.manifest("song.ogg", 2);
    Manifest newer = TestManifests.manifest("song.ogg", 3);
    publish(SONG, "alice");

    StatusRuntimeException e = assertStatus(Status.Code.PERMISSION_DENIED,
        () -> publish(forged, "mallory"));
    assertTrue(e.getStatus().getDescription().contains("'song.ogg' belongs to another"
        + " publisher"), e.getStatus().getDescription());
    assertFalse(publish(SONG, "bob").getCreated(), "another seeder of the same file");
    assertEquals(SONG, tracker.tracker().getManifest(
        GetManifestRequest.newBuilder().setName("song.ogg").build()).getManifest());

    assertTrue(publish(newer, "alice").getCreated());
    assertFalse(publish(SONG, "mallory").getCreated());

    assertEquals(newer, tracker.tracker().getManifest(
        GetManifestRequest.newBuilder().setName("song.ogg").build()).getManifest());
    List<TorrentSummary> versions =
        tracker.tracker().listTorrents(ListTorrentsRequest.getDefaultInstance()).getTorrentsList();
    assertEquals(Set.of(SONG_HASH, Torrent.of(newer).infoHash().hex()),
        versions.stream().map(TorrentSummary::getInfohash).collect(Collectors.toSet()));
    assertEquals(List.of(Torrent.of(newer).infoHash().hex()), versions.stream()
        .filter(TorrentSummary::getLatest).map(TorrentSummary::getInfohash).toList());
  }

  @Test
  void ownershipSurvivesARestart() throws IOException {
    publish(SONG, "alice");

    tracker.restart();

    assertStatus(Status.Code.PERMISSION_DENIED,
        () -> publish(TestManifests.manifest("song.ogg", 2), "mallory"));
    assertTrue(publish(TestManifests.manifest("song.ogg", 2), "alice").getCreated());
  }

  @Test
  void aPublishProofCoversOneManifestAndAShortTime() {
    Manifest other = TestManifests.manifest("song.ogg", 2);
    var signedForOther = TestKeys.publish(other, tracker.clock.instant());
    StatusRuntimeException swapped = assertStatus(Status.Code.UNAUTHENTICATED,
        () -> tracker.tracker().publish(signedForOther.toBuilder().setManifest(SONG).build()));
    assertTrue(swapped.getStatus().getDescription().contains("does not verify"),
        swapped.getStatus().getDescription());

    var old = TestKeys.publish(SONG, tracker.clock.instant());
    tracker.clock.advance(Signatures.MAX_CLOCK_SKEW.plusSeconds(1));
    StatusRuntimeException replayed = assertStatus(Status.Code.UNAUTHENTICATED,
        () -> tracker.tracker().publish(old));
    assertTrue(replayed.getStatus().getDescription().contains("check the clocks"),
        replayed.getStatus().getDescription());
  }

  @Test
  void aMalformedProofIsInvalid() {
    var signed = TestKeys.publish(SONG, tracker.clock.instant());
    StatusRuntimeException key = assertStatus(Status.Code.INVALID_ARGUMENT, () -> tracker
        .tracker().publish(signed.toBuilder().setProof(signed.getProof().toBuilder()
            .setPublicKey(ByteString.copyFromUtf8("not a key"))).build()));
    assertTrue(key.getStatus().getDescription().startsWith("proof.public_key"),
        key.getStatus().getDescription());
    StatusRuntimeException signature = assertStatus(Status.Code.INVALID_ARGUMENT, () -> tracker
        .tracker().publish(signed.toBuilder().setProof(signed.getProof().toBuilder()
            .setSignature(ByteString.copyFrom(new byte[3]))).build()));
    assertTrue(signature.getStatus().getDescription().startsWith("proof.signature"),
        signature.getStatus().getDescription());

    publish(SONG);
    assertStatus(Status.Code.INVALID_ARGUMENT, () -> announceUnproven(announce("peer", 7001)
        .setProof(signed.getProof().toBuilder().setSignature(ByteString.EMPTY))));
  }

  @Test
  void anAnnounceWithoutProofOpensNoSession() {
    publish(SONG);

    StatusRuntimeException e = assertStatus(Status.Code.UNAUTHENTICATED,
        () -> announceUnproven(announce("peer", 7001)));

    assertTrue(e.getStatus().getDescription().contains("must carry a proof"),
        e.getStatus().getDescription());
    assertEquals(0, onlyTorrent().getLeechers());
  }

  @Test
  void nobodyTakesOverAPeerIdAfterItsSessionExpired() {
    publish(SONG);
    String victim = TestKeys.peerId("victim");
    announce(announce("victim", 7001));
    tracker.clock.advance(tracker.config.heartbeatInterval().multipliedBy(4));

    assertStatus(Status.Code.UNAUTHENTICATED, () -> announceUnproven(announceAs(victim, 6666)));
    assertStatus(Status.Code.UNAUTHENTICATED, () -> announceUnproven(announceAs(victim, 6666)
        .setProof(TestKeys.key("mallory").sessionProof(tracker.clock.instant()))));
    PeerKey mallory = TestKeys.key("mallory");
    Instant now = tracker.clock.instant();
    Proof signedForVictim = Proof.newBuilder()
        .setPublicKey(ByteString.copyFrom(mallory.publicKey())).setSignedAtMs(now.toEpochMilli())
        .setSignature(ByteString.copyFrom(mallory.sign(Signatures.sessionMessage(victim, now))))
        .build();
    StatusRuntimeException ownKey = assertStatus(Status.Code.UNAUTHENTICATED,
        () -> announceUnproven(announceAs(victim, 6666).setProof(signedForVictim)));
    assertTrue(ownKey.getStatus().getDescription().contains("not of peer_id " + victim),
        ownKey.getStatus().getDescription());

    String token = announce(announce("victim", 7001)).getSessionToken();
    heartbeat("victim", token);
  }

  @Test
  void nobodyTakesOverAPeerIdAfterARestart() throws IOException {
    publish(SONG);
    String victim = TestKeys.peerId("victim");
    String token = announce(announce("victim", 7001)).getSessionToken();

    tracker.restart();

    assertStatus(Status.Code.UNAUTHENTICATED, () -> announceUnproven(announceAs(victim, 6666)
        .setSessionToken(token)));
    AnnounceResponse back = announce(announce("victim", 7001).setSessionToken(token));
    assertNotEquals(token, back.getSessionToken());
  }

  @Test
  void aProvenAnnounceReplacesASessionItsPeerLostTheTokenOf() {
    publish(SONG);
    String lost = announce(announce("peer", 7001)).getSessionToken();

    // the peer restarted: it has its key, not its token
    String fresh = announce(announce("peer", 7001)).getSessionToken();

    assertNotEquals(lost, fresh);
    assertStatus(Status.Code.PERMISSION_DENIED, () -> heartbeat("peer", lost));
    heartbeat("peer", fresh);
    assertEquals(1, onlyTorrent().getLeechers());
  }
}
