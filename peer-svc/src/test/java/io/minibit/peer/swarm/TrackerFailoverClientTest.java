package io.minibit.peer.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.minibit.api.v2.AnnounceRequest;
import io.minibit.api.v2.AnnounceResponse;
import io.minibit.api.v2.GetManifestRequest;
import io.minibit.api.v2.GetManifestResponse;
import io.minibit.api.v2.HeartbeatRequest;
import io.minibit.api.v2.HeartbeatResponse;
import io.minibit.api.v2.ListTorrentsRequest;
import io.minibit.api.v2.ListTorrentsResponse;
import io.minibit.api.v2.TrackerServiceGrpc;
import io.minibit.core.identity.PeerKey;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.core.grpc.Channels;
import io.minibit.core.testing.GrpcCleanup;
import io.minibit.core.testing.MutableClock;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client of several trackers against fake in-process ones: where each call goes, which
 * session token each tracker is sent, what is said when none answers.
 */
class TrackerFailoverClientTest {
  private static final PeerKey KEY = PeerKey.generate();
  private static final InfoHash HASH = InfoHash.parse("ab".repeat(32));

  @RegisterExtension final GrpcCleanup grpc = new GrpcCleanup();

  private final String prefix = InProcessServerBuilder.generateName() + "-";
  private final MutableClock clock = new MutableClock();
  private final Map<String, Server> servers = new ConcurrentHashMap<>();
  /** Every call a fake tracker took: "A announce token=...", "B heartbeat token=...". */
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final List<TrackerClient.Switch> moves = new CopyOnWriteArrayList<>();
  /** What a fake tracker answers instead, by name; absent: a normal answer. */
  private final Map<String, Status> failures = new ConcurrentHashMap<>();
  /** How many calls a fake tracker answers DEADLINE_EXCEEDED first, by name. */
  private final Map<String, AtomicInteger> busyAnswers = new ConcurrentHashMap<>();

  /** A fake tracker named {@code name}: its session token is "token-" + name. */
  private void start(String name) throws IOException {
    Server server = InProcessServerBuilder.forName(prefix + name).directExecutor()
        .addService(new TrackerServiceGrpc.TrackerServiceImplBase() {
          @Override
          public void announce(AnnounceRequest request,
              StreamObserver<AnnounceResponse> response) {
            calls.add(name + " announce token=" + request.getSessionToken());
            if (failures.containsKey(name)) {
              response.onError(failures.get(name).asRuntimeException());
              return;
            }
            response.onNext(AnnounceResponse.newBuilder().setSessionToken("token-" + name)
                .setIntervalMs(1000).build());
            response.onCompleted();
          }

          @Override
          public void listTorrents(ListTorrentsRequest request,
              StreamObserver<ListTorrentsResponse> response) {
            calls.add(name + " listTorrents");
            if (busy(name)) {
              response.onError(Status.DEADLINE_EXCEEDED.withDescription("too busy")
                  .asRuntimeException());
              return;
            }
            response.onNext(ListTorrentsResponse.getDefaultInstance());
            response.onCompleted();
          }

          @Override
          public void getManifest(GetManifestRequest request,
              StreamObserver<GetManifestResponse> response) {
            calls.add(name + " getManifest");
            response.onError(busy(name) ? Status.DEADLINE_EXCEEDED.withDescription("too busy")
                .asRuntimeException() : Status.NOT_FOUND.withDescription("no such torrent")
                .asRuntimeException());
          }

          @Override
          public void heartbeat(HeartbeatRequest request,
              StreamObserver<HeartbeatResponse> response) {
            calls.add(name + " heartbeat token=" + request.getSessionToken());
            response.onNext(HeartbeatResponse.newBuilder().setIntervalMs(1000).build());
            response.onCompleted();
          }
        }).build().start();
    servers.put(name, grpc.register(server));
  }

  /** Whether the fake tracker {@code name} answers this call DEADLINE_EXCEEDED. */
  private boolean busy(String name) {
    return busyAnswers.getOrDefault(name, new AtomicInteger()).getAndDecrement() > 0;
  }

  private void stop(String name) {
    servers.remove(name).shutdownNow();
  }

