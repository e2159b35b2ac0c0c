package io.minibit.cli.http2;

import io.minibit.cli.http2.Hpack.HpackException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * The static Huffman code of RFC 7541 Appendix B and a decoder for strings coded with it. Stateless
 * and thread-safe.
 */
final class Huffman {
  /** The end-of-string symbol: only ever a prefix of it may appear, as padding. */
  static final int EOS = 256;

  // Appendix B, indexed by symbol (0..255, then EOS): the code, right-aligned, and its length.
  private static final int[] CODES = {
    0x00001ff8, 0x007fffd8, 0x0fffffe2, 0x0fffffe3, 0x0fffffe4, 0x0fffffe5,
    0x0fffffe6, 0x0fffffe7, 0x0fffffe8, 0x00ffffea, 0x3ffffffc, 0x0fffffe9,
    0x0fffffea, 0x3ffffffd, 0x0fffffeb, 0x0fffffec, 0x0fffffed, 0x0fffffee,
    0x0fffffef, 0x0ffffff0, 0x0ffffff1, 0x0ffffff2, 0x3ffffffe, 0x0ffffff3,
    0x0ffffff4, 0x0ffffff5, 0x0ffffff6, 0x0ffffff7, 0x0ffffff8, 0x0ffffff9,
    0x0ffffffa, 0x0ffffffb, 0x00000014, 0x000003f8, 0x000003f9, 0x00000ffa,
    0x00001ff9, 0x00000015, 0x000000f8, 0x000007fa, 0x000003fa, 0x000003fb,
    0x000000f9, 0x000007fb, 0x000000fa, 0x00000016, 0x00000017, 0x00000018,
    0x00000000, 0x00000001, 0x00000002, 0x00000019, 0x0000001a, 0x0000001b,
    0x0000001c, 0x0000001d, 0x0000001e, 0x0000001f, 0x0000005c, 0x000000fb,
    0x00007ffc, 0x00000020, 0x00000ffb, 0x000003fc, 0x00001ffa, 0x00000021,
    0x0000005d, 0x0000005e, 0x0000005f, 0x00000060, 0x00000061, 0x00000062,
    0x00000063, 0x00000064, 0x00000065, 0x00000066, 0x00000067, 0x00000068,
    0x00000069, 0x0000006a, 0x0000006b, 0x0000006c, 0x0000006d, 0x0000006e,
    0x0000006f, 0x00000070, 0x00000071, 0x00000072, 0x000000fc, 0x00000073,
    0x000000fd, 0x00001ffb, 0x0007fff0, 0x00001ffc, 0x00003ffc, 0x00000022,
    0x00007ffd, 0x00000003, 0x00000023, 0x00000004, 0x00000024, 0x00000005,
    0x00000025, 0x00000026, 0x00000027, 0x00000006, 0x00000074, 0x00000075,
    0x00000028, 0x00000029, 0x0000002a, 0x00000007, 0x0000002b, 0x00000076,
    0x0000002c, 0x00000008, 0x00000009, 0x0000002d, 0x00000077, 0x00000078,
    0x00000079, 0x0000007a, 0x0000007b, 0x00007ffe, 0x000007fc, 0x00003ffd,
    0x00001ffd, 0x0ffffffc, 0x000fffe6, 0x003fffd2, 0x000fffe7, 0x000fffe8,
    0x003fffd3, 0x003fffd4, 0x003fffd5, 0x007fffd9, 0x003fffd6, 0x007fffda,
    0x007fffdb, 0x007fffdc, 0x007fffdd, 0x007fffde, 0x00ffffeb, 0x007fffdf,
    0x00ffffec, 0x00ffffed, 0x003fffd7, 0x007fffe0, 0x00ffffee, 0x007fffe1,
    0x007fffe2, 0x007fffe3, 0x007fffe4, 0x001fffdc, 0x003fffd8, 0x007fffe5,
    0x003fffd9, 0x007fffe6, 0x007fffe7, 0x00ffffef, 0x003fffda, 0x001fffdd,
    0x000fffe9, 0x003fffdb, 0x003fffdc, 0x007fffe8, 0x007fffe9, 0x001fffde,
    0x007fffea, 0x003fffdd, 0x003fffde, 0x00fffff0, 0x001fffdf, 0x003fffdf,
    0x007fffeb, 0x007fffec, 0x001fffe0, 0x001fffe1, 0x003fffe0, 0x001fffe2,
    0x007fffed, 0x003fffe1, 0x007fffee, 0x007fffef, 0x000fffea, 0x003fffe2,
    0x003fffe3, 0x003fffe4, 0x007ffff0, 0x003fffe5, 0x003fffe6, 0x007ffff1,
    0x03ffffe0, 0x03ffffe1, 0x000fffeb, 0x0007fff1, 0x003fffe7, 0x007ffff2,
    0x003fffe8, 0x01ffffec, 0x03ffffe2, 0x03ffffe3, 0x03ffffe4, 0x07ffffde,
    0x07ffffdf, 0x03ffffe5, 0x00fffff1, 0x01ffffed, 0x0007fff2, 0x001fffe3,
    0x03ffffe6, 0x07ffffe0, 0x07ffffe1, 0x03ffffe7, 0x07ffffe2, 0x00fffff2,
    0x001fffe4, 0x001fffe5, 0x03ffffe8, 0x03ffffe9, 0x0ffffffd, 0x07ffffe3,
    0x07ffffe4, 0x07ffffe5, 0x000fffec, 0x00fffff3, 0x000fffed, 0x001fffe6,
    0x003fffe9, 0x001fffe7, 0x001fffe8, 0x007ffff3, 0x003fffea, 0x003fffeb,
    0x01ffffee, 0x01ffffef, 0x00fffff4, 0x00fffff5, 0x03ffffea, 0x007ffff4,
    0x03ffffeb, 0x07ffffe6, 0x03ffffec, 0x03ffffed, 0x07ffffe7, 0x07ffffe8,
    0x07ffffe9, 0x07ffffea, 0x07ffffeb, 0x0ffffffe, 0x07ffffec, 0x07ffffed,
    0x07ffffee, 0x07ffffef, 0x07fffff0, 0x03ffffee, 0x3fffffff,
  };

