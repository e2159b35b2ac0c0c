package io.minibit.cli.http2;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * HPACK header compression (RFC 7541) for one HTTP/2 connection: {@link #encode} writes the header
 * blocks this client sends, a {@link Decoder} reads the blocks the server sends. {@link #encode} is
 * stateless and thread-safe; a Decoder is owned by the connection's reading thread.
 */
final class Hpack {
  /**
   * The largest header list a Decoder returns, counted as SETTINGS_MAX_HEADER_LIST_SIZE counts it
   * (RFC 7540 section 6.5.2): name and value octets plus 32 per field.
   */
  static final int MAX_HEADER_LIST_BYTES = 64 * 1024;

  /** The SETTINGS_HEADER_TABLE_SIZE a peer assumes until told otherwise. */
  static final int DEFAULT_TABLE_SIZE = 4096;

  // RFC 7541 section 4.1: an entry's size counts 32 octets of overhead besides name and value,
  // and SETTINGS_MAX_HEADER_LIST_SIZE borrows the same rule.
  private static final int FIELD_OVERHEAD = 32;

  // RFC 7541 Appendix A, index 1 first.
  private static final Entry[] STATIC_TABLE = staticTable(
      ":authority", "",
      ":method", "GET",
      ":method", "POST",
      ":path", "/",
      ":path", "/index.html",
      ":scheme", "http",
      ":scheme", "https",
      ":status", "200",
      ":status", "204",
      ":status", "206",
      ":status", "304",
      ":status", "400",
      ":status", "404",
      ":status", "500",
      "accept-charset", "",
      "accept-encoding", "gzip, deflate",
      "accept-language", "",
      "accept-ranges", "",
      "accept", "",
      "access-control-allow-origin", "",
      "age", "",
      "allow", "",
      "authorization", "",
      "cache-control", "",
      "content-disposition", "",
      "content-encoding", "",
      "content-language", "",
      "content-length", "",
      "content-location", "",
      "content-range", "",
      "content-type", "",
      "cookie", "",
      "date", "",
      "etag", "",
      "expect", "",
      "expires", "",
      "from", "",
      "host", "",
      "if-match", "",
      "if-modified-since", "",
      "if-none-match", "",
      "if-range", "",
      "if-unmodified-since", "",
      "last-modified", "",
      "link", "",
      "location", "",
      "max-forwards", "",
      "proxy-authenticate", "",
      "proxy-authorization", "",
      "range", "",
      "referer", "",
      "refresh", "",
      "retry-after", "",
      "server", "",
      "set-cookie", "",
      "strict-transport-security", "",
      "transfer-encoding", "",
      "user-agent", "",
      "vary", "",
      "via", "",
      "www-authenticate", "");

  private Hpack() {}

  /**
   * Header blocks as this client sends them: every field a literal without indexing with a literal
   * name, no Huffman: nothing to keep in step with the server's table. Takes alternating name and
   * value as raw bytes; names must already be lowercase, as HTTP/2 requires.
   */
  static byte[] encode(List<byte[]> namesAndValues) {
    if (namesAndValues.size() % 2 != 0) {
      throw new IllegalArgumentException(
          "names and values do not pair up: " + namesAndValues.size() + " strings");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < namesAndValues.size(); i += 2) {
      out.write(0x00); // literal header field without indexing, new name (section 6.2.2)
      writeString(out, namesAndValues.get(i));
      writeString(out, namesAndValues.get(i + 1));
    }
    return out.toByteArray();
  }

  private static void writeString(ByteArrayOutputStream out, byte[] string) {
    writeInteger(out, 0x00, 7, string.length);
    out.write(string, 0, string.length);
  }

  /** Section 5.1: {@code value} in a prefix of {@code prefixBits} below {@code flags}. */
  private static void writeInteger(
      ByteArrayOutputStream out, int flags, int prefixBits, int value) {
    int prefixMax = (1 << prefixBits) - 1;
    if (value < prefixMax) {
      out.write(flags | value);
      return;
    }
    out.write(flags | prefixMax);
    int rest = value - prefixMax;
    while (rest >= 0x80) {
      out.write((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    out.write(rest);
  }

  private static Entry[] staticTable(String... namesAndValues) {
    Entry[] table = new Entry[namesAndValues.length / 2];
    for (int i = 0; i < table.length; i++) {
      table[i] = new Entry(
          namesAndValues[2 * i].getBytes(StandardCharsets.US_ASCII),
          namesAndValues[2 * i + 1].getBytes(StandardCharsets.US_ASCII));
    }
    return table;
  }

  /** A table entry; its arrays are never handed out, only copies, so callers cannot alter it. */
  private record Entry(byte[] name, byte[] value) {
    long size() {
      return (long) name.length + value.length + FIELD_OVERHEAD;
    }
  }

  /**
   * Decodes the header blocks one connection receives, keeping its dynamic table across them. Not
   * thread-safe: blocks must be decoded one at a time, in the order they arrived.
   */
  static final class Decoder {
    private final int maxTableSize;
    // Oldest first, so eviction removes from the front; the table holds at most maxTableSize / 32
    // entries (128 by default), which keeps the shifting cheap.
    private final ArrayList<Entry> dynamicTable = new ArrayList<>();
    private long dynamicTableSize;
    private int capacity;

    /**
     * @param maxTableSize the SETTINGS_HEADER_TABLE_SIZE this side advertised ({@link
     *     #DEFAULT_TABLE_SIZE} unless it sent another); the server may shrink the table below it
     *     but a size update above it is an error
     */
    Decoder(int maxTableSize) {
      if (maxTableSize < 0) {
        throw new IllegalArgumentException("negative table size " + maxTableSize);
      }
      this.maxTableSize = maxTableSize;
      this.capacity = maxTableSize;
    }

    /**
     * Decodes one complete header block (the HEADERS payload plus any CONTINUATIONs, joined,
     * padding and priority already removed), consuming {@code block}. Returns alternating name and
     * value as raw bytes, in the order received.
     *
     * @throws HpackException if the block is malformed (the table is then out of step with the
     *     server's: end the connection with COMPRESSION_ERROR), or if the header list exceeds
     *     {@link #MAX_HEADER_LIST_BYTES} (the whole block is still read, so the table stays in step
     *     and only the stream need fail)
     */
    List<byte[]> decode(ByteBuffer block) throws HpackException {
      List<byte[]> fields = new ArrayList<>();
      long listBytes = 0;
      boolean atBlockStart = true;
      while (block.hasRemaining()) {
        int first = block.get(block.position()) & 0xff;
        byte[] name;
        byte[] value;
        if ((first & 0x80) != 0) {
          Entry entry = entry(readInteger(block, 7));
          name = entry.name().clone();
          value = entry.value().clone();
        } else if ((first & 0xe0) == 0x20) {
          // Section 4.2: only before the first field, so every field of a block sees one table.
          if (!atBlockStart) {
            throw new HpackException("dynamic table size update after a header field");
          }
          int size = readInteger(block, 5);
          if (size > maxTableSize) {
            throw new HpackException(
                "dynamic table size update to " + size + " above the advertised " + maxTableSize);
          }
          capacity = size;
          evictDownTo(capacity);
          continue;
        } else {
          // 01: incremental indexing, 6-bit index; 0001: never indexed and 0000: without
          // indexing, both with a 4-bit index. Index 0 means a literal name follows.
          boolean indexing = (first & 0xc0) == 0x40;
          int index = readInteger(block, indexing ? 6 : 4);
          name = index == 0 ? readString(block) : entry(index).name().clone();
          value = readString(block);
          if (indexing) {
            add(new Entry(name.clone(), value.clone()));
          }
        }
        atBlockStart = false;
        listBytes += (long) name.length + value.length + FIELD_OVERHEAD;
        if (listBytes <= MAX_HEADER_LIST_BYTES) {
          fields.add(name);
          fields.add(value);
        }
      }
      if (listBytes > MAX_HEADER_LIST_BYTES) {
        throw new HpackException(
            "header list of " + listBytes + " bytes exceeds " + MAX_HEADER_LIST_BYTES);
      }
      return fields;
    }

    private Entry entry(int index) throws HpackException {
      if (index == 0) {
        throw new HpackException("header table index 0");
      }
      if (index <= STATIC_TABLE.length) {
        return STATIC_TABLE[index - 1];
      }
      int fromNewest = index - STATIC_TABLE.length - 1;
      if (fromNewest >= dynamicTable.size()) {
        throw new HpackException("header table index " + index + " past the table's "
            + (STATIC_TABLE.length + dynamicTable.size()) + " entries");
      }
      return dynamicTable.get(dynamicTable.size() - 1 - fromNewest);
    }

    private void add(Entry entry) {
      // Section 4.4: an entry larger than the whole table empties it and is not an error.
      if (entry.size() > capacity) {
        dynamicTable.clear();
        dynamicTableSize = 0;
        return;
      }
      evictDownTo(capacity - entry.size());
      dynamicTable.add(entry);
      dynamicTableSize += entry.size();
    }

    private void evictDownTo(long size) {
      while (dynamicTableSize > size) {
        dynamicTableSize -= dynamicTable.remove(0).size();
      }
    }

    /** Section 5.1: an integer in the low {@code prefixBits} of the next byte and what follows. */
    private static int readInteger(ByteBuffer in, int prefixBits) throws HpackException {
      int prefixMax = (1 << prefixBits) - 1;
      int prefix = in.get() & prefixMax;
      if (prefix < prefixMax) {
        return prefix;
      }
      long value = prefix;
      // Five continuation bytes carry 35 bits, more than an int; a sixth, even one of zeros, is
      // only a way to make the reader loop.
      for (int shift = 0; ; shift += 7) {
        if (shift > 28) {
          throw new HpackException("integer overflows an int");
        }
        if (!in.hasRemaining()) {
          throw new HpackException("truncated integer");
        }
        int octet = in.get() & 0xff;
        value += (long) (octet & 0x7f) << shift;
        if (value > Integer.MAX_VALUE) {
          throw new HpackException("integer overflows an int");
        }
        if ((octet & 0x80) == 0) {
          return (int) value;
        }
      }
    }

    /** Section 5.2: a length-prefixed string, Huffman-coded if the length's top bit says so. */
    private static byte[] readString(ByteBuffer in) throws HpackException {
      if (!in.hasRemaining()) {
        throw new HpackException("truncated block: a string is missing");
      }
      boolean huffman = (in.get(in.position()) & 0x80) != 0;
      int length = readInteger(in, 7);
      if (length > in.remaining()) {
        throw new HpackException(
            "truncated string: " + length + " bytes declared, " + in.remaining() + " left");
      }
      if (huffman) {
        return Huffman.decode(in, length);
      }
      byte[] string = new byte[length];
      in.get(string);
      return string;
    }
  }

  /** A header block that breaks RFC 7541, or a header list larger than this side accepts. */
  static final class HpackException extends IOException {
    HpackException(String message) {
      super(message);
    }
  }
}
