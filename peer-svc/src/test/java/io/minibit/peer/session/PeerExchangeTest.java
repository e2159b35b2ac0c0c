package io.minibit.peer.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.testing.MutableClock;
import io.minibit.peer.session.PeerExchange.Endpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PeerExchangeTest {
  private static final String SELF = "self";

  private final MutableClock clock = new MutableClock();
  private final AtomicLong counted = new AtomicLong();
  private final PeerExchange exchange = new PeerExchange(SELF, clock, counted::addAndGet);

  private static Endpoint peer(String id) {
    return new Endpoint(id, "10.0.0." + Math.abs(id.hashCode() % 250 + 1), 6881, false);
  }

  private static List<Endpoint> peers(String prefix, int count) {
    return IntStream.range(0, count).mapToObj(i -> peer(prefix + i)).toList();
  }

  private static List<String> ids(List<Endpoint> peers) {
    return peers.stream().map(Endpoint::peerId).toList();
  }

  @Test
  void badEntriesAndThisPeerAreDroppedTheRestAreLearnedOnce() {
    List<Endpoint> named = List.of(
        peer("good"),
        new Endpoint("bad id!", "10.0.0.1", 6881, false),
        new Endpoint("", "10.0.0.1", 6881, false),
        new Endpoint("x".repeat(65), "10.0.0.1", 6881, false),
        new Endpoint("badhost", "not a host", 6881, false),
        new Endpoint("nohost", "", 6881, false),
        new Endpoint("port0", "10.0.0.1", 0, false),
        new Endpoint("bigport", "10.0.0.1", 65536, false),
        new Endpoint("unsigned", "10.0.0.1", -1, false), // a uint32 past 2^31 as Java reads it
        new Endpoint(SELF, "10.0.0.9", 6881, false),
        peer("good"));

    List<Endpoint> fresh = exchange.fromPeer("source", named);

    assertEquals(List.of("good"), ids(fresh));
    assertEquals(List.of("good"), ids(exchange.known()));
    assertEquals(1, exchange.learned());
    assertEquals(1, counted.get(), "the metric counts what was learned");
  }

  @Test
  void aKnownPeerIdKeepsTheAddressItWasFirstLearnedWith() {
    exchange.fromTracker(List.of(new Endpoint("p", "10.0.0.1", 7000, true)));

    List<Endpoint> fresh = exchange.fromPeer("liar",
        List.of(new Endpoint("p", "10.6.6.6", 1, false)));

    assertEquals(List.of(), fresh);
    assertEquals(List.of(new Endpoint("p", "10.0.0.1", 7000, true)), exchange.known());
    assertEquals(0, exchange.learned(), "the tracker's peers are not counted as exchanged");
  }

  @Test
  void theTrackerMayMoveAKnownPeer() {
    exchange.fromPeer("source", List.of(new Endpoint("p", "10.0.0.1", 7000, false)));

    List<Endpoint> fresh = exchange.fromTracker(List.of(new Endpoint("p", "10.0.0.2", 7001, false),
        new Endpoint("p", "10.0.0.2", 7001, true)));

    assertEquals(List.of(new Endpoint("p", "10.0.0.2", 7001, false)), fresh);
    assertEquals(fresh, exchange.known());
  }

  @Test
  void aReceivedListIsReadUpToTheMessageBound() {
    List<Endpoint> fresh = exchange.fromPeer("source", peers("p", 500));

    assertEquals(PeerExchange.MAX_PER_MESSAGE, fresh.size());
    assertEquals(PeerExchange.MAX_PER_MESSAGE, exchange.size());
  }

  @Test
  void oneSourceIsHeardAtMostOncePerGap() {
    assertEquals(1, exchange.fromPeer("source", List.of(peer("a"))).size());
    assertEquals(List.of(), exchange.fromPeer("source", List.of(peer("b"))), "too soon");
    assertEquals(1, exchange.fromPeer("other", List.of(peer("c"))).size(), "another source");

    clock.advance(PeerExchange.MIN_RECEIVE_GAP);

    assertEquals(List.of("b"), ids(exchange.fromPeer("source", List.of(peer("b")))));
  }

  @Test
  void theBookAndTheSourcesRememberedAreBounded() {
    for (int i = 0; i < 3 * PeerExchange.MAX_SOURCES; i++) {
      exchange.fromPeer("source" + i, List.of(peer("p" + i)));
    }

    assertEquals(PeerExchange.MAX_KNOWN, exchange.size());
    assertEquals(PeerExchange.MAX_SOURCES, exchange.sources());
    List<String> known = ids(exchange.known());
    assertEquals("p" + (3 * PeerExchange.MAX_SOURCES - PeerExchange.MAX_KNOWN), known.get(0),
        "the oldest learned went first");
    assertEquals("p" + (3 * PeerExchange.MAX_SOURCES - 1), known.get(known.size() - 1));
  }

  @Test
  void aSubscriberFirstGetsTheNewestPeersKnownWithoutItself() {
    exchange.fromTracker(peers("p", 80));
    exchange.fromTracker(List.of(peer("sub")));
    PeerExchange.Cursor cursor = exchange.subscribed("sub");

    List<Endpoint> first = exchange.due(cursor);

    assertEquals(PeerExchange.MAX_PER_MESSAGE, first.size());
    assertFalse(ids(first).contains("sub"), "never the subscriber itself");
    assertEquals(ids(peers("p", 80).subList(30, 80)), ids(first), "the newest, in order");
    clock.advance(PeerExchange.MIN_INTERVAL);
    assertEquals(List.of(), exchange.due(cursor), "the older ones are not sent later");
  }

  @Test
  void deltasAreCoalescedAndNothingIsSentWhenNothingChanged() {
    exchange.fromTracker(List.of(peer("a")));
    PeerExchange.Cursor cursor = exchange.subscribed("sub");
    assertEquals(List.of("a"), ids(exchange.due(cursor)));

    exchange.fromTracker(List.of(peer("b")));
    clock.advance(PeerExchange.MIN_INTERVAL.minusMillis(1));
    exchange.fromTracker(List.of(peer("c")));
    assertEquals(List.of(), exchange.due(cursor), "too soon after the first list");

    clock.advance(Duration.ofMillis(1));
    assertEquals(List.of("b", "c"), ids(exchange.due(cursor)), "one list for both");

    clock.advance(PeerExchange.MIN_INTERVAL.multipliedBy(5));
    assertEquals(List.of(), exchange.due(cursor), "nothing new, nothing sent");

    exchange.fromTracker(List.of(peer("d")));
    assertEquals(List.of("d"), ids(exchange.due(cursor)),
        "a quiet spell does not hold the next news back");
  }

  @Test
  void aLongDeltaGoesOutInBoundedListsOnePerInterval() {
    PeerExchange.Cursor cursor = exchange.subscribed("sub");
    assertEquals(List.of(), exchange.due(cursor), "nothing known yet");
    List<Endpoint> all = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      all.addAll(peers("batch" + i + "-", PeerExchange.MAX_PER_MESSAGE));
      exchange.fromTracker(all.subList(all.size() - PeerExchange.MAX_PER_MESSAGE, all.size()));
    }

    List<Endpoint> sent = new ArrayList<>(exchange.due(cursor));
    assertEquals(PeerExchange.MAX_PER_MESSAGE, sent.size());
    assertEquals(List.of(), exchange.due(cursor));
    clock.advance(PeerExchange.MIN_INTERVAL);
    sent.addAll(exchange.due(cursor));
    clock.advance(PeerExchange.MIN_INTERVAL);
    sent.addAll(exchange.due(cursor));

    assertEquals(ids(all), ids(sent), "each peer once, in the order learned");
  }

  @Test
  void aForgottenPeerIsNamedToNobodyUntilLearnedAgain() {
    exchange.fromTracker(List.of(peer("gone"), peer("kept")));
    exchange.forget("gone");

    assertEquals(List.of("kept"), ids(exchange.due(exchange.subscribed("sub"))));
    assertEquals(List.of("gone"), ids(exchange.fromPeer("source", List.of(peer("gone")))));
  }

  @Test
  void learnedPeersAreForwardedToOtherSubscribersButNotBackToTheirSource() {
    PeerExchange.Cursor source = exchange.subscribed("neighbour");
    PeerExchange.Cursor other = exchange.subscribed("other");
    exchange.due(source);
    exchange.due(other);

    exchange.fromPeer("neighbour", List.of(peer("far"), peer("other")));

    assertEquals(List.of("far"), ids(exchange.due(other)), "gossip, without the subscriber");
    assertEquals(List.of(), exchange.due(source), "not echoed to the peer that named it");
    assertTrue(exchange.known().contains(peer("other")));
  }
}
