package io.minibit.core;

import java.util.BitSet;
import java.util.stream.IntStream;

/**
 * Which blocks of a torrent are held: one bit per block. On the wire and on disk bit i is
 * {@code (bytes[i / 8] >> (7 - i % 8)) & 1}, most significant bit first, spare bits zero.
 *
 * <p>Not thread-safe: its owner guards it, or hands out {@link #copy() copies}.
 */
public final class Bitfield {
  private final int size;
  private final BitSet bits;

  public Bitfield(int size) {
    if (size < 0) {
      throw new IllegalArgumentException("size " + size + " < 0");
    }
    this.size = size;
    this.bits = new BitSet(size);
  }

  private Bitfield(int size, BitSet bits) {
    this.size = size;
    this.bits = bits;
  }

  /** A bitfield with every one of {@code size} bits set. */
  public static Bitfield full(int size) {
    Bitfield bitfield = new Bitfield(size);
    bitfield.bits.set(0, size);
    return bitfield;
  }

  /** Decodes the wire form; INVALID_ARGUMENT if the length is wrong or a spare bit is set. */
  public static Bitfield fromBytes(int size, byte[] bytes) {
    if (bytes.length != byteLength(size)) {
      throw MinibitException.invalid("a bitfield of %d blocks is %d bytes, not %d", size,
          byteLength(size), bytes.length);
    }
    Bitfield bitfield = new Bitfield(size);
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      for (int bit = 0; bit < 8 && b != 0; bit++) {
        if ((b & (0x80 >>> bit)) != 0) {
          int index = i * 8 + bit;
          if (index >= size) {
            throw MinibitException.invalid("bitfield sets bit %d past its %d blocks", index, size);
          }
          bitfield.bits.set(index);
        }
      }
    }
    return bitfield;
  }

  public static int byteLength(int size) {
    return (size + 7) / 8;
  }

  public int size() {
    return size;
  }

  public boolean get(int index) {
    checkIndex(index);
    return bits.get(index);
  }

  public void set(int index) {
    checkIndex(index);
    bits.set(index);
  }

  public void clear(int index) {
    checkIndex(index);
    bits.clear(index);
  }

  public int cardinality() {
    return bits.cardinality();
  }

  public boolean isComplete() {
    return bits.cardinality() == size;
  }

  /** Index of the first clear bit at or after {@code from}, or {@link #size()} if none. */
  public int nextClearBit(int from) {
    return Math.min(bits.nextClearBit(from), size);
  }

  /** Index of the first set bit at or after {@code from}, or {@link #size()} if none. */
  public int nextSetBit(int from) {
    int next = bits.nextSetBit(from);
    return next < 0 ? size : next;
  }

  public IntStream setBits() {
    return bits.stream();
  }

  /** The wire form of bitfields in the protos (peer.proto's Bitfield). */
  public io.minibit.api.v2.Bitfield toProto() {
    return io.minibit.api.v2.Bitfield.newBuilder()
        .setBlockCount(size())
        .setBits(com.google.protobuf.ByteString.copyFrom(toBytes()))
        .build();
  }

  public Bitfield copy() {
    return new Bitfield(size, (BitSet) bits.clone());
  }

  /** The byte of the wire form that holds bit {@code index}. */
  public byte byteAt(int byteIndex) {
    int b = 0;
    for (int bit = 0; bit < 8; bit++) {
      int index = byteIndex * 8 + bit;
      if (index < size && bits.get(index)) {
        b |= 0x80 >>> bit;
      }
    }
    return (byte) b;
  }

  public byte[] toBytes() {
    byte[] bytes = new byte[byteLength(size)];
    for (int index = bits.nextSetBit(0); index >= 0; index = bits.nextSetBit(index + 1)) {
      bytes[index / 8] |= (byte) (0x80 >>> (index % 8));
    }
    return bytes;
  }

  private void checkIndex(int index) {
    if (index < 0 || index >= size) {
      throw new IndexOutOfBoundsException("bit " + index + " of " + size);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bitfield other && size == other.size && bits.equals(other.bits);
  }

  @Override
  public int hashCode() {
    return 31 * size + bits.hashCode();
  }

  @Override
  public String toString() {
    return cardinality() + "/" + size;
  }
}
