package io.minibit.peer.session;

import static io.minibit.core.testing.MinibitAssertions.assertFailsWith;
import static io.minibit.core.testing.MinibitAssertions.assertReason;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.minibit.api.v2.SubscribeResponse;
import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.ErrorReason;
import io.minibit.core.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SubscribersTest {
  private static final int BLOCKS = 100;

  private final MutableClock clock = new MutableClock();
  private final ManualTimer timer = new ManualTimer();
  private final Subscribers subscribers = new Subscribers(clock, BLOCKS, timer);
  private final AtomicInteger ended = new AtomicInteger();

  /** A subscriber that takes a Have event per block. */
  private FakeSubscribeStream subscribe(String peerId, String host) {
    return subscribe(peerId, host, false);
  }

  private FakeSubscribeStream subscribe(String peerId, String host, boolean haveLists) {
    FakeSubscribeStream stream = new FakeSubscribeStream();
    subscribers.requireRoom(host);
    subscribers.add(peerId, host, host + ":1", stream, () -> new Bitfield(BLOCKS), false,
        haveLists, ended::incrementAndGet);
    return stream;
  }

  /** The blocks named by the HaveList events {@code stream} was sent, one list per element. */
  private static List<List<Integer>> lists(FakeSubscribeStream stream) {
    return stream.written.stream().filter(SubscribeResponse::hasHaveList)
        .map(e -> e.getHaveList().getIndicesList()).toList();
  }

  @Test
  void aListTakerGetsABlockAfterAQuietSpellAtOnceAndTheNextOnesTogetherAtTheWindowsEnd() {
    FakeSubscribeStream lists = subscribe("p", "10.0.0.1", true);
    FakeSubscribeStream single = subscribe("q", "10.0.0.2", false);

    subscribers.broadcastHave(7);
    assertEquals(List.of(List.of(7)), lists(lists), "nothing went out lately: at once");

    clock.advance(Duration.ofMillis(30));
    subscribers.broadcastHave(9);
    clock.advance(Duration.ofMillis(30));
    subscribers.broadcastHave(3);
    assertEquals(List.of(List.of(7)), lists(lists), "held until the window ends");
    assertEquals(List.of(7, 9, 3), single.written.stream().filter(SubscribeResponse::hasHave)
        .map(e -> e.getHave().getIndex()).toList(), "one Have each, at once");

    timer.advance(HaveWindow.WINDOW.minusMillis(61));
    assertEquals(1, lists(lists).size(), "the window is not over yet");
    timer.advance(Duration.ofMillis(1));
    assertEquals(List.of(List.of(7), List.of(3, 9)), lists(lists), "both in one list");

    clock.advance(HaveWindow.WINDOW);
    subscribers.broadcastHave(50);
    assertEquals(List.of(List.of(7), List.of(3, 9), List.of(50)), lists(lists),
        "a quiet window later, at once again");
    assertEquals(0, timer.pending(), "no send waits when nothing does");
  }

  @Test
  void withoutAListTakerNoSendIsScheduled() {
    FakeSubscribeStream single = subscribe("q", "10.0.0.2", false);

    subscribers.broadcastHave(1);
    subscribers.broadcastHave(2);

    assertEquals(0, timer.pending());
    assertEquals(2, single.written.stream().filter(SubscribeResponse::hasHave).count(),
        "each at once");
  }

  @Test
  void aListTakerThatDoesNotReadGetsEveryBlockGatheredMeanwhileInOneList() {
    FakeSubscribeStream stream = subscribe("p", "10.0.0.1", true);
    stream.written.clear();
    stream.ready = false;

    for (int index = 0; index < BLOCKS; index++) {
      subscribers.broadcastHave(index);
      timer.advance(Duration.ofMillis(40));
    }
    assertEquals(List.of(), stream.written);

    stream.becomeReady();
    assertEquals(List.of(IntStream.range(0, BLOCKS).boxed().toList()), lists(stream));
  }

  @Test
  void aBlockOfferedToOneListTakerGoesToItAtOnce() {
    FakeSubscribeStream stream = subscribe("p", "10.0.0.1", true);
    subscribers.broadcastHave(1);
    subscribers.broadcastHave(2); // held for the window

    subscribers.sendHave("p", 5);

    assertEquals(List.of(List.of(1), List.of(2, 5)), lists(stream),
        "the offer and what was held, without waiting");
  }

  @Test
  void aSubscriberThatDoesNotReadHasItsEventsCoalescedNotQueued() {
    FakeSubscribeStream stream = subscribe("p", "10.0.0.1");
    assertEquals(List.of("BITFIELD", "CHOKE"), stream.kinds());
    stream.written.clear();
    stream.ready = false;

    for (int round = 0; round < 3; round++) {
      IntStream.range(0, BLOCKS).forEach(subscribers::broadcastHave);
      subscribers.sendChoke("p", false);
      subscribers.sendChoke("p", true);
      subscribers.sendChoke("p", false);
    }

    assertEquals(List.of(), stream.written, "nothing written while the window is shut");
    stream.becomeReady();
    assertEquals("UNCHOKE", stream.kinds().get(0), "only the latest choke state");
    assertEquals(IntStream.range(0, BLOCKS).boxed().toList(), stream.written.subList(1,
        stream.written.size()).stream().map(e -> e.getHave().getIndex()).toList(),
        "each block once");
  }

  @Test
  void writingStopsAsSoonAsTheStreamIsNoLongerReady() {
    FakeSubscribeStream stream = new FakeSubscribeStream() {
      @Override
      public void onNext(SubscribeResponse value) {
        super.onNext(value);
        ready = written.size() < 5; // the window fills after five events
      }
    };
    subscribers.add("p", "h", "h:1", stream, () -> new Bitfield(BLOCKS), true, false,
        ended::incrementAndGet);

    IntStream.range(0, 20).forEach(subscribers::broadcastHave);

    assertEquals(5, stream.written.size());
    stream.becomeReady();
    assertEquals(6, stream.written.size(), "one more each time it is ready, until it is not");
  }

  @Test
  void aStreamThatLeavesEventsUnreadTooLongIsEndedOnce() {
    FakeSubscribeStream stream = subscribe("p", "h");
    stream.ready = false;
    subscribers.broadcastHave(1);
    clock.advance(Subscribers.MAX_UNREAD);
    subscribers.broadcastHave(2);
    assertEquals(1, subscribers.size(), "at the limit, not past it");

    clock.advance(Duration.ofSeconds(1));
    subscribers.broadcastHave(3);

    assertEquals(Status.Code.RESOURCE_EXHAUSTED, stream.error.getCode());
    assertTrue(stream.error.getDescription().contains("left unread"), stream.error.toString());
    assertEquals(Map.of("limit", "unread_seconds", "max", "120"),
        assertReason(ErrorReason.OVER_LIMIT, stream.failure).getMetadataMap());
    assertEquals(0, subscribers.size());
    assertEquals(1, ended.get());
    stream.onCancel.run(); // the call then ends
    assertEquals(1, ended.get(), "the end action runs once");
  }

  @Test
  void aStreamThatCatchesUpIsGivenTimeAgain() {
    FakeSubscribeStream stream = subscribe("p", "h");
    stream.ready = false;
    subscribers.broadcastHave(1);
    clock.advance(Subscribers.MAX_UNREAD);
    stream.becomeReady();
    stream.ready = false;
    clock.advance(Duration.ofSeconds(10));

    subscribers.broadcastHave(2);

    assertEquals(1, subscribers.size());
  }

  @Test
  void oneAddressAndOneTorrentTakeABoundedNumberOfStreams() {
    for (int i = 0; i < Subscribers.MAX_PER_ADDRESS; i++) {
      subscribe("p" + i, "10.0.0.1");
    }
    var refused = assertFailsWith(ErrorCode.RESOURCE_EXHAUSTED,
        () -> subscribers.requireRoom("10.0.0.1"));
    assertTrue(refused.getMessage().contains("10.0.0.1 already holds"), refused.getMessage());
    assertEquals(Optional.of(ErrorReason.OVER_LIMIT), refused.reason());
    assertEquals("subscriptions_per_address", refused.metadata().get("limit"));
    subscribers.requireRoom("10.0.0.2");

    for (int i = subscribers.size(); i < Subscribers.MAX_PER_TORRENT; i++) {
      subscribe("q" + i, "10.1." + (i / 250) + "." + (i % 250));
    }
    assertEquals("subscribers_per_torrent", assertFailsWith(ErrorCode.RESOURCE_EXHAUSTED,
        () -> subscribers.requireRoom("10.9.9.9")).metadata().get("limit"));
  }

  @Test
  void peerListsGoOutAsTheExchangeAllowsOneAtATimeToASlowReader() {
    PeerExchange exchange = new PeerExchange("self", clock, learned -> { });
    exchange.fromTracker(List.of(new PeerExchange.Endpoint("a", "10.0.0.1", 6881, true),
        new PeerExchange.Endpoint("p", "10.0.0.2", 6881, false)));
    FakeSubscribeStream stream = subscribe("p", "h");
    stream.written.clear();

    subscribers.exchangePeers(exchange);

    assertEquals(List.of("PEERS"), stream.kinds());
    var list = stream.written.get(0).getPeers();
    assertEquals(1, list.getPeersCount(), "not the subscriber itself");
    assertEquals("a", list.getPeers(0).getPeerId());
    assertEquals("10.0.0.1", list.getPeers(0).getHost());
    assertEquals(6881, list.getPeers(0).getPort());
    assertTrue(list.getPeers(0).getComplete());

    stream.written.clear();
    stream.ready = false;
    exchange.fromTracker(List.of(new PeerExchange.Endpoint("b", "10.0.0.3", 6881, false)));
    clock.advance(PeerExchange.MIN_INTERVAL);
    subscribers.exchangePeers(exchange);
    exchange.fromTracker(List.of(new PeerExchange.Endpoint("c", "10.0.0.4", 6881, false)));
    clock.advance(PeerExchange.MIN_INTERVAL);
    subscribers.exchangePeers(exchange); // the list with b is unsent: c waits in the exchange
    stream.becomeReady();
    assertEquals(List.of("PEERS"), stream.kinds());
    assertEquals("b", stream.written.get(0).getPeers().getPeers(0).getPeerId());

    subscribers.exchangePeers(exchange);
    assertEquals(List.of("PEERS", "PEERS"), stream.kinds());
    assertEquals("c", stream.written.get(1).getPeers().getPeers(0).getPeerId());
  }

  @Test
  void closingEveryStreamRunsEachEndActionOnce() {
    FakeSubscribeStream first = subscribe("a", "h1");
    FakeSubscribeStream second = subscribe("b", "h2");
    first.onCancel.run();

    subscribers.closeAll(Status.NOT_FOUND.withDescription("torrent removed"));

    assertEquals(2, ended.get());
    assertEquals(Status.Code.NOT_FOUND, second.error.getCode());
    assertEquals(0, subscribers.size());
  }

  /** Sends that come when the test moves the clock. */
  private final class ManualTimer implements HaveWindow.Timer {
    private record Due(Instant at, Runnable task) {}

    private final List<Due> due = new ArrayList<>();

    @Override
    public void after(Duration delay, Runnable task) {
      due.add(new Due(clock.instant().plus(delay), task));
    }

    int pending() {
      return due.size();
    }

    void advance(Duration duration) {
      clock.advance(duration);
      List<Due> now = due.stream().filter(d -> !d.at().isAfter(clock.instant())).toList();
      due.removeAll(now);
      now.forEach(d -> d.task().run());
    }
  }
}
