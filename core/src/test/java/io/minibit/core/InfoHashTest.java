package io.minibit.core;

import static io.minibit.core.testing.MinibitAssertions.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class InfoHashTest {
  private static final String HEX =
      "74fced0db6cb5dbda4c46895052522227bd9050a6bd2ccca5cf8b4d228b7d21b";

  @Test
  void parsesAndPrintsLowercaseHex() {
    InfoHash hash = InfoHash.parse(HEX);

    assertEquals(HEX, hash.hex());
    assertEquals(HEX, hash.toString());
    assertEquals("74fced0d", hash.shortHex());
    assertEquals((byte) 0x74, hash.toBytes()[0]);
    assertEquals(InfoHash.LENGTH, hash.toBytes().length);
  }

  @Test
  void parseAcceptsUppercaseAndPrintsLowercase() {
    assertEquals(InfoHash.parse(HEX), InfoHash.parse(HEX.toUpperCase()));
    assertEquals(HEX, InfoHash.parse(HEX.toUpperCase()).hex());
    assertEquals(HEX, InfoHash.of(InfoHash.parse(HEX).toBytes()).hex());
  }

  @Test
  void parseRefusesAnythingButSixtyFourHexCharacters() {
    for (String bad : new String[] {null, "", HEX.substring(1), HEX + "0",
        "g" + HEX.substring(1), HEX.substring(2) + "\n\0"}) {
      assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> InfoHash.parse(bad));
    }
  }

  @Test
  void ofRefusesOtherLengths() {
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> InfoHash.of(new byte[31]));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> InfoHash.of(new byte[33]));
  }

  @Test
  void isImmutable() {
    byte[] bytes = new byte[32];
    InfoHash hash = InfoHash.of(bytes);

    bytes[0] = 1;
    hash.toBytes()[1] = 1;

    assertArrayEquals(new byte[32], hash.toBytes());
  }

  @Test
  void equalityFollowsTheBytes() {
    assertEquals(InfoHash.parse(HEX), InfoHash.of(InfoHash.parse(HEX).toBytes()));
    assertEquals(InfoHash.parse(HEX).hashCode(), InfoHash.parse(HEX.toUpperCase()).hashCode());
    assertNotEquals(InfoHash.parse(HEX), InfoHash.of(new byte[32]));
  }

  @Test
  void ordersBytesAsUnsigned() {
    byte[] high = new byte[32];
    high[0] = (byte) 0x80;
    byte[] low = new byte[32];
    low[0] = 0x7f;

    assertTrue(InfoHash.of(high).compareTo(InfoHash.of(low)) > 0);
  }

  @Test
  void looksLikeHexTellsAnInfoHashFromAName() {
    assertTrue(InfoHash.looksLikeHex(HEX));
    assertTrue(InfoHash.looksLikeHex(HEX.toUpperCase()));
    assertFalse(InfoHash.looksLikeHex("ubuntu.iso"));
    assertFalse(InfoHash.looksLikeHex(HEX.substring(2)));
    assertFalse(InfoHash.looksLikeHex("z" + HEX.substring(1)));
    assertFalse(InfoHash.looksLikeHex(null));
  }
}