  /** A client of the fakes named {@code names}, in that order; its moves go to {@link #moves}. */
  private TrackerClient client(String... names) {
    List<TrackerClient.Endpoint> endpoints = java.util.Arrays.stream(names)
        .map(name -> TrackerClient.Endpoint.of(name, grpc.register(Channels.configure(
            InProcessChannelBuilder.forName(prefix + name).directExecutor()).build())))
        .toList();
    Random top = new Random() {
      @Override
      public double nextDouble() {
        return 1.0; // the backoff's whole step, no less
      }
    };
    TrackerClient client = new TrackerClient(endpoints, KEY, clock, top);
    client.onSwitch(moves::add);
    return client;
  }

  private static AnnounceRequest announce() {
    return AnnounceRequest.newBuilder().setInfohash("ab".repeat(32)).setPeerId(KEY.peerId()).build();
  }

  @Test
  void callsGoToTheFirstTrackerWhileItAnswers() throws Exception {
    start("A");
    start("B");
    TrackerClient client = client("A", "B");
    client.announce(announce());
    client.heartbeat("mb-1");
    assertEquals(List.of("A announce token=", "A heartbeat token=token-A"), calls);
    assertEquals(List.of(), moves);
    assertEquals("A", client.inUse());
  }

  @Test
  void anUnreachableTrackerHandsTheCallToTheNextAndEachIsSentItsOwnToken() throws Exception {
    start("A");
    start("B");
    TrackerClient client = client("A", "B");
    client.announce(announce());
    stop("A");

    client.announce(announce());
    assertEquals("B announce token=", calls.get(calls.size() - 1),
        "B never gave a token: A's is not sent to it");
    assertEquals(List.of(new TrackerClient.Switch("A", "B")), moves);
    assertEquals("B", client.inUse());
    client.heartbeat("mb-1");
    assertEquals("B heartbeat token=token-B", calls.get(calls.size() - 1));

    // sticky: A back does not take the calls back; they return to it when B fails in turn
    start("A");
    client.heartbeat("mb-1");
    assertEquals("B heartbeat token=token-B", calls.get(calls.size() - 1));
    stop("B");
    client.announce(announce());
    assertEquals("A announce token=token-A", calls.get(calls.size() - 1),
        "A is sent the token A gave");
    assertEquals(List.of(new TrackerClient.Switch("A", "B"), new TrackerClient.Switch("B", "A")),
        moves);
  }

  @Test
  void anErrorATrackerAnswersWithIsNotPassedOnToTheNext() throws Exception {
    start("A");
    start("B");
    failures.put("A", Status.NOT_FOUND.withDescription("no torrent with infohash abab..."));
    TrackerClient client = client("A", "B");
    MinibitException e = assertThrows(MinibitException.class, () -> client.announce(announce()));
    assertEquals(ErrorCode.NOT_FOUND, e.code());
    assertEquals(List.of("A announce token="), calls);
    assertEquals("A", client.inUse());
  }

  @Test
  void whenNoneAnswersEachIsNamedAndTheNextRoundWaitsOutTheBackoff() throws Exception {
    TrackerClient client = client("A", "B");
    MinibitException none = assertThrows(MinibitException.class,
        () -> client.heartbeat("mb-1"));
    assertEquals(ErrorCode.UNAVAILABLE, none.code());
    assertTrue(none.getMessage().startsWith("cannot reach any tracker to heartbeat (A: "),
        none.getMessage());
    assertTrue(none.getMessage().contains("; B: "), none.getMessage());

    start("B");
    MinibitException waiting = assertThrows(MinibitException.class,
        () -> client.heartbeat("mb-1"));
    assertTrue(waiting.getMessage().contains("trying again in 250 ms"), waiting.getMessage());
    assertEquals(List.of(), calls, "no tracker is dialled during the wait");

    clock.advance(Duration.ofMillis(250));
    client.heartbeat("mb-1");
    assertEquals(List.of("B heartbeat token="), calls);
    assertEquals(List.of(new TrackerClient.Switch("A", "B")), moves);
  }

  @Test
  void aCallSomeoneWaitsForMakesARoundEvenDuringTheWait() throws Exception {
    TrackerClient client = client("A", "B");
    assertThrows(MinibitException.class, () -> client.heartbeat("mb-1"));
    start("B");
    // the catalog is asked for by a user: it does not wait for the announcer's pace
    assertEquals(List.of(), client.catalog(10));
    assertEquals(List.of("B listTorrents"), calls);
    assertEquals("B", client.inUse());
  }

