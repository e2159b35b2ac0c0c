package io.minibit.core;

import static io.minibit.core.testing.MinibitAssertions.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ValidationTest {
  @Test
  void fileNameIsReturnedWhenValid() {
    assertEquals("ubuntu-24.04.iso", Validation.requireFileName("name", "ubuntu-24.04.iso"));
    assertEquals("..hidden", Validation.requireFileName("name", "..hidden"));
    assertEquals("résumé 文件", Validation.requireFileName("name", "résumé 文件"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", "a/b", "/", "a\\b", "a\0b", "tab\t", "\u0085x"})
  void badFileNameIsRefusedNamingTheField(String name) {
    MinibitException e = assertFailsWith(ErrorCode.INVALID_ARGUMENT,
        () -> Validation.requireFileName("dest name", name));

    assertTrue(e.getMessage().startsWith("dest name"), e.getMessage());
  }

  @Test
  void fileNameLimitIsCountedInUtf8Bytes() {
    Validation.requireFileName("name", "x".repeat(255));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT,
        () -> Validation.requireFileName("name", "x".repeat(256)));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT,
        () -> Validation.requireFileName("name", "文".repeat(86))); // 258 bytes, 86 chars
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> Validation.requireFileName("name", null));
  }

  @Test
  void torrentNamesLeaveRoomForThePartFileSuffixesAndNeverLookLikeAPartFile() {
    assertEquals("x.partial", Validation.requireTorrentName("name", "x.partial"));
    Validation.requireTorrentName("name", "x".repeat(224));
    // the longest part file of a torrent: name, a dot, 16 hex digits, ".part.bitfield"
    assertEquals(255, 224 + 1 + 16 + ".part.bitfield".length());
    for (String bad : new String[] {"x".repeat(225), "x.part", "x.part.bitfield",
        "x.0123456789abcdef.part", ".part"}) {
      var e = assertFailsWith(ErrorCode.INVALID_ARGUMENT,
          () -> Validation.requireTorrentName("name", bad));
      assertTrue(e.getMessage().startsWith("name "), e.getMessage());
    }
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> Validation.requireTorrentName("name", "a/b"));
  }

  @Test
  void peerIdIsOneTo64SafeCharacters() {
    assertEquals("peer-1.a_B", Validation.requirePeerId("peer_id", "peer-1.a_B"));
    Validation.requirePeerId("peer_id", "p".repeat(64));
    for (String bad : new String[] {null, "", "p".repeat(65), "a b", "a/b", "é"}) {
      MinibitException e = assertFailsWith(ErrorCode.INVALID_ARGUMENT,
          () -> Validation.requirePeerId("peer_id", bad));
      assertTrue(e.getMessage().contains("peer_id"), e.getMessage());
    }
  }

  @Test
  void hostIsANameOrAnIpLiteral() {
    for (String good : new String[] {"10.0.0.7", "tracker.example.org", "::1", "[fe80::1%eth0]"}) {
      assertEquals(good, Validation.requireHost("host", good));
    }
    for (String bad : new String[] {null, "", "a b", "a/b", "h".repeat(254), "x\0"}) {
      MinibitException e = assertFailsWith(ErrorCode.INVALID_ARGUMENT,
          () -> Validation.requireHost("host", bad));
      assertTrue(e.getMessage().contains("host"), e.getMessage());
    }
  }

  @Test
  void portIsOneTo65535() {
    assertEquals(1, Validation.requirePort("port", 1));
    assertEquals(65535, Validation.requirePort("port", 65535));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> Validation.requirePort("port", 0));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> Validation.requirePort("port", 65536));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT,
        () -> Validation.requirePort("port", 1L << 32 | 80));
  }

  @Test
  void everyBadPortIsWordedTheSameWay() {
    assertEquals("port 0 is not a port: give 1..65535",
        assertThrows(MinibitException.class, () -> Validation.requirePort("port", 0))
            .getMessage());
    assertEquals("--port 70000 is not a port: give 1..65535 or 0 for a free one",
        assertThrows(IllegalArgumentException.class,
            () -> Validation.requireListenPort("--port", 70000, null)).getMessage());
    assertEquals("--http-port -2 is not a port: give 1..65535, 0 for a free one, or -1 to turn "
        + "HTTP off", assertThrows(IllegalArgumentException.class,
            () -> Validation.requireListenPort("--http-port", -2, "to turn HTTP off"))
            .getMessage());
    assertEquals(-1, Validation.requireListenPort("--http-port", -1, "to turn HTTP off"));
    assertEquals(0, Validation.requireListenPort("--port", 0, null));
  }

  @Test
  void printableMasksControlCharactersAndShortens() {
    assertEquals("a?b?", Validation.printable("a\nb\0"));
    assertEquals("", Validation.printable(null));
    assertEquals("x".repeat(80) + "...", Validation.printable("x".repeat(81)));
    assertEquals("x".repeat(80), Validation.printable("x".repeat(80)));
  }
}
