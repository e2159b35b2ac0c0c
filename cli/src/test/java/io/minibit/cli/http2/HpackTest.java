package io.minibit.cli.http2;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.ByteBufUtil;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Exception;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Headers;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import io.minibit.cli.http2.Hpack.HpackException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HpackTest {
  // Netty codes a string with Huffman only when that is shorter, whatever the threshold, so a
  // threshold of 0 means "whenever it helps" and the tests check that it did.
  private static final int HUFFMAN_WHEN_SHORTER = 0;
  private static final int HUFFMAN_NEVER = Integer.MAX_VALUE;

  @Test
  void decodesNettyGrpcBlocksWithAndWithoutHuffman() throws Exception {
    List<Integer> plain = decodeNettyExchange(HUFFMAN_NEVER, Hpack.DEFAULT_TABLE_SIZE);
    List<Integer> huffman = decodeNettyExchange(HUFFMAN_WHEN_SHORTER, Hpack.DEFAULT_TABLE_SIZE);

    assertTrue(sum(huffman) < sum(plain), "Netty did not Huffman-code: " + huffman + " " + plain);
    // The second response's headers repeat the first's: each field is then one indexed byte, so
    // the decoder really resolved references into the dynamic table built by earlier blocks.
    int repeatedHeaders = 2;
    assertEquals(responseHeaders("1").size(), plain.get(repeatedHeaders));
    assertEquals(responseHeaders("1").size(), huffman.get(repeatedHeaders));
  }

  @Test
  void followsNettyThroughEvictionsInASmallTable() throws Exception {
    int tableSize = 256;
    for (int threshold : new int[] {HUFFMAN_NEVER, HUFFMAN_WHEN_SHORTER}) {
      Hpack.Decoder decoder = new Hpack.Decoder(Hpack.DEFAULT_TABLE_SIZE);
      decodeNettyExchange(decoder, threshold, tableSize);

      // Every entry costs more than 32 bytes, so 256 bytes hold at most 7: the 8th dynamic index
      // must be gone, as it would not be had the decoder kept everything the exchange indexed.
      int maxEntries = tableSize / 33;
      byte[] pastTheTable = {(byte) (0x80 | (61 + maxEntries + 1))};
      HpackException e = assertThrows(HpackException.class,
          () -> decoder.decode(ByteBuffer.wrap(pastTheTable)));
      assertTrue(e.getMessage().contains("past the table"), e.getMessage());
    }
  }

  @Test
  void evictsOldestEntriesBySize() throws Exception {
    Hpack.Decoder decoder = new Hpack.Decoder(110);
    // Each entry costs 3 + 1 + 32 = 36 bytes: three fit in 110, the fourth evicts the first.
    List<byte[]> fields = decoder.decode(ByteBuffer.wrap(hex(
        "4003782d61 0131" + "4003782d62 0132" + "4003782d63 0133" + "4003782d64 0134")));
    assertEquals(List.of("x-a", "1", "x-b", "2", "x-c", "3", "x-d", "4"), strings(fields));

    assertEquals(List.of("x-d", "4", "x-c", "3", "x-b", "2"),
        strings(decoder.decode(ByteBuffer.wrap(hex("be bf c0")))));
    assertMalformed(decoder, "c1", "past the table");

    // Shrinking the table evicts from the oldest end too.
    assertEquals(List.of("x-d", "4"), strings(decoder.decode(ByteBuffer.wrap(hex("3f05 be")))));
    assertMalformed(decoder, "bf", "past the table");

    // An entry larger than the whole table empties it, without error (RFC 7541 section 4.4).
    assertEquals(List.of("x-long", "0123456789"),
        strings(decoder.decode(ByteBuffer.wrap(hex("4006782d6c6f6e67 0a30313233343536373839")))));
    assertMalformed(decoder, "be", "past the table");
  }

  @Test
  void everyByteValueSurvivesNettyHuffmanCoding() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int b = 0; b < 256; b++) {
      // The runs of 5-bit '0's make Huffman pay off for Netty and shift each symbol's alignment.
      out.write(b);
      out.writeBytes("0000000".getBytes(US_ASCII));
    }
    byte[] value = out.toByteArray();
    Http2Headers headers =
        new DefaultHttp2Headers(false).add(new AsciiString("x-every-byte"), new AsciiString(value));

    byte[] huffman = nettyEncode(nettyEncoder(HUFFMAN_WHEN_SHORTER), headers);
    byte[] plain = nettyEncode(nettyEncoder(HUFFMAN_NEVER), headers);
    assertTrue(huffman.length < plain.length, "Netty did not Huffman-code the value");

    List<byte[]> fields =
        new Hpack.Decoder(Hpack.DEFAULT_TABLE_SIZE).decode(ByteBuffer.wrap(huffman));
    assertEquals(2, fields.size());
    assertEquals("x-every-byte", new String(fields.get(0), US_ASCII));
    assertArrayEquals(value, fields.get(1));
  }

  @Test
  void decodesRfc7541RequestExamplesWithoutHuffman() throws Exception {
    Hpack.Decoder decoder = new Hpack.Decoder(Hpack.DEFAULT_TABLE_SIZE);
    // Appendix C.3.1 to C.3.3.
    assertEquals(
        List.of(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com"),
        strings(decoder.decode(ByteBuffer.wrap(hex(
            "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d")))));
    assertEquals(
        List.of(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com",
            "cache-control", "no-cache"),
        strings(decoder.decode(ByteBuffer.wrap(hex("8286 84be 5808 6e6f 2d63 6163 6865")))));
    assertEquals(
        List.of(":method", "GET", ":scheme", "https", ":path", "/index.html",
            ":authority", "www.example.com", "custom-key", "custom-value"),
        strings(decoder.decode(ByteBuffer.wrap(hex(
            "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65")))));
    assertTableAfterRfcRequests(decoder);
  }

  @Test
  void decodesRfc7541RequestExamplesWithHuffman() throws Exception {
    Hpack.Decoder decoder = new Hpack.Decoder(Hpack.DEFAULT_TABLE_SIZE);
    // Appendix C.4.1 to C.4.3.
    assertEquals(
        List.of(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com"),
        strings(decoder.decode(ByteBuffer.wrap(hex(
            "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")))));
    assertEquals(
        List.of(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com",
            "cache-control", "no-cache"),
        strings(decoder.decode(ByteBuffer.wrap(hex("8286 84be 5886 a8eb 1064 9cbf")))));
    assertEquals(
        List.of(":method", "GET", ":scheme", "https", ":path", "/index.html",
            ":authority", "www.example.com", "custom-key", "custom-value"),
        strings(decoder.decode(ByteBuffer.wrap(hex(
            "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf")))));
    assertTableAfterRfcRequests(decoder);
  }

  /** The dynamic table the RFC lists after the third request, newest first, and nothing more. */
  private static void assertTableAfterRfcRequests(Hpack.Decoder decoder) throws HpackException {
    assertEquals(
        List.of("custom-key", "custom-value", "cache-control", "no-cache",
            ":authority", "www.example.com"),
        strings(decoder.decode(ByteBuffer.wrap(hex("be bf c0")))));
    assertMalformed(decoder, "c1", "past the table");
  }

  @Test
  void staticTableMatchesNetty() throws Exception {
    Hpack.Decoder decoder = new Hpack.Decoder(Hpack.DEFAULT_TABLE_SIZE);
    DefaultHttp2HeadersDecoder netty = new DefaultHttp2HeadersDecoder(false);
    for (int index = 1; index <= 61; index++) {
      byte[] block = {(byte) (0x80 | index)};
      assertEquals(strings(nettyDecode(netty, block)),
          strings(decoder.decode(ByteBuffer.wrap(block))), "static index " + index);
    }
    assertMalformed(decoder, "be", "past the table");
  }

  @Test
  void encodesLiteralsWithoutIndexingOrHuffman() {
    byte[] block = Hpack.encode(bytes(":method", "GET", "te", "trailers"));
    assertArrayEquals(hex("00 07 3a6d6574686f64 03 474554" + "00 02 7465 08 747261696c657273"),
        block);
  }

  @Test
  void encodedBlocksDecodeInNettyAndHere() throws Exception {
    String longName = "x-" + "n".repeat(200);
    List<String> request = List.of(
        ":method", "POST",
        ":scheme", "http",
        ":path", "/minibit.peer.v1.PeerControl/Status",
        ":authority", "localhost:6880",
        "te", "trailers",
        "content-type", "application/grpc",
        "grpc-timeout", "5S",
        "user-agent", "minibit-cli/0.1.0",
        "x-empty", "",
        longName, "v".repeat(126),
        "x-medium", "m".repeat(127),
        "x-large", "l".repeat(20_000));
    byte[] block = Hpack.encode(bytes(request.toArray(String[]::new)));

    DefaultHttp2HeadersDecoder netty = new DefaultHttp2HeadersDecoder(true, 1 << 20);
    assertEquals(request, strings(nettyDecode(netty, block)));

    Hpack.Decoder decoder = new Hpack.Decoder(Hpack.DEFAULT_TABLE_SIZE);
    assertEquals(request, strings(decoder.decode(ByteBuffer.wrap(block))));
    // Literals without indexing leave the table empty.
    assertMalformed(decoder, "be", "past the table");
  }

  @Test
  void acceptsHeaderListUpToTheLimit() throws Exception {
    Hpack.Decoder decoder = new Hpack.Decoder(Hpack.DEFAULT_TABLE_SIZE);
    // name "x" + value + 32 = the limit exactly.
    String value = "v".repeat(Hpack.MAX_HEADER_LIST_BYTES - 32 - 1);
    List<byte[]> fields = decoder.decode(ByteBuffer.wrap(Hpack.encode(bytes("x", value))));
    assertEquals(value.length(), fields.get(1).length);

    assertMalformed(decoder, Hpack.encode(bytes("x", value + "v")), "exceeds");
    assertMalformed(decoder, Hpack.encode(bytes("x", value, "y", "")), "exceeds");
  }

  @Test
  void headerListOverTheLimitStillKeepsTheTableInStep() throws Exception {
    Hpack.Decoder decoder = new Hpack.Decoder(Hpack.DEFAULT_TABLE_SIZE);
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    block.writeBytes(hex("4003782d61 0131")); // x-a: 1, incremental indexing
    block.writeBytes(Hpack.encode(bytes("x-big", "b".repeat(Hpack.MAX_HEADER_LIST_BYTES))));
    block.writeBytes(hex("4003782d62 0132")); // x-b: 2, after the limit was passed
    assertMalformed(decoder, block.toByteArray(), "exceeds");

    assertEquals(List.of("x-b", "2", "x-a", "1"),
        strings(decoder.decode(ByteBuffer.wrap(hex("be bf")))));
  }

  @Test
  void returnedBytesAreCopiesOfTheTable() throws Exception {
    Hpack.Decoder decoder = new Hpack.Decoder(Hpack.DEFAULT_TABLE_SIZE);
    List<byte[]> first = decoder.decode(ByteBuffer.wrap(hex("4003782d61 0131 82")));
    for (byte[] string : first) {
      string[0] = '?';
    }
    assertEquals(List.of("x-a", "1", ":method", "GET"),
        strings(decoder.decode(ByteBuffer.wrap(hex("be 82")))));
  }

  @Test
  void acceptsTableSizeUpdatesOnlyAtTheStartAndUpToTheMax() throws Exception {
    assertEquals(List.of(":method", "GET"), strings(new Hpack.Decoder(4096).decode(
        ByteBuffer.wrap(hex("3fe11f 20 3fe11f 82"))))); // 4096, 0, 4096: all before the field
    assertMalformed(new Hpack.Decoder(4096), "3fe21f", "above the advertised"); // 4097
    assertMalformed(new Hpack.Decoder(100), "3f46", "above the advertised"); // 101
    assertMalformed(new Hpack.Decoder(4096), "82 20", "after a header field");

    // A new block may start with one again.
    Hpack.Decoder decoder = new Hpack.Decoder(4096);
    decoder.decode(ByteBuffer.wrap(hex("82")));
    assertEquals(List.of(), strings(decoder.decode(ByteBuffer.wrap(hex("20")))));
  }

  @Test
  void rejectsBadIndexes() {
    assertMalformed("80", "index 0");
    assertMalformed("be", "past the table"); // 62 with an empty dynamic table
    assertMalformed("7e 0131", "past the table"); // incremental indexing, name index 62
    assertMalformed("1f2f 0131", "past the table"); // never indexed, name index 62
    assertMalformed("0f2f 0131", "past the table"); // without indexing, name index 62
    assertMalformed("ff80ffffff07", "past the table"); // Integer.MAX_VALUE is just an index
  }

  @Test
  void rejectsTruncatedIntegersAndStrings() {
    assertMalformed("ff", "truncated integer");
    assertMalformed("ff80", "truncated integer");
    assertMalformed("00", "string is missing");
    assertMalformed("00 0161", "string is missing");
    assertMalformed("00 05616263", "truncated string");
    assertMalformed("00 0161 85ffff", "truncated string"); // Huffman-coded value
    assertMalformed("00 7f80ffffff07", "truncated string"); // length of Integer.MAX_VALUE
  }

  @Test
  void rejectsIntegersBeyondAnInt() {
    assertMalformed("ffffffffff0f", "overflow"); // 127 + 0xfffffff + (15 << 28)
    assertMalformed("00 7f81ffffff07", "overflow"); // Integer.MAX_VALUE + 1 as a string length
    assertMalformed("ff808080808001", "overflow"); // zero continuations past 35 bits
    // Shifting a long by 70 shifts it by 6: without a bound on the shift this would decode as 191.
    assertMalformed("ff" + "80".repeat(10) + "01", "overflow");
  }

  @Test
  void rejectsBadHuffmanPaddingAndEos() throws Exception {
    // 'a' is the 5-bit code 00011: padded with 111 it is valid.
    assertEquals(List.of("a", "a"),
        strings(new Hpack.Decoder(4096).decode(ByteBuffer.wrap(hex("00 0161 811f")))));
    assertMalformed("00 0161 8118", "padding"); // padded with 000
    assertMalformed("00 0161 821fff", "padding"); // 11 bits of padding
    assertMalformed("00 0161 81ff", "padding"); // a whole byte of padding and no symbol
    assertMalformed("00 0161 84ffffffff", "EOS"); // the 30-bit EOS itself, then 2 bits
    assertMalformed("00 81ff 0161", "padding"); // in a name, too
  }

  // ---- Netty as the reference encoder

  private static List<Integer> decodeNettyExchange(int huffCodeThreshold, int tableSize)
      throws Exception {
    return decodeNettyExchange(
        new Hpack.Decoder(Hpack.DEFAULT_TABLE_SIZE), huffCodeThreshold, tableSize);
  }

  /**
   * Encodes a run of gRPC responses with one Netty encoder, decodes them in order with {@code
   * decoder}, and checks each block's fields; returns the blocks' sizes.
   */
  private static List<Integer> decodeNettyExchange(
      Hpack.Decoder decoder, int huffCodeThreshold, int tableSize) throws Exception {
    DefaultHttp2HeadersEncoder encoder = nettyEncoder(huffCodeThreshold);
    if (tableSize != Hpack.DEFAULT_TABLE_SIZE) {
      // Netty starts its next block with the size update, as SETTINGS_HEADER_TABLE_SIZE asks.
      encoder.maxHeaderTableSize(tableSize);
    }
    List<Integer> sizes = new ArrayList<>();
    for (Http2Headers headers : grpcExchange()) {
      byte[] block = nettyEncode(encoder, headers);
      assertEquals(strings(headers), strings(decoder.decode(ByteBuffer.wrap(block))));
      sizes.add(block.length);
    }
    return sizes;
  }

  /** Responses and trailers as a gRPC server sends them on one connection. */
  private static List<Http2Headers> grpcExchange() {
    Random random = new Random(7541);
    byte[] details = new byte[90];
    random.nextBytes(details);
    StringBuilder longValue = new StringBuilder();
    while (longValue.length() < 700) {
      longValue.append("chunk-").append(random.nextInt(1_000_000)).append(';');
    }
    return List.of(
        responseHeaders("1"),
        trailers("0", null, null),
        responseHeaders("1"),
        trailers("5", "torrent%20not%20found%3A%20%E2%9C%93 deadbeef",
            Base64.getEncoder().withoutPadding().encodeToString(details)),
        responseHeaders("2").add("x-debug-trace", longValue),
        trailers("13", "internal%20error%0Aline%202", null),
        responseHeaders("3"),
        trailers("0", null, null),
        responseHeaders("4").add("x-debug-trace", longValue),
        trailers("0", null, null));
  }

  private static Http2Headers responseHeaders(String requestId) {
    return new DefaultHttp2Headers()
        .status("200")
        .add("content-type", "application/grpc")
        .add("grpc-encoding", "identity")
        .add("grpc-accept-encoding", "gzip")
        .add("x-request-id", "req-" + requestId);
  }

  private static Http2Headers trailers(String status, String message, String detailsBin) {
    Http2Headers trailers = new DefaultHttp2Headers().add("grpc-status", status);
    if (message != null) {
      trailers.add("grpc-message", message);
    }
    if (detailsBin != null) {
      trailers.add("grpc-status-details-bin", detailsBin);
    }
    return trailers;
  }

  private static DefaultHttp2HeadersEncoder nettyEncoder(int huffCodeThreshold) {
    // grpc-message counts as sensitive so that the never-indexed representation shows up too.
    return new DefaultHttp2HeadersEncoder(
        (name, value) -> AsciiString.contentEquals(name, "grpc-message"),
        true, 16, huffCodeThreshold);
  }

  private static byte[] nettyEncode(DefaultHttp2HeadersEncoder encoder, Http2Headers headers)
      throws Http2Exception {
    ByteBuf buffer = Unpooled.buffer();
    try {
      encoder.encodeHeaders(1, headers, buffer);
      return ByteBufUtil.getBytes(buffer);
    } finally {
      buffer.release();
    }
  }

  private static Http2Headers nettyDecode(DefaultHttp2HeadersDecoder decoder, byte[] block)
      throws Http2Exception {
    return decoder.decodeHeaders(1, Unpooled.wrappedBuffer(block));
  }

  // ---- helpers

  private static void assertMalformed(String hexBlock, String messagePart) {
    assertMalformed(new Hpack.Decoder(Hpack.DEFAULT_TABLE_SIZE), hex(hexBlock), messagePart);
  }

  private static void assertMalformed(Hpack.Decoder decoder, String hexBlock, String messagePart) {
    assertMalformed(decoder, hex(hexBlock), messagePart);
  }

  private static void assertMalformed(Hpack.Decoder decoder, byte[] block, String messagePart) {
    HpackException e =
        assertThrows(HpackException.class, () -> decoder.decode(ByteBuffer.wrap(block)));
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    assertFalse(e.getMessage().isEmpty());
  }

  private static byte[] hex(String spaced) {
    return HexFormat.of().parseHex(spaced.replace(" ", ""));
  }

  private static List<byte[]> bytes(String... strings) {
    List<byte[]> out = new ArrayList<>();
    for (String s : strings) {
      out.add(s.getBytes(ISO_8859_1));
    }
    return out;
  }

  /** Byte strings as ISO-8859-1 text, one char per byte, so failures print readably. */
  private static List<String> strings(List<byte[]> fields) {
    List<String> out = new ArrayList<>();
    for (byte[] field : fields) {
      out.add(new String(field, ISO_8859_1));
    }
    return out;
  }

  private static List<String> strings(Http2Headers headers) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<CharSequence, CharSequence> field : headers) {
      out.add(new String(AsciiString.of(field.getKey()).toByteArray(), ISO_8859_1));
      out.add(new String(AsciiString.of(field.getValue()).toByteArray(), ISO_8859_1));
    }
    return out;
  }

  private static int sum(List<Integer> sizes) {
    return sizes.stream().mapToInt(Integer::intValue).sum();
  }
}
