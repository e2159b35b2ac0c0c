package io.minibit.core;

import static io.minibit.core.testing.MinibitAssertions.assertFailsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BitfieldTest {
  private static byte[] bytes(int... values) {
    byte[] bytes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = (byte) values[i];
    }
    return bytes;
  }

  private static Bitfield withBits(int size, int... indices) {
    Bitfield bitfield = new Bitfield(size);
    for (int index : indices) {
      bitfield.set(index);
    }
    return bitfield;
  }

  @Test
  void bitZeroIsTheMostSignificantBitOfTheFirstByte() {
    assertArrayEquals(bytes(0x80, 0x00), withBits(10, 0).toBytes());
    assertArrayEquals(bytes(0x01, 0x00), withBits(10, 7).toBytes());
    assertArrayEquals(bytes(0x00, 0x80), withBits(10, 8).toBytes());
    assertArrayEquals(bytes(0x00, 0x40), withBits(10, 9).toBytes());
  }

  @Test
  void fromBytesReadsMostSignificantBitFirst() {
    Bitfield bitfield = Bitfield.fromBytes(16, bytes(0x81, 0x40));

    assertEquals(List.of(0, 7, 9), bitfield.setBits().boxed().toList());
  }

  @Test
  void fromBytesRefusesASpareBit() {
    // 10 blocks use bits 0..9: bits 10..15 of the second byte must be zero
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> Bitfield.fromBytes(10, bytes(0, 0x20)));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> Bitfield.fromBytes(10, bytes(0, 0x01)));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> Bitfield.fromBytes(1, bytes(0xc0)));
  }

  @Test
  void fromBytesRefusesTheWrongLength() {
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> Bitfield.fromBytes(10, bytes(0)));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> Bitfield.fromBytes(10, bytes(0, 0, 0)));
    assertFailsWith(ErrorCode.INVALID_ARGUMENT, () -> Bitfield.fromBytes(8, new byte[0]));
    assertEquals(new Bitfield(0), Bitfield.fromBytes(0, new byte[0]));
  }

  @Test
  void wireFormRoundTrips() {
    Random random = new Random(7);
    for (int size : new int[] {0, 1, 7, 8, 9, 63, 64, 65, 1000}) {
      Bitfield bitfield = new Bitfield(size);
      for (int i = 0; i < size; i++) {
        if (random.nextBoolean()) {
          bitfield.set(i);
        }
      }

      byte[] wire = bitfield.toBytes();

      assertEquals(Bitfield.byteLength(size), wire.length);
      assertEquals(bitfield, Bitfield.fromBytes(size, wire));
    }
  }

  @Test
  void byteAtAgreesWithToBytes() {
    Random random = new Random(11);
    Bitfield bitfield = new Bitfield(77);
    for (int i = 0; i < 77; i++) {
      if (random.nextInt(3) == 0) {
        bitfield.set(i);
      }
    }
    byte[] wire = bitfield.toBytes();

    for (int i = 0; i < wire.length; i++) {
      assertEquals(wire[i], bitfield.byteAt(i), "byte " + i);
    }
    assertEquals(0, Bitfield.full(77).byteAt(9) & 0x07, "bits 77..79 are spare");
  }

  @Test
  void fullSetsEveryBitAndNoSpareOne() {
    Bitfield full = Bitfield.full(10);

    assertEquals(10, full.cardinality());
    assertTrue(full.isComplete());
    assertArrayEquals(bytes(0xff, 0xc0), full.toBytes());
    assertEquals((byte) 0xc0, full.byteAt(1));
    assertTrue(Bitfield.full(0).isComplete());
    assertFalse(withBits(10, 0, 1, 2, 3, 4, 5, 6, 7, 8).isComplete());
  }

  @Test
  void nextClearBitFindsTheFirstGapOrTheSize() {
    Bitfield bitfield = withBits(10, 0, 1, 2, 4);

    assertEquals(3, bitfield.nextClearBit(0));
    assertEquals(5, bitfield.nextClearBit(4));
    assertEquals(10, Bitfield.full(10).nextClearBit(0));
    assertEquals(10, bitfield.nextClearBit(10));
    assertEquals(10, withBits(10, 9).nextClearBit(9));
  }

  @Test
  void nextSetBitFindsTheNextHeldBlockOrTheSize() {
    Bitfield bitfield = withBits(10, 2, 3, 9);

    assertEquals(2, bitfield.nextSetBit(0));
    assertEquals(3, bitfield.nextSetBit(3));
    assertEquals(9, bitfield.nextSetBit(4));
    assertEquals(10, bitfield.nextSetBit(10));
    assertEquals(10, new Bitfield(10).nextSetBit(0));
  }

  @Test
  void setAndClearAreBoundsChecked() {
    Bitfield bitfield = new Bitfield(10);

    bitfield.set(9);
    bitfield.clear(9);

    assertFalse(bitfield.get(9));
    assertThrows(IndexOutOfBoundsException.class, () -> bitfield.set(10));
    assertThrows(IndexOutOfBoundsException.class, () -> bitfield.get(-1));
    assertThrows(IllegalArgumentException.class, () -> new Bitfield(-1));
  }

  @Test
  void copyIsIndependent() {
    Bitfield original = withBits(10, 3);
    Bitfield copy = original.copy();

    copy.set(4);

    assertEquals(List.of(3), original.setBits().boxed().toList());
    assertEquals(withBits(10, 3, 4), copy);
    assertEquals("2/10", copy.toString());
  }
}