  @Test
  void aManifestFetchIsMadeAgainAfterARoundInWhichNoTrackerAnswered() throws Exception {
    start("A");
    busyAnswers.put("A", new AtomicInteger(2));
    TrackerClient client = client("A");
    MinibitException answered = assertThrows(MinibitException.class,
        () -> client.manifest(HASH));
    assertEquals(ErrorCode.NOT_FOUND, answered.code(), answered::getMessage);
    assertEquals(List.of("A getManifest", "A getManifest", "A getManifest"), calls,
        "two rounds that timed out, then the answer");
  }

  @Test
  void aManifestFetchGivesUpAfterItsRoundsSayingHowManyTimesItAsked() throws Exception {
    start("A");
    busyAnswers.put("A", new AtomicInteger(Integer.MAX_VALUE));
    TrackerClient client = client("A");
    MinibitException e = assertThrows(MinibitException.class, () -> client.manifest(HASH));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertEquals("cannot reach the tracker at A to fetch the manifest of " + HASH
        + " (too busy; asked 3 times)", e.getMessage());
    assertEquals(TrackerCalls.WAITED_ROUNDS, calls.size());

    // the catalog (the swarm page's) is asked for once: the page can be loaded again
    calls.clear();
    MinibitException once = assertThrows(MinibitException.class, () -> client.catalog(10));
    assertEquals("cannot reach the tracker at A to list the catalog (too busy)",
        once.getMessage());
    assertEquals(List.of("A listTorrents"), calls);

    // an announce has its own pace: one round, failed at once
    calls.clear();
    failures.put("A", Status.DEADLINE_EXCEEDED.withDescription("too busy"));
    clock.advance(Duration.ofSeconds(10));
    MinibitException paced = assertThrows(MinibitException.class,
        () -> client.announce(announce()));
    assertEquals("cannot reach the tracker at A to announce (too busy)", paced.getMessage());
    assertEquals(List.of("A announce token="), calls);
  }

  @Test
  void aManifestFetchMakesNoRoundItsCallerHasNoTimeFor() throws Exception {
    // the call the fetch serves has 5 s left: a second round, under its full deadline, does
    // not fit in them, so what the first one found is told before that call's deadline passes
    assertOneRoundWithin(timer -> Context.current().withDeadlineAfter(5, TimeUnit.SECONDS, timer));
  }

  @Test
  void aManifestFetchWhoseCallerGaveUpIsNotMadeAgain() throws Exception {
    // the caller goes away while the fetch waits its 250 ms before the second round
    assertOneRoundWithin(timer -> {
      Context.CancellableContext userCall = Context.current().withCancellation();
      timer.schedule(() -> userCall.cancel(null), 100, TimeUnit.MILLISECONDS);
      return userCall;
    });
  }

  /**
   * A manifest fetch from an ever-busy tracker, run in the context {@code caller} makes (given a
   * timer), is asked of the tracker once and fails with the first round's answer.
   */
  private void assertOneRoundWithin(
      Function<ScheduledExecutorService, Context.CancellableContext> caller) throws Exception {
    start("A");
    busyAnswers.put("A", new AtomicInteger(Integer.MAX_VALUE));
    TrackerClient client = client("A");
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    Context.CancellableContext userCall = caller.apply(timer);
    try {
      MinibitException e = assertThrows(MinibitException.class,
          () -> userCall.call(() -> client.manifest(HASH)));
      assertEquals("cannot reach the tracker at A to fetch the manifest of " + HASH
          + " (too busy)", e.getMessage());
      assertEquals(List.of("A getManifest"), calls);
    } finally {
      userCall.cancel(null);
      timer.shutdownNow();
    }
  }

  @Test
  void aTrackerWhoseHealthStreamSaysItStoppedHandsOverAtOnce() throws Exception {
    start("A");
    start("B");
    TrackerClient client = client("A", "B");
    client.announce(announce());
    client.lost("A");
    assertEquals("B", client.target(), "the next call goes to B, without trying A first");
    client.announce(announce());
    assertEquals("B announce token=", calls.get(calls.size() - 1));
    assertEquals(List.of(new TrackerClient.Switch("A", "B")), moves);
  }
}
