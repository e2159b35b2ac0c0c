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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SubscribersTest {
  private static final int BLOCKS = 100;

  private final MutableClock clock = new MutableClock();
  private final Subscribers subscribers = new Subscribers(clock, BLOCKS);
  private final AtomicInteger ended = new AtomicInteger();

  private FakeSubscribeStream subscribe(String peerId, String host) {
    FakeSubscribeStream stream = new FakeSubscribeStream();
    subscribers.requireRoom(host);
    subscribers.add(peerId, host, host + ":1", stream, () -> new Bitfield(BLOCKS), false,
        ended::incrementAndGet);
    return stream;
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
    subscribers.add("p", "h", "h:1", stream, () -> new Bitfield(BLOCKS), true,
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
}
