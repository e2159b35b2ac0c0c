package io.minibit.tracker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.minibit.core.Bitfield;
import io.minibit.core.ErrorCode;
import io.minibit.core.InfoHash;
import io.minibit.core.MinibitException;
import io.minibit.tracker.SwarmStore.Announce;
import io.minibit.tracker.SwarmStore.Event;
import io.minibit.tracker.SwarmStore.Peer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PeerEntriesTest {
  private static final InfoHash TORRENT = InfoHash.of(new byte[32]);
  private static final Instant SEEN = Instant.parse("2026-12-05T00:00:00Z");

  private static Announce announce(String host, Bitfield have) {
    return new Announce(TORRENT, "peer-1", host, 6881, Event.NONE, 3, false, 1_000_000L,
        2_000_000L, "token", 50, have, 1234.5, false, "");
  }

  @Test
  void anEntryGivesBackWhatThePeerAnnounced() {
    Bitfield have = new Bitfield(10);
    have.set(0);
    have.set(9);
    Peer peer = PeerEntries.decode("peer-1",
        PeerEntries.encode(announce("10.0.0.7", have)), SEEN, TORRENT);

    assertEquals(new Peer("peer-1", "10.0.0.7", 6881, false, 3, 1_000_000L, 2_000_000L, SEEN,
        have, 1234.5), peer);
  }

  @Test
  void anEntryWithoutABitfieldOrWithAHostBeyondAsciiReadsBackToo() {
    Peer ascii = PeerEntries.decode("peer-1",
        PeerEntries.encode(announce("[fe80::1%eth0]", null)), SEEN, TORRENT);
    assertEquals("[fe80::1%eth0]", ascii.host());
    assertNull(ascii.have());

    Peer other = PeerEntries.decode("peer-1",
        PeerEntries.encode(announce("h\u00f6st.example", null)), SEEN, TORRENT);
    assertEquals("h\u00f6st.example", other.host());
    assertEquals(6881, other.port());
  }

  @Test
  void aDrawForAnAnswerKeepsAllButTheBitfieldAndStillChecksIt() {
    Bitfield have = new Bitfield(4096);
    have.set(17);
    byte[] entry = PeerEntries.encode(announce("10.0.0.7", have));
    List<Peer> drawn = PeerEntries.decode(
        List.of(Map.entry("peer-1".getBytes(StandardCharsets.UTF_8), entry)), TORRENT);
    assertEquals(1, drawn.size());
    Peer peer = drawn.get(0);
    assertEquals(List.of("peer-1", "10.0.0.7", 6881, false, 3, 1_000_000L, 2_000_000L, 1234.5),
        List.of(peer.peerId(), peer.host(), peer.port(), peer.complete(), peer.haveCount(),
            peer.uploaded(), peer.downloaded(), peer.downloadRate()));
    assertNull(peer.have(), "an answer carries no bitfield");

    byte[] cut = Arrays.copyOf(entry, entry.length - 1);
    MinibitException e = assertThrows(MinibitException.class, () -> PeerEntries.decode(
        List.of(Map.entry("peer-1".getBytes(StandardCharsets.UTF_8), cut)), TORRENT));
    assertEquals(ErrorCode.INTERNAL, e.code());
  }

  @Test
  void bytesNoTrackerWroteAreAnInternalError() {
    byte[] entry = PeerEntries.encode(announce("10.0.0.7", null));
    // the bitfield's block count last: one that the bytes after it cannot hold
    byte[] hugeBitfield = entry.clone();
    java.nio.ByteBuffer.wrap(hugeBitfield).putInt(entry.length - 4, Integer.MAX_VALUE);
    for (byte[] bad : new byte[][] {Arrays.copyOf(entry, 5), Arrays.copyOf(entry,
        entry.length - 1), hugeBitfield, {9}, {}}) {
      MinibitException e = assertThrows(MinibitException.class,
          () -> PeerEntries.decode("peer-1", bad, SEEN, TORRENT));
      assertEquals(ErrorCode.INTERNAL, e.code());
      assertTrue(e.getMessage().contains("not one a tracker wrote"), e.getMessage());
    }
    assertArrayEquals(entry, PeerEntries.encode(announce("10.0.0.7", null)));
  }
}
