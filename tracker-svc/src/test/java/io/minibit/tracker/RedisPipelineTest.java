package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.Torrent;
import io.minibit.core.testing.Await;
import io.minibit.core.testing.RedisServer;
import io.minibit.tracker.SwarmStore.Announce;
import io.minibit.tracker.SwarmStore.AnnounceResult;
import io.minibit.tracker.SwarmStore.Event;
import io.minibit.tracker.SwarmStore.SwarmCounts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connection announces and heartbeats take to a real Redis ({@link RedisPipeline}): many
 * calls in one pipeline, a script Redis lost, a Redis that stops answering, and the login and
 * database an address names.
 */
class RedisPipelineTest {
  private static final Duration HEARTBEAT = Duration.ofSeconds(10);
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final Torrent TORRENT = Torrent.of(TestManifests.manifest("pipe.bin", 7));
  private static final InfoHash INFOHASH = TORRENT.infoHash();
  private static final Publisher PUBLISHER = Publisher.ofKey("ef".repeat(32));

  @TempDir Path dir;
  private RedisServer redis;
  private final List<RedisStore> stores = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start(dir.resolve("redis"), false);
  }

  @AfterEach
  void stop() {
    stores.forEach(RedisStore::close);
    redis.close();
  }

  private RedisSwarms swarmsAt(String uri) {
    RedisStore store = RedisStore.connect(RedisAddress.parse(uri));
    stores.add(store);
    new RedisCatalog(store).publish(TORRENT, PUBLISHER);
    return new RedisSwarms(store, HEARTBEAT, 50);
  }

  private static Announce joining(String peerId) {
    return new Announce(INFOHASH, peerId, "10.0.0.1", 7000, Event.STARTED, 0, false, 0, 0, "",
        0);
  }

  @Test
  void callsSentTogetherAreEachAnsweredWithTheirOwnReply() {
    RedisSwarms swarms = swarmsAt(redis.uri());
    List<CompletableFuture<AnnounceResult>> joins = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      joins.add(swarms.announceAsync(joining("peer-" + i)));
    }
    List<String> tokens = joins.stream().map(CompletableFuture::join)
        .map(AnnounceResult::sessionToken).toList();
    assertEquals(200, tokens.stream().distinct().count(), "a session, and a token, per peer");

    List<CompletableFuture<Void>> heartbeats = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      heartbeats.add(swarms.heartbeatAsync("peer-" + i, tokens.get(i)));
    }
    heartbeats.forEach(CompletableFuture::join); // each token matched its own peer's session
    assertEquals(new SwarmCounts(0, 200), swarms.counts(INFOHASH));
  }

  @Test
  void aScriptRedisLostIsSentWholeAgain() {
    RedisSwarms swarms = swarmsAt(redis.uri());
    AnnounceResult first = swarms.announce(joining("first"));
    assertEquals("+OK", redis.command("SCRIPT FLUSH"));

    AnnounceResult second = swarms.announce(joining("second"));
    assertEquals(new SwarmCounts(0, 2), second.counts());
    swarms.heartbeat("first", first.sessionToken());
  }

  @Test
  void aRedisThatStopsAnsweringFailsTheCallsOutAndTheNextOnesGetThrough() {
    RedisSwarms swarms = swarmsAt(redis.uri());
    AnnounceResult joined = swarms.announce(joining("peer"));
    assertEquals("+OK", redis.command("CLIENT PAUSE 4000 ALL"));

    MinibitException silent = assertThrows(MinibitException.class,
        () -> swarms.heartbeat("peer", joined.sessionToken()));
    assertEquals(ErrorCode.UNAVAILABLE, silent.code());
    assertTrue(silent.getMessage().contains("no answer within 2000 ms"), silent.getMessage());

    Await.until(TIMEOUT, "heartbeats get through once Redis answers again", () -> {
      try {
        swarms.heartbeat("peer", joined.sessionToken());
        return true;
      } catch (MinibitException e) {
        assertEquals(ErrorCode.UNAVAILABLE, e.code(), e.getMessage());
        return false;
      }
    });
  }

  @Test
  void theDatabaseTheAddressNamesIsTheOneWritten() {
    RedisSwarms inThree = swarmsAt(redis.uri() + "/3");
    RedisSwarms inZero = swarmsAt(redis.uri());
    inThree.announce(joining("peer"));

    assertEquals(new SwarmCounts(0, 1), inThree.counts(INFOHASH));
    assertEquals(new SwarmCounts(0, 0), inZero.counts(INFOHASH));
  }

  @Test
  void aRedisDownAtTheFirstCallIsUnavailableAtOnce() throws Exception {
    RedisSwarms swarms = swarmsAt(redis.uri());
    redis.stop();

    MinibitException down = assertThrows(MinibitException.class,
        () -> swarms.heartbeat("peer", "token"));
    assertEquals(ErrorCode.UNAVAILABLE, down.code());
    assertTrue(down.getMessage().contains("unreachable"), down.getMessage());
  }

  @Test
  void aPasswordChangedUnderTheTrackerMakesItsCallsUnavailable() throws Exception {
    assertEquals("+OK", redis.command("CONFIG SET requirepass first"));
    RedisSwarms swarms = swarmsAt("redis://:first@127.0.0.1:" + redis.port());
    AnnounceResult joined = swarms.announce(joining("peer"));

    // the operator rotates the password and drops every connection
    assertEquals(List.of("+OK", "+OK", ":"), replies(
        "AUTH first", "CONFIG SET requirepass second", "CLIENT KILL TYPE normal SKIPME yes"));
    Await.until(TIMEOUT, "the reconnection is refused at its login", () -> {
      MinibitException refused = assertThrows(MinibitException.class,
          () -> swarms.heartbeat("peer", joined.sessionToken()));
      assertEquals(ErrorCode.UNAVAILABLE, refused.code(), refused.getMessage());
      return refused.getMessage().contains("refused the login");
    });

    // many calls at once, while logins are refused one after another: each fails for that
    // reason, none waits for the watchdog or gets another call's answer
    for (int round = 0; round < 5; round++) {
      List<CompletableFuture<Void>> calls = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        calls.add(swarms.heartbeatAsync("peer", joined.sessionToken()));
      }
      for (CompletableFuture<Void> call : calls) {
        Throwable failure = assertThrows(java.util.concurrent.ExecutionException.class,
            () -> call.get(5, java.util.concurrent.TimeUnit.SECONDS)).getCause();
        assertTrue(failure.getMessage().contains("refused the login"), failure.getMessage());
      }
    }
  }

  @Test
  void aPasswordSetUnderATrackerWithoutOneMakesItsCallsUnavailable() throws Exception {
    RedisSwarms swarms = swarmsAt(redis.uri());
    AnnounceResult joined = swarms.announce(joining("peer"));

    assertEquals(List.of("+OK", "+OK", ":"), replies("CONFIG SET requirepass set-later",
        "AUTH set-later", "CLIENT KILL TYPE normal SKIPME yes"));
    Await.until(TIMEOUT, "Redis asks the tracker for a password it has not got", () -> {
      MinibitException refused = assertThrows(MinibitException.class,
          () -> swarms.heartbeat("peer", joined.sessionToken()));
      assertEquals(ErrorCode.UNAVAILABLE, refused.code(), refused.getMessage());
      return refused.getMessage().contains("NOAUTH");
    });
  }

  /** Sends {@code commands} on one connection; the first characters of each reply line. */
  private List<String> replies(String... commands) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", redis.port())) {
      socket.setSoTimeout(5000);
      for (String command : commands) {
        socket.getOutputStream().write((command + "\r\n").getBytes(
            java.nio.charset.StandardCharsets.UTF_8));
      }
      var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
          java.nio.charset.StandardCharsets.UTF_8));
      List<String> replies = new ArrayList<>();
      for (int i = 0; i < commands.length; i++) {
        String line = in.readLine();
        replies.add(line.startsWith(":") ? ":" : line);
      }
      return replies;
    }
  }

  @Test
  void aRedisThatAsksForAPasswordGetsTheOneInTheAddress() {
    assertEquals("+OK", redis.command("CONFIG SET requirepass pipe-secret"));
    RedisSwarms swarms = swarmsAt("redis://:pipe-secret@127.0.0.1:" + redis.port());

    AnnounceResult joined = swarms.announce(joining("peer"));
    swarms.heartbeat("peer", joined.sessionToken());
    assertEquals(new SwarmCounts(0, 1), swarms.counts(INFOHASH));
  }
}
