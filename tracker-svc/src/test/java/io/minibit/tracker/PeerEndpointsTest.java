package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.api.v2.PeerEndpoint;
import io.minibit.tracker.SwarmStore.Peer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Peers' wire form, made once per record and never stale. */
class PeerEndpointsTest {
  private final PeerEndpoints endpoints = new PeerEndpoints();

  private static Peer peer(String id, String host, int port, boolean complete) {
    return new Peer(id, host, port, complete, 0, 0, 0, Instant.EPOCH, null, 0);
  }

  @Test
  void aRecordHandedOutAgainKeepsItsEndpoint() {
    Peer peer = peer("peer-1", "10.0.0.7", 6881, false);
    PeerEndpoint endpoint = endpoints.of(peer);
    assertEquals(PeerEndpoint.newBuilder().setPeerId("peer-1").setHost("10.0.0.7").setPort(6881)
        .setComplete(false).build(), endpoint);
    assertSame(endpoint, endpoints.of(peer));
  }

  @Test
  void aNewerRecordOfTheSamePeerIsNeverAnsweredWithTheOldOne() {
    Peer leeching = peer("peer-1", "10.0.0.7", 6881, false);
    assertFalse(endpoints.of(leeching).getComplete());
    Peer seeding = peer("peer-1", "10.0.0.8", 6882, true);
    PeerEndpoint now = endpoints.of(seeding);
    assertTrue(now.getComplete());
    assertEquals("10.0.0.8", now.getHost());
    assertEquals(6882, now.getPort());
    // an equal record is still another record: made for itself
    assertEquals(endpoints.of(seeding), endpoints.of(peer("peer-1", "10.0.0.8", 6882, true)));
  }

  @Test
  void manyMoreRecordsThanSlotsAreEachAnsweredRight() {
    List<Peer> peers = new ArrayList<>();
    for (int i = 0; i < 50_000; i++) {
      peers.add(peer("peer-" + i, "10.1." + (i >> 8 & 255) + "." + (i & 255), i % 60_000, false));
    }
    for (int round = 0; round < 2; round++) {
      for (Peer peer : peers) {
        PeerEndpoint endpoint = endpoints.of(peer);
        assertEquals(peer.peerId(), endpoint.getPeerId());
        assertEquals(peer.host(), endpoint.getHost());
        assertEquals(peer.port(), endpoint.getPort());
      }
    }
  }
}