  private static final byte[] LENGTHS = {
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
    13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
    15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
    6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
    30,
  };

  /**
   * The code as a binary tree: node n's children for bit 0 and 1 are at [2n] and [2n + 1]; a
   * positive entry is another node, a negative entry -1 - symbol is a leaf. Node 0 is the root.
   */
  private static final int[] TREE = buildTree();

  private Huffman() {}

  /**
   * Decodes {@code length} bytes of {@code in} (which must hold them) as one Huffman-coded string
   * literal, advancing its position past them.
   */
  static byte[] decode(ByteBuffer in, int length) throws HpackException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(length + (length >>> 1));
    int node = 0;
    // The bits read since the last whole symbol: at the end they must be a short run of ones, the
    // start of EOS, or the encoder padded wrongly (RFC 7541 section 5.2).
    int pendingBits = 0;
    boolean pendingAllOnes = true;
    for (int i = 0; i < length; i++) {
      int octet = in.get() & 0xff;
      for (int shift = 7; shift >= 0; shift--) {
        int bit = (octet >>> shift) & 1;
        int next = TREE[2 * node + bit];
        pendingBits++;
        pendingAllOnes &= bit == 1;
        if (next >= 0) {
          node = next;
          continue;
        }
        int symbol = -1 - next;
        if (symbol == EOS) {
          throw new HpackException("EOS symbol inside a Huffman-coded string");
        }
        out.write(symbol);
        node = 0;
        pendingBits = 0;
        pendingAllOnes = true;
      }
    }
    if (pendingBits > 7) {
      throw new HpackException("Huffman padding longer than 7 bits");
    }
    if (!pendingAllOnes) {
      throw new HpackException("Huffman padding is not a prefix of EOS");
    }
    return out.toByteArray();
  }

  private static int[] buildTree() {
    // A complete prefix code over 257 symbols has exactly 256 internal nodes.
    int[] tree = new int[2 * EOS];
    int nodes = 1;
    for (int symbol = 0; symbol <= EOS; symbol++) {
      int code = CODES[symbol];
      int node = 0;
      for (int shift = LENGTHS[symbol] - 1; shift > 0; shift--) {
        int slot = 2 * node + ((code >>> shift) & 1);
        if (tree[slot] < 0) {
          throw new IllegalStateException("not a prefix code at symbol " + symbol);
        }
        if (tree[slot] == 0) {
          tree[slot] = nodes++;
        }
        node = tree[slot];
      }
      int slot = 2 * node + (code & 1);
      if (tree[slot] != 0) {
        throw new IllegalStateException("not a prefix code at symbol " + symbol);
      }
      tree[slot] = -1 - symbol;
    }
    // Every slot filled means every bit string leads somewhere, so decode needs no dead-end check.
    for (int slot = 0; slot < tree.length; slot++) {
      if (tree[slot] == 0) {
        throw new IllegalStateException("incomplete code: node " + slot / 2 + " lacks a child");
      }
    }
    return tree;
  }
}
