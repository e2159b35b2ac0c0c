package io.minibit.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class HashingTest {
  private static final byte[] ABC = "abc".getBytes(StandardCharsets.US_ASCII);

  @Test
  void digestsMatchTheirPublishedVectors() {
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        HexFormat.of().formatHex(Hashing.sha256(ABC)));
    assertEquals("900150983cd24fb0d6963f7d28e17f72",
        HexFormat.of().formatHex(Hashing.newMd5().digest(ABC)));
  }

  @Test
  void sha256OfARangeHashesOnlyThatRange() {
    byte[] data = "xxabcyy".getBytes(StandardCharsets.US_ASCII);

    assertArrayEquals(Hashing.sha256(ABC), Hashing.sha256(data, 2, 3));
    assertArrayEquals(Hashing.sha256(Arrays.copyOf(data, 0)), Hashing.sha256(data, 7, 0));
  }

  @Test
  void everyCallGetsAFreshDigest() {
    Hashing.newSha256().update(ABC);

    assertArrayEquals(Hashing.sha256(ABC), Hashing.newSha256().digest(ABC));
  }
}
